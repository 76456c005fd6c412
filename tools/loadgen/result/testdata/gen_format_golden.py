#!/usr/bin/env python3
"""Writes format.json: how Python's "{:<10.2f}" and "{:<10}" lay out the
values of the console summary, for the Go tests to compare against.

    python3 result/testdata/gen_format_golden.py > result/testdata/format.json
"""
import json
import random
import sys

rng = random.Random(5)
floats = [0.0, -0.0, 0.005, 0.015, 0.025, 1.005, 2.345, 2.675, 1e-7, 123456789.125, 1e16, 3.14159,
          0.125, 0.375, 10.0, 99.995, 12345.678]
floats += [rng.uniform(0, 1000) for _ in range(200)]
floats += [round(rng.uniform(0, 100), 3) for _ in range(200)]  # many ties at the third decimal
ints = [0, 1, 42, 1234567890, 12345678901]
cases = {
    "floats": [[x.hex(), "{:<10.2f}".format(x)] for x in floats],
    "ints": [[n, "{:<10}".format(n)] for n in ints],
    "center": [[s, c, "{s:{c}^{n}}".format(s=s, n=50, c=c)] for s, c in [
        (" Serving Benchmark Result ", "="), ("Time to First Token", "-"),
        ("Time per Output Token (excl. 1st token)", "-"), ("Inter-token Latency", "-"), ("End-to-end Latency", "-")]],
}
json.dump(cases, sys.stdout)
sys.stdout.write("\n")

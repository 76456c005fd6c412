#!/usr/bin/env python3
"""Writes numpy.json: numpy's mean, std, median and percentile of a set of
arrays, floats as float.hex() so the Go tests can compare bit for bit.

Run with a python3 that has numpy (Debian: apt-get install python3-numpy):
    /usr/bin/python3 metrics/testdata/gen_numpy_golden.py > metrics/testdata/numpy.json
"""
import json
import random
import sys

import numpy as np

PERCENTILES = [0, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 100]


def arrays():
    rng = random.Random(20260205)
    yield "one", [0.25]
    yield "two", [0.1, 0.7]
    yield "ties", [0.5] * 9 + [0.25]
    yield "zeros and ones", [0.0, 1.0] * 5
    for n in [3, 7, 8, 9, 15, 16, 17, 127, 128, 129, 255, 256, 257, 1000, 2049]:
        # Latency-like values: lognormal around 20 ms with a long tail.
        yield f"lognormal {n}", [rng.lognormvariate(-4, 0.6) for _ in range(n)]
    yield "uniform 999", [rng.random() for _ in range(999)]
    yield "wide range 300", [10 ** rng.uniform(-9, 3) for _ in range(300)]
    yield "sorted 200", sorted(rng.random() for _ in range(200))


def main():
    cases = []
    for name, xs in arrays():
        a = np.array(xs, dtype=np.float64)
        cases.append({
            "name": name,
            "values": [float(x).hex() for x in xs],
            "mean": float(np.mean(xs)).hex(),
            "std": float(np.std(xs)).hex(),
            "median": float(np.median(xs)).hex(),
            "percentiles": [[p, float(np.percentile(xs, p)).hex()] for p in PERCENTILES],
            "sum": float(np.sum(a)).hex(),
        })
    out = sys.stdout
    out.write('{"numpy": %s, "cases": [\n' % json.dumps(np.__version__))
    out.write(",\n".join(json.dumps(c) for c in cases))
    out.write("\n]}\n")


if __name__ == "__main__":
    main()

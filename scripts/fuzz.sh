#!/usr/bin/env bash
# Runs every fuzz target of the given package patterns for $FUZZTIME each.
# go test -fuzz takes one target in one package at a time, hence the loops.
set -euo pipefail
fuzztime=${FUZZTIME:-10s}
# go test spends up to a minute minimizing each new interesting input by default, which on seeds of a
# few kilobytes (FuzzRecords') is the whole run; a few seconds keeps the time for fuzzing.
minimizetime=${FUZZMINIMIZETIME:-5s}
[ $# -gt 0 ] || { echo "usage: $0 PACKAGE_PATTERN..." >&2; exit 2; }
for pkg in $(go list "$@"); do
  for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
    echo "== $pkg $target ($fuzztime)"
    go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" -fuzzminimizetime "$minimizetime" "$pkg"
  done
done

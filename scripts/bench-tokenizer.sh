#!/usr/bin/env bash
# Encode throughput of the Go tokenizer beside the Rust reference on the
# same fixed corpus, in one run; prints both and their ratio.
#   scripts/bench-tokenizer.sh [SECONDS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-3}
npmdir=$root/.cache/npm
if [ ! -d "$npmdir/node_modules/@anush008/tokenizers" ]; then
  mkdir -p "$npmdir"
  cp "$root/scripts/oracle/package.json" "$root/scripts/oracle/package-lock.json" "$npmdir/"
  (cd "$npmdir" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
fi
go_out=$(cd "$root/tools/loadgen" && go test -run '^$' -bench '^BenchmarkEncode$' -benchtime "${secs}s" ./tokenizer/)
rust_out=$(NODE_PATH=$npmdir/node_modules node "$root/scripts/oracle/bench.js" "$root" "$secs")
echo "nproc: $(nproc)"
printf '%-22s %14s %14s %7s\n' case "go tokens/s" "rust tokens/s" ratio
while read -r name tps _; do
  g=$(awk -v n="BenchmarkEncode/$name-" 'index($1, n) == 1 { for (i = 1; i <= NF; i++) if ($(i+1) == "tokens/s") print $i }' <<<"$go_out")
  printf '%-22s %14.0f %14.0f %7.2f\n' "$name" "$g" "$tps" "$(awk -v a="$g" -v b="$tps" 'BEGIN { print a / b }')"
done <<<"$rust_out"

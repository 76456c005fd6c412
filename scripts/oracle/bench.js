#!/usr/bin/env node
// Encode throughput of the Rust reference (Hugging Face tokenizers through
// @anush008/tokenizers) on the fixed corpus BenchmarkEncode uses, on one
// core (sequential encode) and on all cores (encodeBatch, Rust threads).
//
//   NODE_PATH=.cache/npm/node_modules node scripts/oracle/bench.js ROOT [SECONDS]
'use strict';
const fs = require('fs');
const path = require('path');
const { Tokenizer } = require('@anush008/tokenizers');

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

async function main() {
  const root = process.argv[2];
  const seconds = Number(process.argv[3] || 3);
  const corpus = JSON.parse(fs.readFileSync(path.join(root, 'tools/loadgen/tokenizer/testdata/corpus.json'), 'utf8'));
  for (const m of ['deepseek_v3', 'gptoss']) {
    const tok = Tokenizer.fromFile(path.join(process.env.NODE_PATH, `@lenml/tokenizer-${m}/models/tokenizer.json`));
    const vocab = tok.getVocabSize(false);
    const docs = [corpus.join('\n')];
    const rand = mulberry32(1234);
    for (let k = 0; k < 64; k++) {
      const off = rand() % vocab;
      const ids = [];
      for (let j = 0; j < 2048; j++) ids.push((off + j) % vocab);
      docs.push(await tok.decode(ids, false));
    }
    for (const mode of ['1core', 'allcores']) {
      let tokens = 0;
      const start = process.hrtime.bigint();
      let elapsed = 0;
      while (elapsed < seconds) {
        if (mode === '1core') {
          for (const d of docs) tokens += (await tok.encode(d, null, { addSpecialTokens: false })).getIds().length;
        } else {
          for (const e of await tok.encodeBatch(docs, { addSpecialTokens: false })) tokens += e.getIds().length;
        }
        elapsed = Number(process.hrtime.bigint() - start) / 1e9;
      }
      console.log(`${m}/${mode} ${Math.round(tokens / elapsed)} tokens/s`);
    }
  }
}
main().catch((e) => { console.error(e); process.exit(1); });

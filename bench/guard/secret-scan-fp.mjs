#!/usr/bin/env node
// Outbound secret scan: false positives on benign payloads, and the cost of a scan per payload.
// The payloads are GitHub issues and comments and Notion pages and blocks built from the vendors'
// own API examples (every string of every `example`/`examples` in the upstream OpenAPI files of
// ../shared/specs-upstream/, plus the prose of GitHub's issue and pull operations), combined with a
// fixed seed into bodies of realistic size. Each is scanned as the pipeline scans a tool call to
// its own service, with three vault secrets of other services loaded. Bounded: fixed counts.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { quantiles, round } from '../stats.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const upstream =
  process.env.KEYGATE_UPSTREAM_DIR ??
  fileURLToPath(new URL('../../../shared/specs-upstream/', import.meta.url));
for (const file of ['github.json', 'notion.json']) {
  if (!existsSync(`${upstream}/${file}`)) {
    console.error(
      `bench/guard/secret-scan-fp: ${upstream}/${file} is missing. This benchmark reads the vendors' OpenAPI files (reference data, never committed); set KEYGATE_UPSTREAM_DIR to their folder.`,
    );
    process.exit(2);
  }
}
const { argumentParts, fixedSecrets, SecretScanner } = await import(`${root}dist/guard/index.js`);

const GITHUB_PAYLOADS = 1200;
const NOTION_PAYLOADS = 600;

/** Every string of every example in an OpenAPI document (`example`, `examples.*.value`, `x-example`). */
function exampleStrings(document) {
  const out = new Set();
  const strings = (value) => {
    if (typeof value === 'string') out.add(value);
    else if (Array.isArray(value)) for (const item of value) strings(item);
    else if (value && typeof value === 'object') for (const item of Object.values(value)) strings(item);
  };
  const walk = (node, key) => {
    if (Array.isArray(node)) {
      for (const item of node) walk(item);
      return;
    }
    if (!node || typeof node !== 'object') return;
    for (const [name, value] of Object.entries(node)) {
      if (name === 'example' || name === 'x-example') strings(value);
      else if (name === 'examples' && key !== 'properties') strings(value);
      else walk(value, name);
    }
  };
  walk(document);
  return [...out];
}

/** The JSON example objects themselves (people paste API answers into issues). */
function exampleObjects(document) {
  return Object.values(document.components?.examples ?? {})
    .map((example) => example.value)
    .filter((value) => value && typeof value === 'object');
}

/** Mulberry32: a fixed seed, the same payloads every run. */
function random(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const github = JSON.parse(readFileSync(`${upstream}/github.json`, 'utf8'));
const notion = JSON.parse(readFileSync(`${upstream}/notion.json`, 'utf8'));
const prose = Object.entries(github.paths)
  .filter(([path]) => /\/(issues|pulls|comments)/.test(path))
  .flatMap(([, item]) => Object.values(item).flatMap((op) => [op?.summary, op?.description]))
  .filter((text) => typeof text === 'string' && text.length > 20);
const githubPool = [...exampleStrings(github), ...prose];
const notionPool = exampleStrings(notion);
const githubObjects = exampleObjects(github);
const next = random(16);
const pick = (pool) => pool[Math.floor(next() * pool.length)];

function githubIssue() {
  const lines = [];
  for (let i = 0, n = 3 + Math.floor(next() * 8); i < n; i++) lines.push(pick(githubPool));
  if (next() < 0.3) lines.push('```json', JSON.stringify(pick(githubObjects), null, 2).slice(0, 4000), '```');
  const args = {
    owner: 'octocat',
    repo: 'hello-world',
    title: pick(githubPool).slice(0, 120),
    body: lines.join('\n\n'),
  };
  return next() < 0.5 ? args : { owner: 'octocat', repo: 'hello-world', issue_number: 1347, body: args.body };
}

function notionPage() {
  const paragraphs = [];
  for (let i = 0, n = 2 + Math.floor(next() * 8); i < n; i++)
    paragraphs.push({
      object: 'block',
      type: 'paragraph',
      paragraph: { rich_text: [{ type: 'text', text: { content: pick(notionPool) } }] },
    });
  return {
    parent: { page_id: '59833787-2cf9-4fdf-8782-e53db20768a5' },
    properties: { title: { title: [{ text: { content: pick(notionPool).slice(0, 100) } }] } },
    children: paragraphs,
  };
}

const payloads = [
  ...Array.from({ length: GITHUB_PAYLOADS }, () => ({ destination: 'github', args: githubIssue() })),
  ...Array.from({ length: NOTION_PAYLOADS }, () => ({ destination: 'notion', args: notionPage() })),
];

// Three vault secrets of other services, as realistic in length and alphabet as real ones.
const secretOf = (prefix, length) => {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let out = prefix;
  for (let i = 0; i < length; i++) out += alphabet[Math.floor(next() * alphabet.length)];
  return out;
};
const scanner = new SecretScanner(
  fixedSecrets([
    { name: 'stripe', values: [secretOf('rk_live_', 99)] },
    { name: 'openai', values: [secretOf('sk-proj-', 48)] },
    { name: 'jira', values: [`ops@example.com:${secretOf('', 24)}`, secretOf('', 24)] },
  ]),
);

for (let i = 0; i < 50; i++)
  await scanner.scan({ destination: 'github', parts: argumentParts(payloads[i].args) }, 'github');
const samples = [];
const hits = [];
for (const payload of payloads) {
  const outbound = { destination: payload.destination, parts: argumentParts(payload.args) };
  const t0 = process.hrtime.bigint();
  const hit = await scanner.scan(outbound, payload.destination);
  samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
  if (hit) hits.push({ destination: payload.destination, rule: hit.rule, place: hit.place });
}
const bytes = payloads.map((payload) => JSON.stringify(payload.args).length);
const byRule = {};
for (const hit of hits) byRule[hit.rule] = (byRule[hit.rule] ?? 0) + 1;
console.log(
  JSON.stringify(
    {
      payloads: payloads.length,
      pool: {
        githubStrings: githubPool.length,
        notionStrings: notionPool.length,
        githubObjects: githubObjects.length,
      },
      payloadBytes: quantiles(bytes, 0),
      flagged: hits.length,
      falsePositiveRate: `${round((100 * hits.length) / payloads.length, 2)}%`,
      byRule,
      scanMs: quantiles(samples, 3),
    },
    null,
    2,
  ),
);

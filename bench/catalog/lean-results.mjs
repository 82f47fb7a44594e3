#!/usr/bin/env node
// Lean results benchmark: for every GitHub tool with lean results whose upstream operation
// documents an example 200 answer (api.github.com.json `components/examples`), the size of that
// example as GitHub sends it against the lean projection keygate returns. Pure computation on the
// vendor's own examples: no network, no server. Needs `npm run build` first (reads dist/).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { round } from '../stats.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const { loadCatalog } = await import(`${root}dist/catalog/index.js`);
const { projectResult } = await import(`${root}dist/executor/lean-result.js`);

// The same folder `keygate spec curate` reads (KEYGATE_UPSTREAM_DIR, default ../shared/specs-upstream).
const upstreamDir = process.env.KEYGATE_UPSTREAM_DIR || `${root}../shared/specs-upstream`;
const upstreamFile = `${upstreamDir}/github.json`;
if (!existsSync(upstreamFile)) {
  console.error(`lean-results: no ${upstreamFile} (set KEYGATE_UPSTREAM_DIR to the upstream folder)`);
  process.exit(1);
}
const upstream = JSON.parse(readFileSync(upstreamFile, 'utf8'));
const catalog = await loadCatalog();

/** Follows local `$ref`s (`#/components/…`), an example may point at another one. */
function deref(node) {
  let at = node;
  for (let hops = 0; at && typeof at.$ref === 'string' && hops < 10; hops++) {
    at = at.$ref
      .slice(2)
      .split('/')
      .reduce((parent, key) => parent?.[key], upstream);
  }
  return at;
}

/** The documented example answers of an operation's 200 response (each a parsed document). */
function examplesOf(method, path) {
  const response = deref(upstream.paths?.[path]?.[method.toLowerCase()]?.responses?.['200']);
  const media = response?.content?.['application/json'];
  const examples = Object.values(media?.examples ?? {}).map((example) => deref(deref(example)?.value));
  if (media?.example !== undefined) examples.push(media.example);
  return examples.filter((value) => value !== undefined && value !== null);
}

const operations = [];
const skipped = [];
for (const tool of catalog.tools) {
  if (tool.service !== 'github' || !tool.leanResults) continue;
  const examples = examplesOf(tool.operation.method, tool.operation.path);
  if (examples.length === 0) {
    skipped.push(tool.name);
    continue;
  }
  // An operation with several examples counts once: the sum of its examples.
  let raw = 0;
  let lean = 0;
  for (const example of examples) {
    raw += JSON.stringify(example).length;
    lean += JSON.stringify(projectResult(example, tool.leanResults.rules)).length;
  }
  const list = Array.isArray(examples[0]) || typeof examples[0]?.total_count === 'number';
  operations.push({
    tool: tool.name,
    list,
    examples: examples.length,
    raw,
    lean,
    ratio: round(lean / raw, 3),
  });
}

/** The value at quantile `q` of `values` (nearest rank). */
const at = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
};
const summary = (rows) => ({
  operations: rows.length,
  median_ratio: round(
    at(
      rows.map((row) => row.ratio),
      0.5,
    ),
    3,
  ),
  p90_ratio: round(
    at(
      rows.map((row) => row.ratio),
      0.9,
    ),
    3,
  ),
  median_raw_chars: at(
    rows.map((row) => row.raw),
    0.5,
  ),
  median_lean_chars: at(
    rows.map((row) => row.lean),
    0.5,
  ),
});
const result = {
  date: new Date().toISOString(),
  node: process.version,
  goal: 'lean size <= 25% of the raw size (median and p90 of the ratio)',
  lists: summary(operations.filter((row) => row.list)),
  all: summary(operations),
  operations,
  without_example: skipped,
};

mkdirSync(`${root}bench/results`, { recursive: true });
writeFileSync(`${root}bench/results/lean-results.json`, `${JSON.stringify(result, null, 2)}\n`);
console.log('| set | operations | median lean/raw | p90 lean/raw | median raw chars | median lean chars |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
for (const [name, row] of [
  ['lists', result.lists],
  ['all projected reads', result.all],
]) {
  const pct = (x) => `${round(x * 100, 1)}%`;
  console.log(
    `| ${name} | ${row.operations} | ${pct(row.median_ratio)} | ${pct(row.p90_ratio)} | ${row.median_raw_chars} | ${row.median_lean_chars} |`,
  );
}
for (const row of operations)
  console.log(`${row.tool}: ${row.raw} → ${row.lean} (${round(row.ratio * 100, 1)}%)`);
if (skipped.length > 0) console.log(`without a documented example: ${skipped.join(', ')}`);

#!/usr/bin/env node
// Lean results benchmark: for every tool with lean results (GitHub, Notion, Stripe) whose upstream
// operation documents an example 200 answer (`components/examples` or an inline `example`), the
// size of that example as the vendor sends it against the lean projection keygate returns. Pure
// computation on the vendors' own examples: no network, no server. Needs `npm run build` first
// (reads dist/). Stripe's description documents no example answers; Notion's documents a few.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { round } from '../stats.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const { loadCatalog } = await import(`${root}dist/catalog/index.js`);
const { projectResult } = await import(`${root}dist/executor/lean-result.js`);
const { labelDocument, UntrustedMarkers } = await import(`${root}dist/executor/untrusted-content.js`);

// The same folder `keygate spec curate` reads (KEYGATE_UPSTREAM_DIR, default ../shared/specs-upstream).
const upstreamDir = process.env.KEYGATE_UPSTREAM_DIR || `${root}../shared/specs-upstream`;
const SERVICES = ['github', 'notion', 'stripe'];
for (const service of SERVICES) {
  if (!existsSync(`${upstreamDir}/${service}.json`)) {
    console.error(
      `lean-results: no ${upstreamDir}/${service}.json (set KEYGATE_UPSTREAM_DIR to the upstream folder)`,
    );
    process.exit(1);
  }
}
const catalog = await loadCatalog();

/** Follows local `$ref`s (`#/components/…`) in `upstream`: an example may point at another one. */
function deref(upstream, node) {
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
function examplesOf(upstream, method, path) {
  const response = deref(upstream, upstream.paths?.[path]?.[method.toLowerCase()]?.responses?.['200']);
  const media = response?.content?.['application/json'];
  const examples = Object.values(media?.examples ?? {}).map((example) =>
    deref(upstream, deref(upstream, example)?.value),
  );
  if (media?.example !== undefined) examples.push(media.example);
  return examples.filter((value) => value !== undefined && value !== null);
}

/** A list answer: a root array, a count and items (GitHub), or `object: "list"` (Notion, Stripe). */
const isList = (example) =>
  Array.isArray(example) || typeof example?.total_count === 'number' || example?.object === 'list';

const operations = [];
const skipped = [];
for (const service of SERVICES) {
  const upstream = JSON.parse(readFileSync(`${upstreamDir}/${service}.json`, 'utf8'));
  for (const tool of catalog.tools) {
    if (tool.service !== service || !tool.leanResults) continue;
    const examples = examplesOf(upstream, tool.operation.method, tool.operation.path);
    if (examples.length === 0) {
      skipped.push(tool.name);
      continue;
    }
    // An operation with several examples counts once: the sum of its examples.
    let raw = 0;
    let lean = 0;
    // Untrusted-content labels (issue 16): the lean answer with its third-party text delimited,
    // plus the one-line notice a labelled result starts with.
    let labelled = 0;
    for (const example of examples) {
      raw += JSON.stringify(example).length;
      const projected = projectResult(example, tool.leanResults.rules);
      lean += JSON.stringify(projected).length;
      const markers = new UntrustedMarkers();
      const labels = labelDocument(projected, tool.responseContent, markers);
      labelled +=
        JSON.stringify(labels.document).length + (labels.paths.length > 0 ? markers.notice().length : 0);
    }
    operations.push({
      service,
      tool: tool.name,
      list: isList(examples[0]),
      examples: examples.length,
      raw,
      lean,
      ratio: round(lean / raw, 3),
      labelled,
      label_overhead: round(labelled / lean - 1, 3),
    });
  }
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
  median_labelled_chars: at(
    rows.map((row) => row.labelled),
    0.5,
  ),
  median_label_overhead: at(
    rows.map((row) => row.label_overhead),
    0.5,
  ),
  p90_label_overhead: at(
    rows.map((row) => row.label_overhead),
    0.9,
  ),
  median_labelled_to_raw: round(
    at(
      rows.map((row) => row.labelled / row.raw),
      0.5,
    ),
    3,
  ),
});
const summaries = {};
for (const service of SERVICES) {
  const rows = operations.filter((row) => row.service === service);
  summaries[service] =
    rows.length === 0
      ? { operations: 0 }
      : { lists: summary(rows.filter((row) => row.list)), all: summary(rows) };
}
const result = {
  date: new Date().toISOString(),
  node: process.version,
  goal: 'lean size <= 25% of the raw size (median and p90 of the ratio)',
  // GitHub's figures, as before Notion and Stripe were added.
  lists: summary(operations.filter((row) => row.service === 'github' && row.list)),
  all: summary(operations.filter((row) => row.service === 'github')),
  services: summaries,
  operations,
  without_example: skipped,
};

mkdirSync(`${root}bench/results`, { recursive: true });
writeFileSync(`${root}bench/results/lean-results.json`, `${JSON.stringify(result, null, 2)}\n`);
console.log(
  '| service | set | operations | median lean/raw | p90 lean/raw | median raw chars | median lean chars |',
);
console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: |');
const pct = (x) => `${round(x * 100, 1)}%`;
for (const service of SERVICES) {
  const rows = operations.filter((row) => row.service === service);
  for (const [name, set] of [
    ['lists', rows.filter((row) => row.list)],
    ['all projected reads', rows],
  ]) {
    if (set.length === 0) {
      console.log(`| ${service} | ${name} | 0 | — | — | — | — |`);
      continue;
    }
    const row = summary(set);
    console.log(
      `| ${service} | ${name} | ${row.operations} | ${pct(row.median_ratio)} | ${pct(row.p90_ratio)} | ${row.median_raw_chars} | ${row.median_lean_chars} |`,
    );
  }
}
console.log('');
console.log(
  '| service | set | operations | median labelled chars | median label overhead | p90 label overhead | median labelled/raw |',
);
console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: |');
for (const service of SERVICES) {
  const rows = operations.filter((row) => row.service === service);
  for (const [name, set] of [
    ['lists', rows.filter((row) => row.list)],
    ['all projected reads', rows],
  ]) {
    if (set.length === 0) continue;
    const row = summary(set);
    console.log(
      `| ${service} | ${name} | ${row.operations} | ${row.median_labelled_chars} | +${pct(row.median_label_overhead)} | +${pct(row.p90_label_overhead)} | ${pct(row.median_labelled_to_raw)} |`,
    );
  }
}
for (const row of operations)
  console.log(
    `${row.tool}: ${row.raw} → ${row.lean} (${round(row.ratio * 100, 1)}%), labelled ${row.labelled} (+${round(row.label_overhead * 100, 1)}%)`,
  );
if (skipped.length > 0) console.log(`without a documented example: ${skipped.join(', ')}`);

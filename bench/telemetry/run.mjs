#!/usr/bin/env node
// What OpenTelemetry costs a call, in process and bounded in count: tools/call's pipeline
// (validate, policy, rate limit, audit intent and outcome on PGlite, the executor, a fake GitHub
// on 127.0.0.1) run with `runCall` from this build, against the same from a baseline build
// without the instrumentation (BENCH_BASELINE_DIST: the dist/ of the commit before it, built in a
// temporary worktree), in interleaved rounds. Phase 1: no OTLP endpoint, so the API is a no-op
// (what every daemon without one pays). Phase 2: the SDK registered with an in-memory span
// exporter and metric reader (the cost of recording, without any network export).
//
// Usage: npm run build && BENCH_BASELINE_DIST=/path/to/base/dist node bench/telemetry/run.mjs
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MetricReader } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { quantiles, round } from '../stats.mjs';

const here = fileURLToPath(new URL('../../dist', import.meta.url));
const baseline = process.env.BENCH_BASELINE_DIST;
if (!baseline) throw new Error('set BENCH_BASELINE_DIST to the dist/ of a build without the instrumentation');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);
const PER_ROUND = Number(process.env.BENCH_PER_ROUND ?? 100);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 300);
const KEY = 'ghp_bench00000000000000000000000000000001';

// A fake GitHub that checks the key and answers every issue read with the same small issue.
const issue = JSON.stringify({ number: 1, title: 'bench', state: 'open', body: 'x'.repeat(400) });
const fake = createServer((req, res) => {
  if (req.headers.authorization !== `Bearer ${KEY}`) {
    res.writeHead(401, { 'content-type': 'application/json' }).end('{"message":"Bad credentials"}');
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' }).end(issue);
});
await new Promise((resolve) => fake.listen(0, '127.0.0.1', resolve));
const fakeUrl = `http://127.0.0.1:${fake.address().port}`;

/** A gateway built by `dist` over a fresh PGlite store, and one tools/call through its pipeline. */
async function pipelineOf(dist) {
  const { openStore } = await import(`${dist}/store/index.js`);
  const { MasterKey, Vault } = await import(`${dist}/vault/index.js`);
  const { loadCatalog } = await import(`${dist}/catalog/index.js`);
  const { buildGateway } = await import(`${dist}/server/index.js`);
  const { bearerCredential, staticCredentialProvider } = await import(`${dist}/executor/index.js`);
  const { runCall } = await import(`${dist}/calls/index.js`);
  const home = await mkdtemp(join(tmpdir(), 'keygate-bench-otel-'));
  const store = await openStore({ home });
  const key = MasterKey.generate();
  await Vault.initialize(store, key);
  const vault = await Vault.unlock(store, key);
  const policy = join(home, 'keygate.yaml');
  await writeFile(
    policy,
    `services:\n  github: { spec: builtin:github, credential: github, base_url: "${fakeUrl}" }\nagents:\n  bench:\n    tools: [github_issue_get]\n`,
  );
  const gateway = await buildGateway({
    store,
    vault,
    catalog: await loadCatalog(['github']),
    policy,
    log: () => {},
    host: '127.0.0.1',
    publicUrl: () => 'http://127.0.0.1:1',
    credentials: staticCredentialProvider({ github: bearerCredential('github', KEY) }),
  });
  const caller = { agent: 'bench', tokenId: 't-bench', tools: null, expiresAt: null };
  const request = {
    kind: 'tool',
    name: 'github_issue_get',
    args: { owner: 'acme', repo: 'api', issue_number: 1 },
  };
  return {
    async call() {
      const outcome = await runCall(gateway.calls, caller, request);
      if (outcome.kind !== 'done') throw new Error(`the call did not complete: ${outcome.kind}`);
    },
    async close() {
      await gateway.close(async () => {});
      await store.close();
      await rm(home, { recursive: true, force: true });
    },
  };
}

/** Per-call milliseconds of `n` sequential calls. */
async function timed(pipeline, n) {
  const samples = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    await pipeline.call();
    samples.push(performance.now() - started);
  }
  return samples;
}

/** Interleaved rounds of `a` and `b` (which goes first alternates): their samples. */
async function interleaved(a, b) {
  const out = { a: [], b: [] };
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? ['a', 'b'] : ['b', 'a'];
    for (const which of order) out[which].push(...(await timed(which === 'a' ? a : b, PER_ROUND)));
    onRound?.();
  }
  return out;
}
let onRound;

function report(label, samples) {
  const a = quantiles(samples.a, 3);
  const b = quantiles(samples.b, 3);
  console.log(
    JSON.stringify({
      phase: label,
      instrumented: a,
      baseline: b,
      ratio_median: round(a.median / b.median, 3),
      ratio_p99: round(a.p99 / b.p99, 3),
    }),
  );
}

// Phase 0: the instrumentation a tools/call runs, alone, with no SDK (the API's no-op): the server
// span, the agent's attributes, the policy span, two audit-row spans, the upstream span with its
// header injection, and the calls metric. Nanoseconds per call, median of rounds.
const telemetryApi = await import(`${here}/telemetry/index.js`);
async function instrumentationOnly(afterRound = () => {}) {
  const { inMcpServerSpan, describeCall, decideInSpan, inSpan, UpstreamSpan, countCall } = telemetryApi;
  const url = new URL('https://api.github.com/repos/acme/api/issues/1');
  const one = () =>
    inMcpServerSpan(
      {
        method: 'tools/call',
        tool: 'github_issue_get',
        requestId: 1,
        meta: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
      },
      async () => {
        describeCall('bench', 'v1');
        decideInSpan('read', () => ({ allowed: true, approval: 'never' }));
        await inSpan(
          'keygate.audit.append',
          { attributes: { 'keygate.audit.decision': 'allowed' } },
          async () => 'id',
        );
        const upstream = new UpstreamSpan({
          service: 'github',
          method: 'GET',
          url,
          template: '/repos/{owner}/{repo}/issues/{issue_number}',
        });
        upstream.inject({ accept: 'application/json' });
        upstream.end(200);
        await inSpan(
          'keygate.audit.append',
          { attributes: { 'keygate.audit.decision': 'completed' } },
          async () => 'id',
        );
        countCall('github_issue_get', 'github', 'completed');
        return { content: [] };
      },
      () => undefined,
    );
  const perCall = [];
  for (let round = 0; round < 20; round++) {
    const n = 5000;
    const started = performance.now();
    for (let i = 0; i < n; i++) await one();
    perCall.push(((performance.now() - started) * 1e6) / n);
    afterRound();
  }
  return quantiles(perCall, 0);
}
console.log(
  JSON.stringify({ phase: 'instrumentation alone, no SDK (ns per call)', ...(await instrumentationOnly()) }),
);

// BENCH_ALONE=1: phase 0 only, without and with the SDK.
const alone = process.env.BENCH_ALONE === '1';
const ours = alone ? undefined : await pipelineOf(here);
const theirs = alone ? undefined : await pipelineOf(baseline);
console.log(
  JSON.stringify({
    machine: `${cpus().length}× ${cpus()[0]?.model}, ${round(totalmem() / 2 ** 30, 1)} GiB, Node ${process.version}`,
    load: loadavg().map((x) => round(x, 2)),
    rounds: ROUNDS,
    perRound: PER_ROUND,
  }),
);
if (!alone) {
  await timed(ours, WARMUP);
  await timed(theirs, WARMUP);
  report('no endpoint (API no-op)', await interleaved(ours, theirs));
}

// Phase 2: the SDK on, recording into memory (cleared each round so memory stays flat).
class Reader extends MetricReader {
  async onForceFlush() {}
  async onShutdown() {}
}
const { startTelemetry } = telemetryApi;
const spans = new InMemorySpanExporter();
const telemetry = await startTelemetry({}, { spans, metrics: new Reader() });
let exported = 0;
onRound = () => {
  exported += spans.getFinishedSpans().length;
  spans.reset();
};
if (!alone) {
  await timed(ours, WARMUP);
  spans.reset();
  report('SDK on, in-memory exporter', await interleaved(ours, theirs));
  console.log(
    JSON.stringify({ spansExported: exported, spansPerCall: round(exported / (ROUNDS * PER_ROUND), 2) }),
  );
}
console.log(
  JSON.stringify({
    phase: 'instrumentation alone, SDK on (ns per call)',
    ...(await instrumentationOnly(() => spans.reset())),
  }),
);
await telemetry.shutdown();
await ours?.close();
await theirs?.close();
fake.close();
console.log(JSON.stringify({ loadAfter: loadavg().map((x) => round(x, 2)) }));

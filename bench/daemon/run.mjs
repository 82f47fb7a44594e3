#!/usr/bin/env node
// Daemon benchmark, all on 127.0.0.1 and bounded in count: (1) calls per second with 16
// concurrent agents, audit on (and the bare server's); (2) added latency of a brokered read (MCP
// tools/call over HTTP → daemon → fake upstream → result) against a direct undici call to the
// same fake, and against the same call through a bare MCP server (the floor MCP itself sets), in
// one run, once both servers have served the load of (1) (a daemon runs for days: this is its
// steady state); (3) cold start of `keygate serve` to ready on an existing home; (4) resident
// memory after all the calls.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { request } from 'undici';
import { serveUntilReady } from '../peers/procs.mjs';
import { quantiles, round as roundTo } from '../stats.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin/keygate');
const TOKEN = 'ghp_bench000000000000000000000000000000000';
const AGENTS = 16;
const LATENCY_CALLS = 2000;
const LOAD_CALLS = 10_000;
const COLD_STARTS = 3;

const stats = (samples) => quantiles(samples, 3);
const round = (x) => roundTo(x, 3);
// KEYGATE_BENCH_DATABASE_URL runs the same benchmark with the store in PostgreSQL (fresh schema).
const pgUrl = process.env.KEYGATE_BENCH_DATABASE_URL;
const env = {
  PATH: process.env.PATH,
  HOME: process.env.HOME ?? '/tmp',
  ...(pgUrl ? { DATABASE_URL: pgUrl, KEYGATE_DB_SCHEMA: `kg_bench_${process.pid}` } : {}),
};
const cli = (args, input) => {
  const out = spawnSync(bin, args, { env, input: input ?? '', encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`keygate ${args.join(' ')}: ${out.stderr}`);
  return out.stdout;
};

// A fake GitHub that checks the credential and answers a small repository document.
const body = JSON.stringify({ id: 1, full_name: 'acme/api', private: false, default_branch: 'main' });
const fake = createServer((req, res) => {
  if (req.headers.authorization !== `Bearer ${TOKEN}`) {
    res.writeHead(401).end('{"message":"Bad credentials"}');
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' }).end(body);
});
await new Promise((resolve) => fake.listen(0, '127.0.0.1', resolve));
const fakeUrl = `http://127.0.0.1:${fake.address().port}`;

const home = join(mkdtempSync(join(tmpdir(), 'keygate-bench-daemon-')), 'home');
cli(['init', '--home', home]);
cli(['secret', 'set', 'github', '--from-stdin', '--home', home], TOKEN);
const agents = Array.from({ length: AGENTS }, (_, i) => `agent-${i}`);
writeFileSync(
  join(home, 'keygate.yaml'),
  `services:\n  github: { spec: builtin:github, credential: github, base_url: "${fakeUrl}" }\nagents:\n${agents
    .map(
      (a) =>
        `  ${a}:\n    tools: [github_repo_get]\n    constraints:\n      github_repo_get: { owner: acme }\n`,
    )
    .join('')}`,
);
const tokens = agents.map((a) => JSON.parse(cli(['agent', 'add', a, '--home', home, '--json'])).token);

function startDaemon() {
  // BENCH_PROFILE_DIR=dir: each daemon writes a V8 CPU profile there when it stops.
  const nodeArgs = process.env.BENCH_PROFILE_DIR
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`]
    : [];
  return serveUntilReady({ bin, home, env, nodeArgs, pollMs: 20 });
}
const stopDaemon = (child) =>
  new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });

const coldStarts = [];
for (let i = 0; i < COLD_STARTS; i++) {
  const { child, readyMs } = await startDaemon();
  coldStarts.push(readyMs);
  await stopDaemon(child);
}

const { child, url } = await startDaemon();
const clients = await Promise.all(
  tokens.map(async (token) => {
    const client = new Client({ name: 'bench', version: '1' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
    return client;
  }),
);
// The MCP floor: the same call through a bare SDK server that only fetches the fake (no keygate).
const bare = spawn(process.execPath, [join(root, 'bench/daemon/bare-mcp-server.mjs'), fakeUrl], {
  env: { ...process.env, BENCH_UPSTREAM_KEY: TOKEN },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const bareUrl = await new Promise((resolve) =>
  bare.stdout.once('data', (chunk) => resolve(String(chunk).trim())),
);
const bareClients = await Promise.all(
  tokens.map(async () => {
    const client = new Client({ name: 'bench-bare', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(bareUrl)));
    return client;
  }),
);
const args = { owner: 'acme', repo: 'api' };
const brokered = async (client) => {
  const result = await client.callTool({ name: 'github_repo_get', arguments: args });
  if (result.isError) throw new Error(result.content[0].text);
};
const direct = async () => {
  const response = await request(`${fakeUrl}/repos/acme/api`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  await response.body.text();
};

/** Seconds for LOAD_CALLS calls spread over `pool` clients calling concurrently. */
async function load(pool) {
  let issued = 0;
  const started = performance.now();
  await Promise.all(
    pool.map(async (client) => {
      while (issued < LOAD_CALLS) {
        issued++;
        await brokered(client);
      }
    }),
  );
  return (performance.now() - started) / 1000;
}

// Throughput: 16 agents in parallel, LOAD_CALLS in all, through each server.
const bareLoadSeconds = await load(bareClients);
const loadSeconds = await load(clients);

// Latency, one call at a time, the three ways in turn; and the same brokered call from a
// 2026-07-28 client (no session: every request is served on its own).
const modern = new Client(
  { name: 'bench-modern', version: '1' },
  { versionNegotiation: { mode: { pin: '2026-07-28' } } },
);
await modern.connect(
  new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${tokens[1]}` } },
  }),
);
for (let i = 0; i < 200; i++) await brokered(modern);
const brokeredSamples = [];
const modernSamples = [];
const bareSamples = [];
const directSamples = [];
for (let i = 0; i < LATENCY_CALLS; i++) {
  let t0 = performance.now();
  await direct();
  directSamples.push(performance.now() - t0);
  t0 = performance.now();
  await brokered(bareClients[0]);
  bareSamples.push(performance.now() - t0);
  t0 = performance.now();
  await brokered(clients[0]);
  brokeredSamples.push(performance.now() - t0);
  t0 = performance.now();
  await brokered(modern);
  modernSamples.push(performance.now() - t0);
}
for (const client of bareClients) await client.close();
bare.kill('SIGTERM');

const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0);
const auditRows = JSON.parse(cli(['audit', 'verify', '--json', '--home', home])).rows;

for (const client of [...clients, modern]) await client.close();
await stopDaemon(child);
fake.close();
rmSync(home, { recursive: true, force: true });

const d = stats(directSamples);
const b = stats(brokeredSamples);
const m = stats(bareSamples);
const n = stats(modernSamples);
if (pgUrl)
  spawnSync('psql', [pgUrl, '-c', `drop schema if exists kg_bench_${process.pid} cascade`], {
    stdio: 'ignore',
  });

const results = {
  store: pgUrl ? 'postgres' : 'pglite',
  machine: {
    cpu: cpus()[0]?.model,
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  },
  date: new Date().toISOString().slice(0, 10),
  latencyMs: {
    direct: d,
    brokered: b,
    addedMedian: round(b.median - d.median),
    addedP99: round(b.p99 - d.p99),
    bareMcp: m,
    addedOverBareMcpMedian: round(b.median - m.median),
    addedOverBareMcpP99: round(b.p99 - m.p99),
    brokeredModernClient: n,
    addedModernClientMedian: round(n.median - d.median),
    addedModernClientP99: round(n.p99 - d.p99),
  },
  throughput: {
    agents: AGENTS,
    calls: LOAD_CALLS,
    seconds: round(loadSeconds),
    callsPerSecond: Math.round(LOAD_CALLS / loadSeconds),
    bareMcpCallsPerSecond: Math.round(LOAD_CALLS / bareLoadSeconds),
  },
  coldStartMs: stats(coldStarts),
  rssMiBAfterCalls: Math.round(rssKiB / 1024),
  auditRowsVerified: auditRows,
};
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(
  join(root, `bench/results/daemon-${pgUrl ? 'postgres' : 'pglite'}.json`),
  `${JSON.stringify(results, null, 2)}\n`,
);
console.log(JSON.stringify(results, null, 2));

#!/usr/bin/env node
// Raw-HTTP proxy benchmark, all on 127.0.0.1 and bounded in count: a request proxied through
// `keygate serve` (/proxy/openai/…, policy, audit intent and outcome, credential injection,
// streaming scrubber) against the same request sent directly to the same loopback fake, in one
// run: (1) added latency, median and p99, of sequential GETs (interleaved, after a warm-up);
// (2) requests per second with 16 concurrent clients; (3) time from the upstream writing the
// first server-sent event to the client receiving it, proxied and direct.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { quantiles, round as roundTo } from '../stats.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin/keygate');
const KEY = 'sk-bench000000000000000000000000000000000000001';
const LATENCY_CALLS = Number(process.env.BENCH_CALLS ?? 2000);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 300);
const CONCURRENT = 16;
const LOAD_CALLS = Number(process.env.BENCH_LOAD ?? 6000);
const SSE_SAMPLES = Number(process.env.BENCH_SSE ?? 200);

// BENCH_CALLS, BENCH_WARMUP, BENCH_LOAD and BENCH_SSE shorten a run (the defaults are recorded).
const stats = (samples) => quantiles(samples, 3);
const round = (x) => roundTo(x, 3);
// KEYGATE_BENCH_DATABASE_URL runs the same benchmark with the store in PostgreSQL (fresh schema).
const pgUrl = process.env.KEYGATE_BENCH_DATABASE_URL;
const pgSchema = `kg_bench_proxy_${process.pid}`;
const env = {
  PATH: process.env.PATH,
  HOME: process.env.HOME ?? '/tmp',
  ...(pgUrl ? { DATABASE_URL: pgUrl, KEYGATE_DB_SCHEMA: pgSchema } : {}),
};
const cli = (args, input) => {
  const out = spawnSync(bin, args, { env, input: input ?? '', encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`keygate ${args.join(' ')}: ${out.stderr}`);
  return out.stdout;
};

// A fake OpenAI-compatible API that checks the key: a small JSON answer, and an SSE stream whose
// first event is written when asked, the time of the write recorded (same process, same clock).
const models = JSON.stringify({ object: 'list', data: [{ id: 'gpt-bench', object: 'model' }] });
const sseWrites = new Map();
const fake = createServer((req, res) => {
  if (req.headers.authorization !== `Bearer ${KEY}`) {
    res.writeHead(401).end('{"error":{"message":"bad key"}}');
    return;
  }
  const url = new URL(req.url, 'http://fake');
  if (url.pathname === '/v1/models') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(models);
    return;
  }
  if (url.pathname === '/v1/stream') {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.flushHeaders();
    // The first event is written a little after the headers, so it is measured on its own.
    setTimeout(() => {
      sseWrites.set(url.searchParams.get('n'), performance.now());
      res.write('data: {"choices":[{"delta":{"content":"hi"}}]}\n\n');
      setTimeout(() => res.end('data: [DONE]\n\n'), 1);
    }, 5);
    return;
  }
  res.writeHead(404).end();
});
await new Promise((resolve) => fake.listen(0, '127.0.0.1', resolve));
const fakeOrigin = `http://127.0.0.1:${fake.address().port}`;

const home = join(mkdtempSync(join(tmpdir(), 'keygate-bench-proxy-')), 'home');
cli(['init', '--home', home]);
cli(['secret', 'set', 'openai', '--from-stdin', '--home', home], KEY);
writeFileSync(
  join(home, 'keygate.yaml'),
  `services:
  openai:
    proxy:
      base_url: ${fakeOrigin}/v1
      credential: openai
      allow: ["GET /models", "GET /stream"]
      private_ok: ["127.0.0.1:${fake.address().port}"]
agents:
  bench:
    proxy:
      openai: ["GET /models", "GET /stream"]
`,
);
const token = JSON.parse(cli(['agent', 'add', 'bench', '--home', home, '--json'])).token;

// BENCH_PROFILE_DIR=dir: the daemon writes a V8 CPU profile there when it stops.
const profile = process.env.BENCH_PROFILE_DIR
  ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`]
  : [];
const child = spawn(process.execPath, [...profile, bin, 'serve', '--port', '0', '--home', home], {
  env,
  stdio: ['ignore', 'ignore', 'inherit'],
});
let url;
for (const started = performance.now(); ; ) {
  try {
    url = JSON.parse(readFileSync(join(home, 'daemon.json'), 'utf8')).url;
    if (
      await fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
  } catch {}
  if (performance.now() - started > 60_000) throw new Error('daemon did not start');
  await new Promise((r) => setTimeout(r, 20));
}

// The floor: the same request through a bare Node proxy in its own process (bare-proxy.mjs).
const bare = spawn(process.execPath, [join(root, 'bench/proxy/bare-proxy.mjs'), `${fakeOrigin}/v1`], {
  env: { ...process.env, BENCH_UPSTREAM_KEY: KEY },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const bareUrl = await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error('bare proxy did not start')), 30_000);
  bare.stdout.once('data', (data) => {
    clearTimeout(timer);
    resolve(String(data).trim());
  });
});

const dispatcher = new Agent({ connections: CONCURRENT * 2 });
const proxied = async (path = '/models') => {
  const response = await request(`${url}/proxy/openai${path}`, {
    headers: { authorization: `Bearer ${token}` },
    dispatcher,
  });
  const text = await response.body.text();
  if (response.statusCode !== 200) throw new Error(`proxied: ${response.statusCode} ${text}`);
};
const bareProxied = async (path = '/models') => {
  const response = await request(`${bareUrl}/proxy/openai${path}`, { dispatcher });
  const text = await response.body.text();
  if (response.statusCode !== 200) throw new Error(`bare: ${response.statusCode} ${text}`);
};
const direct = async (path = '/models') => {
  const response = await request(`${fakeOrigin}/v1${path}`, {
    headers: { authorization: `Bearer ${KEY}` },
    dispatcher,
  });
  const text = await response.body.text();
  if (response.statusCode !== 200) throw new Error(`direct: ${response.statusCode} ${text}`);
};

// (1) Latency, interleaved so both see the same machine.
for (let i = 0; i < WARMUP; i++) {
  await proxied();
  await bareProxied();
  await direct();
}
const latency = { proxied: [], bare: [], direct: [] };
const order = [
  ['direct', direct],
  ['bare', bareProxied],
  ['proxied', proxied],
];
for (let i = 0; i < LATENCY_CALLS; i++) {
  // Rotated each round, so no one of the three always follows another.
  for (const [name, call] of [...order.slice(i % 3), ...order.slice(0, i % 3)]) {
    const started = performance.now();
    await call();
    latency[name].push(performance.now() - started);
  }
}

// (2) Throughput with CONCURRENT clients.
async function throughput(call) {
  let left = LOAD_CALLS;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENT }, async () => {
      while (left-- > 0) await call();
    }),
  );
  return LOAD_CALLS / ((performance.now() - started) / 1000);
}
// CPU seconds a process has used (Linux /proc; undefined elsewhere), to report CPU per request.
function cpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks
  } catch {
    return undefined;
  }
}
async function loaded(call, pid) {
  const before = cpuSeconds(pid);
  const perSecond = await throughput(call);
  const after = cpuSeconds(pid);
  const cpuMsPerRequest = before === undefined ? undefined : round(((after - before) * 1000) / LOAD_CALLS);
  return { perSecond, cpuMsPerRequest };
}
const direct16 = await loaded(direct, process.pid);
const bare16 = await loaded(bareProxied, bare.pid);
const proxied16 = await loaded(proxied, child.pid);
const rps = { direct: direct16.perSecond, bare: bare16.perSecond, proxied: proxied16.perSecond };

// (3) Time to the first server-sent event after the upstream wrote it.
async function firstEvent(base, headers, n) {
  const response = await request(`${base}/stream?n=${n}`, { headers, dispatcher });
  let received;
  for await (const chunk of response.body) {
    if (received === undefined && String(chunk).includes('data: {')) received = performance.now();
  }
  if (received === undefined) throw new Error('no event');
  return received - sseWrites.get(String(n));
}
const sse = { proxied: [], direct: [] };
for (let n = 0; n < SSE_SAMPLES; n++) {
  sse.direct.push(await firstEvent(`${fakeOrigin}/v1`, { authorization: `Bearer ${KEY}` }, `d${n}`));
  sse.proxied.push(await firstEvent(`${url}/proxy/openai`, { authorization: `Bearer ${token}` }, `p${n}`));
}

for (const proc of [child, bare])
  await new Promise((resolve) => {
    proc.once('exit', resolve);
    proc.kill('SIGTERM');
  });
dispatcher.destroy().catch(() => {});
fake.closeAllConnections();
fake.close();

rmSync(dirname(home), { recursive: true, force: true });
if (pgUrl)
  spawnSync('psql', [pgUrl, '-c', `drop schema if exists ${pgSchema} cascade`], {
    stdio: 'ignore',
    timeout: 30_000,
  });

const p = stats(latency.proxied);
const b = stats(latency.bare);
const d = stats(latency.direct);
const result = {
  machine: {
    cpus: cpus().length,
    model: cpus()[0]?.model,
    memGiB: round(totalmem() / 2 ** 30),
    node: process.version,
  },
  store: pgUrl ? 'postgres' : 'pglite',
  latencyMs: {
    proxied: p,
    bareProxy: b,
    direct: d,
    addedMedian: round(p.median - d.median),
    addedP99: round(p.p99 - d.p99),
    bareAddedMedian: round(b.median - d.median),
    bareAddedP99: round(b.p99 - d.p99),
  },
  requestsPerSecond: {
    concurrent: CONCURRENT,
    proxied: round(rps.proxied),
    bareProxy: round(rps.bare),
    direct: round(rps.direct),
    ratio: round(rps.proxied / rps.direct),
    bareRatio: round(rps.bare / rps.direct),
    ratioToBare: round(rps.proxied / rps.bare),
    // CPU time of the proxying process (the bench process itself for direct: client and fake).
    cpuMsPerRequest: {
      proxied: proxied16.cpuMsPerRequest,
      bareProxy: bare16.cpuMsPerRequest,
      directClientAndFake: direct16.cpuMsPerRequest,
    },
  },
  firstSseEventMs: { proxied: stats(sse.proxied), direct: stats(sse.direct) },
};
console.log(JSON.stringify(result, null, 2));

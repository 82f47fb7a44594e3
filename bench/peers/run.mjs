#!/usr/bin/env node
// bench/peers: keygate next to the servers users would run instead (issue #13), in one run, on
// the same operation (Notion `GET /v1/users/me`) against the same loopback fake Notion, driven by
// the same MCP SDK v2 client code. Contestants:
//   bridge        keygate through `keygate stdio` (the bridge), its PGlite daemon already warm
//   http-pglite   keygate serve over Streamable HTTP, store in PGlite
//   http-postgres keygate serve over Streamable HTTP, store in PostgreSQL
//                 (only with KEYGATE_BENCH_DATABASE_URL; a fresh schema, dropped at the end)
//   notion-mcp    @notionhq/notion-mcp-server over stdio (the key in its environment)
//   bare-http     a bare SDK v2 Streamable HTTP server whose one tool does the same undici GET
//   direct        the undici GET itself, the baseline
// In interleaved rounds (each round measures every contestant in turn, the 1-minute load average
// recorded beside it): added p50/p99 over the direct call of the same round (sequential calls
// after a warm-up), calls/s with 8 and with 16 calls in flight, cold start to the first
// `tools/list` answer; then resident memory once every server has served CALLS_FOR_MEMORY calls.
// Everything listens on 127.0.0.1; counts and time are bounded; children and temp folders are
// cleaned up however it ends. Sizes come from the environment (see bench/README.md).
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { request } from 'undici';
import { quantiles, round } from '../stats.mjs';
import { BOT_ID, startFakeNotion } from './fake-notion.mjs';
import {
  onExit,
  rssMiB,
  serveUntilReady,
  spawnTracked,
  stop,
  tempFolder,
  trackPid,
  untrackPid,
} from './procs.mjs';

const num = (name, fallback) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number ≥ 0`);
  return Math.floor(value);
};
const ROUNDS = Math.max(1, num('ROUNDS', 3));
const WARMUP = num('BENCH_WARMUP', 200);
const CALLS = Math.max(1, num('BENCH_CALLS', 2000));
const LOAD = Math.max(16, num('BENCH_LOAD', 2000));
const CALLS_FOR_MEMORY = num('CALLS_FOR_MEMORY', 10_000);
const CALL_TIMEOUT_MS = num('BENCH_CALL_TIMEOUT_MS', 30_000);
const DEADLINE_S = num('BENCH_DEADLINE_S', 3600);
const ONLY = process.env.BENCH_ONLY?.split(',').map((s) => s.trim());

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin/keygate');
const notionCli = join(root, 'node_modules/@notionhq/notion-mcp-server/bin/cli.mjs');
const pgUrl = process.env.KEYGATE_BENCH_DATABASE_URL;
const TOOL = 'notion_user_me_get';
const NOTION_TOOL = 'API-get-self';
const log = (line) => process.stderr.write(`bench/peers: ${line}\n`);

// The whole run is bounded: past the deadline it fails (and the exit hook cleans up).
setTimeout(() => {
  log(`deadline of ${DEADLINE_S} s passed: giving up`);
  process.exit(1);
}, DEADLINE_S * 1000).unref();

const keyOf = (id) => `ntn_bench_${id.replace(/-/g, '_')}_${'0'.repeat(24)}`;
const ids = ['bridge', 'http-pglite', 'http-postgres', 'notion-mcp', 'bare-http', 'direct', 'cold'];
const fake = await startFakeNotion(ids.map(keyOf));
onExit(() => fake.close());

// ---- keygate homes --------------------------------------------------------------------------
const baseEnv = { PATH: process.env.PATH, HOME: process.env.HOME ?? '/tmp' };
const schemas = [];
onExit(() => {
  for (const schema of schemas.splice(0))
    spawnSync('psql', [pgUrl, '-qc', `drop schema if exists ${schema} cascade`], {
      stdio: 'ignore',
      timeout: 20_000,
    });
});

/** `keygate <args>` as a child (asynchronous, so a signal stops the bench at once), bounded. */
function cli(args, env, input = '') {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [bin, ...args],
      { env, encoding: 'utf8', timeout: 120_000, killSignal: 'SIGKILL', maxBuffer: 16 << 20 },
      (error, stdout, stderr) =>
        error ? reject(new Error(`keygate ${args.join(' ')}: ${stderr || error.message}`)) : resolve(stdout),
    );
    trackPid(child.pid);
    child.once('exit', () => untrackPid(child.pid));
    child.stdin.end(input);
  });
}

/** A fresh home whose agent `bench` may call the users/me tool, the fake as Notion's base URL. */
async function makeHome(name, key, store) {
  const home = join(tempFolder(`keygate-bench-peers-${name}-`), 'home');
  let env = baseEnv;
  if (store === 'postgres') {
    const schema = `kg_bench_peers_${process.pid}_${name.replace(/-/g, '_')}`;
    schemas.push(schema);
    env = { ...baseEnv, DATABASE_URL: pgUrl, KEYGATE_DB_SCHEMA: schema };
  }
  await cli(['init', '--home', home], env);
  await cli(['secret', 'set', 'notion', '--from-stdin', '--home', home], env, key);
  writeFileSync(
    join(home, 'keygate.yaml'),
    `services:\n  notion: { spec: builtin:notion, credential: notion, base_url: "${fake.url}" }\n` +
      `agents:\n  bench:\n    tools: [${TOOL}]\n`,
  );
  const token = JSON.parse(await cli(['agent', 'add', 'bench', '--home', home, '--json'], env)).token;
  // A daemon the bridge might start on its own (it should not: ours is warm) is killed on exit.
  onExit(() => {
    try {
      const { pid } = JSON.parse(readFileSync(join(home, 'daemon.json'), 'utf8'));
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(home)) process.kill(pid, 'SIGKILL');
    } catch {}
  });
  return { home, env, token };
}

/** `keygate serve` on `home`; ready when daemon.json's URL answers /healthz. */
const startDaemon = ({ home, env }) => serveUntilReady({ bin, home, env, pollMs: 10 });

// ---- clients: the same SDK v2 client for every contestant ------------------------------------
const newClient = () => new Client({ name: 'bench-peers', version: '1' });
function httpTransport(url, token) {
  return new StreamableHTTPClientTransport(
    new URL(url),
    token ? { requestInit: { headers: { authorization: `Bearer ${token}` } } } : {},
  );
}
function stdioTransport(args, env) {
  return new StdioClientTransport({ command: process.execPath, args, env, stderr: 'pipe' });
}
/** Connects over `transport`; a stdio child is tracked until the client is closed. */
async function connect(transport) {
  const client = newClient();
  let stderr = '';
  transport.stderr?.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  try {
    await client.connect(transport, { timeout: CALL_TIMEOUT_MS });
  } catch (error) {
    await client.close().catch(() => {});
    throw new Error(`${error.message}${stderr ? `\n${stderr}` : ''}`);
  }
  trackPid(transport.pid);
  return {
    client,
    pid: transport.pid ?? null,
    stderr: () => stderr,
    close: async () => {
      await client.close().catch(() => {});
      untrackPid(transport.pid);
    },
  };
}
async function listTools(client, expected) {
  const { tools } = await client.listTools(undefined, { timeout: CALL_TIMEOUT_MS });
  if (!tools.some((t) => t.name === expected)) throw new Error(`tools/list has no ${expected}`);
}
/** One tool call; anything but the fake's user fails the bench. */
function toolCall(client, name) {
  return async () => {
    const result = await client.callTool({ name, arguments: {} }, { timeout: CALL_TIMEOUT_MS });
    const text = result.content?.map((c) => c.text ?? '').join('') ?? '';
    if (result.isError || !text.includes(BOT_ID))
      throw new Error(
        `${name} answered ${result.isError ? 'an error' : 'without the user'}: ${text.slice(0, 300)}`,
      );
  };
}

// ---- contestants -----------------------------------------------------------------------------
/**
 * Each contestant: `start()` brings up its warm server and returns { call, pids, close };
 * `coldStart()` measures a fresh one to its first tools/list answer (ms, and what was timed).
 */
async function keygateHttp(id, store) {
  const hot = await makeHome(id, keyOf(id), store);
  const cold = await makeHome(`${id}-cold`, keyOf('cold'), store);
  return {
    id,
    label: `keygate HTTP (${store === 'postgres' ? 'PostgreSQL' : 'PGlite'})`,
    concurrency: 'one client connection (Streamable HTTP: concurrent POSTs in one session)',
    hot,
    async start() {
      const daemon = await startDaemon(hot);
      const conn = await connect(httpTransport(`${daemon.url}/mcp`, hot.token));
      await listTools(conn.client, TOOL);
      return {
        call: toolCall(conn.client, TOOL),
        pids: { daemon: daemon.child.pid },
        close: async () => {
          await conn.close();
          await stop(daemon.child);
        },
      };
    },
    // Daemon start to ready (/healthz at daemon.json's URL) on an existing home, and on to the
    // first tools/list of a fresh client.
    async coldStart() {
      const daemon = await startDaemon(cold);
      try {
        const conn = await connect(httpTransport(`${daemon.url}/mcp`, cold.token));
        await listTools(conn.client, TOOL);
        const toolsListMs = performance.now() - daemon.started;
        await conn.close();
        return { ms: daemon.readyMs, readyMs: daemon.readyMs, toolsListMs };
      } finally {
        await stop(daemon.child);
      }
    },
  };
}

async function bridge() {
  const hot = await makeHome('bridge', keyOf('bridge'), 'pglite');
  const args = [bin, 'stdio', '--home', hot.home];
  const env = { ...baseEnv, KEYGATE_TOKEN: hot.token };
  let daemon;
  return {
    id: 'bridge',
    label: 'keygate stdio bridge (PGlite)',
    concurrency: 'one stdio connection (requests multiplexed by id)',
    hot,
    async start() {
      daemon = await startDaemon(hot);
      const conn = await connect(stdioTransport(args, env));
      await listTools(conn.client, TOOL);
      return {
        call: toolCall(conn.client, TOOL),
        pids: { bridge: conn.pid, daemon: daemon.child.pid },
        close: async () => {
          await conn.close();
          await stop(daemon.child);
        },
      };
    },
    // Bridge spawn to its first tools/list answer, the daemon already warm.
    async coldStart() {
      const started = performance.now();
      const conn = await connect(stdioTransport(args, env));
      await listTools(conn.client, TOOL);
      const ms = performance.now() - started;
      await conn.close();
      return { ms };
    },
  };
}

function notionMcp() {
  const env = { ...baseEnv, NOTION_TOKEN: keyOf('notion-mcp'), BASE_URL: fake.url };
  const spawnIt = () => connect(stdioTransport([notionCli], env));
  return {
    id: 'notion-mcp',
    label: 'notion-mcp-server (stdio)',
    concurrency: 'one stdio connection (requests multiplexed by id)',
    async start() {
      const conn = await spawnIt();
      await listTools(conn.client, NOTION_TOOL);
      return { call: toolCall(conn.client, NOTION_TOOL), pids: { server: conn.pid }, close: conn.close };
    },
    // Process spawn to its first tools/list answer.
    async coldStart() {
      const started = performance.now();
      const conn = await spawnIt();
      await listTools(conn.client, NOTION_TOOL);
      const ms = performance.now() - started;
      await conn.close();
      return { ms };
    },
  };
}

function bareHttp() {
  async function spawnIt() {
    const child = spawnTracked(
      process.execPath,
      [join(root, 'bench/peers/bare-notion-server.mjs'), fake.url],
      { env: { ...baseEnv, BENCH_UPSTREAM_KEY: keyOf('bare-http') }, stdio: ['pipe', 'pipe', 'inherit'] },
    );
    const url = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('bare server did not start')), 30_000);
      child.stdout.once('data', (chunk) => {
        clearTimeout(timer);
        resolve(String(chunk).trim());
      });
      child.once('exit', (code) => reject(new Error(`bare server exited with ${code}`)));
    });
    return { child, url };
  }
  return {
    id: 'bare-http',
    label: 'bare SDK v2 HTTP server',
    concurrency: 'one client connection (Streamable HTTP: concurrent POSTs in one session)',
    async start() {
      const { child, url } = await spawnIt();
      const conn = await connect(httpTransport(url));
      await listTools(conn.client, TOOL);
      return {
        call: toolCall(conn.client, TOOL),
        pids: { server: child.pid },
        close: async () => {
          await conn.close();
          await stop(child);
        },
      };
    },
    // Process spawn to its first tools/list answer.
    async coldStart() {
      const started = performance.now();
      const { child, url } = await spawnIt();
      try {
        const conn = await connect(httpTransport(url));
        await listTools(conn.client, TOOL);
        const ms = performance.now() - started;
        await conn.close();
        return { ms };
      } finally {
        await stop(child);
      }
    },
  };
}

function direct() {
  const headers = { authorization: `Bearer ${keyOf('direct')}`, 'notion-version': '2025-09-03' };
  return {
    id: 'direct',
    label: 'direct undici call',
    concurrency: 'undici, concurrent requests on the global pool',
    async start() {
      return {
        call: async () => {
          const response = await request(`${fake.url}/v1/users/me`, {
            headers,
            headersTimeout: CALL_TIMEOUT_MS,
            bodyTimeout: CALL_TIMEOUT_MS,
          });
          const text = await response.body.text();
          if (response.statusCode !== 200 || !text.includes(BOT_ID))
            throw new Error(`direct call: HTTP ${response.statusCode} ${text.slice(0, 200)}`);
        },
        pids: {},
        close: async () => {},
      };
    },
    coldStart: undefined,
  };
}

// ---- measuring -------------------------------------------------------------------------------
/** Seconds for `count` calls with `inFlight` of them outstanding at any time. */
async function load(call, count, inFlight) {
  let issued = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (issued < count) {
        issued++;
        await call();
      }
    }),
  );
  return (performance.now() - started) / 1000;
}

const skipped = {};
const contestants = [];
const want = (id) => !ONLY || ONLY.includes(id) || id === 'direct';
if (want('bridge')) contestants.push(await bridge());
if (want('http-pglite')) contestants.push(await keygateHttp('http-pglite', 'pglite'));
if (want('http-postgres')) {
  if (pgUrl) contestants.push(await keygateHttp('http-postgres', 'postgres'));
  else skipped['http-postgres'] = 'KEYGATE_BENCH_DATABASE_URL is not set (postgres://… to run it)';
}
if (want('notion-mcp')) contestants.push(notionMcp());
if (want('bare-http')) contestants.push(bareHttp());
contestants.push(direct());
for (const [id, why] of Object.entries(skipped)) log(`${id} skipped: ${why}`);

const running = new Map();
const callsMade = new Map(contestants.map((c) => [c.id, 0]));
const counted = (c, call) => async () => {
  callsMade.set(c.id, callsMade.get(c.id) + 1);
  await call();
};
const memorySnapshot = (c) => {
  const out = {};
  for (const [name, pid] of Object.entries(running.get(c.id).pids)) out[`${name}MiB`] = rssMiB(pid);
  return out;
};

let failed;
const rounds = [];
/** Per contestant: VmRSS at the first phase boundary past CALLS_FOR_MEMORY calls, and at the end. */
const memory = {};
const memoryEnd = {};
function memoryAtN(c) {
  if (c.id !== 'direct' && !memory[c.id] && callsMade.get(c.id) >= CALLS_FOR_MEMORY)
    memory[c.id] = { afterCalls: callsMade.get(c.id), ...memorySnapshot(c) };
}
try {
  for (const c of contestants) {
    log(`starting ${c.id}`);
    const r = await c.start();
    running.set(c.id, { ...r, call: counted(c, r.call) });
  }
  for (let index = 0; index < ROUNDS; index++) {
    // Rotate who goes first, so no contestant always runs right after the same neighbour.
    const order = contestants.map((_, i) => contestants[(i + index) % contestants.length]);
    const round_ = { round: index + 1, loadavg1mStart: round(loadavg()[0]), results: {} };
    for (const c of order) {
      const { call } = running.get(c.id);
      const entry = { loadavg1m: round(loadavg()[0]) };
      for (let i = 0; i < WARMUP; i++) await call();
      const samples = [];
      for (let i = 0; i < CALLS; i++) {
        const t0 = performance.now();
        await call();
        samples.push(performance.now() - t0);
      }
      entry.latencyMs = quantiles(samples, 3);
      memoryAtN(c);
      entry.callsPerSecond8 = Math.round(LOAD / (await load(call, LOAD, 8)));
      memoryAtN(c);
      entry.callsPerSecond16 = Math.round(LOAD / (await load(call, LOAD, 16)));
      memoryAtN(c);
      if (c.coldStart) {
        const cold = await c.coldStart();
        entry.coldStartMs = round(cold.ms, 1);
        if (cold.toolsListMs !== undefined) entry.coldStartToToolsListMs = round(cold.toolsListMs, 1);
      }
      entry.rss = memorySnapshot(c);
      round_.results[c.id] = entry;
      log(
        `round ${index + 1} ${c.id}: p50 ${entry.latencyMs.median} ms, ${entry.callsPerSecond8}/${entry.callsPerSecond16} calls/s` +
          (entry.coldStartMs !== undefined ? `, cold ${entry.coldStartMs} ms` : ''),
      );
    }
    round_.loadavg1mEnd = round(loadavg()[0]);
    const d = round_.results.direct.latencyMs;
    for (const [id, entry] of Object.entries(round_.results)) {
      if (id === 'direct') continue;
      entry.addedP50Ms = round(entry.latencyMs.median - d.median, 3);
      entry.addedP99Ms = round(entry.latencyMs.p99 - d.p99, 3);
    }
    rounds.push(round_);
  }
  // Memory: a server that has not yet served CALLS_FOR_MEMORY calls in the rounds tops up to
  // it (8 in flight); VmRSS then (or where the rounds crossed it), and again now, after all calls.
  for (const c of contestants) {
    if (c.id === 'direct') continue;
    const { call } = running.get(c.id);
    const more = CALLS_FOR_MEMORY - callsMade.get(c.id);
    if (more > 0) await load(call, more, 8);
    memoryAtN(c);
    memoryEnd[c.id] = { afterCalls: callsMade.get(c.id), ...memorySnapshot(c) };
  }
  // The fake must have answered each contestant's key exactly once per call it made, and refused
  // nothing; each keygate home must hold an audit row per call.
  const problems = [];
  for (const c of contestants) {
    const seen = fake.answered.get(keyOf(c.id));
    if (seen !== callsMade.get(c.id))
      problems.push(`${c.id}: made ${callsMade.get(c.id)} calls, the fake answered its key ${seen} times`);
    if (c.hot) {
      const rows = JSON.parse(await cli(['audit', 'verify', '--json', '--home', c.hot.home], c.hot.env)).rows;
      memoryEnd[c.id].auditRows = rows;
      if (rows < callsMade.get(c.id))
        problems.push(`${c.id}: ${rows} audit rows for ${callsMade.get(c.id)} calls`);
    }
  }
  if (fake.answered.get(keyOf('cold')) !== 0) problems.push('a cold-start home called the upstream');
  for (const [why, n] of Object.entries(fake.refused))
    if (n) problems.push(`the fake refused ${n} requests (${why})`);
  if (problems.length) throw new Error(`the fake's counts do not match:\n  ${problems.join('\n  ')}`);
} catch (error) {
  failed = error;
} finally {
  for (const r of running.values()) await r.close().catch(() => {});
}
if (failed) {
  log(`FAILED: ${failed.stack ?? failed}`);
  process.exit(1);
}

// ---- results ---------------------------------------------------------------------------------
const median = (xs) => {
  const s = xs.filter((x) => typeof x === 'number').sort((a, b) => a - b);
  if (!s.length) return null;
  return round(s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2, 3);
};
const perContestant = {};
for (const c of contestants) {
  const across = (pick) => median(rounds.map((r) => pick(r.results[c.id])));
  perContestant[c.id] = {
    label: c.label,
    concurrency: c.concurrency,
    p50Ms: across((e) => e.latencyMs.median),
    p99Ms: across((e) => e.latencyMs.p99),
    addedP50Ms:
      c.id === 'direct'
        ? null
        : round(
            across((e) => e.addedP50Ms),
            3,
          ),
    addedP99Ms:
      c.id === 'direct'
        ? null
        : round(
            across((e) => e.addedP99Ms),
            3,
          ),
    callsPerSecond8: across((e) => e.callsPerSecond8),
    callsPerSecond16: across((e) => e.callsPerSecond16),
    coldStartMs: c.coldStart ? across((e) => e.coldStartMs) : null,
    ...(c.id.startsWith('http-') ? { coldStartToToolsListMs: across((e) => e.coldStartToToolsListMs) } : {}),
    memory: memory[c.id] ?? null,
    memoryAtEnd: memoryEnd[c.id] ?? null,
  };
}
const version = (pkg) => {
  try {
    return JSON.parse(readFileSync(join(root, 'node_modules', pkg, 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
};
const results = {
  machine: {
    cpu: cpus()[0]?.model,
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    notionMcpServer: version('@notionhq/notion-mcp-server'),
    sdkClient: version('@modelcontextprotocol/client'),
  },
  date: new Date().toISOString(),
  settings: { ROUNDS, BENCH_WARMUP: WARMUP, BENCH_CALLS: CALLS, BENCH_LOAD: LOAD, CALLS_FOR_MEMORY },
  skipped,
  upstream: {
    answeredPerKey: Object.fromEntries(contestants.map((c) => [c.id, fake.answered.get(keyOf(c.id))])),
    notionVersionsSeen: [...fake.versions],
  },
  rounds,
  medians: perContestant,
};
results.goals = goals(perContestant);
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/peers.json'), `${JSON.stringify(results, null, 2)}\n`);
console.log(JSON.stringify(results, null, 2));
console.log(`\n${markdown(results)}`);
await fake.close();
process.exit(0);

/** The issue's goals as same-run ratios, each { value, goal, met }. */
function goals(m) {
  const out = [];
  const ratio = (a, b) => (a == null || b == null || b === 0 ? null : round(a / b, 2));
  const goal = (what, value, text, met) =>
    out.push({ what, value, goal: text, met: value == null ? null : met });
  const n = m['notion-mcp'];
  const b = m.bridge;
  if (b && n) {
    const r = ratio(b.addedP50Ms, n.addedP50Ms);
    goal('bridge: added p50 ÷ notion-mcp-server’s', r, '≤ 1.5', r <= 1.5);
    for (const k of [8, 16]) {
      const q = ratio(b[`callsPerSecond${k}`], n[`callsPerSecond${k}`]);
      goal(`bridge: calls/s at ${k} in flight ÷ notion-mcp-server’s`, q, '≥ 0.7', q >= 0.7);
    }
    const c = ratio(b.coldStartMs, n.coldStartMs);
    goal('bridge: cold start (daemon warm) ÷ notion-mcp-server’s', c, '≤ 1', c <= 1);
  }
  if (b) {
    goal(
      'bridge: bridge process memory (MiB)',
      b.memory?.bridgeMiB ?? null,
      '≤ 60',
      b.memory?.bridgeMiB <= 60,
    );
  }
  // "With policy, vault and a committed audit intent row on every call": the home's audit log
  // (verified by `keygate audit verify`) holds at least a row per call it served.
  for (const id of ['bridge', 'http-pglite', 'http-postgres']) {
    const end = m[id]?.memoryAtEnd;
    if (end)
      goal(
        `${id}: audit rows (verified) for ${end.afterCalls} calls`,
        end.auditRows,
        `≥ ${end.afterCalls}`,
        end.auditRows >= end.afterCalls,
      );
  }
  const bare = m['bare-http'];
  for (const id of ['http-pglite', 'http-postgres']) {
    const h = m[id];
    if (!h) continue;
    if (bare) {
      for (const k of [8, 16]) {
        const q = ratio(h[`callsPerSecond${k}`], bare[`callsPerSecond${k}`]);
        goal(`${id}: calls/s at ${k} in flight ÷ bare SDK HTTP’s`, q, '≥ 0.8', q >= 0.8);
      }
      const over =
        h.addedP50Ms == null || bare.addedP50Ms == null ? null : round(h.addedP50Ms - bare.addedP50Ms, 3);
      goal(`${id}: added p50 − bare SDK HTTP’s (ms)`, over, '≤ 0.5', over <= 0.5);
    }
  }
  const daemons = [
    ['http-pglite', 'daemon (PGlite, HTTP)', 300],
    ['bridge', 'daemon (PGlite, behind the bridge)', 300],
    ['http-postgres', 'daemon (PostgreSQL)', 150],
  ];
  for (const [id, what, limit] of daemons) {
    const mem = m[id]?.memory;
    const end = m[id]?.memoryAtEnd;
    if (mem)
      goal(
        `${what}: resident after ${mem.afterCalls} calls (MiB)`,
        mem.daemonMiB,
        `≤ ${limit}`,
        mem.daemonMiB <= limit,
      );
    // "Flat after": this bench's reading is growth of at most 10% from there to the end.
    if (mem && end && end.afterCalls > mem.afterCalls) {
      const growth = ratio(end.daemonMiB, mem.daemonMiB);
      goal(
        `${what}: resident after ${end.afterCalls} ÷ after ${mem.afterCalls} calls`,
        growth,
        '≤ 1.1 (flat)',
        growth <= 1.1,
      );
    }
  }
  const p = m['http-pglite'];
  if (p)
    goal(
      'daemon (PGlite): cold start to ready on an existing home (ms)',
      p.coldStartMs,
      '≤ 1000',
      p.coldStartMs <= 1000,
    );
  return out;
}

function markdown({ medians: m, rounds, goals: g, skipped, settings }) {
  const cols = Object.keys(m).filter((id) => id !== 'direct');
  const fmt = (x, unit = '') => (x == null ? '—' : `${x}${unit}`);
  const mib = (r) =>
    r.bridgeMiB !== undefined
      ? `daemon ${fmt(r.daemonMiB)} + bridge ${fmt(r.bridgeMiB)} MiB`
      : `${fmt(r.daemonMiB ?? r.serverMiB)} MiB`;
  const mem = (id) => {
    const { memory: r, memoryAtEnd: e } = m[id];
    if (!r) return '—';
    return `${mib(r)} after ${r.afterCalls} calls${e && e.afterCalls > r.afterCalls ? ` (${mib(e)} after ${e.afterCalls})` : ''}`;
  };
  const cold = (id) => {
    const c = m[id];
    if (c.coldStartMs == null) return '—';
    if (id === 'bridge') return `${fmt(c.coldStartMs)} ms, daemon warm`;
    if (id.startsWith('http-'))
      return `daemon ready ${fmt(c.coldStartMs)} ms (tools/list ${fmt(c.coldStartToToolsListMs)} ms)`;
    return `${fmt(c.coldStartMs)} ms`;
  };
  const lines = [
    `Medians of ${settings.ROUNDS} interleaved rounds (load average, 1 min, per round: ${rounds
      .map((r) => `${r.loadavg1mStart}→${r.loadavg1mEnd}`)
      .join(', ')}); direct call p50 ${fmt(m.direct.p50Ms)} ms, p99 ${fmt(m.direct.p99Ms)} ms.`,
    '',
    `| | ${cols.map((id) => m[id].label).join(' | ')} |`,
    `|---|${cols.map(() => '---').join('|')}|`,
    `| added p50 / p99 over a direct call | ${cols.map((id) => `+${fmt(m[id].addedP50Ms)} / +${fmt(m[id].addedP99Ms)} ms`).join(' | ')} |`,
    `| calls/s, 8 / 16 in flight | ${cols.map((id) => `${fmt(m[id].callsPerSecond8)} / ${fmt(m[id].callsPerSecond16)}`).join(' | ')} |`,
    `| cold start to first \`tools/list\` | ${cols.map(cold).join(' | ')} |`,
    `| resident memory after ${settings.CALLS_FOR_MEMORY} calls | ${cols.map(mem).join(' | ')} |`,
    '',
    ...Object.entries(skipped).map(([id, why]) => `Skipped ${id}: ${why}.`),
    '',
    '| goal (same-run ratio) | value | goal | |',
    '|---|---|---|---|',
    ...g.map(
      (x) => `| ${x.what} | ${fmt(x.value)} | ${x.goal} | ${x.met == null ? '—' : x.met ? '✔' : '✘'} |`,
    ),
  ];
  return lines.join('\n');
}

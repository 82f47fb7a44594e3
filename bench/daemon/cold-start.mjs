#!/usr/bin/env node
// Cold start of `keygate serve` on an existing home, to ready (daemon.json written and /healthz
// answering at its URL), against the floor of starting Node itself, in interleaved rounds of one
// run. Contestants: `node-floor` (spawn `node -e 0` to its exit); `pglite` (the store in the home);
// `pglite-no-compile-cache` (the same with NODE_DISABLE_COMPILE_CACHE=1: the baseline of Node's
// compile cache, on Node 22.1 and later only); `postgres` (when KEYGATE_BENCH_DATABASE_URL is set).
// Each start is stopped with SIGTERM before the next; the first start of each home (which
// migrates, and fills the compile cache) is not counted.
//   npm run build && node bench/daemon/cold-start.mjs
//   KEYGATE_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test node bench/daemon/cold-start.mjs
import { execFileSync, spawnSync } from 'node:child_process';
import module from 'node:module';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onExit, serveUntilReady, stop, tempFolder } from '../peers/procs.mjs';
import { quantiles, round } from '../stats.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin/keygate');
const ROUNDS = Number(process.env.ROUNDS ?? 10);
const pgUrl = process.env.KEYGATE_BENCH_DATABASE_URL;
const hasCompileCache = typeof module.enableCompileCache === 'function';

// Each contestant gets its own compile cache folder, so one's cache never warms another's start.
const baseEnv = (name) => ({
  PATH: process.env.PATH,
  HOME: process.env.HOME ?? '/tmp',
  XDG_CACHE_HOME: tempFolder(`keygate-bench-cold-cache-${name}-`),
});

function makeHome(name, env) {
  const home = join(tempFolder(`keygate-bench-cold-${name}-`), 'home');
  execFileSync(process.execPath, [bin, 'init', '--home', home], {
    env,
    stdio: 'ignore',
    timeout: 120_000,
    killSignal: 'SIGKILL',
  });
  return home;
}

/** Milliseconds from spawning `keygate serve` to /healthz answering at daemon.json's URL. */
async function serveToReady(home, env) {
  const { child, readyMs } = await serveUntilReady({ bin, home, env, pollMs: 2 });
  await stop(child);
  return readyMs;
}

const contestants = [
  {
    id: 'node-floor',
    start: async () => {
      const started = performance.now();
      const run = spawnSync(process.execPath, ['-e', '0'], { timeout: 30_000, killSignal: 'SIGKILL' });
      if (run.status !== 0) throw new Error('node -e 0 failed');
      return performance.now() - started;
    },
  },
];
function keygateContestant(id, extraEnv = {}) {
  const env = { ...baseEnv(id), ...extraEnv };
  const home = makeHome(id, env);
  return { id, start: () => serveToReady(home, env), warmUp: () => serveToReady(home, env) };
}
contestants.push(keygateContestant('pglite'));
if (hasCompileCache)
  contestants.push(keygateContestant('pglite-no-compile-cache', { NODE_DISABLE_COMPILE_CACHE: '1' }));
else console.error('pglite-no-compile-cache: skipped (this Node has no module.enableCompileCache)');
if (pgUrl) {
  const schema = `kg_bench_cold_${process.pid}`;
  onExit(() =>
    spawnSync('psql', [pgUrl, '-qc', `drop schema if exists ${schema} cascade`], {
      stdio: 'ignore',
      timeout: 20_000,
    }),
  );
  contestants.push(keygateContestant('postgres', { DATABASE_URL: pgUrl, KEYGATE_DB_SCHEMA: schema }));
} else console.error('postgres: skipped (set KEYGATE_BENCH_DATABASE_URL)');

for (const c of contestants) await c.warmUp?.();
const samples = Object.fromEntries(contestants.map((c) => [c.id, []]));
const loads = [];
for (let r = 0; r < ROUNDS; r++) {
  loads.push(round(loadavg()[0]));
  // The starting contestant rotates, so none always follows the same one.
  for (let i = 0; i < contestants.length; i++) {
    const c = contestants[(r + i) % contestants.length];
    samples[c.id].push(await c.start());
  }
}
loads.push(round(loadavg()[0]));

const results = Object.fromEntries(Object.entries(samples).map(([id, values]) => [id, quantiles(values, 1)]));
const machine = `${cpus().length}× ${cpus()[0]?.model ?? 'cpu'}, Node.js ${process.version}`;
console.log(JSON.stringify({ machine, rounds: ROUNDS, loadAverages: loads, results }, null, 2));
console.log(`\n| start to ready, ${ROUNDS} rounds | median | p99 | min | max |`);
console.log('|---|---|---|---|---|');
for (const [id, q] of Object.entries(results))
  console.log(`| ${id} | ${q.median} ms | ${q.p99} ms | ${q.min} ms | ${q.max} ms |`);

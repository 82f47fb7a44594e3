#!/usr/bin/env node
// PGlite's memory settings against keygate's own audit workload, in one run: for each variant
// (PGlite's defaults; keygate's settings from src/store/store.ts; those with one thing changed:
// shared buffers, work_mem, WAL buffers with full-page writes, PGlite's initial WebAssembly
// memory), one child process creates a data folder (initdb + migrations) and a second opens it
// (the daemon's cold start on an existing home), appends 10,000 audit rows the way calls do (an
// intent row awaited, an outcome row queued) with a read of the newest 100 every 1,000, and
// reports the times, its resident memory, the size of PGlite's WebAssembly memory and the JS heap
// in use. Variants run in rounds (ROUNDS, default 3), interleaved.
//   npm run build && node bench/store/pglite-settings.mjs
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const ROWS = Number(process.env.ROWS ?? 10_000);

if (process.argv[2] === '--child') {
  const { PGlite } = await import('@electric-sql/pglite');
  const { Kysely, PGliteDialect } = await import('kysely');
  const { migrateToLatest } = await import(join(root, 'dist/store/migrations.js'));
  const { AuditLog } = await import(join(root, 'dist/audit/index.js'));
  const [, , , step, dir, variant] = process.argv;
  const { conf, initialMemory } = JSON.parse(variant);
  const options = {
    ...(conf.length > 0 ? { postgresqlconf: conf } : {}),
    ...(initialMemory ? { initialMemory } : {}),
  };
  const open = async () => {
    const pglite = await PGlite.create(dir, options);
    const db = new Kysely({ dialect: new PGliteDialect({ pglite }) });
    await migrateToLatest(db);
    return { pglite, db };
  };
  let started = performance.now();
  // Creating runs initdb in a WebAssembly instance of its own, whose memory would stay in this
  // process: the folder is created by one process and used by another, as `keygate init` and
  // `keygate serve` do.
  if (step === 'create') {
    const { db } = await open();
    await db.destroy();
    console.log(JSON.stringify({ createMs: Math.round(performance.now() - started) }));
    process.exit(0);
  }
  const { db, pglite } = await open();
  const reopenMs = performance.now() - started;
  const audit = new AuditLog({ db });
  const event = {
    agent: 'bench',
    tokenId: 'tok_bench',
    tool: 'proxy:openai',
    route: 'GET /models',
    policyVersion: 'v1',
    argsHash: 'a'.repeat(64),
    argsRedacted: { method: 'GET', path: '/models', query: '', body_sha256: 'e3b0', body_bytes: 0 },
  };
  started = performance.now();
  for (let i = 0; i < ROWS / 2; i++) {
    await audit.record({ ...event, decision: 'allowed' });
    void audit.recordLater({ ...event, decision: 'completed', upstreamStatus: 200, bytes: 60, latencyMs: 1 });
    if (i % 1000 === 0)
      await db.selectFrom('audit_events').selectAll().orderBy('seq', 'desc').limit(100).execute();
  }
  await audit.drain();
  const appendMs = performance.now() - started;
  const memory = process.memoryUsage();
  // The WebAssembly memory never shrinks: its size is the most the database ever held at once.
  const wasmMB = Math.round(pglite.Module.HEAPU8.length / 2 ** 20);
  await db.destroy();
  console.log(
    JSON.stringify({
      reopenMs: Math.round(reopenMs),
      msPerCall: +((appendMs / ROWS) * 2).toFixed(3),
      rssMB: Math.round(memory.rss / 2 ** 20),
      wasmMB,
      heapMB: Math.round(memory.heapUsed / 2 ** 20),
    }),
  );
  process.exit(0);
}

const { PGLITE_SETTINGS, pgliteConf } = await import(join(root, 'dist/store/store.js'));
const keygateWith = (changed) => ({ conf: pgliteConf({ ...PGLITE_SETTINGS, ...changed }) });
const variants = {
  'PGlite defaults': { conf: [] },
  'keygate (store.ts)': { conf: pgliteConf() },
  'keygate with shared_buffers=32MB': keygateWith({ shared_buffers: '32MB' }),
  'keygate with work_mem=1MB (default 4MB)': keygateWith({ work_mem: '1MB' }),
  'keygate with wal_buffers=64kB, full_page_writes=off': keygateWith({
    wal_buffers: '64kB',
    full_page_writes: 'off',
  }),
  // PGlite's initial WebAssembly memory (initialMemory) is 128 MB, reserved but touched only as
  // used; it cannot be smaller (the module itself declares 2,048 pages: a LinkError), so only a
  // larger one can be measured.
  'keygate with initialMemory=256MB': { conf: pgliteConf(), initialMemory: 256 * 2 ** 20 },
};
const results = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
const child = (name, ...args) => {
  const run = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', ...args], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (run.status !== 0) throw new Error(`${name}: ${run.stderr || run.error}`);
  return JSON.parse(run.stdout.trim().split('\n').at(-1));
};
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, variant] of Object.entries(variants)) {
    const dir = mkdtempSync(join(tmpdir(), 'keygate-bench-pglite-'));
    try {
      const created = child(name, 'create', dir, JSON.stringify(variant));
      results[name].push({ ...created, ...child(name, 'run', dir, JSON.stringify(variant)) });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
console.log(
  `| variant | create (initdb) ms | reopen ms | ms per call (2 rows) | resident MB after ${ROWS} rows | WebAssembly memory MB | JS heap used MB |`,
);
console.log('|---|---|---|---|---|---|---|');
for (const [name, runs] of Object.entries(results)) {
  const m = (key) => median(runs.map((run) => run[key]));
  console.log(
    `| ${name} | ${m('createMs')} | ${m('reopenMs')} | ${m('msPerCall')} | ${m('rssMB')} | ${m('wasmMB')} | ${m('heapMB')} |`,
  );
}

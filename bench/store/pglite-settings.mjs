#!/usr/bin/env node
// PGlite's memory settings against keygate's own audit workload, in one run: for each variant
// (PGlite's defaults; keygate's settings from src/store/store.ts; those with more shared buffers), a fresh child
// process creates a data folder (initdb + migrations), closes it, opens it again (the daemon's
// cold start on an existing home), appends 10,000 audit rows the way calls do (an intent row
// awaited, an outcome row queued) with a read of the newest 100 every 1,000, and reports the
// times and its resident memory. Variants run in rounds (ROUNDS, default 3), interleaved.
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
  const conf = JSON.parse(process.argv[3]);
  const options = conf.length > 0 ? { postgresqlconf: conf } : {};
  const dir = mkdtempSync(join(tmpdir(), 'keygate-bench-pglite-'));
  const open = async () => {
    const pglite = await PGlite.create(dir, options);
    const db = new Kysely({ dialect: new PGliteDialect({ pglite }) });
    await migrateToLatest(db);
    return { pglite, db };
  };
  let started = performance.now();
  const first = await open();
  const createMs = performance.now() - started;
  await first.db.destroy();
  started = performance.now();
  const { db } = await open();
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
  await db.destroy();
  rmSync(dir, { recursive: true, force: true });
  console.log(
    JSON.stringify({
      createMs: Math.round(createMs),
      reopenMs: Math.round(reopenMs),
      msPerCall: +((appendMs / ROWS) * 2).toFixed(3),
      rssMB: Math.round(process.memoryUsage().rss / 2 ** 20),
    }),
  );
  process.exit(0);
}

const { PGLITE_SETTINGS, pgliteConf } = await import(join(root, 'dist/store/store.js'));
const variants = {
  'PGlite defaults': [],
  'keygate (store.ts)': pgliteConf(),
  'keygate with shared_buffers=32MB': pgliteConf({ ...PGLITE_SETTINGS, shared_buffers: '32MB' }),
};
const results = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, conf] of Object.entries(variants)) {
    const child = spawnSync(
      process.execPath,
      [fileURLToPath(import.meta.url), '--child', JSON.stringify(conf)],
      {
        encoding: 'utf8',
        timeout: 300_000,
      },
    );
    if (child.status !== 0) throw new Error(`${name}: ${child.stderr || child.error}`);
    results[name].push(JSON.parse(child.stdout.trim().split('\n').at(-1)));
  }
}
const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
console.log(
  `| variant | create (initdb) ms | reopen ms | ms per call (2 rows) | resident MB after ${ROWS} rows |`,
);
console.log('|---|---|---|---|---|');
for (const [name, runs] of Object.entries(results)) {
  const m = (key) => median(runs.map((run) => run[key]));
  console.log(`| ${name} | ${m('createMs')} | ${m('reopenMs')} | ${m('msPerCall')} | ${m('rssMB')} |`);
}

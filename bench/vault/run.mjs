#!/usr/bin/env node
// Vault benchmark: (1) decrypt-and-inject per call, data key cached vs not, against a baseline
// of injecting a plaintext credential; (2) store open time for an existing home (PGlite), and
// PostgreSQL when KEYGATE_BENCH_DATABASE_URL is set. Bounded: fixed sample counts, loopback only.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { quantiles } from '../stats.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const { openStore } = await import(`${root}dist/store/index.js`);
const { MasterKey, Vault, decryptValue, secretKind, unwrapDataKey } = await import(
  `${root}dist/vault/index.js`
);
const { bearerCredential } = await import(`${root}dist/executor/index.js`);

const CALLS = 20_000;
const OPENS = 10;
const stats = (samples) => quantiles(samples, 2);
const request = () => ({ method: 'GET', url: new URL('https://api.github.com/x'), headers: {} });

async function perCall(fn) {
  for (let i = 0; i < 500; i++) await fn(); // warm-up
  const samples = [];
  for (let i = 0; i < CALLS; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    samples.push(Number(process.hrtime.bigint() - t0) / 1000); // µs
  }
  return stats(samples);
}

const home = mkdtempSync(join(tmpdir(), 'keygate-bench-vault-'));
const key = MasterKey.generate();
let store = await openStore({ home });
await Vault.initialize(store, key);
const vault = await Vault.unlock(store, key);
await vault.set({ name: 'github', kind: 'bearer', value: 'ghp_benchmark000000000000000000000000000' });

const plain = bearerCredential('github', 'ghp_benchmark000000000000000000000000000');
const baseline = await perCall(async () => plain.inject(request()));
const cached = await perCall(async () => (await vault.credential('github')).inject(request()));
// Data key not cached (the row in memory): unwrap with the master key, decrypt, inject.
const row = await store.db
  .selectFrom('secrets')
  .selectAll()
  .where('name', '=', 'github')
  .executeTakeFirstOrThrow();
const stored = {
  keyId: row.key_id,
  wrap: { nonce: row.wrap_nonce, ciphertext: row.wrapped_key, tag: row.wrap_tag },
  value: { nonce: row.nonce, ciphertext: row.ciphertext, tag: row.tag },
};
const uncached = await perCall(async () => {
  const dataKey = unwrapDataKey(key.bytes(), row, stored);
  const value = decryptValue(dataKey, row, stored).toString('utf8');
  secretKind(row.kind).credential('github', row.params, value).inject(request());
});
// Nothing cached: the row is read from the store (PGlite) as well.
const coldRead = await perCall(async () => {
  vault.forgetCaches();
  (await vault.credential('github')).inject(request());
});

await store.close();
const opens = [];
for (let i = 0; i < OPENS; i++) {
  const t0 = performance.now();
  store = await openStore({ home });
  opens.push(performance.now() - t0);
  await store.close();
}
let postgres;
if (process.env.KEYGATE_BENCH_DATABASE_URL) {
  const schema = `kg_bench_${process.pid}`;
  const pgOpens = [];
  for (let i = 0; i < OPENS; i++) {
    const t0 = performance.now();
    const pg = await openStore({ home, databaseUrl: process.env.KEYGATE_BENCH_DATABASE_URL, schema });
    pgOpens.push(performance.now() - t0);
    if (i === OPENS - 1) await pg.db.schema.dropSchema(schema).cascade().execute();
    await pg.close();
  }
  postgres = stats(pgOpens);
}
rmSync(home, { recursive: true, force: true });

const results = {
  date: new Date().toISOString().slice(0, 10),
  node: process.version,
  injectMicros: {
    plaintextBaseline: baseline,
    dataKeyCached: cached,
    dataKeyNotCached: uncached,
    rowReadFromStore: coldRead,
  },
  storeOpenMs: { pgliteExistingHome: stats(opens), ...(postgres ? { postgres } : {}) },
};
mkdirSync(`${root}bench/results`, { recursive: true });
writeFileSync(`${root}bench/results/vault.json`, `${JSON.stringify(results, null, 2)}\n`);
console.log(JSON.stringify(results, null, 2));

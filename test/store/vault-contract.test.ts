/**
 * The store and vault contract, run on PGlite and on PostgreSQL: the checks HashiCorp Vault runs
 * on its barrier (tamper detection, nonce freshness, wrong key, rotation), plus storage hygiene.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isKeygateError } from '../../src/errors/index.js';
import type { OutgoingRequest } from '../../src/executor/index.js';
import type { Store } from '../../src/store/index.js';
import { MasterKey, unwrapDataKey, Vault } from '../../src/vault/index.js';
import { runChild } from '../helpers/child.js';
import {
  type Backend,
  PGLITE_BACKEND,
  POSTGRES_BACKEND,
  POSTGRES_SKIP_REASON,
  POSTGRES_URL,
  type TestStore,
} from '../helpers/stores.js';

const CANARY = 'sk_live_CANARYvault9f8e7d6c5b4a3928171605';
const COLUMNS = ['wrap_nonce', 'wrapped_key', 'wrap_tag', 'nonce', 'ciphertext', 'tag'] as const;

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'no error';
  } catch (error) {
    return isKeygateError(error) ? error.code : String(error);
  }
}

function request(): OutgoingRequest {
  return { method: 'GET', url: new URL('https://api.example.com/x'), headers: {} };
}

/** All the rows of the secrets table, as raw data (for "nothing was written" checks). */
async function snapshot(store: Store): Promise<string> {
  const rows = await store.db.selectFrom('secrets').selectAll().orderBy('name').execute();
  const meta = await store.db.selectFrom('vault_meta').selectAll().execute();
  return JSON.stringify({ rows, meta });
}

function contract(backend: Backend) {
  let t: TestStore;
  /** The open store; tests that close it reopen it. */
  let store: Store;
  let key: MasterKey;
  let vault: Vault;

  // One store per backend (creating a PGlite database takes seconds); emptied before each test.
  beforeAll(async () => {
    t = await backend.fresh();
    store = t.store;
  });
  afterAll(async () => {
    await t.dispose();
  });
  beforeEach(async () => {
    await store.db.deleteFrom('secrets').execute();
    await store.db.deleteFrom('vault_meta').execute();
    key = MasterKey.generate();
    await Vault.initialize(store, key);
    vault = await Vault.unlock(store, key);
  });

  it('migrates idempotently: opening an existing store changes nothing', async () => {
    await vault.set({ name: 'github', kind: 'bearer', value: CANARY });
    await store.close();
    store = await t.reopen();
    const reopened = await Vault.unlock(store, key);
    expect((await reopened.list()).map((s) => s.name)).toEqual(['github']);
  });

  it('refuses to initialise a vault twice', async () => {
    expect(await codeOf(Vault.initialize(store, MasterKey.generate()))).toBe('vault.already_initialized');
  });

  it('stores, lists, replaces and deletes secrets, showing only metadata', async () => {
    const first = await vault.set({ name: 'github', kind: 'bearer', value: CANARY, service: 'github' });
    expect(first).toMatchObject({
      name: 'github',
      kind: 'bearer',
      service: 'github',
      version: 1,
      keyId: key.id,
    });
    expect(first.fingerprint).toMatch(/^fp_[0-9a-f]{16}$/);
    expect(JSON.stringify(first)).not.toContain(CANARY);
    expect(first.fingerprint).not.toContain(CANARY.slice(0, 6));

    const replaced = await vault.set({ name: 'github', kind: 'bearer', value: `${CANARY}-2` });
    expect(replaced.version).toBe(2);
    expect(replaced.rotatedAt).not.toBeNull();
    expect(replaced.fingerprint).not.toBe(first.fingerprint);
    const same = await vault.set({ name: 'github', kind: 'bearer', value: `${CANARY}-2` });
    expect(same.fingerprint).toBe(replaced.fingerprint);

    expect(JSON.stringify(await vault.list())).not.toContain(CANARY);
    await vault.remove('github');
    expect(await vault.list()).toEqual([]);
    expect(await codeOf(vault.remove('github'))).toBe('vault.secret_not_found');
  });

  it.each([
    ['bearer', {}, { authorization: `Bearer ${CANARY}` }, ''],
    [
      'basic',
      { username: 'ada' },
      { authorization: `Basic ${Buffer.from(`ada:${CANARY}`).toString('base64')}` },
      '',
    ],
    ['header', { header: 'X-Api-Key' }, { 'x-api-key': CANARY }, ''],
    ['query', { param: 'api_key' }, {}, `?api_key=${CANARY}`],
  ])(
    'injects a %s credential and lists its secret forms for scrubbing',
    async (kind, params, headers, search) => {
      await vault.set({ name: 'svc', kind, value: CANARY, params });
      const credential = await vault.credential('svc');
      const req = request();
      credential.inject(req);
      expect(req.headers).toEqual(headers);
      expect(req.url.search).toBe(search);
      expect(credential.secretValues()).toContain(CANARY);
      expect(JSON.stringify(credential)).not.toContain(CANARY);
    },
  );

  it('records when a secret was last used', async () => {
    await vault.set({ name: 'github', kind: 'bearer', value: CANARY });
    expect((await vault.describe('github')).lastUsedAt).toBeNull();
    await vault.credential('github');
    await expect
      .poll(async () => (await vault.describe('github')).lastUsedAt, { timeout: 5000 })
      .not.toBeNull();
  });

  it.each(COLUMNS.flatMap((column) => [0, 5, -1].map((byte) => [column, byte] as const)))(
    'detects a flipped bit in %s (byte %i) as vault.integrity',
    async (column, byte) => {
      await vault.set({ name: 'github', kind: 'bearer', value: CANARY });
      const row = await store.db.selectFrom('secrets').select(column).executeTakeFirstOrThrow();
      const bytes = Buffer.from(row[column] as Uint8Array);
      const index = byte < 0 ? bytes.length - 1 : Math.min(byte, bytes.length - 1);
      bytes[index]! ^= 0x01;
      await store.db
        .updateTable('secrets')
        .set({ [column]: bytes })
        .execute();
      const fresh = await Vault.unlock(store, key);
      expect(await codeOf(fresh.credential('github'))).toBe('vault.integrity');
    },
  );

  it('refuses a ciphertext copied onto another secret row', async () => {
    await vault.set({ name: 'a', kind: 'bearer', value: CANARY });
    await vault.set({ name: 'b', kind: 'bearer', value: 'other-value' });
    const a = await store.db
      .selectFrom('secrets')
      .selectAll()
      .where('name', '=', 'a')
      .executeTakeFirstOrThrow();
    const { key_id, wrap_nonce, wrapped_key, wrap_tag, nonce, ciphertext, tag } = a;
    await store.db
      .updateTable('secrets')
      .set({ key_id, wrap_nonce, wrapped_key, wrap_tag, nonce, ciphertext, tag })
      .where('name', '=', 'b')
      .execute();
    const fresh = await Vault.unlock(store, key);
    expect(await codeOf(fresh.credential('b'))).toBe('vault.integrity');
  });

  it('tells a wrong master key apart, and writes nothing with it', async () => {
    await vault.set({ name: 'github', kind: 'bearer', value: CANARY });
    const before = await snapshot(store);
    expect(await codeOf(Vault.unlock(store, MasterKey.generate()))).toBe('vault.wrong_master_key');
    expect(await snapshot(store)).toBe(before);
  });

  it('rotates: every secret decrypts under the new key and none under the old', async () => {
    for (const name of ['a', 'b', 'c']) await vault.set({ name, kind: 'bearer', value: `${CANARY}-${name}` });
    const newKey = MasterKey.generate();
    const progress: number[] = [];
    expect(await vault.rotate(newKey, { onProgress: (done) => progress.push(done) })).toEqual({
      secrets: 3,
      keyId: newKey.id,
    });
    expect(progress).toEqual([1, 2, 3]);

    expect(await codeOf(Vault.unlock(store, key))).toBe('vault.wrong_master_key');
    const reopened = await Vault.unlock(store, newKey);
    for (const name of ['a', 'b', 'c']) {
      expect((await reopened.credential(name)).secretValues()).toEqual([`${CANARY}-${name}`]);
    }
    const rows = await store.db.selectFrom('secrets').selectAll().execute();
    for (const row of rows) {
      expect(row.key_id).toBe(newKey.id);
      const stored = {
        keyId: row.key_id,
        wrap: { nonce: row.wrap_nonce, ciphertext: row.wrapped_key, tag: row.wrap_tag },
        value: { nonce: row.nonce, ciphertext: row.ciphertext, tag: row.tag },
      };
      expect(() => unwrapDataKey(key.bytes(), row, stored)).toThrow(/integrity/);
    }
    expect((await reopened.list()).map((s) => s.fingerprint)).toEqual(
      (await vault.list()).map((s) => s.fingerprint),
    );
  });

  it('never stores the plaintext, in any encoding', async () => {
    await vault.set({ name: 'github', kind: 'bearer', value: CANARY });
    await vault.set({ name: 'jira', kind: 'basic', value: CANARY, params: { username: 'ada' } });
    await (await Vault.unlock(store, key)).credential('github');
    const forms = [
      CANARY,
      Buffer.from(CANARY).toString('base64'),
      Buffer.from(CANARY).toString('hex'),
      Buffer.from(`ada:${CANARY}`).toString('base64'),
    ];
    const haystacks: Buffer[] = [];
    if (backend.name === 'pglite') {
      await store.close();
      const files = await readdir(join(t.home, 'data'), { recursive: true, withFileTypes: true });
      for (const file of files.filter((f) => f.isFile()))
        haystacks.push(await readFile(join(file.parentPath, file.name)));
      expect(haystacks.length).toBeGreaterThan(10);
      store = await t.reopen();
    } else {
      const dump = await runChild(
        'pg_dump',
        ['--dbname', POSTGRES_URL!, '--schema', t.schema!, '--data-only', '--inserts'],
        { env: process.env },
      );
      expect(dump.stdout).toContain('INSERT INTO');
      haystacks.push(Buffer.from(dump.stdout));
    }
    for (const haystack of haystacks) {
      for (const form of forms) expect(haystack.includes(Buffer.from(form))).toBe(false);
    }
  });

  it('sees a secret written through another connection to the same store', async () => {
    if (backend.name === 'pglite') return; // one process only, by design (see the lock test)
    const other = await Vault.unlock(await t.reopen(), key);
    await vault.set({ name: 'shared', kind: 'bearer', value: CANARY });
    expect((await other.credential('shared')).secretValues()).toEqual([CANARY]);
  });
}

if (!POSTGRES_URL) console.warn(`PostgreSQL store contract skipped: ${POSTGRES_SKIP_REASON}`);

describe('store and vault contract on PGlite', () => contract(PGLITE_BACKEND));
describe.skipIf(!POSTGRES_URL)(
  `store and vault contract on PostgreSQL (skipped: ${POSTGRES_SKIP_REASON})`,
  () => contract(POSTGRES_BACKEND),
);

/** The store backends every contract test runs against. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openStore, type Store } from '../../src/store/index.js';
import { MasterKey, Vault } from '../../src/vault/index.js';

export const POSTGRES_URL = process.env.KEYGATE_TEST_DATABASE_URL;
export const POSTGRES_SKIP_REASON = 'set KEYGATE_TEST_DATABASE_URL=postgres://… to run';

export interface Backend {
  readonly name: 'pglite' | 'postgres';
  /** Opens a fresh, empty store. */
  fresh(): Promise<TestStore>;
}

export interface TestStore {
  readonly store: Store;
  /** A temporary home folder (PGlite data lives in it). */
  readonly home: string;
  /** PostgreSQL schema, when on PostgreSQL. */
  readonly schema?: string;
  /** Opens the same store again (after closing the first). */
  reopen(): Promise<Store>;
  /** Closes and deletes everything. */
  dispose(): Promise<void>;
}

const pglite: Backend = {
  name: 'pglite',
  async fresh() {
    const home = await mkdtemp(join(tmpdir(), 'keygate-store-'));
    const store = await openStore({ home });
    let current = store;
    return {
      store,
      home,
      reopen: async () => {
        current = await openStore({ home });
        return current;
      },
      dispose: async () => {
        await current.close().catch(() => undefined);
        await rm(home, { recursive: true, force: true });
      },
    };
  },
};

const postgres: Backend = {
  name: 'postgres',
  async fresh() {
    const home = await mkdtemp(join(tmpdir(), 'keygate-store-'));
    const schema = `kg_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
    const open = () => openStore({ home, databaseUrl: POSTGRES_URL!, schema });
    const opened: Store[] = [await open()];
    return {
      store: opened[0]!,
      home,
      schema,
      reopen: async () => {
        const store = await open();
        opened.push(store);
        return store;
      },
      dispose: async () => {
        for (const store of opened) await store.close().catch(() => undefined);
        const client = new pg.Client({ connectionString: POSTGRES_URL });
        await client.connect();
        await client.query(`drop schema if exists ${schema} cascade`);
        await client.end();
        await rm(home, { recursive: true, force: true });
      },
    };
  },
};

/** PGlite always; PostgreSQL when KEYGATE_TEST_DATABASE_URL is set. */
export const BACKENDS: readonly Backend[] = POSTGRES_URL ? [pglite, postgres] : [pglite];
export { pglite as PGLITE_BACKEND, postgres as POSTGRES_BACKEND };

/** A new vault in `store` under a random master key (no file, no passphrase), unlocked. */
export async function freshVault(store: Store): Promise<Vault> {
  const key = MasterKey.generate();
  await Vault.initialize(store, key);
  return Vault.unlock(store, key);
}

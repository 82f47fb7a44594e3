/** PostgreSQL schemas are separate vaults: one schema's migration tables never stand in for another's. */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { POSTGRES_BACKEND, POSTGRES_SKIP_REASON, POSTGRES_URL, type TestStore } from '../helpers/stores.js';

describe.skipIf(!POSTGRES_URL)(
  `stores in two schemas of one database (skipped: ${POSTGRES_SKIP_REASON})`,
  () => {
    const opened: TestStore[] = [];
    afterAll(async () => {
      for (const t of opened) await t.dispose();
    });

    it('migrates a fresh schema while another schema already holds a migrated store', async () => {
      opened.push(await POSTGRES_BACKEND.fresh());
      const second = await POSTGRES_BACKEND.fresh();
      opened.push(second);
      const tables = await second.store.db.introspection.getTables();
      expect(tables.map((table) => table.name)).toContain('approvals');
    });

    it('keeps its tables in its schema when the URL carries options of its own', async () => {
      const schema = `kg_test_${process.pid}_opts`;
      const url = `${POSTGRES_URL}${POSTGRES_URL!.includes('?') ? '&' : '?'}options=${encodeURIComponent('-c statement_timeout=5000')}`;
      const home = await mkdtemp(join(tmpdir(), 'keygate-opts-'));
      const store = await openStore({ home, databaseUrl: url, schema });
      try {
        const where = await sql<{ schema: string; timeout: string }>`
          select current_schema() as schema, current_setting('statement_timeout') as timeout`.execute(
          store.db,
        );
        expect(where.rows[0]).toEqual({ schema, timeout: '5s' });
        const tables = await sql<{ table_schema: string }>`
          select distinct table_schema from information_schema.tables where table_name = 'audit_events'
            and table_schema in (${schema}, 'public')`.execute(store.db);
        expect(tables.rows.map((row) => row.table_schema)).toEqual([schema]);
      } finally {
        await sql.raw(`drop schema if exists ${schema} cascade`).execute(store.db);
        await store.close();
      }
    });
  },
);

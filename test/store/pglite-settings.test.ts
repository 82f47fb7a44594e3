/**
 * Opening the embedded database: keygate's memory settings on a new home and on an existing one,
 * and an existing home that is up to date skips the migrator (one query instead of its catalog
 * inspection and lock).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type KyselyPlugin, sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore, PGLITE_SETTINGS } from '../../src/store/index.js';
import { migrateToLatest } from '../../src/store/migrations.js';

describe('PGlite settings', () => {
  let home: string;
  afterAll(async () => {
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('applies every setting when the home is created and when it is opened again', async () => {
    home = await mkdtemp(join(tmpdir(), 'keygate-pglite-settings-'));
    const expected = PGLITE_SETTINGS;
    for (let open = 0; open < 2; open++) {
      const store = await openStore({ home });
      try {
        const names = Object.keys(expected);
        const rows = await sql<{ name: string; value: string }>`
          select name, current_setting(name) as value from unnest(${names}::text[]) as name`.execute(
          store.db,
        );
        expect(Object.fromEntries(rows.rows.map((row) => [row.name, row.value]))).toEqual(expected);
        if (open === 1) {
          // Migrated already: migrating again is the one bookkeeping read.
          const queries: string[] = [];
          const recorder: KyselyPlugin = {
            transformQuery: (args) => {
              queries.push(args.node.kind);
              return args.node;
            },
            transformResult: async (args) => args.result,
          };
          await migrateToLatest(store.db.withPlugin(recorder) as never);
          expect(queries).toEqual(['RawNode']);
        }
      } finally {
        await store.close();
      }
    }
  });
});

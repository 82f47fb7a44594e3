/** The embedded database runs with keygate's memory settings, on a new home and on an existing one. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore, PGLITE_SETTINGS } from '../../src/store/index.js';

describe('PGlite settings', () => {
  let home: string;
  afterAll(async () => {
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('applies every setting when the home is created and when it is opened again', async () => {
    home = await mkdtemp(join(tmpdir(), 'keygate-pglite-settings-'));
    const expected = Object.fromEntries(PGLITE_SETTINGS.map((line) => line.split('=') as [string, string]));
    for (let open = 0; open < 2; open++) {
      const store = await openStore({ home });
      try {
        const names = Object.keys(expected);
        const rows = await sql<{ name: string; value: string }>`
          select name, current_setting(name) as value from unnest(${names}::text[]) as name`.execute(
          store.db,
        );
        expect(Object.fromEntries(rows.rows.map((row) => [row.name, row.value]))).toEqual(expected);
      } finally {
        await store.close();
      }
    }
  });
});

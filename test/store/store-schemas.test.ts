/** PostgreSQL schemas are separate vaults: one schema's migration tables never stand in for another's. */
import { afterAll, describe, expect, it } from 'vitest';
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
  },
);

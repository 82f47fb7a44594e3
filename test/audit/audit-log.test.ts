/** The audit log on both backends: the hash chain catches edits and deletions; appends are safe. */
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/index.js';
import type { Store } from '../../src/store/index.js';
import {
  type Backend,
  PGLITE_BACKEND,
  POSTGRES_BACKEND,
  POSTGRES_SKIP_REASON,
  POSTGRES_URL,
  type TestStore,
} from '../helpers/stores.js';

/** The store, with a count of the append statements (the audit log's only raw SQL) run through it. */
function countingAppends(store: Store): { store: Store; readonly appends: number } {
  let appends = 0;
  const db = store.db.withPlugin({
    transformQuery: (args) => {
      if (args.node.kind === 'RawNode') appends++;
      return args.node;
    },
    transformResult: async (args) => args.result,
  });
  return {
    store: { ...store, db },
    get appends() {
      return appends;
    },
  };
}

function auditContract(backend: Backend) {
  let t: TestStore;
  let store: Store;
  let audit: AuditLog;
  beforeAll(async () => {
    t = await backend.fresh();
    store = t.store;
  });
  afterAll(() => t.dispose());
  beforeEach(async () => {
    await store.db.deleteFrom('audit_events').execute();
    await sql`update audit_head set seq = 0, hash = ${'0'.repeat(64)}`.execute(store.db);
    audit = new AuditLog(store);
    for (let i = 0; i < 5; i++)
      await audit.record({
        agent: 'bot',
        tool: `tool_${i}`,
        decision: 'allowed',
        argsRedacted: { i },
        policyVersion: 'v1',
      });
  });

  it('chains every row to the one before and verifies', async () => {
    expect(await audit.verify()).toEqual({ ok: true, rows: 5 });
    const rows = await audit.query();
    expect(rows.map((r) => r.tool)).toEqual(['tool_0', 'tool_1', 'tool_2', 'tool_3', 'tool_4']);
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.prevHash).toBe(rows[i - 1]!.hash);
  });

  it.each([
    [
      'an edited decision',
      sql`update audit_events set decision = 'denied' where tool = 'tool_2'`,
      'was changed',
    ],
    [
      'edited arguments',
      sql`update audit_events set args_redacted = '{"i": 99}' where tool = 'tool_1'`,
      'was changed',
    ],
    ['a deleted row', sql`delete from audit_events where tool = 'tool_2'`, 'does not follow'],
    [
      'the newest row deleted',
      sql`delete from audit_events where tool = 'tool_4'`,
      'newest rows were removed',
    ],
  ])('detects %s', async (_case, tamper, problem) => {
    await tamper.execute(store.db);
    const result = await audit.verify();
    expect(result.ok).toBe(false);
    expect(result.problem).toContain(problem);
  });

  it('appends 200 concurrent rows without breaking the chain', async () => {
    await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        audit.record({ agent: 'bot', decision: 'completed', reason: `n${i}` }),
      ),
    );
    expect(await audit.verify()).toEqual({ ok: true, rows: 205 });
  });

  it('writes the rows of calls that arrive together in one statement (group commit)', async () => {
    const counted = countingAppends(store);
    const grouped = new AuditLog(counted.store);
    await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        grouped.record({ agent: 'bot', decision: 'allowed', reason: `g${i}` }),
      ),
    );
    expect(counted.appends).toBe(1); // one append statement for all 16 rows
    expect(await grouped.verify()).toEqual({ ok: true, rows: 21 });
  });

  it('commits a row nobody waits on with the next waiting row, in order, or alone soon after', async () => {
    const counted = countingAppends(store);
    const log = new AuditLog(counted.store);
    await log.record({ agent: 'bot', decision: 'allowed', reason: 'first' });
    const outcome = log.recordLater({ agent: 'bot', decision: 'completed', reason: 'first' });
    await log.record({ agent: 'bot', decision: 'allowed', reason: 'second' });
    await outcome;
    expect(counted.appends).toBe(2);
    expect((await log.query({ limit: 3 })).map((row) => `${row.decision} ${row.reason}`)).toEqual([
      'allowed first',
      'completed first',
      'allowed second',
    ]);
    await log.recordLater({ agent: 'bot', decision: 'completed', reason: 'second' });
    expect(counted.appends).toBe(3);
    expect(await log.verify()).toEqual({ ok: true, rows: 9 });
  });

  it('filters by agent, tool and age', async () => {
    await audit.record({ agent: 'other', tool: 'tool_0', decision: 'denied' });
    expect((await audit.query({ agent: 'other' })).map((r) => r.decision)).toEqual(['denied']);
    expect((await audit.query({ tool: 'tool_0' })).length).toBe(2);
    expect((await audit.query({ sinceMs: 60_000 })).length).toBe(6);
    expect((await audit.query({ limit: 2 })).map((r) => r.agent)).toEqual(['bot', 'other']);
  });

  it('keeps appending from two connections to one store as one chain', async () => {
    if (backend.name === 'pglite') return;
    const other = new AuditLog(await t.reopen());
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        (i % 2 ? audit : other).record({ decision: 'allowed', reason: `${i}` }),
      ),
    );
    expect(await audit.verify()).toEqual({ ok: true, rows: 55 });
  });

  it('verifies one snapshot: rows another daemon appends meanwhile are never taken for removed ones', async () => {
    // Head and rows read apart let an append land between them: the rows then outnumber the
    // head and verify cried "the newest rows were removed" on an intact chain.
    const other = new AuditLog(backend.name === 'pglite' ? store : await t.reopen());
    const appends = Promise.all(
      Array.from({ length: 120 }, (_, i) => other.record({ decision: 'allowed', reason: `${i}` })),
    );
    const checks = [];
    for (let i = 0; i < 15; i++) checks.push(await audit.verify());
    await appends;
    expect(checks.filter((check) => !check.ok)).toEqual([]);
    expect(await audit.verify()).toEqual({ ok: true, rows: 125 });
  });

  it('records the credential a call used in the chain: an edit to it shows', async () => {
    const log = new AuditLog(store);
    await log.record({
      decision: 'completed',
      tool: 'github_issue_list',
      credential: { kind: 'github-app', scope: { repositories: ['api'], permissions: { issues: 'read' } } },
    });
    const [row] = await log.query({ tool: 'github_issue_list' });
    expect(row!.credential).toEqual({
      kind: 'github-app',
      scope: { permissions: { issues: 'read' }, repositories: ['api'] },
    });
    expect(await log.verify()).toMatchObject({ ok: true });
    await sql`update audit_events set credential = ${'{"kind":"github-app","scope":{"permissions":{"issues":"write"},"repositories":["api"]}}'} where seq = ${String(row!.seq)}`.execute(
      store.db,
    );
    expect(await log.verify()).toMatchObject({ ok: false, badSeq: row!.seq });
  });

  it('continues the chain of a store from before the append function (migration 0004)', async () => {
    const earlier = await backend.fresh();
    try {
      await new AuditLog(earlier.store).record({ decision: 'allowed', reason: 'before the upgrade' });
      // What an earlier keygate's store holds: no function, and migration 0004 not recorded.
      await sql`drop function keygate_audit_append`.execute(earlier.store.db);
      // (Nor what came after it: kysely refuses to run a migration older than one already run.)
      await sql`drop table dashboard_sessions`.execute(earlier.store.db);
      for (const column of ['agent', 'tool', 'decision'])
        await sql`drop index ${sql.raw(`audit_events_${column}_seq`)}`.execute(earlier.store.db);
      await sql`alter table audit_events drop column credential`.execute(earlier.store.db);
      await sql`drop table budget_holds`.execute(earlier.store.db);
      await sql`drop table oauth2_tokens`.execute(earlier.store.db);
      await sql`alter table approvals drop column notice`.execute(earlier.store.db);
      await sql`delete from kysely_migration where name in ('0004_audit_append_function', '0005_dashboard', '0006_budgets', '0007_oauth2_tokens', '0008_audit_credential', '0009_approval_notice')`.execute(
        earlier.store.db,
      );
      await earlier.store.close();
      const upgraded = new AuditLog(await earlier.reopen());
      await upgraded.record({ decision: 'allowed', reason: 'after the upgrade' });
      // A row with the credential column (0008) chains on rows written before it existed.
      await upgraded.record({
        decision: 'completed',
        credential: { kind: 'github-app', scope: { repositories: ['api'], permissions: { issues: 'read' } } },
      });
      expect(await upgraded.verify()).toEqual({ ok: true, rows: 3 });
    } finally {
      await earlier.dispose();
    }
  });
}

if (!POSTGRES_URL) console.warn(`PostgreSQL audit contract skipped: ${POSTGRES_SKIP_REASON}`);
describe('audit log on PGlite', () => auditContract(PGLITE_BACKEND));
describe.skipIf(!POSTGRES_URL)(`audit log on PostgreSQL (skipped: ${POSTGRES_SKIP_REASON})`, () =>
  auditContract(POSTGRES_BACKEND),
);

/**
 * The approval record's life on both store backends: one open record per call, decisions once,
 * claims once (also from two stores on one PostgreSQL database, as two daemons), refusals audited,
 * and wake-ups that cross daemons.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApprovalBook,
  type ApprovalRequest,
  ApprovalSignals,
  MAX_PENDING_PER_AGENT,
} from '../../src/approvals/index.js';
import { AuditLog, argsHash } from '../../src/audit/index.js';
import type { Store } from '../../src/store/index.js';
import {
  BACKENDS,
  POSTGRES_BACKEND,
  POSTGRES_SKIP_REASON,
  POSTGRES_URL,
  type TestStore,
} from '../helpers/stores.js';

let n = 0;
function request(overrides: Partial<ApprovalRequest> = {}): ApprovalRequest {
  const args = {
    owner: 'acme',
    repo: 'api',
    title: `t${++n}`,
    token: 'ghp_CANARYbook0000000000000000000000000f6',
  };
  return {
    agent: 'bot',
    tokenId: 'tok-1',
    tool: 'github_issue_create',
    args,
    argsHash: argsHash(args),
    argsRedacted: { ...args, token: '[REDACTED]' },
    policyVersion: 'v1',
    timeoutMs: 60_000,
    ...overrides,
  };
}

describe.each(BACKENDS)('approval records on $name', (backend) => {
  let t: TestStore;
  let audit: AuditLog;
  let book: ApprovalBook;

  beforeAll(async () => {
    t = await backend.fresh();
    audit = new AuditLog(t.store);
    book = new ApprovalBook(t.store, audit);
  });
  afterAll(async () => {
    await audit.drain();
    await t.dispose();
  });
  const trail = async (id: string) => {
    await audit.drain();
    return (await audit.query({ limit: 10_000 }))
      .filter((row) => row.approvalId === id)
      .map((row) => row.decision);
  };

  it('shares one open record among identical calls, even when they arrive at once', async () => {
    const call = request();
    const opened = await Promise.all(Array.from({ length: 20 }, () => book.open(call)));
    expect(new Set(opened.map((o) => o.approval.id)).size).toBe(1);
    expect(opened.filter((o) => o.created)).toHaveLength(1);
    expect((await book.open({ ...call, policyVersion: 'v2' })).approval.id).not.toBe(opened[0]!.approval.id);
    expect((await book.open(request())).approval.id).not.toBe(opened[0]!.approval.id);
  });

  it('keeps the arguments, their hash and only a redacted copy for display', async () => {
    const call = request();
    const { approval } = await book.open(call);
    expect(approval).toMatchObject({ status: 'pending', args: call.args, argsHash: call.argsHash });
    expect(JSON.stringify(approval.argsRedacted)).not.toContain('CANARY');
    const rows = await audit.drain().then(() => audit.query({ limit: 10_000 }));
    expect(JSON.stringify(rows)).not.toContain('ghp_CANARYbook');
  });

  it('decides once: a second decision, an unknown id and a lapsed record are refused', async () => {
    const { approval } = await book.open(request());
    await book.decide(approval.id, 'denied', 'admin', 'no');
    await expect(book.decide(approval.id, 'approved', 'admin')).rejects.toMatchObject({
      code: 'approval.not_pending',
    });
    await expect(book.decide('apr_nope', 'approved', 'admin')).rejects.toMatchObject({
      code: 'approval.not_found',
    });
    const short = await book.open(request({ timeoutMs: 1 }));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await expect(book.decide(short.approval.id, 'approved', 'admin')).rejects.toMatchObject({
      code: 'approval.expired',
    });
    expect(await trail(short.approval.id)).toEqual(['approval_pending', 'approval_expired']);
  });

  it('claims an approval once, for exactly its call; everything else is refused and audited', async () => {
    const call = request();
    const { approval } = await book.open(call);
    await expect(book.claim(approval.id, call)).rejects.toMatchObject({ code: 'approval.pending' });
    await book.decide(approval.id, 'approved', 'admin');
    await expect(book.claim(approval.id, { ...call, agent: 'mallory' })).rejects.toMatchObject({
      code: 'approval.refused',
      message: expect.stringContaining('belongs to another agent'),
    });
    await expect(
      book.claim(approval.id, { ...call, argsHash: argsHash({ other: 1 }) }),
    ).rejects.toMatchObject({
      message: expect.stringContaining('the arguments differ'),
    });
    const claims = await Promise.allSettled(Array.from({ length: 50 }, () => book.claim(approval.id, call)));
    expect(claims.filter((c) => c.status === 'fulfilled')).toHaveLength(1);
    expect(await trail(approval.id)).toEqual([
      'approval_pending',
      'approval_approved',
      'approval_refused',
      'approval_refused',
      'approval_used',
      ...Array(49).fill('approval_refused'),
    ]);
    // A new identical call gets a new record: the used one can never run again.
    expect((await book.open(call)).approval.id).not.toBe(approval.id);
  });

  it('lets one agent have at most MAX_PENDING_PER_AGENT calls waiting; others and decided ones do not count', async () => {
    const agent = `flooder-${backend.name}`;
    const asked = Array.from({ length: MAX_PENDING_PER_AGENT }, () => request({ agent }));
    const opened = [];
    for (const call of asked) opened.push((await book.open(call)).approval);
    const over = request({ agent });
    await expect(book.open(over)).rejects.toMatchObject({
      code: 'approval.refused',
      message: expect.stringContaining(`${agent} already has ${MAX_PENDING_PER_AGENT} calls waiting`),
    });
    await audit.drain();
    const refused = (await audit.query({ limit: 10_000 })).filter(
      (row) => row.agent === agent && row.decision === 'approval_refused',
    );
    expect(refused.map((row) => row.argsHash)).toEqual([over.argsHash]);
    // A call already waiting is still joined; another agent is not held back.
    expect((await book.open(asked[0]!)).approval.id).toBe(opened[0]!.id);
    expect((await book.open(request({ agent: `other-${backend.name}` }))).created).toBe(true);
    // A decision makes room.
    await book.decide(opened[1]!.id, 'denied', 'admin');
    expect((await book.open(over)).created).toBe(true);
    for (const approval of opened)
      await book.decideIfPending(approval.id, 'cancelled', 'test', 'cleanup').catch(() => undefined);
  });

  it('refuses an approval under another policy version, and cancels it', async () => {
    const call = request();
    const { approval } = await book.open(call);
    await book.decide(approval.id, 'approved', 'admin');
    await expect(book.claim(approval.id, { ...call, policyVersion: 'v9' })).rejects.toMatchObject({
      message: expect.stringContaining('the policy changed'),
    });
    expect((await book.get(approval.id))?.status).toBe('cancelled');
    await expect(book.claim(approval.id, call)).rejects.toMatchObject({ code: 'approval.denied' });
  });

  it('gives an approved record as long to be used as it had to be decided, counted from the decision', async () => {
    const { approval } = await book.open(request({ timeoutMs: 60_000 }));
    const decided = await book.decide(approval.id, 'approved', 'admin');
    const window = Date.parse(decided.expiresAt) - Date.parse(decided.decidedAt!);
    expect(window).toBe(60_000);
  });

  it('wakes a waiter when its record changes', async () => {
    const signals = await ApprovalSignals.start(t.store);
    const waking = new ApprovalBook(t.store, audit, signals.notify);
    const { approval } = await waking.open(request());
    const waited = signals.wait(approval.id, 120_000);
    await waking.decide(approval.id, 'approved', 'admin');
    await waited; // would hang past the test timeout if nothing woke it
    await signals.close();
  });
});

describe.skipIf(!POSTGRES_URL)(`two daemons on one PostgreSQL (skipped: ${POSTGRES_SKIP_REASON})`, () => {
  let t: TestStore;
  let other: Store;
  beforeAll(async () => {
    t = await POSTGRES_BACKEND.fresh();
    other = await t.reopen();
  });
  afterAll(async () => t.dispose());

  it('a decision on one wakes a waiter on the other, and only one of them executes', async () => {
    const auditA = new AuditLog(t.store);
    const auditB = new AuditLog(other);
    const signalsA = await ApprovalSignals.start(t.store);
    const signalsB = await ApprovalSignals.start(other);
    const a = new ApprovalBook(t.store, auditA, signalsA.notify);
    const b = new ApprovalBook(other, auditB, signalsB.notify);
    const call = request();
    const [fromA, fromB] = await Promise.all([a.open(call), b.open(call)]);
    expect(fromA.approval.id).toBe(fromB.approval.id);
    const id = fromA.approval.id;

    const wokenOnA = signalsA.wait(id, 120_000);
    await b.decide(id, 'approved', 'admin on B');
    await wokenOnA; // LISTEN/NOTIFY crossed from B's connection to A's

    const claims = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).claim(id, call)),
    );
    expect(claims.filter((c) => c.status === 'fulfilled')).toHaveLength(1);
    await Promise.all([auditA.drain(), auditB.drain()]);
    expect((await auditA.verify()).ok).toBe(true);
    await Promise.all([signalsA.close(), signalsB.close()]);
  });
});

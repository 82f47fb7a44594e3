/**
 * Approval records and their one-way life: pending → approved | denied | expired | cancelled,
 * and approved → used (or expired). Every transition is a single conditional UPDATE, so two
 * daemons racing on one record cannot both win, and every transition is an audit row. Why a
 * record may not serve a call is the rule's to say (`approval-rule.ts`), not the book's.
 */
import { randomBytes } from 'node:crypto';
import { type Selectable, sql } from 'kysely';
import { type AuditDecision, type AuditLog, canonicalJson, argsHash as hashOf } from '../audit/index.js';
import { isKeygateError, KeygateError } from '../errors/index.js';
import type { ApprovalsTable, Store } from '../store/index.js';
import type { Approval, ApprovalRequest, ApprovalStatus, CallIdentity, Verdict } from './approval.js';
import { noApproval, POLICY_CHANGED, type Refusal, useVerdict } from './approval-rule.js';

/** Told after every change to a record, so waiters (here or on another daemon) look again. */
export type ChangeNotifier = (id: string) => Promise<void>;

const OPEN: ApprovalStatus[] = ['pending', 'approved'];
/**
 * Calls one agent may have waiting for a human at once. An agent looping on writes would
 * otherwise bury the approvals an administrator has to read; a soft cap (concurrent requests
 * may pass it by the number in flight), since it guards attention, not a resource.
 */
export const MAX_PENDING_PER_AGENT = 20;

function newId(): string {
  return `apr_${randomBytes(9).toString('base64url')}`;
}

function iso(value: Date | string): string {
  return new Date(value).toISOString();
}

function fromRow(row: Selectable<ApprovalsTable>): Approval {
  return {
    id: row.id,
    agent: row.agent,
    tokenId: row.token_id,
    tool: row.tool,
    args: row.args_canonical as Record<string, unknown>,
    argsHash: row.args_hash,
    argsRedacted: row.args_redacted,
    policyVersion: row.policy_version,
    status: row.status as ApprovalStatus,
    createdAt: iso(row.created_at),
    expiresAt: iso(row.expires_at),
    decidedAt: row.decided_at ? iso(row.decided_at) : null,
    decidedBy: row.decided_by,
    reason: row.reason,
    usedAt: row.used_at ? iso(row.used_at) : null,
    notice: row.notice ?? null,
  };
}

export class ApprovalBook {
  constructor(
    private readonly store: Store,
    private readonly audit: AuditLog,
    private readonly notify: ChangeNotifier = async () => undefined,
  ) {}

  /**
   * The open approval for exactly this call, or a new pending one. Identical calls share one
   * record (a unique index keeps it so across daemons), so one decision settles them all.
   */
  async open(request: ApprovalRequest): Promise<{ approval: Approval; created: boolean }> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const existing = await this.findOpen(request);
      if (existing) {
        if (Date.parse(existing.expiresAt) > Date.now()) return { approval: existing, created: false };
        await this.expire(existing);
        continue;
      }
      const now = new Date();
      const waiting = await this.pendingCount(request.agent, now);
      if (waiting >= MAX_PENDING_PER_AGENT)
        throw await this.refuse(
          request,
          undefined,
          `${request.agent} already has ${waiting} calls waiting for a human (at most ${MAX_PENDING_PER_AGENT}); ask again once some are decided`,
        );
      const inserted = await this.store.db
        .insertInto('approvals')
        .values({
          id: newId(),
          agent: request.agent,
          token_id: request.tokenId,
          tool: request.tool,
          args_canonical: canonicalJson(request.args),
          args_hash: request.argsHash,
          args_redacted: JSON.stringify(request.argsRedacted),
          policy_version: request.policyVersion,
          status: 'pending',
          created_at: now,
          expires_at: new Date(now.getTime() + request.timeoutMs),
          notice: request.notice ?? null,
        })
        .onConflict((conflict) => conflict.doNothing())
        .returningAll()
        .executeTakeFirst();
      if (inserted) {
        const approval = fromRow(inserted);
        await this.record(approval, 'approval_pending', `waiting for a human until ${approval.expiresAt}`);
        // Open dashboards show a new approval at once, on whichever daemon they are connected to.
        await this.notify(approval.id).catch(() => undefined);
        return { approval, created: true };
      }
    }
    throw new KeygateError('internal', 'could not open an approval record');
  }

  /** How many of `agent`'s records wait for a decision and have not lapsed. */
  private async pendingCount(agent: string, now: Date): Promise<number> {
    const row = await this.store.db
      .selectFrom('approvals')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('agent', '=', agent)
      .where('status', '=', 'pending')
      .where('expires_at', '>', now)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /**
   * Cancels the open records of this same call made under another policy version: they can
   * never run now. Returns them as they were, so the caller can tell an approved one apart.
   */
  async retireStale(call: CallIdentity): Promise<Approval[]> {
    const stale = await this.openRecordsOf(call).where('policy_version', '!=', call.policyVersion).execute();
    const retired: Approval[] = [];
    for (const row of stale) {
      const approval = fromRow(row);
      if (await this.cancel(approval, POLICY_CHANGED)) retired.push(approval);
    }
    return retired;
  }

  /** The record, with a lapsed one marked expired first. */
  async get(id: string): Promise<Approval | undefined> {
    const row = await this.store.db
      .selectFrom('approvals')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) return undefined;
    const approval = fromRow(row);
    return this.isLapsed(approval) ? ((await this.expire(approval)) ?? (await this.get(id))) : approval;
  }

  /**
   * Records by status (default: pending; `decided`: every other), oldest first unless asked
   * otherwise; lapsed ones are expired on the way.
   */
  async list(
    options: {
      status?: ApprovalStatus | 'all' | 'decided';
      agent?: string;
      limit?: number;
      newestFirst?: boolean;
    } = {},
  ): Promise<Approval[]> {
    await this.expireDue();
    let query = this.store.db
      .selectFrom('approvals')
      .selectAll()
      .orderBy('created_at', options.newestFirst ? 'desc' : 'asc')
      .limit(options.limit ?? 500);
    const status = options.status ?? 'pending';
    if (status === 'decided') query = query.where('status', '!=', 'pending');
    else if (status !== 'all') query = query.where('status', '=', status);
    if (options.agent) query = query.where('agent', '=', options.agent);
    return (await query.execute()).map(fromRow);
  }

  /** A human's decision on a pending record. Refused unless it is pending and unexpired. */
  async decide(id: string, verdict: Verdict, by: string, reason?: string): Promise<Approval> {
    const now = new Date();
    const row = await this.store.db
      .updateTable('approvals')
      .set({
        status: verdict,
        decided_at: now,
        decided_by: by,
        reason: reason ?? null,
        // An approval stays usable for as long as it was open for a decision, counted from the
        // decision: an agent that retries a minute later still finds it.
        ...(verdict === 'approved'
          ? { expires_at: sql<Date>`${now}::timestamptz + (expires_at - created_at)` }
          : {}),
      })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .where('expires_at', '>', now)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw await this.whyNotPending(id);
    const approval = fromRow(row);
    const words = { approved: 'approved', denied: 'denied', cancelled: 'cancelled' }[verdict];
    await this.record(approval, `approval_${verdict}`, `${words} by ${by}${reason ? `: ${reason}` : ''}`);
    await this.notify(id).catch(() => undefined);
    return approval;
  }

  /**
   * Like `decide`, but a record someone else decided first is returned as it stands instead of
   * refused: a late answer from a client then meets the record's real state.
   */
  async decideIfPending(id: string, verdict: Verdict, by: string, reason?: string): Promise<Approval> {
    try {
      return await this.decide(id, verdict, by, reason);
    } catch (error) {
      const current =
        isKeygateError(error) && error.code !== 'approval.not_found' ? await this.get(id) : undefined;
      if (current) return current;
      throw error;
    }
  }

  /**
   * Takes an approved record for execution: succeeds once, for exactly the call it was asked
   * for, under the policy it was asked under. Anything else is refused with the reason, audited.
   */
  async claim(id: string, call: CallIdentity): Promise<Approval> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const used = await this.markUsed(id, call);
      if (used) return used;
      // The statement only says "not this one"; the rule says why, from the record as it is now.
      const current = await this.get(id);
      const verdict = useVerdict(id, current, call);
      if (verdict.kind === 'stop') throw verdict.error;
      if (verdict.kind === 'refuse') throw await this.refuseUse(call, id, verdict.refusal, current);
      // Usable now: it was approved between the statement and the read. One more try.
    }
    throw new KeygateError('internal', `approval ${id} could not be claimed`);
  }

  /** approved → used, in one statement that also matches the call; `undefined` if it did not. */
  private async markUsed(id: string, call: CallIdentity): Promise<Approval | undefined> {
    const now = new Date();
    const row = await this.store.db
      .updateTable('approvals')
      .set({ status: 'used', used_at: now })
      .where('id', '=', id)
      .where('status', '=', 'approved')
      .where('agent', '=', call.agent)
      .where('tool', '=', call.tool)
      .where('args_hash', '=', call.argsHash)
      .where('policy_version', '=', call.policyVersion)
      .where('expires_at', '>', now)
      .returningAll()
      .executeTakeFirst();
    if (!row) return undefined;
    const approval = fromRow(row);
    // What runs is what was stored; if storage changed it, nothing runs.
    if (hashOf(approval.args) !== approval.argsHash) {
      await this.record(approval, 'approval_refused', 'the stored arguments no longer match their hash');
      throw new KeygateError('approval.refused', `approval ${id} is damaged: the call was not made`);
    }
    await this.record(approval, 'approval_used', `executing the approved call for ${call.agent}`);
    await this.notify(id).catch(() => undefined);
    return approval;
  }

  /**
   * Audits a refused use of approval `id` and returns the error to stop with; a record that can
   * never run now (`refusal.retire`) is cancelled first, if it is still open.
   */
  async refuseUse(
    call: CallIdentity & { argsRedacted?: unknown },
    id: string,
    refusal: Refusal,
    approval?: Approval,
  ): Promise<KeygateError> {
    if (refusal.retire && approval) await this.cancel(approval, POLICY_CHANGED);
    return this.refuse(call, id, refusal.reason);
  }

  /** Writes the audit row of a refused attempt (tampering, replay, mismatch). */
  async refuse(
    call: CallIdentity & { argsRedacted?: unknown },
    approvalId: string | undefined,
    reason: string,
  ) {
    await this.audit.record({
      agent: call.agent,
      tokenId: call.tokenId,
      tool: call.tool,
      argsHash: call.argsHash,
      ...(call.argsRedacted === undefined ? {} : { argsRedacted: call.argsRedacted }),
      policyVersion: call.policyVersion,
      decision: 'approval_refused',
      reason,
      ...(approvalId ? { approvalId } : {}),
    });
    return new KeygateError('approval.refused', `${reason}: the call was not made`, {
      ...(approvalId ? { details: { approvalId } } : {}),
    });
  }

  /** Marks every lapsed open record expired; returns how many. */
  async expireDue(): Promise<number> {
    const lapsed = await this.store.db
      .selectFrom('approvals')
      .selectAll()
      .where('status', 'in', OPEN)
      .where('expires_at', '<=', new Date())
      .limit(1000)
      .execute();
    let count = 0;
    for (const row of lapsed) if (await this.expire(fromRow(row))) count++;
    return count;
  }

  private async findOpen(call: CallIdentity): Promise<Approval | undefined> {
    const row = await this.openRecordsOf(call)
      .where('policy_version', '=', call.policyVersion)
      .executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  /** The open records of this agent's calls of this tool with these arguments, any policy. */
  private openRecordsOf(call: CallIdentity) {
    return this.store.db
      .selectFrom('approvals')
      .selectAll()
      .where('agent', '=', call.agent)
      .where('tool', '=', call.tool)
      .where('args_hash', '=', call.argsHash)
      .where('status', 'in', OPEN);
  }

  private isLapsed(approval: Approval): boolean {
    return OPEN.includes(approval.status) && Date.parse(approval.expiresAt) <= Date.now();
  }

  /** Marks one lapsed record expired (once, whoever gets there first). */
  private async expire(approval: Approval): Promise<Approval | undefined> {
    const row = await this.store.db
      .updateTable('approvals')
      .set({ status: 'expired' })
      .where('id', '=', approval.id)
      .where('status', 'in', OPEN)
      .where('expires_at', '<=', new Date())
      .returningAll()
      .executeTakeFirst();
    if (!row) return undefined;
    const expired = fromRow(row);
    await this.record(
      expired,
      'approval_expired',
      approval.status === 'approved' ? 'approved but not used in time' : 'no decision in time',
    );
    await this.notify(approval.id).catch(() => undefined);
    return expired;
  }

  private async whyNotPending(id: string): Promise<KeygateError> {
    const approval = await this.get(id);
    if (!approval) return new KeygateError('approval.not_found', noApproval(id));
    if (approval.status === 'expired')
      return new KeygateError('approval.expired', `approval ${id} expired at ${approval.expiresAt}`);
    return new KeygateError('approval.not_pending', `approval ${id} is already ${approval.status}`, {
      details: { status: approval.status },
    });
  }

  /** Cancels an open record (e.g. the policy it was asked under is gone). */
  async cancel(approval: Approval, reason: string): Promise<boolean> {
    const row = await this.store.db
      .updateTable('approvals')
      .set({ status: 'cancelled', reason })
      .where('id', '=', approval.id)
      .where('status', 'in', OPEN)
      .returningAll()
      .executeTakeFirst();
    if (row) {
      await this.record(fromRow(row), 'approval_cancelled', reason);
      await this.notify(approval.id).catch(() => undefined);
    }
    return row !== undefined;
  }

  private async record(approval: Approval, decision: AuditDecision, reason: string): Promise<void> {
    await this.audit.record({
      agent: approval.agent,
      tokenId: approval.tokenId,
      tool: approval.tool,
      argsRedacted: approval.argsRedacted,
      argsHash: approval.argsHash,
      policyVersion: approval.policyVersion,
      approvalId: approval.id,
      decision,
      reason,
    });
  }
}

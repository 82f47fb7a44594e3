/**
 * The audit log: one row per decision, chained by hash so an edited or deleted row shows. Rows
 * are appended in small batches (group commit): each caller waits until its row is committed,
 * which is what lets the pipeline refuse to call upstream when its intent row cannot be written.
 */
import { randomUUID } from 'node:crypto';
import { type Selectable, sql } from 'kysely';
import { KeygateError } from '../errors/index.js';
import type { AuditEventsTable, Store } from '../store/index.js';
import { ATTR, inSpan, SPAN } from '../telemetry/index.js';
import { canonicalJson, sha256Hex } from './canonical.js';

/** What happened, as the pipeline reports it. */
export type AuditDecision =
  | 'allowed'
  | 'denied'
  | 'rate_limited'
  | 'approval_pending'
  | 'approval_approved'
  | 'approval_denied'
  | 'approval_expired'
  | 'approval_cancelled'
  | 'approval_used'
  | 'approval_refused'
  | 'completed'
  | 'failed';

export interface AuditEvent {
  readonly agent?: string;
  readonly tokenId?: string;
  readonly tool?: string;
  readonly route?: string;
  readonly argsRedacted?: unknown;
  readonly argsHash?: string;
  readonly decision: AuditDecision;
  readonly reason?: string;
  readonly upstreamStatus?: number;
  readonly latencyMs?: number;
  readonly bytes?: number;
  readonly approvalId?: string;
  readonly policyVersion?: string;
  /** The kind and narrowed scope of the credential an outcome used (never a value). */
  readonly credential?: { readonly kind: string; readonly scope?: Readonly<Record<string, unknown>> };
}

/** A stored row, as queries return it. */
export interface AuditRecord {
  readonly seq: number;
  readonly id: string;
  readonly at: string;
  readonly agent: string | null;
  readonly tokenId: string | null;
  readonly tool: string | null;
  readonly route: string | null;
  readonly args: unknown;
  readonly argsHash: string | null;
  readonly decision: string;
  readonly reason: string | null;
  readonly upstreamStatus: number | null;
  readonly latencyMs: number | null;
  readonly bytes: number | null;
  readonly approvalId: string | null;
  readonly policyVersion: string | null;
  /** The credential's kind and narrowed scope (`{kind, scope}`), on outcome rows of calls that used one. */
  readonly credential: unknown;
  readonly prevHash: string | null;
  readonly hash: string;
}

export interface AuditQuery {
  readonly agent?: string;
  readonly tool?: string;
  readonly sinceMs?: number;
  readonly limit?: number;
}

/** A page of the chain, newest first: rows below `beforeSeq` that match every filter given. */
export interface AuditPageQuery {
  readonly agent?: string;
  readonly tool?: string;
  readonly decision?: string;
  /** Rows at or after this time. */
  readonly from?: Date;
  /** Rows before this time. */
  readonly to?: Date;
  /** The cursor: rows with a smaller seq than this (the last row of the page before). */
  readonly beforeSeq?: number;
  readonly limit: number;
}

/** How far daemons' clocks may disagree for a time filter to stay exact (see lastSeqBefore). */
const CLOCK_SKEW_MS = 3_600_000;

/** How many rows verification reads at a time: a million-row chain never sits in memory. */
const VERIFY_BATCH = 5000;

type Row = Omit<Selectable<AuditEventsTable>, 'seq'>;
interface Pending {
  row: Omit<Row, 'prev_hash' | 'hash'>;
  resolve: (id: string) => void;
  reject: (error: unknown) => void;
}

const BATCH = 256;
/** The longest a row recorded with `recordLater` waits for company before it is flushed alone. */
const LATER_MS = 10;

/**
 * The fields a row's hash covers, in a fixed form. `credential` (migration 0008) is covered only
 * when set, so rows written before it existed hash as they did.
 */
function hashOf(prevHash: string, row: Omit<Row, 'prev_hash' | 'hash'>): string {
  const { credential, ...rest } = row;
  const covered = credential === null || credential === undefined ? rest : { ...rest, credential };
  return sha256Hex(`${prevHash}\n${canonicalJson({ ...covered, at: new Date(row.at).toISOString() })}`);
}

export class AuditLog {
  private queue: Pending[] = [];
  private flushing = false;
  private laterTimer: NodeJS.Timeout | undefined;
  /** The chain head as this process last wrote or read it. */
  private head: { seq: number; hash: string } | undefined;

  constructor(private readonly store: Store) {}

  /** Appends one row; resolves with its id once committed, rejects with `audit.unavailable`. */
  record(event: AuditEvent): Promise<string> {
    return auditSpan(event, () => {
      const committed = this.enqueue(event);
      this.schedule();
      return committed;
    });
  }

  /**
   * Appends a row nobody waits on (a call's outcome): it rides with the next flush, which a
   * waiting row will start soon enough, or is flushed within LATER_MS. Its place in the chain is
   * fixed now, in the order rows were recorded.
   */
  recordLater(event: AuditEvent): Promise<string> {
    return auditSpan(event, () => this.enqueueLater(event));
  }

  private enqueueLater(event: AuditEvent): Promise<string> {
    const committed = this.enqueue(event);
    if (!this.flushing && !this.laterTimer) {
      this.laterTimer = setTimeout(() => {
        this.laterTimer = undefined;
        this.schedule();
      }, LATER_MS);
    }
    return committed;
  }

  private enqueue(event: AuditEvent): Promise<string> {
    const row = {
      id: randomUUID(),
      at: new Date(),
      agent: event.agent ?? null,
      token_id: event.tokenId ?? null,
      tool: event.tool ?? null,
      route: event.route ?? null,
      args_redacted: event.argsRedacted === undefined ? null : (event.argsRedacted as never),
      args_hash: event.argsHash ?? null,
      decision: event.decision,
      reason: event.reason ?? null,
      upstream_status: event.upstreamStatus ?? null,
      latency_ms: event.latencyMs === undefined ? null : Math.round(event.latencyMs),
      bytes: event.bytes ?? null,
      approval_id: event.approvalId ?? null,
      policy_version: event.policyVersion ?? null,
      // Canonical JSON text: the hash covers exactly the stored string.
      credential: event.credential === undefined ? null : canonicalJson(event.credential),
    };
    return new Promise((resolve, reject) => {
      this.queue.push({ row, resolve, reject });
    });
  }

  /** Resolves once every row queued so far is committed (or has failed). */
  async drain(): Promise<void> {
    if (this.queue.length > 0) this.schedule();
    while (this.flushing || this.queue.length > 0) await new Promise((resolve) => setTimeout(resolve, 5));
  }

  /**
   * Starts a flush unless one runs; the running one takes whatever is queued meanwhile. The
   * flush starts after the current turn of the event loop: every request that arrived in the
   * same turn has queued its row by then, so they share one statement. (PGlite runs a statement
   * on this thread, so without the wait nothing could queue during one and every batch would
   * hold a single row.)
   */
  private schedule(): void {
    if (this.laterTimer) {
      clearTimeout(this.laterTimer);
      this.laterTimer = undefined;
    }
    if (this.flushing) return;
    this.flushing = true;
    setImmediate(() => {
      void this.flush().finally(() => {
        this.flushing = false;
        if (this.queue.length > 0) this.schedule();
      });
    });
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, BATCH);
      try {
        await this.append(batch.map(({ row }) => row));
        for (const { row, resolve } of batch) resolve(row.id);
      } catch (cause) {
        this.head = undefined;
        const error = new KeygateError('audit.unavailable', 'the audit log could not be written', { cause });
        for (const { reject } of batch) reject(error);
      }
    }
  }

  /**
   * Appends rows in one statement (`keygate_audit_append`, migration 0004): the head of the chain
   * moves from the hash this process last saw to the new one, and the rows are inserted only if
   * it did. Another daemon appending first makes the move fail; the head is then read again and
   * the chain recomputed.
   */
  private async append(rows: Omit<Row, 'prev_hash' | 'hash'>[]): Promise<void> {
    for (let attempt = 0; attempt < 20; attempt++) {
      this.head ??= await this.readHead();
      const from = this.head;
      let prev = from.hash;
      const chained = rows.map((row) => {
        const hash = hashOf(prev, row);
        const linked = { ...row, prev_hash: prev, hash };
        prev = hash;
        return linked;
      });
      const to = { seq: from.seq + rows.length, hash: prev };
      const result = await sql<{ inserted: number }>`
        select keygate_audit_append(${from.hash}, ${to.seq}, ${to.hash}, ${JSON.stringify(chained)}::jsonb) as inserted`.execute(
        this.store.db,
      );
      if (Number(result.rows[0]?.inserted ?? 0) === rows.length) {
        this.head = to;
        return;
      }
      this.head = undefined; // another daemon appended first
    }
    throw new Error('the audit chain head kept moving');
  }

  private async readHead(): Promise<{ seq: number; hash: string }> {
    const head = await this.store.db
      .selectFrom('audit_head')
      .selectAll()
      .where('id', '=', 1)
      .executeTakeFirstOrThrow();
    return { seq: Number(head.seq), hash: head.hash };
  }

  /** Rows matching `query`, newest last. */
  async query(query: AuditQuery = {}): Promise<AuditRecord[]> {
    let select = this.store.db.selectFrom('audit_events').selectAll();
    if (query.agent) select = select.where('agent', '=', query.agent);
    if (query.tool) select = select.where('tool', '=', query.tool);
    if (query.sinceMs !== undefined) select = select.where('at', '>=', new Date(Date.now() - query.sinceMs));
    const rows = await select
      .orderBy('seq', 'desc')
      .limit(query.limit ?? 100)
      .execute();
    return rows.reverse().map(recordOf);
  }

  /**
   * Recomputes the chain: every row must carry the previous row's hash and its own content's
   * hash, and the last one must be the recorded head.
   */
  async verify(): Promise<{ ok: boolean; rows: number; problem?: string; badSeq?: number }> {
    // The head first, then as many rows as it counts, in chain order: a row another daemon
    // appends meanwhile comes after them (the head moves in the transaction that inserts it),
    // so it is not taken for a gap. (The head counts rows; seq values may skip numbers.) No
    // transaction holds the store while a long chain is hashed: on PGlite that would hold every
    // call's audit write until the check ends.
    const head = await this.store.db.selectFrom('audit_head').selectAll().executeTakeFirstOrThrow();
    let prev = '0'.repeat(64);
    let count = 0;
    let after = 0;
    for (;;) {
      const rows = await this.store.db
        .selectFrom('audit_events')
        .selectAll()
        .where('seq', '>', String(after))
        .orderBy('seq')
        .limit(Math.min(VERIFY_BATCH, Number(head.seq) - count))
        .execute();
      for (const row of rows) {
        const { seq, prev_hash, hash, ...content } = row;
        const args = content.args_redacted === null ? null : (content.args_redacted as never);
        count++;
        if (prev_hash !== prev)
          return {
            ok: false,
            rows: count,
            badSeq: Number(seq),
            problem: `row ${seq} does not follow the row before it (a row was removed or reordered)`,
          };
        if (hashOf(prev, { ...content, args_redacted: args }) !== hash)
          return {
            ok: false,
            rows: count,
            badSeq: Number(seq),
            problem: `row ${seq} was changed after it was written`,
          };
        prev = hash;
      }
      if (rows.length === 0 || count >= Number(head.seq)) break;
      after = Number(rows[rows.length - 1]!.seq);
    }
    if (prev !== head.hash || count !== Number(head.seq))
      return { ok: false, rows: count, problem: 'the newest rows were removed' };
    return { ok: true, rows: count };
  }

  /** One page of rows, newest first, by seq cursor (never OFFSET: a page costs the same at any depth). */
  async page(query: AuditPageQuery): Promise<AuditRecord[]> {
    let select = this.store.db.selectFrom('audit_events').selectAll();
    if (query.agent) select = select.where('agent', '=', query.agent);
    if (query.tool) select = select.where('tool', '=', query.tool);
    if (query.decision) select = select.where('decision', '=', query.decision);
    if (query.from) select = select.where('at', '>=', query.from);
    if (query.to) {
      const last = await this.lastSeqBefore(query.to);
      if (last === undefined) return [];
      // Compared as an expression the time index cannot serve: the planner would otherwise read
      // every row dated before `to` through it and sort them, where walking back from `last`
      // by seq reads about a page.
      select = select
        .where(sql<Date>`at at time zone 'UTC'`, '<', sql<Date>`${query.to}::timestamptz at time zone 'UTC'`)
        .where('seq', '<=', String(last));
    }
    if (query.beforeSeq !== undefined) select = select.where('seq', '<', String(query.beforeSeq));
    const rows = await select.orderBy('seq', 'desc').limit(query.limit).execute();
    return rows.map(recordOf);
  }

  /**
   * The newest row (by seq) dated before `to`, found through the time index. Read newest first
   * by seq alone, rows dated before a time deep in the chain would be reached only after every
   * row since (half a second at a million rows). Rows go into the chain in the order they are
   * dated, but with several daemons their clocks can disagree: the newest seq is taken from the
   * hour before `to`, so a row dated up to an hour out of order is still found.
   */
  private async lastSeqBefore(to: Date): Promise<number | undefined> {
    // Read through the time index (`offset 0` keeps the planner from folding the inner query
    // into a walk back along seq, which would pass every row since `to`).
    const inHour = await sql<{ seq: string | null }>`
      select max(seq) as seq from (
        select seq from audit_events
        where at < ${to} and at >= ${new Date(to.getTime() - CLOCK_SKEW_MS)} offset 0
      ) as hour`
      .execute(this.store.db)
      .then((result) => result.rows[0]);
    if (inHour?.seq !== null && inHour?.seq !== undefined) return Number(inHour.seq);
    const newest = await this.store.db
      .selectFrom('audit_events')
      .select('seq')
      .where('at', '<', to)
      .orderBy('at', 'desc')
      .limit(1)
      .executeTakeFirst();
    return newest ? Number(newest.seq) : undefined;
  }

  /** The row numbered `seq`, if there is one. */
  async get(seq: number): Promise<AuditRecord | undefined> {
    const row = await this.store.db
      .selectFrom('audit_events')
      .selectAll()
      .where('seq', '=', String(seq))
      .executeTakeFirst();
    return row ? recordOf(row) : undefined;
  }
}

function recordOf(row: Selectable<AuditEventsTable>): AuditRecord {
  return {
    seq: Number(row.seq),
    id: row.id,
    at: new Date(row.at).toISOString(),
    agent: row.agent,
    tokenId: row.token_id,
    tool: row.tool,
    route: row.route,
    args: row.args_redacted,
    argsHash: row.args_hash,
    decision: row.decision,
    reason: row.reason,
    upstreamStatus: row.upstream_status,
    latencyMs: row.latency_ms,
    bytes: row.bytes,
    approvalId: row.approval_id,
    policyVersion: row.policy_version,
    credential: row.credential === null ? null : JSON.parse(row.credential),
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/**
 * Appends `event` in a span of its own (a call's intent row and its outcome row each get one),
 * named by what the row records; the span ends when the row is committed.
 */
function auditSpan(event: AuditEvent, append: () => Promise<string>): Promise<string> {
  return inSpan(SPAN.AUDIT, { attributes: { [ATTR.AUDIT_DECISION]: event.decision } }, append);
}

/**
 * Spend budgets' holds in the store. A call's amount is reserved in ONE transaction that reads
 * what is left of every budget it counts against and inserts its holds, under one advisory lock
 * per (agent, rule, currency): calls racing for the same budget, in one daemon or in several
 * sharing PostgreSQL, are counted one after the other and never overshoot. A hold is claimed
 * when its call goes upstream, then settled with the amount that moved, or released.
 */
import { randomUUID } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import type { BudgetPeriod } from '../policy/index.js';
import type { Database, Store } from '../store/index.js';
import type { CallAmount } from './amount-resolver.js';
import { periodEnd, periodStart } from './budget-period.js';
import type { AgentBudget } from './budget-rules.js';

/** What one reservation asks for. */
export interface HoldRequest extends CallAmount {
  readonly agent: string;
  readonly tool: string;
  /** Agent, tool, arguments hash and policy version: the identity a re-entry of this call shares. */
  readonly callKey: string;
  readonly budgets: readonly AgentBudget[];
  /** How long the hold counts without being settled or released. */
  readonly ttlMs: number;
  /** Reuse this call's open (held, unclaimed) hold if it has one: a re-entry after an approval. */
  readonly reuse: boolean;
}

/** A reservation made: `rows` holds in the store (per-call budgets keep none). */
export interface Hold {
  readonly id: string;
  readonly rows: number;
  readonly reused: boolean;
}

export type Reservation =
  | { readonly ok: true; readonly hold: Hold }
  | { readonly ok: false; readonly budget: AgentBudget; readonly left: number };

/** One budget's state in its current period, as `keygate budgets` shows it. */
export interface BudgetUsage {
  readonly currency: string;
  /** Minor units settled in the period. */
  readonly used: number;
  /** Minor units held by calls not settled yet. */
  readonly reserved: number;
  readonly periodStart: number;
  readonly periodEnd?: number;
}

export class BudgetLedger {
  constructor(
    private readonly store: Store,
    /** The clock periods and expiries are read from (tests move it across boundaries). */
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Reserves `request.amount` against every budget, or names the first one it would exceed. */
  async reserve(request: HoldRequest): Promise<Reservation> {
    const now = this.now();
    return this.store.db.transaction().execute(async (trx) => {
      if (request.reuse) {
        const open = await trx
          .selectFrom('budget_holds')
          .select(['hold_id', sql<number>`count(*)`.as('rows')])
          .where('call_key', '=', request.callKey)
          .where('state', '=', 'held')
          .where('expires_at', '>', now)
          .groupBy('hold_id')
          .executeTakeFirst();
        if (open) {
          // Reused only while it still covers the call: an amount read again on re-entry (a
          // payment intent updated meanwhile) that grew, or changed currency, reserves anew.
          const covering = await trx
            .selectFrom('budget_holds')
            .select('hold_id')
            .where('hold_id', '=', open.hold_id)
            .where('currency', '=', request.currency)
            .where('amount', '>=', String(request.amount))
            .executeTakeFirst();
          if (covering)
            return { ok: true, hold: { id: open.hold_id, rows: Number(open.rows), reused: true } };
          await trx
            .updateTable('budget_holds')
            .set({ state: 'released' })
            .where('hold_id', '=', open.hold_id)
            .where('state', '=', 'held')
            .execute();
        }
      }
      // The per-call limits need no store; the others are locked in one order, so two calls
      // counting against the same two budgets cannot wait on each other.
      for (const budget of request.budgets.filter((b) => b.rule.per === 'call'))
        if (request.amount > budget.rule.amount) return { ok: false, budget, left: budget.rule.amount };
      const kept = request.budgets
        .filter((b) => b.rule.per !== 'call')
        .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      for (const budget of kept)
        await sql`select pg_advisory_xact_lock(hashtext(${lockName(request.agent, budget.key, request.currency)}))`.execute(
          trx,
        );
      for (const budget of kept) {
        const start = periodStart(budget.rule.per, now);
        const taken = await this.taken(trx, request.agent, budget.key, request.currency, start, now);
        const left = Math.max(0, budget.rule.amount - taken.used - taken.reserved);
        if (request.amount > left) return { ok: false, budget, left };
      }
      const id = randomUUID();
      if (kept.length > 0)
        await trx
          .insertInto('budget_holds')
          .values(
            kept.map((budget) => ({
              hold_id: id,
              rule_key: budget.key,
              agent: request.agent,
              currency: request.currency,
              period_start: periodStart(budget.rule.per, now),
              amount: request.amount,
              settled_amount: null,
              state: 'held',
              call_key: request.callKey,
              tool: request.tool,
              created_at: now,
              expires_at: new Date(now.getTime() + request.ttlMs),
            })),
          )
          .execute();
      return { ok: true, hold: { id, rows: kept.length, reused: false } };
    });
  }

  /**
   * Claims a held hold for the call about to go upstream (another re-entry of the same call can
   * then neither reuse nor release it). False when it is no longer held.
   */
  async claim(hold: Hold, ttlMs: number): Promise<boolean> {
    if (hold.rows === 0) return true;
    const result = await this.store.db
      .updateTable('budget_holds')
      .set({ state: 'executing', expires_at: new Date(this.now().getTime() + ttlMs) })
      .where('hold_id', '=', hold.id)
      .where('state', '=', 'held')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === hold.rows;
  }

  /** Records what moved (the reserved amount when the answer does not say). */
  async settle(hold: Hold, amount?: number): Promise<void> {
    if (hold.rows === 0) return;
    await this.store.db
      .updateTable('budget_holds')
      .set({
        state: 'settled',
        settled_amount: amount === undefined ? sql<number>`amount` : amount,
      })
      .where('hold_id', '=', hold.id)
      .where('state', 'in', ['held', 'executing'])
      .execute();
  }

  /** Gives the hold back, if it is still in `from` (a claimed hold is its claimer's to end). */
  async release(hold: Hold, from: 'held' | 'executing'): Promise<void> {
    if (hold.rows === 0) return;
    await this.store.db
      .updateTable('budget_holds')
      .set({ state: 'released' })
      .where('hold_id', '=', hold.id)
      .where('state', '=', from)
      .execute();
  }

  /** Use of `budget` by `agent` in its current period, per currency it has seen (or its own). */
  async usage(agent: string, budget: AgentBudget): Promise<BudgetUsage[]> {
    const now = this.now();
    const start = periodStart(budget.rule.per, now);
    const end = periodEnd(budget.rule.per, start);
    const period = { periodStart: start, ...(end === undefined ? {} : { periodEnd: end }) };
    if (budget.rule.per === 'call')
      return [{ currency: budget.rule.currency ?? '*', used: 0, reserved: 0, ...period }];
    const rows = await this.store.db
      .selectFrom('budget_holds')
      .select('currency')
      .distinct()
      .where('agent', '=', agent)
      .where('rule_key', '=', budget.key)
      .where('period_start', '=', String(start))
      .execute();
    const currencies = budget.rule.currency ? [budget.rule.currency] : rows.map((row) => row.currency).sort();
    const out: BudgetUsage[] = [];
    for (const currency of currencies)
      out.push({
        currency,
        ...(await this.taken(this.store.db, agent, budget.key, currency, start, now)),
        ...period,
      });
    return out;
  }

  /** Deletes holds ended (settled, released or expired) before the periods anyone still reads. */
  async prune(olderThanMs = 400 * 86_400_000): Promise<void> {
    const before = new Date(this.now().getTime() - olderThanMs);
    // all_time holds (period 0) are what an all-time budget counts: they are never pruned.
    await this.store.db
      .deleteFrom('budget_holds')
      .where('period_start', '>', '0')
      .where('created_at', '<', before)
      .execute();
  }

  private async taken(
    db: Transaction<Database> | Store['db'],
    agent: string,
    key: string,
    currency: string,
    start: number,
    now: Date,
  ): Promise<{ used: number; reserved: number }> {
    const row = await db
      .selectFrom('budget_holds')
      .select([
        sql<string>`coalesce(sum(case when state = 'settled' then settled_amount else 0 end), 0)`.as('used'),
        sql<string>`coalesce(sum(case when state in ('held', 'executing') and expires_at > ${now} then amount else 0 end), 0)`.as(
          'reserved',
        ),
      ])
      .where('agent', '=', agent)
      .where('rule_key', '=', key)
      .where('currency', '=', currency)
      .where('period_start', '=', String(start))
      .executeTakeFirst();
    return { used: Number(row?.used ?? 0), reserved: Number(row?.reserved ?? 0) };
  }
}

/** The advisory lock of one budget in one currency, for one agent. */
function lockName(agent: string, key: string, currency: string): string {
  return `keygate budget ${agent}|${key}|${currency}`;
}

/** Re-exported for listings: a period's name. */
export type { BudgetPeriod };

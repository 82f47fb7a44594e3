/** The budget ledger on a real store: UTC periods, rollover with an injected clock, holds' lives. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type AgentBudget,
  BudgetLedger,
  periodEnd,
  periodStart,
  ruleKey,
  ruleLabel,
} from '../../src/budgets/index.js';
import type { BudgetRule } from '../../src/policy/index.js';
import { PGLITE_BACKEND, type TestStore } from '../helpers/stores.js';

function budget(rule: BudgetRule): AgentBudget {
  return { rule, index: 0, key: ruleKey(rule), label: ruleLabel(rule) };
}

const at = (iso: string) => new Date(iso);

describe('budget periods', () => {
  it.each([
    ['day', '2026-03-15T23:59:59.999Z', '2026-03-15T00:00:00.000Z', '2026-03-16T00:00:00.000Z'],
    // 2026-03-15 is a Sunday: its ISO week began on Monday the 9th.
    ['week', '2026-03-15T12:00:00.000Z', '2026-03-09T00:00:00.000Z', '2026-03-16T00:00:00.000Z'],
    ['week', '2026-03-16T00:00:00.000Z', '2026-03-16T00:00:00.000Z', '2026-03-23T00:00:00.000Z'],
    ['month', '2026-02-28T23:00:00.000Z', '2026-02-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z'],
    ['month', '2026-12-31T23:59:59.000Z', '2026-12-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z'],
  ] as const)('a %s containing %s runs from %s to %s (UTC)', (per, now, start, end) => {
    const begun = periodStart(per, at(now));
    expect(new Date(begun).toISOString()).toBe(start);
    expect(new Date(periodEnd(per, begun)!).toISOString()).toBe(end);
  });

  it('never rolls all_time over', () => {
    expect(periodStart('all_time', at('2020-01-01T00:00:00Z'))).toBe(
      periodStart('all_time', at('2099-06-01T00:00:00Z')),
    );
    expect(periodEnd('all_time', 0)).toBeUndefined();
  });
});

describe('budget ledger', () => {
  let t: TestStore;
  let now: Date;
  let ledger: BudgetLedger;

  beforeAll(async () => {
    t = await PGLITE_BACKEND.fresh();
    ledger = new BudgetLedger(t.store, () => now);
  });
  afterAll(async () => {
    await t.dispose();
  });
  beforeEach(async () => {
    await t.store.db.deleteFrom('budget_holds').execute();
  });

  let calls = 0;
  async function spend(
    budgets: AgentBudget[],
    amount: number,
    options: { reuse?: boolean; callKey?: string } = {},
  ) {
    const reservation = await ledger.reserve({
      agent: 'bot',
      tool: 'stripe_refund_create',
      amount,
      currency: 'usd',
      callKey: options.callKey ?? `call-${++calls}`,
      budgets,
      ttlMs: 60_000,
      reuse: options.reuse ?? false,
    });
    if (reservation.ok) {
      expect(await ledger.claim(reservation.hold, 60_000)).toBe(true);
      await ledger.settle(reservation.hold);
    }
    return reservation;
  }

  it.each([
    ['day', '2026-03-15T23:59:00Z', '2026-03-16T00:00:00Z'],
    ['week', '2026-03-15T23:59:00Z', '2026-03-16T00:00:00Z'],
    ['month', '2026-03-31T23:59:00Z', '2026-04-01T00:00:00Z'],
  ] as const)('starts a %s budget afresh when its UTC period rolls over', async (per, before, after) => {
    const rule = budget({ tools: 'stripe_refund_*', amount: 1000, currency: 'usd', per });
    now = at(before);
    expect((await spend([rule], 1000)).ok).toBe(true);
    expect(await spend([rule], 1)).toMatchObject({ ok: false, left: 0 });
    now = at(after);
    expect((await spend([rule], 1000)).ok).toBe(true);
    expect(await ledger.usage('bot', rule)).toEqual([
      expect.objectContaining({ currency: 'usd', used: 1000, reserved: 0, periodStart: at(after).getTime() }),
    ]);
  });

  it('keeps an all_time budget spent across years', async () => {
    const rule = budget({ tools: 'stripe_*', amount: 1000, currency: 'usd', per: 'all_time' });
    now = at('2026-01-01T00:00:00Z');
    await spend([rule], 600);
    now = at('2031-07-01T00:00:00Z');
    expect(await spend([rule], 600)).toMatchObject({ ok: false, left: 400 });
  });

  it('counts a rule without currency in each currency on its own', async () => {
    const rule = budget({ tools: 'stripe_*', amount: 1000, per: 'day' });
    now = at('2026-03-15T10:00:00Z');
    const eur = await ledger.reserve({
      agent: 'bot',
      tool: 'stripe_refund_create',
      amount: 1000,
      currency: 'eur',
      callKey: 'eur-1',
      budgets: [rule],
      ttlMs: 60_000,
      reuse: false,
    });
    expect(eur.ok).toBe(true);
    expect((await spend([rule], 1000)).ok).toBe(true);
    const rows = await ledger.usage('bot', rule);
    expect(rows.map((row) => [row.currency, row.used, row.reserved])).toEqual([
      ['eur', 0, 1000],
      ['usd', 1000, 0],
    ]);
  });

  it('stops counting a hold that expired unsettled (an abandoned approval)', async () => {
    const rule = budget({ tools: 'stripe_*', amount: 1000, currency: 'usd', per: 'day' });
    now = at('2026-03-15T10:00:00Z');
    const held = await ledger.reserve({
      agent: 'bot',
      tool: 'stripe_refund_create',
      amount: 1000,
      currency: 'usd',
      callKey: 'pending-1',
      budgets: [rule],
      ttlMs: 60_000,
      reuse: true,
    });
    expect(held.ok).toBe(true);
    expect(await spend([rule], 1)).toMatchObject({ ok: false, left: 0 });
    now = at('2026-03-15T10:01:01Z');
    expect((await spend([rule], 1000)).ok).toBe(true);
    // The expired hold is not reused, and can no longer be claimed for a call.
    if (held.ok) {
      await ledger.release(held.hold, 'held');
      expect(await ledger.claim(held.hold, 60_000)).toBe(false);
    }
  });

  it('reuses the open hold of a re-entered call, and never a claimed one', async () => {
    const rule = budget({ tools: 'stripe_*', amount: 1000, currency: 'usd', per: 'day' });
    now = at('2026-03-15T10:00:00Z');
    const request = {
      agent: 'bot',
      tool: 'stripe_refund_create',
      amount: 800,
      currency: 'usd',
      callKey: 'same-call',
      budgets: [rule],
      ttlMs: 60_000,
      reuse: true,
    };
    const first = await ledger.reserve(request);
    const again = await ledger.reserve(request);
    expect(first.ok && again.ok && again.hold.id === first.hold.id && again.hold.reused).toBe(true);
    if (!first.ok) return;
    expect(await ledger.claim(first.hold, 60_000)).toBe(true);
    // Claimed (its call is upstream): a third entry reserves anew, and 800 more does not fit.
    expect(await ledger.reserve(request)).toMatchObject({ ok: false, left: 200 });
  });
});

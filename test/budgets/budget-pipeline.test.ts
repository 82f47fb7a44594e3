/**
 * Spend budgets through the real call pipeline: a real store (PGlite, and PostgreSQL shared by two
 * gateways when KEYGATE_TEST_DATABASE_URL is set), the real audit log and approvals, and a fake
 * Stripe that checks what Stripe checks and moves (fake) money.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { agentBudgets } from '../../src/budgets/index.js';
import type { PipelineDeps } from '../../src/calls/index.js';
import { type Catalog, loadCatalog } from '../../src/catalog/index.js';
import { runToolCall } from '../../src/mcp/index.js';
import { PolicyEngine, parsePolicy } from '../../src/policy/index.js';
import { buildGateway, type Gateway } from '../../src/server/index.js';
import { MasterKey, Vault } from '../../src/vault/index.js';
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.js';
import { buildTestGateway, policySourceOf } from '../helpers/gateway.js';
import { assertNoSecrets, CANARY, CANARY_CREDENTIALS } from '../helpers/harness.js';
import {
  BACKENDS,
  POSTGRES_BACKEND,
  POSTGRES_SKIP_REASON,
  POSTGRES_URL,
  type TestStore,
} from '../helpers/stores.js';
import { type FakeCharge, stripeMoney } from './stripe-money.js';

const caller = { agent: 'billing', tokenId: 't-billing', tools: null };

function compile(catalog: Catalog, yaml: string): PolicyEngine {
  const parsed = parsePolicy(yaml, catalog);
  if (!parsed.ok) throw new Error(`bad test policy: ${JSON.stringify(parsed.problems)}`);
  return new PolicyEngine(parsed.policy, catalog);
}

function policy(budgets: string, approval = 'never', wait = '50ms'): string {
  return [
    'services:',
    '  stripe: { spec: builtin:stripe, credential: stripe }',
    'defaults:',
    `  approval_wait: ${wait}`,
    'agents:',
    '  billing:',
    '    tools: [stripe_refund_create, stripe_charge_get, stripe_subscription_create]',
    `    approval: { stripe_refund_create: ${approval}, stripe_subscription_create: never }`,
    '    budgets:',
    ...budgets
      .trim()
      .split('\n')
      .map((line) => `      ${line.trim()}`),
    '',
  ].join('\n');
}

const DAY_10K = '- { tools: "stripe_refund_*", amount: 10000, currency: usd, per: day }';

/** What the agent's budgets show now: [used, reserved] per rule and currency. */
async function usage(deps: PipelineDeps): Promise<[number, number][]> {
  const out: [number, number][] = [];
  for (const budget of agentBudgets(deps.policy(), 'billing'))
    for (const row of await deps.budgets!.ledger.usage('billing', budget)) out.push([row.used, row.reserved]);
  return out;
}

function bigCharge(): Record<string, FakeCharge> {
  return { ch_1: { amount: 1_000_000, amount_refunded: 0, currency: 'usd' } };
}

const refunds = (fake: FakeUpstream) =>
  fake.requests.filter((r) => r.method === 'POST' && r.path === '/v1/refunds');

describe.each(BACKENDS)('spend budgets through the pipeline on $name', (backend) => {
  let fake: FakeUpstream;
  let t: TestStore;
  let gateway: Gateway;
  let engine: PolicyEngine;

  // One store and gateway for the block (a fresh PGlite costs seconds); each test swaps the
  // policy in and starts from an empty ledger.
  beforeAll(async () => {
    const catalog = await loadCatalog();
    fake = await startFakeUpstream('stripe', CANARY.stripe);
    t = await backend.fresh();
    engine = compile(catalog, policy(DAY_10K));
    gateway = await buildTestGateway(
      t,
      catalog,
      policySourceOf(() => engine),
      { credentials: CANARY_CREDENTIALS, baseUrls: { stripe: fake.url } },
    );
  });
  afterAll(async () => {
    await gateway?.close();
    await t?.dispose();
    await fake?.close();
  });
  afterEach(() => fake.reset());

  async function start(yaml: string): Promise<PipelineDeps> {
    engine = compile(gateway.calls.catalog, yaml);
    await t.store.db.deleteFrom('budget_holds').execute();
    await t.store.db.deleteFrom('approvals').execute();
    return gateway.calls;
  }

  it('lets exactly 10 of 100 concurrent refunds through a budget that fits 10, and none over', async () => {
    const deps = await start(policy(DAY_10K));
    fake.reply = stripeMoney(bigCharge());
    const results = await Promise.all(
      Array.from({ length: 100 }, () =>
        runToolCall(deps, caller, 'stripe_refund_create', { charge: 'ch_1', amount: 1000 }),
      ),
    );
    expect(refunds(fake)).toHaveLength(10);
    expect(results.filter((r) => !r?.isError)).toHaveLength(10);
    const refused = results.filter((r) => r?.isError);
    expect(refused).toHaveLength(90);
    for (const result of refused)
      expect(result?.structuredContent).toMatchObject({
        error: { code: 'policy.over_budget', budget: 'stripe_refund_* 10000 usd per day', left: 0 },
      });
    expect(await usage(deps)).toEqual([[10000, 0]]);
    assertNoSecrets(results, [CANARY.stripe]);
    // Each refusal is an audit row naming the budget and what is left.
    await deps.audit.drain();
    const rows = await deps.audit.query({ agent: 'billing', limit: 1000 });
    const denied = rows.filter((row) => row.decision === 'denied');
    expect(denied).toHaveLength(90);
    expect(denied[0]?.reason).toBe(
      'budget stripe_refund_* 10000 usd per day: 0 usd left, this call needs 1000',
    );
  });

  it('gives the hold back when the upstream refuses the refund', async () => {
    const deps = await start(policy(DAY_10K));
    fake.reply = stripeMoney({ ch_1: { amount: 5000, amount_refunded: 0, currency: 'usd' } });
    const tooLarge = await runToolCall(deps, caller, 'stripe_refund_create', {
      charge: 'ch_1',
      amount: 8000,
    });
    expect(tooLarge?.structuredContent).toMatchObject({ error: { code: 'upstream.error', status: 400 } });
    expect(await usage(deps)).toEqual([[0, 0]]);
    // The whole budget is still there for the next call.
    const next = await runToolCall(deps, caller, 'stripe_refund_create', { charge: 'ch_1', amount: 5000 });
    expect(next?.isError).toBeFalsy();
    expect(await usage(deps)).toEqual([[5000, 0]]);
  });

  it('keeps the reserved amount counted when the upstream fails in a way that may have moved money', async () => {
    const deps = await start(policy(DAY_10K));
    const money = stripeMoney(bigCharge());
    fake.reply = (request) =>
      request.method === 'POST'
        ? {
            status: 500,
            body: JSON.stringify({ error: { type: 'api_error', message: 'An unknown error occurred' } }),
          }
        : money(request);
    const result = await runToolCall(deps, caller, 'stripe_refund_create', { charge: 'ch_1', amount: 3000 });
    expect(result?.structuredContent).toMatchObject({ error: { code: 'upstream.error', status: 500 } });
    expect(await usage(deps)).toEqual([[3000, 0]]);
  });

  it('keeps the reserved amount counted when the connection is cut after the request arrived', async () => {
    const deps = await start(policy(DAY_10K));
    const money = stripeMoney(bigCharge());
    fake.reply = (request) =>
      request.method === 'POST' ? { status: 0, body: '', hangUp: true } : money(request);
    const result = await runToolCall(deps, caller, 'stripe_refund_create', { charge: 'ch_1', amount: 2500 });
    expect(result?.structuredContent).toMatchObject({ error: { code: 'executor.network', notSent: false } });
    expect(refunds(fake)).toHaveLength(1);
    expect(await usage(deps)).toEqual([[2500, 0]]);
  });

  it('settles with the amount the answer says moved', async () => {
    const deps = await start(policy(DAY_10K));
    // Stripe answered with less than was asked (say, a refund capped by what was left).
    const money = stripeMoney(bigCharge());
    fake.reply = (request) =>
      request.method === 'POST'
        ? {
            status: 200,
            body: JSON.stringify({
              id: 're_1',
              object: 'refund',
              amount: 700,
              currency: 'usd',
              charge: 'ch_1',
            }),
            headers: { 'content-type': 'application/json' },
          }
        : money(request);
    const result = await runToolCall(deps, caller, 'stripe_refund_create', { charge: 'ch_1', amount: 1000 });
    expect(result?.isError).toBeFalsy();
    expect(await usage(deps)).toEqual([[700, 0]]);
  });

  it('looks up the charge of a refund without amount and reserves what is left of it', async () => {
    const deps = await start(policy(DAY_10K));
    fake.reply = stripeMoney({
      ch_1: { amount: 5000, amount_refunded: 1000, currency: 'usd' },
      ch_2: { amount: 9000, amount_refunded: 0, currency: 'usd' },
    });
    const first = await runToolCall(deps, caller, 'stripe_refund_create', { charge: 'ch_1' });
    expect(first?.isError).toBeFalsy();
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /v1/charges/ch_1',
      'POST /v1/refunds',
    ]);
    expect(await usage(deps)).toEqual([[4000, 0]]);
    // 6000 left: the whole of ch_2 (9000) does not fit, and is never sent.
    const second = await runToolCall(deps, caller, 'stripe_refund_create', { charge: 'ch_2' });
    expect(second?.structuredContent).toMatchObject({ error: { code: 'policy.over_budget', left: 6000 } });
    expect(refunds(fake)).toHaveLength(1);
  });

  it('looks up the currency of a refund with an amount but none, and refuses one no budget counts', async () => {
    const deps = await start(policy(DAY_10K));
    fake.reply = stripeMoney({ ch_eur: { amount: 5000, amount_refunded: 0, currency: 'eur' } });
    const result = await runToolCall(deps, caller, 'stripe_refund_create', { charge: 'ch_eur', amount: 100 });
    expect(result?.structuredContent).toMatchObject({
      error: {
        code: 'policy.over_budget',
        message: expect.stringContaining('no spend budget of billing for stripe_refund_create counts eur'),
      },
    });
    expect(refunds(fake)).toHaveLength(0);
  });

  it('refuses a budgeted call whose amount cannot be looked up, sending nothing', async () => {
    const deps = await start(policy(DAY_10K));
    fake.reply = stripeMoney({});
    const result = await runToolCall(deps, caller, 'stripe_refund_create', { charge: 'ch_missing' });
    expect(result?.structuredContent).toMatchObject({ error: { code: 'policy.budget_unavailable' } });
    expect(refunds(fake)).toHaveLength(0);
    expect(await usage(deps)).toEqual([[0, 0]]);
  });

  it('refuses a budgeted tool whose amount is unknown before the call', async () => {
    const deps = await start(policy('- { tools: "stripe_*", amount: 10000, currency: usd, per: month }'));
    const result = await runToolCall(deps, caller, 'stripe_subscription_create', {
      customer: 'cus_1',
      items: [{ price: 'price_1' }],
    });
    expect(result?.structuredContent).toMatchObject({ error: { code: 'policy.budget_unavailable' } });
    expect(fake.requests).toHaveLength(0);
  });

  it('applies a per-call limit without keeping anything, in any currency when it names none', async () => {
    const deps = await start(policy('- { tools: stripe_refund_create, amount: 2500, per: call }'));
    fake.reply = stripeMoney(bigCharge());
    const big = await runToolCall(deps, caller, 'stripe_refund_create', { charge: 'ch_1', amount: 2501 });
    expect(big?.structuredContent).toMatchObject({ error: { code: 'policy.over_budget', left: 2500 } });
    for (let i = 0; i < 3; i++)
      expect(
        (await runToolCall(deps, caller, 'stripe_refund_create', { charge: 'ch_1', amount: 2500 }))?.isError,
      ).toBeFalsy();
    expect(refunds(fake)).toHaveLength(3);
  });

  it('counts against every matching budget: the tighter one refuses', async () => {
    const deps = await start(
      policy(`${DAY_10K}\n- { tools: "stripe_*", amount: 3000, currency: usd, per: all_time }`),
    );
    fake.reply = stripeMoney(bigCharge());
    await runToolCall(deps, caller, 'stripe_refund_create', { charge: 'ch_1', amount: 2000 });
    const over = await runToolCall(deps, caller, 'stripe_refund_create', { charge: 'ch_1', amount: 2000 });
    expect(over?.structuredContent).toMatchObject({
      error: { code: 'policy.over_budget', budget: 'stripe_* 3000 usd in all', left: 1000 },
    });
    expect(await usage(deps)).toEqual([
      [2000, 0],
      [2000, 0],
    ]);
  });

  /** The pending approval of the billing agent, once its call has asked for one. */
  async function pendingApproval() {
    for (let i = 0; i < 400; i++) {
      const [approval] = await gateway.approvals.book.list({ agent: 'billing', status: 'pending' });
      if (approval) return approval;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error('no pending approval');
  }

  describe('with approvals', () => {
    it('holds while the approval is pending, reuses the hold on re-entry, and refuses a second call before asking anyone', async () => {
      const deps = await start(
        policy('- { tools: "stripe_refund_*", amount: 5000, currency: usd, per: day }', 'required'),
      );
      fake.reply = stripeMoney(bigCharge());
      const args = { charge: 'ch_1', amount: 4000 };
      const pending = await runToolCall(deps, caller, 'stripe_refund_create', args);
      expect(pending?.structuredContent).toMatchObject({ error: { code: 'approval.pending' } });
      expect(await usage(deps)).toEqual([[0, 4000]]);
      // The agent asking again re-enters the same call: the same hold, not a second one.
      await runToolCall(deps, caller, 'stripe_refund_create', args);
      expect(await usage(deps)).toEqual([[0, 4000]]);
      // Another call that would not fit is refused by the budget: no approval is opened for it.
      const other = await runToolCall(deps, caller, 'stripe_refund_create', { charge: 'ch_1', amount: 2000 });
      expect(other?.structuredContent).toMatchObject({ error: { code: 'policy.over_budget', left: 1000 } });
      expect(await gateway.approvals.book.list({ agent: 'billing', status: 'pending' })).toHaveLength(1);
      expect(refunds(fake)).toHaveLength(0);
    });

    it('gives the hold back when a human denies the call it waits for', async () => {
      const deps = await start(
        policy('- { tools: "stripe_refund_*", amount: 5000, currency: usd, per: day }', 'required', '20s'),
      );
      fake.reply = stripeMoney(bigCharge());
      const call = runToolCall(deps, caller, 'stripe_refund_create', { charge: 'ch_1', amount: 4000 });
      const approval = await pendingApproval();
      expect(await usage(deps)).toEqual([[0, 4000]]);
      await gateway.approvals.book.decide(approval.id, 'denied', 'admin', 'no');
      expect((await call)?.structuredContent).toMatchObject({ error: { code: 'approval.denied' } });
      expect(await usage(deps)).toEqual([[0, 0]]);
      expect(refunds(fake)).toHaveLength(0);
    });

    it('reads a looked-up amount again before the approved call goes: grown meanwhile, it is not sent', async () => {
      const deps = await start(
        policy('- { tools: "stripe_refund_*", amount: 5000, currency: usd, per: day }', 'required', '20s'),
      );
      const charges = { ch_1: { amount: 5000, amount_refunded: 1000, currency: 'usd' } };
      fake.reply = stripeMoney(charges);
      // Waiting in the same request for the administrator: 4000 is held.
      const call = runToolCall(deps, caller, 'stripe_refund_create', { charge: 'ch_1' });
      const approval = await pendingApproval();
      expect(await usage(deps)).toEqual([[0, 4000]]);
      // What the refund would move grows while it waits (as a payment intent's amount can be updated).
      charges.ch_1.amount = 9000;
      await gateway.approvals.book.decide(approval.id, 'approved', 'admin');
      expect((await call)?.structuredContent).toMatchObject({
        error: { code: 'policy.budget_unavailable', message: expect.stringContaining('now moves 8000 usd') },
      });
      expect(refunds(fake)).toHaveLength(0);
      expect(await usage(deps)).toEqual([[0, 0]]);
    });

    it('reserves anew on re-entry when the looked-up amount grew: the bigger amount must fit', async () => {
      const deps = await start(
        policy('- { tools: "stripe_refund_*", amount: 5000, currency: usd, per: day }', 'required'),
      );
      const charges = { ch_1: { amount: 5000, amount_refunded: 1000, currency: 'usd' } };
      fake.reply = stripeMoney(charges);
      const pending = await runToolCall(deps, caller, 'stripe_refund_create', { charge: 'ch_1' });
      expect(pending?.structuredContent).toMatchObject({ error: { code: 'approval.pending' } });
      expect(await usage(deps)).toEqual([[0, 4000]]);
      charges.ch_1.amount = 9000;
      const [approval] = await gateway.approvals.book.list({ agent: 'billing', status: 'pending' });
      await gateway.approvals.book.decide(approval!.id, 'approved', 'admin');
      const again = await runToolCall(deps, caller, 'stripe_refund_create', { charge: 'ch_1' });
      expect(again?.structuredContent).toMatchObject({ error: { code: 'policy.over_budget', left: 5000 } });
      expect(refunds(fake)).toHaveLength(0);
      expect(await usage(deps)).toEqual([[0, 0]]);
    });

    it('settles the approved call once, with the hold it reserved', async () => {
      const deps = await start(
        policy('- { tools: "stripe_refund_*", amount: 5000, currency: usd, per: day }', 'required'),
      );
      fake.reply = stripeMoney(bigCharge());
      const args = { charge: 'ch_1', amount: 4000 };
      await runToolCall(deps, caller, 'stripe_refund_create', args);
      const [approval] = await gateway.approvals.book.list({ agent: 'billing', status: 'pending' });
      await gateway.approvals.book.decide(approval!.id, 'approved', 'admin');
      const done = await runToolCall(deps, caller, 'stripe_refund_create', args);
      expect(done?.isError).toBeFalsy();
      expect(refunds(fake)).toHaveLength(1);
      expect(await usage(deps)).toEqual([[4000, 0]]);
    });
  });
});

describe.skipIf(!POSTGRES_URL)(
  `spend budgets held across two gateways sharing PostgreSQL (skipped: ${POSTGRES_SKIP_REASON})`,
  () => {
    it('lets exactly 10 of 100 refunds split across two daemons through', async () => {
      const catalog = await loadCatalog();
      const fake = await startFakeUpstream('stripe', CANARY.stripe);
      fake.reply = stripeMoney(bigCharge());
      const t = await POSTGRES_BACKEND.fresh();
      const other = await t.reopen();
      const key = MasterKey.generate();
      await Vault.initialize(t.store, key);
      const gateways: Gateway[] = [];
      try {
        for (const store of [t.store, other])
          gateways.push(
            await buildGateway({
              store,
              vault: await Vault.unlock(store, key),
              catalog,
              policy: await writePolicy(t, policy(DAY_10K)),
              log: () => {},
              host: '127.0.0.1',
              publicUrl: () => 'http://127.0.0.1:1',
              credentials: CANARY_CREDENTIALS,
              baseUrls: { stripe: fake.url },
            }),
          );
        const results = await Promise.all(
          Array.from({ length: 100 }, (_, i) =>
            runToolCall(gateways[i % 2]!.calls, caller, 'stripe_refund_create', {
              charge: 'ch_1',
              amount: 1000,
            }),
          ),
        );
        expect(refunds(fake)).toHaveLength(10);
        expect(results.filter((r) => !r?.isError)).toHaveLength(10);
        expect(await usage(gateways[0]!.calls)).toEqual([[10000, 0]]);
      } finally {
        for (const gateway of gateways) await gateway.close();
        await t.dispose();
        await fake.close();
      }
    });
  },
);

async function writePolicy(t: TestStore, yaml: string): Promise<string> {
  const { writeFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const file = join(t.home, 'keygate.yaml');
  await writeFile(file, yaml);
  return file;
}

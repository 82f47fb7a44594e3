/** `keygate budgets`: offline over the store, its table and --json, and a mistyped agent. */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BudgetLedger, ruleKey, ruleLabel } from '../../src/budgets/index.js';
import { openStore } from '../../src/store/index.js';
import { runInProcess } from '../helpers/cli.js';

const POLICY = `services:
  stripe: { spec: builtin:stripe, credential: stripe }
agents:
  billing-bot:
    tools: [stripe_refund_create, stripe_payout_create]
    budgets:
      - { tools: "stripe_refund_*", amount: 50000, currency: usd, per: day }
      - { tools: "stripe_*", amount: 100000, per: all_time }
  reader:
    tools: [stripe_charge_get]
`;

describe('keygate budgets', () => {
  let home: string;
  beforeAll(async () => {
    home = join(await mkdtemp(join(tmpdir(), 'keygate-budgets-')), 'home');
    expect((await runInProcess(['init', '--home', home])).code).toBe(0);
    await writeFile(join(home, 'keygate.yaml'), POLICY);
    const store = await openStore({ home });
    const ledger = new BudgetLedger(store);
    const day = { tools: 'stripe_refund_*', amount: 50000, currency: 'usd', per: 'day' } as const;
    const ever = { tools: 'stripe_*', amount: 100000, per: 'all_time' } as const;
    const reserved = await ledger.reserve({
      agent: 'billing-bot',
      tool: 'stripe_refund_create',
      amount: 1200,
      currency: 'usd',
      callKey: 'seed',
      budgets: [day, ever].map((rule, index) => ({
        rule,
        index,
        key: ruleKey(rule),
        label: ruleLabel(rule),
      })),
      ttlMs: 3_600_000,
      reuse: false,
    });
    if (reserved.ok) await ledger.settle(reserved.hold);
    await store.close();
  }, 120_000);

  it('prints each budget with limit, used, reserved and what is left', async () => {
    const result = await runInProcess(['budgets', '--home', home]);
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(
      /^AGENT\s+TOOLS\s+PER\s+CURRENCY\s+LIMIT\s+USED\s+RESERVED\s+REMAINING\s+RESETS$/,
    );
    expect(lines[1]).toMatch(
      /^billing-bot\s+stripe_refund_\*\s+day\s+usd\s+50000\s+1200\s+0\s+48800\s+\d{4}-\d\d-\d\dT00:00:00\.000Z$/,
    );
    expect(lines[2]).toMatch(
      /^billing-bot\s+stripe_\*\s+all_time\s+usd\s+100000\s+1200\s+0\s+98800\s+never$/,
    );
    expect(lines.at(-1)).toBe('amounts in minor units (cents); periods are UTC');
  });

  it('gives the same rows with --json, for one agent', async () => {
    const result = await runInProcess(['budgets', '--agent', 'billing-bot', '--json', '--home', home]);
    expect(result.code).toBe(0);
    const { budgets } = JSON.parse(result.stdout) as { budgets: { budget: string; remaining: number }[] };
    expect(budgets.map((b) => [b.budget, b.remaining])).toEqual([
      ['stripe_refund_* 50000 usd per day', 48800],
      ['stripe_* 100000 in each currency in all', 98800],
    ]);
  });

  it('says when an agent has none, and refuses one the policy does not list', async () => {
    const none = await runInProcess(['budgets', '--agent', 'reader', '--home', home]);
    expect(none.stdout).toBe(
      'no spend budgets for reader: set them under agents.<name>.budgets in keygate.yaml\n',
    );
    const typo = await runInProcess(['budgets', '--agent', 'biling-bot', '--home', home]);
    expect(typo.code).not.toBe(0);
    expect(typo.stderr).toContain('[agent.not_found]');
  });
});

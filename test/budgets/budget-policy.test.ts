/** Budgets in the policy file: the schema and the checks against the catalog, each with its path. */
import { beforeAll, describe, expect, it } from 'vitest';
import { budgetsFor } from '../../src/budgets/index.js';
import { parseCuration } from '../../src/catalog/curation/index.js';
import { type Catalog, loadCatalog } from '../../src/catalog/index.js';
import { PolicyEngine, parsePolicy } from '../../src/policy/index.js';

let catalog: Catalog;
beforeAll(async () => {
  catalog = await loadCatalog();
});

function withBudget(budget: string, tools = '[stripe_refund_create, stripe_charge_get]'): string {
  return [
    'services:',
    '  stripe: { spec: builtin:stripe, credential: stripe }',
    'agents:',
    '  billing:',
    `    tools: ${tools}`,
    '    budgets:',
    `      - ${budget}`,
    '',
  ].join('\n');
}

function problems(yaml: string): string[] {
  const parsed = parsePolicy(yaml, catalog);
  return parsed.ok ? [] : parsed.problems.map((p) => `${p.path}: ${p.message}`);
}

describe('budget policy', () => {
  it('accepts the issue example', () => {
    expect(
      problems(
        withBudget(
          '{ tools: "stripe_refund_*", amount: 50000, currency: usd, per: day }\n      - { tools: "stripe_*", amount: 200000, currency: usd, per: month }\n      - { tools: "stripe_refund_create", amount: 10000, per: call }',
        ),
      ),
    ).toEqual([]);
  });

  it.each([
    [
      '{ tools: "github_*", amount: 100, currency: usd, per: day }',
      'agents.billing.budgets[0].tools: github_* matches none of billing',
    ],
    [
      '{ tools: "stripe_charge_*", amount: 100, currency: usd, per: day }',
      'matches no payment tool of billing',
    ],
    [
      '{ tools: "stripe_refund_*", amount: 10.5, currency: usd, per: day }',
      'agents.billing.budgets[0].amount',
    ],
    ['{ tools: "stripe_refund_*", amount: 0, currency: usd, per: day }', 'agents.billing.budgets[0].amount'],
    [
      '{ tools: "stripe_refund_*", amount: 100, currency: USD, per: day }',
      'agents.billing.budgets[0].currency',
    ],
    ['{ tools: "stripe_refund_*", amount: 100, currency: usd, per: year }', 'agents.billing.budgets[0].per'],
    [
      '{ tools: "!stripe_refund_*", amount: 100, currency: usd, per: day }',
      'agents.billing.budgets[0].tools',
    ],
    [
      '{ tools: "stripe_refund_*", amount: 100, currency: usd, per: day, cap: 1 }',
      'agents.billing.budgets[0]',
    ],
  ])('refuses %s with its path', (budget, expected) => {
    const found = problems(withBudget(budget));
    expect(found.length).toBeGreaterThan(0);
    expect(found.join('\n')).toContain(expected);
  });

  it('counts only the payment tools a glob matches', () => {
    const parsed = parsePolicy(
      withBudget('{ tools: "stripe_*", amount: 100, currency: usd, per: day }'),
      catalog,
    );
    if (!parsed.ok) throw new Error('policy refused');
    const engine = new PolicyEngine(parsed.policy, catalog);
    expect(budgetsFor(engine, 'billing', catalog.find('stripe_refund_create')!)).toHaveLength(1);
    expect(budgetsFor(engine, 'billing', catalog.find('stripe_charge_get')!)).toHaveLength(0);
  });

  it('binds an amount to every payment tool of the catalog', () => {
    const payments = catalog.tools.filter((tool) => tool.risk === 'payment');
    expect(payments.length).toBeGreaterThan(0);
    for (const tool of payments) {
      expect(tool.amount, tool.name).toBeDefined();
      if (tool.amount?.kind === 'arguments')
        for (const lookup of tool.amount.lookups)
          expect(catalog.find(lookup.tool)?.risk, lookup.tool).toBe('read');
    }
  });
});

describe('amount bindings in curation files', () => {
  const curation = (operation: string) =>
    [
      'service: stripe',
      'title: t',
      'upstream: stripe.json',
      'server: https://api.stripe.com',
      'operations:',
      '  - { op: GetChargesCharge, tool: stripe_charge_get, risk: read, description: d }',
      `  - ${operation}`,
      '',
    ].join('\n');

  it('refuses a payment operation that does not say where its amount comes from', () => {
    expect(() =>
      parseCuration(
        curation('{ op: PostRefunds, tool: stripe_refund_create, risk: payment, description: d }'),
        'x',
      ),
    ).toThrow('stripe_refund_create: a payment operation needs amount:');
  });

  it('refuses a look-up through a tool that is not a read of the curation', () => {
    expect(() =>
      parseCuration(
        curation(
          '{ op: PostRefunds, tool: stripe_refund_create, risk: payment, description: d, amount: { lookup: [{ when: charge, tool: stripe_nope, id: charge, amount: amount, currency: currency }] } }',
        ),
        'x',
      ),
    ).toThrow('amount lookup stripe_nope is not a read tool');
  });

  it('accepts amount from arguments, and unknown with a reason', () => {
    expect(() =>
      parseCuration(
        curation(
          '{ op: PostRefunds, tool: stripe_refund_create, risk: payment, description: d, amount: { from: amount, currency: currency } }',
        ),
        'x',
      ),
    ).not.toThrow();
    expect(() =>
      parseCuration(
        curation(
          '{ op: PostRefunds, tool: stripe_refund_create, risk: payment, description: d, amount: { unknown: "set later" } }',
        ),
        'x',
      ),
    ).not.toThrow();
  });
});

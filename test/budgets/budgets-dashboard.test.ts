/** Spend budgets as the daemon serves them: GET /api/budgets (admin token only) and the agent's dashboard page. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DashboardGateway, startDashboardGateway } from '../dashboard/dashboard-gateway.js';
import { stripeMoney } from './stripe-money.js';

const POLICY = `services:
  stripe: { spec: builtin:stripe, credential: stripe }
agents:
  billing-bot:
    tools: [stripe_refund_create, stripe_charge_get]
    approval: { stripe_refund_create: never }
    budgets:
      - { tools: "stripe_refund_*", amount: 50000, currency: usd, per: day }
`;

describe('budgets served by the daemon', () => {
  let gw: DashboardGateway;
  let agentToken: string;
  beforeAll(async () => {
    gw = await startDashboardGateway(POLICY);
    agentToken = await gw.addAgent('billing-bot');
    // The refund's currency is its charge's, looked up first.
    gw.harness.fakes.stripe.reply = stripeMoney({
      ch_1: { amount: 5000, amount_refunded: 0, currency: 'usd' },
    });
    const client = await gw.connect(agentToken);
    const result = await client.callTool({
      name: 'stripe_refund_create',
      arguments: { charge: 'ch_1', amount: 1200 },
    });
    expect(result.isError).toBeFalsy();
  }, 120_000);
  afterAll(async () => {
    await gw?.close();
  });

  it('answers GET /api/budgets to the admin token, and 403 to an agent token', async () => {
    const answer = await fetch(`${gw.url}/api/budgets?agent=billing-bot`, {
      headers: { authorization: `Bearer ${gw.adminToken}` },
    });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({
      budgets: [
        { agent: 'billing-bot', budget: 'stripe_refund_* 50000 usd per day', used: 1200, remaining: 48800 },
      ],
    });
    const refused = await fetch(`${gw.url}/api/budgets`, {
      headers: { authorization: `Bearer ${agentToken}` },
    });
    expect(refused.status).toBe(403);
  });

  it("shows the agent's budgets on its dashboard page", async () => {
    const { cookie } = await gw.signIn();
    const page = await fetch(`${gw.url}/agents/billing-bot`, { headers: { cookie } });
    expect(page.status).toBe(200);
    const text = await page.text();
    const table = text.slice(text.indexOf('<table data-budgets>'));
    expect(table).toContain('stripe_refund_* 50000 usd per day');
    expect(table).toContain('48800 of 50000');
  });
});

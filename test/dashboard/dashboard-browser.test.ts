/**
 * The dashboard in a real browser (Debian's Chromium driven by playwright-core), as the person
 * who approves uses it: sign in with a one-time link; a refund an agent asks for appears without
 * a reload; approving it lets the agent's waiting call run exactly once; a denial's reason
 * reaches the agent; the audit is browsed, filtered, opened and verified; revoking the agent's
 * token refuses its next call. With KEYGATE_SCREENSHOTS=DIR it saves a picture of each page
 * there (how docs/dashboard/*.png are made). Skipped where Chromium is not installed.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertNoSecrets } from '../helpers/harness.js';
import { type DashboardGateway, startDashboardGateway } from './dashboard-gateway.js';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = process.env.KEYGATE_SCREENSHOTS;

const POLICY = `services:
  stripe: { spec: builtin:stripe, credential: stripe }
agents:
  billing-bot:
    tools: [stripe_refund_create, stripe_customer_list]
    approval: { stripe_refund_create: out-of-band }
    rate_limit: { calls: 100, per: 1h }
`;

type Result = { isError?: boolean; content: { type: string; text: string }[] };

describe.skipIf(!existsSync(CHROMIUM))(`the dashboard in Chromium (skipped: no ${CHROMIUM})`, () => {
  let gw: DashboardGateway;
  let browser: Browser;
  let page: Page;
  let client: Client;
  let token: string;

  const shoot = async (name: string) => {
    if (!SCREENSHOTS) return;
    await mkdir(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  };
  const refund = (args: Record<string, unknown>) =>
    client.callTool({ name: 'stripe_refund_create', arguments: args }) as Promise<unknown> as Promise<Result>;

  beforeAll(async () => {
    gw = await startDashboardGateway(POLICY);
    token = await gw.addAgent('billing-bot');
    client = await gw.connect(token);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
  });

  it('refuses a wrong admin token, then signs in with a one-time link that works once', async () => {
    await page.goto(`${gw.url}/audit`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.fill('input[name=token]', 'kga_not-the-admin-token');
    await page.click('form.card button');
    await expect(page.textContent('[data-login-error]')).resolves.toContain('not the admin token');
    await shoot('sign-in');

    const link = await fetch(`${gw.url}/api/dashboard/link`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.adminToken}` },
    });
    const { url } = (await link.json()) as { url: string };
    expect(url).toMatch(/\/login#code=[\w-]{43}$/);
    // Opened on the sign-in page that /audit sent us to, the link signs in and goes on to /audit.
    await page.goto(url);
    await page.waitForURL(`${gw.url}/audit`);
    await expect(page.textContent('h1')).resolves.toBe('Audit');
    // The code never reached the server as a query, and it is spent.
    const again = await browser.newPage();
    await again.goto(url);
    await again.locator('[data-login-error]').waitFor();
    expect(await again.textContent('[data-login-error]')).toContain('used, expired or unknown');
    await again.close();
  });

  it('shows a refund the moment it is asked, and approving it runs the call exactly once', async () => {
    await page.goto(`${gw.url}/`);
    await page.locator('[data-empty]').waitFor();
    const held = refund({ charge: 'ch_3Nabc', amount: 2500, reason: 'requested_by_customer' });
    // No reload: the list changes by itself.
    const card = page.locator('article[data-approval]', { hasText: 'stripe_refund_create' });
    await card.waitFor({ timeout: 5000 });
    expect(await card.textContent()).toContain('billing-bot');
    expect(await card.textContent()).toContain('POST /v1/refunds');
    expect(await card.textContent()).toContain(
      'agents.billing-bot.approval["stripe_refund_create"]: out-of-band',
    );
    expect(await card.locator('[data-arguments]').textContent()).toContain('charge: ch_3Nabc');
    expect(await card.locator('[data-expires]').textContent()).toMatch(/min \d+ s left/);
    await shoot('approvals');
    expect(gw.harness.fakes.stripe.requests).toEqual([]);

    await card.locator('input[name=reason]').fill('customer called');
    await card.locator('button.approve').click();
    const result = await held;
    expect(result.isError).toBeFalsy();
    expect(gw.harness.fakes.stripe.requests).toHaveLength(1);
    expect(gw.harness.fakes.stripe.requests[0]).toMatchObject({ method: 'POST', path: '/v1/refunds' });
    // The decided approval stays, with who decided and why.
    await page.locator('.status-approved, .status-used').first().waitFor();
    expect(await page.textContent('main')).toContain('customer called');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(gw.harness.fakes.stripe.requests).toHaveLength(1);
  });

  it('denies another with a reason the agent receives', async () => {
    await page.goto(`${gw.url}/`);
    const held = refund({ charge: 'ch_3Nxyz', amount: 990000 });
    const card = page.locator('article[data-approval]', { hasText: 'ch_3Nxyz' });
    await card.waitFor({ timeout: 5000 });
    await card.locator('input[name=reason]').fill('too large: ask finance');
    await card.locator('button.deny').click();
    const result = await held;
    expect(result.isError).toBe(true);
    expect(result.content[0]!.text).toContain('too large: ask finance');
    expect(gw.harness.fakes.stripe.requests).toHaveLength(1);
  });

  it('browses, filters, opens and verifies the audit, and exports it', async () => {
    await page.goto(`${gw.url}/audit`);
    const rows = page.locator('table[data-audit] tbody tr');
    expect(await rows.count()).toBeGreaterThanOrEqual(6);
    await shoot('audit');
    await page.selectOption('select[name=decision]', 'approval_denied');
    await page.click('form.filters button');
    await page.waitForURL(/decision=approval_denied/);
    expect(await rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain('too large: ask finance');
    await rows.first().locator('a').first().click();
    await page.waitForURL(/\/audit\/\d+$/);
    expect(await page.textContent('[data-audit-row]')).toContain('approval_denied');
    await shoot('audit-row');
    await page.goto(`${gw.url}/audit/verify`);
    expect(await page.textContent('[data-verify]')).toContain('The chain is intact');
    const exported = await page.evaluate(async () => (await fetch('/audit/export')).text());
    const lines = exported
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { seq: number });
    expect(lines.length).toBeGreaterThanOrEqual(6);
    expect(lines[0]!.seq).toBeGreaterThan(lines[lines.length - 1]!.seq);
    assertNoSecrets(exported, gw.harness.secrets);
  });

  it('shows agents, services and activity, and a revoked token is refused on its next call', async () => {
    await page.goto(`${gw.url}/services`);
    expect(await page.textContent('[data-policy]')).toContain('Version');
    await shoot('services');
    await page.goto(`${gw.url}/activity`);
    await page.locator('[data-chart-agent="billing-bot"] rect').first().waitFor();
    await shoot('activity');
    await page.goto(`${gw.url}/agents`);
    await page.click('a[href="/agents/billing-bot"]');
    expect(await page.textContent('[data-tools]')).toContain('stripe_refund_create');
    expect(await page.textContent('[data-rate-limits]')).toMatch(/\d+ of 100/);
    await shoot('agent');
    expect((await client.callTool({ name: 'stripe_customer_list', arguments: {} })).isError).toBeFalsy();
    await page.locator('[data-tokens] button.revoke').click();
    await page.waitForURL(/\/agents\/billing-bot$/);
    expect(await page.textContent('[data-tokens]')).toContain('revoked');
    await expect(client.callTool({ name: 'stripe_customer_list', arguments: {} })).rejects.toThrow();
    const direct = await fetch(`${gw.url}/mcp`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(direct.status).toBe(401);
  });
});

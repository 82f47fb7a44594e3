/**
 * The dashboard's boundary, route by route: every dashboard page and action and every /api route
 * × {no credential, an agent's token, an ended session, a foreign Origin, a rebinding Host, a
 * change without the CSRF token} is refused, and nothing changes. Then the positive side: the
 * same requests done right succeed (so the refusals are not a broken route).
 */
import { request } from 'node:http';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DashboardGateway, startDashboardGateway } from './dashboard-gateway.js';

const POLICY = `services:
  stripe: { spec: builtin:stripe, credential: stripe }
agents:
  bot:
    tools: [stripe_refund_create, stripe_customer_list]
    approval: { stripe_refund_create: out-of-band }
`;

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** One HTTP request with exactly these headers (Host included: fetch cannot set it). */
function send(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<Answer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, method, path, headers, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk) => chunks.push(chunk));
      // Live streams answer 200 and stay open: the head is the answer.
      if (res.headers['content-type'] === 'text/event-stream') {
        res.destroy();
        resolve({ status: res.statusCode!, headers: res.headers, body: '' });
        return;
      }
      res.on('end', () =>
        resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }),
      );
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

describe('the dashboard and /api refuse everyone but a signed-in person or the admin token', () => {
  let gw: DashboardGateway;
  let agentToken: string;
  let approvalId: string;
  let session: { cookie: string; csrf: string; actionKey: string };
  let ended: { cookie: string; csrf: string };
  let host: string;

  /** [method, path, form or JSON body] of every dashboard route. */
  let dashboardRoutes: [string, string, string?][];
  const apiRoutes: [string, string, string?][] = [
    ['GET', '/api/status'],
    ['GET', '/api/secrets'],
    ['PUT', '/api/secrets/stripe', '{"value":"sk_test_x"}'],
    ['DELETE', '/api/secrets/stripe'],
    ['GET', '/api/agents'],
    ['POST', '/api/agents', '{"name":"intruder"}'],
    ['POST', '/api/agents/bot/tokens', '{}'],
    ['DELETE', '/api/agents/bot'],
    ['POST', '/api/revoke', '{"target":"bot"}'],
    ['GET', '/api/tools'],
    ['GET', '/api/audit'],
    ['GET', '/api/audit/verify'],
    ['GET', '/api/approvals'],
    ['POST', '/api/policy/reload'],
    ['POST', '/api/dashboard/link'],
  ];

  beforeAll(async () => {
    gw = await startDashboardGateway(POLICY);
    host = new URL(gw.url).host;
    agentToken = await gw.addAgent('bot');
    const client = await gw.connect(agentToken);
    // An approval to decide: the call waits for a human, so it is not awaited here.
    void client
      .callTool({ name: 'stripe_refund_create', arguments: { charge: 'ch_1', amount: 500 } })
      .catch(() => undefined);
    for (let i = 0; i < 1200 && !approvalId; i++) {
      approvalId = (await gw.gateway.approvals.book.list())[0]?.id ?? '';
      if (!approvalId) await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(approvalId).toMatch(/^apr_/);
    session = await gw.signIn();
    ended = await gw.signIn();
    await sql`update dashboard_sessions set expires_at = now() - interval '1 second'
      where csrf = ${ended.csrf}`.execute(gw.store.store.db);
    const tokenId = (await gw.gateway.admin.listAgents()).agents[0]!.tokens[0]!.id;
    dashboardRoutes = [
      ['GET', '/'],
      ['GET', '/fragments/approvals'],
      ['GET', `/approvals/${approvalId}`],
      ['GET', '/audit'],
      ['GET', '/audit/1'],
      ['GET', '/audit/verify'],
      ['GET', '/audit/export'],
      ['GET', '/agents'],
      ['GET', '/agents/bot'],
      ['GET', '/services'],
      ['GET', '/activity'],
      ['GET', '/events'],
      ['POST', `/approvals/${approvalId}/decide`, 'verdict=approve'],
      ['POST', '/agents/bot/revoke', `target=${tokenId}`],
      ['POST', '/logout', ''],
    ];
  }, 60_000);
  afterAll(async () => {
    await gw?.close();
  });

  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  const json = { 'content-type': 'application/json' };

  /** Nothing the refused requests could have changed did. */
  async function nothingChanged(): Promise<void> {
    expect((await gw.gateway.approvals.book.get(approvalId))?.status).toBe('pending');
    const [bot] = (await gw.gateway.admin.listAgents()).agents;
    expect(bot?.tokens.map((token) => token.revokedAt)).toEqual([null]);
    expect(await gw.gateway.dashboard.sessions.check(session.cookie.split('=')[1])).toBeDefined();
    expect((await gw.gateway.admin.listAgents()).agents.map((a) => a.name)).toEqual(['bot']);
    expect((await gw.gateway.admin.listSecrets()).secrets).toEqual([]);
    expect(gw.harness.fakes.stripe.requests).toEqual([]);
  }

  const cases: [string, (method: string, body?: string) => Record<string, string>][] = [
    ['no credential', () => ({ host })],
    ['an agent token', () => ({ host, authorization: `Bearer ${agentToken}` })],
    ['an agent token as the cookie', () => ({ host, cookie: `keygate_session=${agentToken}` })],
    ['an ended session', () => ({ host, cookie: ended.cookie })],
    ['a foreign Origin', () => ({ host, cookie: session.cookie, origin: 'http://evil.example' })],
    [
      "another port's Origin",
      () => ({
        host,
        cookie: session.cookie,
        origin: `http://127.0.0.1:${Number(new URL(gw.url).port) + 1}`,
      }),
    ],
    ['a rebinding Host', () => ({ host: `evil.example:${new URL(gw.url).port}`, cookie: session.cookie })],
  ];

  it.each(cases)('dashboard routes refuse %s', async (_name, headersFor) => {
    for (const [method, path, body] of dashboardRoutes) {
      const csrfBody = body === undefined ? undefined : `${body}${body ? '&' : ''}csrf=${session.csrf}`;
      const answer = await send(gw.url, method, path, { ...headersFor(method), ...form }, csrfBody);
      expect([401, 403], `${method} ${path}: ${answer.status} ${answer.body}`).toContain(answer.status);
      expect(answer.body).not.toContain(approvalId.slice(4));
      expect(answer.headers['set-cookie']).toBeUndefined();
    }
    await nothingChanged();
  });

  it('a browser without a session is sent to sign in, and sees nothing', async () => {
    for (const [method, path] of dashboardRoutes.filter(([m, p]) => m === 'GET' && p !== '/events')) {
      const answer = await send(gw.url, method, path, { host, accept: 'text/html' });
      expect(answer.status, path).toBe(303);
      expect(answer.headers.location).toBe(`/login?next=${encodeURIComponent(path)}`);
      expect(answer.body).toBe('');
    }
  });

  it('another port’s page cannot have the browser fetch a page, even with the cookie (Sec-Fetch-Site)', async () => {
    for (const [method, path] of dashboardRoutes.filter(([m]) => m === 'GET')) {
      const answer = await send(gw.url, method, path, {
        host,
        cookie: session.cookie,
        'sec-fetch-site': 'same-site',
        'sec-fetch-mode': 'no-cors',
      });
      expect(answer.status, path).toBe(403);
    }
  });

  it('decisions and revocations refuse a stolen cookie and CSRF token without the action key', async () => {
    // What a server on another local port gets: the cookie (browsers send it to every port) and
    // a page's CSRF token (it can fetch a page with the cookie). Never the action key.
    for (const [method, path, body] of dashboardRoutes.filter(([m, p]) => m === 'POST' && p !== '/logout')) {
      for (const key of [undefined, '', 'guess', session.csrf]) {
        const withKey = `${body}&csrf=${session.csrf}${key === undefined ? '' : `&action_key=${key}`}`;
        const answer = await send(gw.url, method, path, { host, cookie: session.cookie, ...form }, withKey);
        expect(answer.status, `${path} with action key ${key}`).toBe(403);
        expect(JSON.parse(answer.body).error.message).toContain('sign in again in this browser');
      }
    }
    await nothingChanged();
  });

  it('dashboard changes refuse a signed-in request without the session’s CSRF token', async () => {
    const other = await gw.signIn();
    for (const [method, path, body] of dashboardRoutes.filter(([m]) => m === 'POST')) {
      for (const csrf of [undefined, '', 'guess', other.csrf]) {
        const withCsrf = csrf === undefined ? body : `${body}${body ? '&' : ''}csrf=${csrf}`;
        const answer = await send(gw.url, method, path, { host, cookie: session.cookie, ...form }, withCsrf);
        expect(answer.status, `${path} with csrf ${csrf}`).toBe(403);
        expect(JSON.parse(answer.body).error.message).toContain('CSRF');
      }
    }
    await nothingChanged();
  });

  it.each([
    ...cases,
    ['a session instead of the admin token', () => ({ host, cookie: session.cookie })] as const,
  ])('every /api route refuses %s', async (_name, headersFor) => {
    for (const [method, path, body] of apiRoutes) {
      const answer = await send(gw.url, method, path, { ...headersFor(method), ...json }, body);
      expect([401, 403], `${method} ${path}: ${answer.status}`).toContain(answer.status);
    }
    await nothingChanged();
  });

  it('the same requests done right are served', async () => {
    const signedIn = { host, cookie: session.cookie, accept: 'text/html' };
    for (const [method, path] of dashboardRoutes.filter(([m]) => m === 'GET')) {
      const answer = await send(gw.url, method, path, signedIn);
      expect(answer.status, `${method} ${path}: ${answer.body}`).toBe(200);
      if (answer.headers['content-type']?.toString().startsWith('text/html')) {
        expect(answer.headers['content-security-policy']).toContain("frame-ancestors 'none'");
        expect(answer.headers['content-security-policy']).not.toContain('unsafe-inline');
      }
    }
    const status = await send(gw.url, 'GET', '/api/status', {
      host,
      authorization: `Bearer ${gw.adminToken}`,
    });
    expect(status.status).toBe(200);
    // Same-origin Origin is fine; the decision is taken and the call it was for runs once.
    const decided = await send(
      gw.url,
      'POST',
      `/approvals/${approvalId}/decide`,
      { host, cookie: session.cookie, origin: gw.url, ...form },
      `verdict=deny&reason=not+this+one&csrf=${session.csrf}&action_key=${session.actionKey}`,
    );
    expect(decided.status).toBe(303);
    expect((await gw.gateway.approvals.book.get(approvalId))?.status).toBe('denied');
  });
});

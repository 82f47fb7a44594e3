/**
 * An oauth2 secret behind the real gateway: a catalog tool over MCP (a real SDK client) and a
 * raw-proxy route share one access token; the fake API echoes the credential it received, and
 * the client secret, refresh and access tokens never reach the agent, the log or an audit row.
 * A revoked refresh token gives both routes a clear error and the token server no more requests.
 */
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog/index.js';
import { canaryToken, type FakeOAuth2, startFakeOAuth2 } from '../fakes/fake-oauth2.js';
import { startVaultGateway, type VaultGateway } from '../helpers/vault-gateway.js';

const CLIENT_ID = 'keygate-gateway-client';
const HOUR = 3_600_000;
const clientSecret = canaryToken('clientsecret');
const refreshToken = canaryToken('refresh');

let fake: FakeOAuth2;
let kg: VaultGateway;
let url: string;
let agentToken: string;
let client: VaultGateway['mcp'];
let clock = Date.parse('2026-12-01T09:00:00Z');
const catalog = await loadCatalog(['notion']);

/** Every secret of this test: none may appear anywhere the agent, the log or the audit can see. */
function expectNoSecret(text: string): void {
  for (const secret of [clientSecret, refreshToken, fake.currentRefreshToken ?? '', ...fake.issued].filter(
    Boolean,
  ))
    expect(text).not.toContain(secret);
}

async function proxied(): Promise<{ status: number; text: string }> {
  const response = await request(`${url}/proxy/crm-raw/items`, {
    headers: { authorization: `Bearer ${agentToken}` },
  });
  return { status: response.statusCode, text: await response.body.text() };
}

async function toolCall() {
  return client.callTool({ name: 'notion_user_me_get', arguments: {} });
}

beforeAll(async () => {
  fake = await startFakeOAuth2({ clientId: CLIENT_ID, clientSecret, refreshToken });
  kg = await startVaultGateway({
    policy: `
services:
  notion: { spec: builtin:notion, credential: crm, base_url: "${fake.origin}" }
  crm-raw:
    proxy:
      base_url: ${fake.origin}/api
      credential: crm
      allow: ["GET /items"]
      approval: { GET: never }
      private_ok: ["127.0.0.1:${new URL(fake.origin).port}"]
agents:
  bot:
    tools: [notion_user_me_get]
    proxy:
      crm-raw: ["GET /items"]
`,
    catalog,
    agent: 'bot',
    vault: { oauth2: { now: () => clock } },
    secrets: [
      {
        name: 'crm',
        kind: 'oauth2',
        params: { 'token-url': fake.tokenUrl, 'client-id': CLIENT_ID, scope: 'items.read' },
        value: JSON.stringify({ client_secret: clientSecret, refresh_token: refreshToken }),
      },
    ],
  });
  ({ url, agentToken, mcp: client } = kg);
}, 120_000);

afterAll(async () => {
  await kg?.close();
  await fake?.close();
});

describe('an oauth2 secret behind the gateway', () => {
  it('serves a catalog tool and a proxy route with one access token, scrubbed from both answers', async () => {
    const result = await toolCall();
    expect(result.isError).toBeFalsy();
    const text = JSON.stringify(result);
    expect(text).toContain('Bearer [REDACTED]');
    const proxy = await proxied();
    expect(proxy.status).toBe(200);
    expect(JSON.parse(proxy.text)).toMatchObject({
      ok: true,
      path: '/api/items',
      youSent: 'Bearer [REDACTED]',
    });
    expect(fake.tokenRequests).toEqual([{ grant: 'refresh_token', scope: 'items.read', status: 200 }]);
    expect(fake.apiRequests).toEqual([
      { path: '/v1/users/me', accepted: true },
      { path: '/api/items', accepted: true },
    ]);
    expectNoSecret(text + proxy.text);
  });

  it('answers a revoked refresh token with a clear error on both routes, asking the token server once', async () => {
    fake.revoke();
    clock += HOUR;
    const before = fake.tokenRequests.length;
    const result = await toolCall();
    expect(result.isError).toBe(true);
    const text = JSON.stringify(result);
    expect(text).toContain('secret crm needs re-authorisation (invalid_grant');
    expect(text).toContain('keygate secret set crm --kind oauth2');
    const proxy = await proxied();
    expect(proxy.status).toBe(502);
    expect(proxy.text).toContain('needs re-authorisation');
    for (let i = 0; i < 10; i++) {
      await toolCall();
      await proxied();
    }
    expect(fake.tokenRequests.length).toBe(before + 1);
    expect(fake.tokenRequests.at(-1)).toMatchObject({ error: 'invalid_grant' });
    expectNoSecret(text + proxy.text);
    const [listed] = await kg.gateway.admin.listSecrets().then((r) => r.secrets);
    expect(listed!.oauth2?.needsReauth).toBe(true);
  });

  it('wrote no secret to an audit row or the log', async () => {
    await kg.gateway.audit.drain();
    const rows = await kg.t.store.db.selectFrom('audit_events').selectAll().execute();
    expect(rows.length).toBeGreaterThanOrEqual(4);
    expect(rows.some((row) => row.reason === 'vault.needs_reauth')).toBe(true);
    expectNoSecret(JSON.stringify(rows));
    expectNoSecret(kg.logged.join('\n'));
  });
});

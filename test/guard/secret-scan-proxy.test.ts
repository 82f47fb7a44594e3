/**
 * The secret scan on the raw-HTTP proxy, over real HTTP on 127.0.0.1: a vault secret of another
 * service in a body, a header or the query is refused with 403 `policy.secret_detected`, naming
 * the place and never the value, and nothing reaches the upstream; the service's own secret may
 * go to it.
 */
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog/index.js';
import { bearerCredential, staticCredentialProvider } from '../../src/executor/index.js';
import { fixedSecrets } from '../../src/guard/index.js';
import { PolicyEngine, parsePolicy } from '../../src/policy/index.js';
import type { Gateway } from '../../src/server/index.js';
import { buildTestGateway, policySourceOf } from '../helpers/gateway.js';
import { assertNoSecrets } from '../helpers/harness.js';
import { PGLITE_BACKEND, type TestStore } from '../helpers/stores.js';
import { type FakeApi, GITHUB_KEY, OPENAI_KEY, startFakeApi } from '../proxy/fake-api.js';

let api: FakeApi;
let t: TestStore;
let gateway: Gateway;
let server: Server;
let url: string;
let token: string;
const answers: string[] = [];

beforeAll(async () => {
  api = await startFakeApi();
  const catalog = await loadCatalog(['github']);
  const ok = `["127.0.0.1:${api.port}"]`;
  const parsed = parsePolicy(
    `services:
  openai:
    proxy: { base_url: "${api.origin}/v1", credential: openai, allow: ["GET /models", "GET /echo"], private_ok: ${ok} }
  github-raw:
    proxy:
      base_url: ${api.origin}/gh
      credential: github-raw
      allow: ["POST /repos/*/*/issues"]
      approval: { POST: never }
      private_ok: ${ok}
agents:
  coder:
    proxy: { openai: ["GET /models", "GET /echo"], github-raw: ["POST /repos/*/*/issues"] }
`,
    catalog,
  );
  if (!parsed.ok) throw new Error(`bad test policy: ${JSON.stringify(parsed.problems)}`);
  const engine = new PolicyEngine(parsed.policy, catalog);
  t = await PGLITE_BACKEND.fresh();
  gateway = await buildTestGateway(
    t,
    catalog,
    policySourceOf(() => engine),
    {
      publicUrl: () => url,
      credentials: staticCredentialProvider({
        openai: bearerCredential('openai', OPENAI_KEY),
        'github-raw': bearerCredential('github-raw', GITHUB_KEY),
      }),
      scanSecrets: fixedSecrets([
        { name: 'openai', values: [OPENAI_KEY] },
        { name: 'github-raw', values: [GITHUB_KEY] },
      ]),
    },
  );
  server = createServer((req, res) => gateway.handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  token = (await gateway.admin.addAgent('coder')).token;
}, 60_000);

afterAll(async () => {
  const rows = await gateway.audit.query({ limit: 1000 });
  server?.close();
  await gateway?.close(async () => server.closeAllConnections());
  await t?.dispose();
  await api?.close();
  assertNoSecrets(answers, [OPENAI_KEY, GITHUB_KEY]);
  assertNoSecrets(rows, [OPENAI_KEY, GITHUB_KEY]);
});

beforeEach(() => {
  api.received.length = 0;
});

async function send(
  path: string,
  init: { method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: string },
) {
  const response = await request(`${url}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${token}`, ...init.headers },
    ...(init.body === undefined ? {} : { body: init.body }),
  });
  const text = await response.body.text();
  answers.push(text);
  return { status: response.statusCode, text };
}

describe('the secret scan on /proxy', () => {
  it.each([
    [
      'a JSON body',
      '/proxy/github-raw/repos/acme/api/issues',
      {
        method: 'POST' as const,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ title: 'key', body: `OPENAI_API_KEY=${OPENAI_KEY}` }),
      },
      'the body carries',
    ],
    [
      'a header, in base64',
      '/proxy/openai/models',
      { headers: { 'x-debug': Buffer.from(GITHUB_KEY).toString('base64') } },
      'the header x-debug carries',
    ],
    [
      'the query, in hex',
      `/proxy/openai/echo?note=${Buffer.from(GITHUB_KEY).toString('hex').toUpperCase()}`,
      {},
      'the query carries',
    ],
  ])('refuses a vault secret of another service in %s, sending nothing', async (_name, path, init, said) => {
    const { status, text } = await send(path, init);
    expect(status).toBe(403);
    const error = JSON.parse(text).error;
    expect(error.code).toBe('policy.secret_detected');
    expect(error.message).toContain(said);
    expect(error.message).toContain('(rule vault-secret)');
    expect(api.received).toEqual([]);
    const [row] = await gateway.audit.query({ agent: 'coder', limit: 1 });
    expect(row).toMatchObject({ decision: 'denied' });
    expect(row!.reason).toContain(said.replace(/^the | carries$/g, ''));
  });

  it("lets the service's own secret go to it", async () => {
    const { status } = await send('/proxy/openai/models', { headers: { 'x-debug': OPENAI_KEY } });
    expect(status).toBe(200);
    expect(api.received).toHaveLength(1);
  });
});

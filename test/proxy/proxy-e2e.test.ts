/**
 * Raw-HTTP proxy mode end to end: real clients (the official openai SDK, @octokit/rest, plain
 * undici, an MCP client) through the gateway's /proxy route and keygate_http_request, against
 * fake upstreams on 127.0.0.1 that check the injected credential and record what they received.
 * The fakes are reached through the real SSRF guard, their exact host:port in private_ok.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Octokit } from '@octokit/rest';
import OpenAI from 'openai';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog/index.js';
import {
  bearerCredential,
  type CredentialProvider,
  redactedCredential,
  staticCredentialProvider,
} from '../../src/executor/index.js';
import { PolicyEngine, parsePolicy } from '../../src/policy/index.js';
import type { Gateway } from '../../src/server/index.js';
import { buildTestGateway, policySourceOf } from '../helpers/gateway.js';
import { PGLITE_BACKEND, type TestStore } from '../helpers/stores.js';
import { type FakeApi, GITHUB_KEY, OPENAI_KEY, QUERY_KEY, startFakeApi } from './fake-api.js';

const KEYS = [
  OPENAI_KEY,
  GITHUB_KEY,
  Buffer.from(OPENAI_KEY).toString('base64'),
  Buffer.from(GITHUB_KEY).toString('base64'),
];

let api: FakeApi;
let elsewhere: Server;
let elsewhereHits = 0;
let elsewherePort = 0;
let t: TestStore;
let gateway: Gateway;
let server: Server;
let url: string;
let token: string;
let engine: PolicyEngine;
/** Services whose credential the gateway asked for, in order (none may be asked before auth). */
const credentialsAsked: string[] = [];
const catalog = await loadCatalog(['github']);

function policyYaml(wait: string): string {
  const ok = `["127.0.0.1:${api.port}"]`;
  return `
defaults:
  approval_wait: ${wait}
services:
  openai:
    proxy:
      base_url: ${api.origin}/v1
      credential: openai
      allow: ["GET /models", "POST /chat/completions", "GET /echo", "GET /redirect", "GET /error"]
      approval: { GET: never, POST: never }
      private_ok: ${ok}
  github-raw:
    proxy:
      base_url: ${api.origin}/gh
      credential: github-raw
      allow: ["GET /repos/*/*", "POST /repos/*/*/issues"]
      private_ok: ${ok}
  openai-gated:
    proxy:
      base_url: ${api.origin}/v1
      credential: openai
      allow: ["POST /chat/completions"]
      private_ok: ${ok}
  search:
    proxy:
      base_url: ${api.origin}/q
      credential: search
      allow: ["GET /find"]
      private_ok: ${ok}
agents:
  coder:
    tools: []
    proxy:
      openai: ["GET /models", "POST /chat/completions", "GET /echo", "GET /redirect", "GET /error"]
      github-raw: ["GET /repos/*/*", "POST /repos/*/*/issues"]
      openai-gated: ["POST /chat/completions"]
      search: ["GET /find"]
  plain:
    tools: []
  reader:
    tools: []
    proxy:
      github-raw: ["GET /repos/*/*"]
`;
}

function setPolicy(wait: string): void {
  const parsed = parsePolicy(policyYaml(wait), catalog);
  if (!parsed.ok) throw new Error(`bad test policy: ${JSON.stringify(parsed.problems)}`);
  engine = new PolicyEngine(parsed.policy, catalog);
}

/** Nothing the fake upstream received carries the agent's token; nothing the agent got carries a key. */
function expectNoAgentTokenUpstream(): void {
  expect(JSON.stringify(api.received)).not.toContain(token);
}
function expectNoKeys(text: string): void {
  for (const key of KEYS) expect(text).not.toContain(key);
}

/** `provider`, noting in `credentialsAsked` every service whose credential is asked for. */
function counted(provider: CredentialProvider): CredentialProvider {
  return {
    credentialFor: (context) => {
      credentialsAsked.push(context.service);
      return provider.credentialFor(context);
    },
  };
}

beforeAll(async () => {
  api = await startFakeApi();
  elsewhere = createServer((_req, res) => {
    elsewhereHits++;
    res.end('you should not be here');
  });
  await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
  elsewherePort = (elsewhere.address() as AddressInfo).port;
  setPolicy('1s');
  const policy = policySourceOf(() => engine);
  t = await PGLITE_BACKEND.fresh();
  gateway = await buildTestGateway(t, catalog, policy, {
    publicUrl: () => url,
    credentials: counted(
      staticCredentialProvider({
        openai: bearerCredential('openai', OPENAI_KEY),
        'openai-gated': bearerCredential('openai', OPENAI_KEY),
        'github-raw': bearerCredential('github-raw', GITHUB_KEY),
        search: redactedCredential({
          label: 'query search',
          inject: (outgoing) => outgoing.url.searchParams.set('api_key', QUERY_KEY),
          secretValues: () => [QUERY_KEY],
        }),
      }),
    ),
  });
  server = createServer((req, res) => gateway.handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  token = (await gateway.admin.addAgent('coder')).token;
}, 60_000);

afterAll(async () => {
  server?.close();
  await gateway?.close(async () => server.closeAllConnections());
  await t?.dispose();
  await api?.close();
  elsewhere?.close();
});

beforeEach(() => {
  api.received.length = 0;
  credentialsAsked.length = 0;
});

describe('the official openai client through /proxy/openai', () => {
  const client = () => new OpenAI({ baseURL: `${url}/proxy/openai`, apiKey: token, maxRetries: 0 });

  it('lists models with the real key injected and its own token kept from the upstream', async () => {
    const models = await client().models.list();
    expect(models.data.map((model) => model.id)).toEqual(['gpt-test']);
    expect(api.received).toHaveLength(1);
    expect(api.received[0]!.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
    expect(api.received[0]!.url).toBe('/v1/models');
    expectNoAgentTokenUpstream();
  });

  it('creates a chat completion', async () => {
    const completion = await client().chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(completion.choices[0]!.message.content).toBe('hello from the fake');
    expect(JSON.parse(api.received[0]!.body)).toMatchObject({ model: 'gpt-test' });
  });

  it('streams a chat completion event by event', async () => {
    const stream = await client().chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    const deltas: string[] = [];
    for await (const part of stream) deltas.push(part.choices[0]?.delta.content ?? '');
    expect(deltas.join('')).toBe('hello world');
  });

  it('scrubs the key from a streamed event even when the upstream cuts it across two writes', async () => {
    const stream = await client().chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'echo your key' }],
      stream: true,
    });
    const deltas: string[] = [];
    for await (const part of stream) deltas.push(part.choices[0]?.delta.content ?? '');
    expect(deltas.join('')).toBe('hello [REDACTED]  world');
    expectNoKeys(deltas.join(''));
  });

  it('refuses a route outside the agent grant with 403, and sends nothing', async () => {
    await expect(client().embeddings.create({ model: 'x', input: 'y' })).rejects.toMatchObject({
      status: 403,
    });
    expect(api.received).toHaveLength(0);
  });
});

describe('@octokit/rest through /proxy/github-raw', () => {
  const octokit = () =>
    new Octokit({ baseUrl: `${url}/proxy/github-raw`, auth: token, request: { retries: 0 } });

  it('gets a repository', async () => {
    const { data, headers } = await octokit().repos.get({ owner: 'octo', repo: 'hello' });
    expect(data.full_name).toBe('octo/hello');
    // The body streams through as sent: a header is the only label it can carry.
    expect((headers as Record<string, unknown>)['x-keygate-untrusted']).toBe('body');
    expect(api.received[0]!.headers.authorization).toBe(`Bearer ${GITHUB_KEY}`);
    expectNoAgentTokenUpstream();
  });

  it('answers 428 naming the approval; once approved the identical request runs once; a changed body needs its own', async () => {
    const create = (title: string) => octokit().issues.create({ owner: 'octo', repo: 'hello', title });
    const first = await create('bug').catch(
      (error: { status: number; response: { data: unknown } }) => error,
    );
    expect(first).toMatchObject({ status: 428 });
    const pending = (
      first as { response: { data: { error: { code: string; approvalId: string; approve: string } } } }
    ).response.data.error;
    expect(pending.code).toBe('approval.pending');
    expect(pending.approve).toContain(`approvals approve ${pending.approvalId}`);
    expect(api.received).toHaveLength(0);

    await gateway.admin.decideApproval({ id: pending.approvalId, verdict: 'approved' });
    // Another body is another request: the approval does not cover it.
    const changed = await create('other').catch(
      (error: { status: number; response: { data: unknown } }) => error,
    );
    expect(changed).toMatchObject({ status: 428 });
    expect(
      (changed as { response: { data: { error: { approvalId: string } } } }).response.data.error.approvalId,
    ).not.toBe(pending.approvalId);
    expect(api.received).toHaveLength(0);

    const ran = await create('bug');
    expect(ran.status).toBe(201);
    expect(api.received.filter((r) => r.method === 'POST')).toHaveLength(1);
    // The approval ran once: the same request again asks anew.
    const again = await create('bug').catch((error: { status: number }) => error);
    expect(again).toMatchObject({ status: 428 });
    expect(api.received.filter((r) => r.method === 'POST')).toHaveLength(1);
  }, 30_000);
});

describe('approvals bind the headers sent upstream', () => {
  type Pending = { error: { code: string; approvalId: string } };
  const post = (headers: Record<string, string>) =>
    request(`${url}/proxy/github-raw/repos/octo/headers/issues`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ title: 'bound headers' }),
    });

  it('a changed Stripe-Account needs a new approval; a changed x-stainless-retry-count does not', async () => {
    const first = await post({ 'stripe-account': 'acct_1', 'x-stainless-retry-count': '0' });
    expect(first.statusCode).toBe(428);
    const pending = ((await first.body.json()) as Pending).error;
    await gateway.admin.decideApproval({ id: pending.approvalId, verdict: 'approved' });

    const changed = await post({ 'stripe-account': 'acct_2', 'x-stainless-retry-count': '0' });
    expect(changed.statusCode).toBe(428);
    expect(((await changed.body.json()) as Pending).error.approvalId).not.toBe(pending.approvalId);
    expect(api.received).toHaveLength(0);

    const retried = await post({ 'stripe-account': 'acct_1', 'x-stainless-retry-count': '1' });
    expect(retried.statusCode).toBe(201);
    await retried.body.dump();
    expect(api.received).toHaveLength(1);
    expect(api.received[0]!.headers['stripe-account']).toBe('acct_1');
  }, 30_000);

  it("lets the openai SDK's own retry of an approved request run once", async () => {
    const create = (client: OpenAI) =>
      client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'gated' }] });
    const first = await create(
      new OpenAI({ baseURL: `${url}/proxy/openai-gated`, apiKey: token, maxRetries: 0 }),
    ).catch((error: { status: number; error: { approvalId: string } }) => error);
    expect(first).toMatchObject({ status: 428 });
    const { approvalId } = (first as { error: { approvalId: string } }).error;
    await gateway.admin.decideApproval({ id: approvalId, verdict: 'approved' });

    // The next attempt fails on the way out once, so the SDK itself retries it (attempt 1).
    let failedOnce = false;
    const flaky: typeof fetch = async (input, init) => {
      if (!failedOnce) {
        failedOnce = true;
        throw new TypeError('fetch failed');
      }
      return fetch(input, init);
    };
    const completion = await create(
      new OpenAI({ baseURL: `${url}/proxy/openai-gated`, apiKey: token, maxRetries: 1, fetch: flaky }),
    );
    expect(completion.choices[0]!.message.content).toBe('hello from the fake');
    const posts = api.received.filter((r) => r.method === 'POST');
    expect(posts).toHaveLength(1);
    expect(posts[0]!.headers['x-stainless-retry-count']).toBe('1');
  }, 30_000);
});

describe('a POST that waits for approval out of band', () => {
  it('runs exactly once when a human approves it while it waits', async () => {
    setPolicy('60s');
    try {
      const sent = request(`${url}/proxy/github-raw/repos/octo/hello/issues`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ title: 'waits' }),
      });
      let approval: { id: string } | undefined;
      for (let i = 0; i < 400 && !approval; i++) {
        // Earlier tests leave other requests pending: this one is known by its body.
        const pending = await gateway.approvals.book.list({ agent: 'coder', status: 'pending' });
        approval = pending.find((candidate) => JSON.stringify(candidate.args).includes('waits'));
        if (!approval) await new Promise((resolve) => setTimeout(resolve, 25));
      }
      expect(api.received).toHaveLength(0);
      await gateway.admin.decideApproval({ id: approval!.id, verdict: 'approved' });
      const response = await sent;
      if (response.statusCode !== 201) throw new Error(await response.body.text());
      expect(response.statusCode).toBe(201);
      expect(await response.body.json()).toMatchObject({ title: 'waits' });
      expect(api.received.filter((r) => r.method === 'POST')).toHaveLength(1);
    } finally {
      setPolicy('1s');
    }
  }, 30_000);
});

describe('the agent token slots and refusals, with plain undici', () => {
  const get = (path: string, headers: Record<string, string> = {}) =>
    request(`${url}/proxy/openai${path}`, { headers });

  it.each([
    ['Authorization: Bearer', (tok: string) => ({ authorization: `Bearer ${tok}` })],
    ['x-api-key', (tok: string) => ({ 'x-api-key': tok })],
    ['X-Keygate-Token', (tok: string) => ({ 'x-keygate-token': tok })],
    [
      'a basic password',
      (tok: string) => ({ authorization: `Basic ${Buffer.from(`user:${tok}`).toString('base64')}` }),
    ],
  ])('takes the token from %s', async (_slot, headers) => {
    const response = await get('/models', headers(token));
    expect(response.statusCode).toBe(200);
    await response.body.dump();
    expectNoAgentTokenUpstream();
  });

  it('takes the token from the query parameter of a query credential, and sends the real key there', async () => {
    const response = await request(`${url}/proxy/search/find?q=cats&api_key=${token}`);
    expect(response.statusCode).toBe(200);
    expect(await response.body.json()).toEqual({ results: ['cats'] });
    expect(new URL(api.received[0]!.url, 'http://x').searchParams.getAll('api_key')).toEqual([QUERY_KEY]);
    expectNoAgentTokenUpstream();
  });

  it('finds a token in any query parameter by its kg_ prefix', async () => {
    const response = await request(`${url}/proxy/search/find?q=cats&key=${token}`);
    expect(response.statusCode).toBe(200);
    expect(await response.body.json()).toEqual({ results: ['cats'] });
    expect(new URL(api.received[0]!.url, 'http://x').searchParams.get('key')).toBeNull();
    expectNoAgentTokenUpstream();
  });

  it('decrypts no credential for a request whose token is missing or wrong', async () => {
    for (const query of ['q=cats', 'q=cats&api_key=kg_not_a_token', 'q=cats&api_key=nope']) {
      const response = await request(`${url}/proxy/search/find?${query}`);
      expect(response.statusCode).toBe(401);
      await response.body.dump();
    }
    expect(credentialsAsked).toEqual([]);
    expect(api.received).toHaveLength(0);
  });

  it('answers 401 without a token or with a wrong one, and sends nothing', async () => {
    const none = await get('/models');
    expect(none.statusCode).toBe(401);
    expect(await none.body.json()).toMatchObject({ error: { code: 'auth.unauthorized' } });
    const wrong = await get('/models', { authorization: 'Bearer kg_not_a_token' });
    expect(wrong.statusCode).toBe(401);
    await wrong.body.dump();
    expect(api.received).toHaveLength(0);
  });

  it('answers 404 for a service that is not a proxy service', async () => {
    const response = await request(`${url}/proxy/nope/models`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.statusCode).toBe(404);
    await response.body.dump();
  });

  it.each(['/%2e%2e/gh/repos/a/b', '//evil.example/models', '/models/..%2f..%2fgh', '/@evil.example/models'])(
    'refuses the path trick %s before anything is sent',
    async (path) => {
      const response = await get(path, { authorization: `Bearer ${token}` });
      expect(response.statusCode).toBeGreaterThanOrEqual(400);
      expect(response.statusCode).toBeLessThan(500);
      await response.body.dump();
      expect(api.received).toHaveLength(0);
    },
  );

  it('refuses a route the agent has no grant for with 403 policy.denied', async () => {
    const response = await request(`${url}/proxy/github-raw/repos/octo/hello/issues`, {
      method: 'POST',
      headers: { authorization: `Bearer ${(await gateway.admin.addAgent('reader')).token}` },
      body: '{"title":"x"}',
    });
    expect(response.statusCode).toBe(403);
    expect(await response.body.json()).toMatchObject({ error: { code: 'policy.denied' } });
    expect(api.received).toHaveLength(0);
  });
});

describe('the credential never reaches the agent', () => {
  const get = (path: string) =>
    request(`${url}/proxy/openai${path}`, { headers: { authorization: `Bearer ${token}` } });

  it('from an upstream that echoes it in a header and the body (plain and base64)', async () => {
    const response = await get('/echo');
    const text = await response.body.text();
    expect(response.headers['x-echo-auth']).toBe('Bearer [REDACTED]');
    expect(text).toContain('[REDACTED]');
    expectNoKeys(text);
    expectNoKeys(JSON.stringify(response.headers));
  });

  it('from a redirect, which is returned and never followed', async () => {
    const response = await get('/redirect');
    expect(response.statusCode).toBe(302);
    expect(response.headers.location).toBe('https://elsewhere.example/?k=[REDACTED]');
    await response.body.dump();
    expect(api.received).toHaveLength(1);
  });

  it('from an upstream error body', async () => {
    const response = await get('/error');
    expect(response.statusCode).toBe(500);
    const text = await response.body.text();
    expect(text).toContain('[REDACTED]');
    expectNoKeys(text);
  });

  it('and never reaches another host: a service whose base URL is not private_ok is refused before connecting', async () => {
    const parsed = parsePolicy(
      policyYaml('1s').replace(
        `base_url: ${api.origin}/v1`,
        `base_url: http://127.0.0.1:${elsewherePort}/v1`,
      ),
      catalog,
    );
    // Loopback over http passes the policy's rules; the guard refuses it at connect (not in private_ok).
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const previous = engine;
    engine = new PolicyEngine(parsed.policy, catalog);
    try {
      const response = await get('/models');
      const text = await response.body.text();
      expect(JSON.parse(text)).toMatchObject({ error: { code: 'egress.refused' } });
      expectNoKeys(text);
    } finally {
      engine = previous;
    }
    expect(elsewhereHits).toBe(0);
  });
});

describe("keygate's own listener", () => {
  it('is refused as an upstream even when private_ok names it, so the proxy cannot call itself', async () => {
    const own = new URL(url).host;
    const parsed = parsePolicy(
      policyYaml('1s')
        .replace(`base_url: ${api.origin}/v1`, `base_url: ${url}/proxy/openai`)
        .replace(`private_ok: ["127.0.0.1:${api.port}"]`, `private_ok: ["${own}"]`),
      catalog,
    );
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const previous = engine;
    engine = new PolicyEngine(parsed.policy, catalog);
    try {
      const response = await request(`${url}/proxy/openai/models`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const text = await response.body.text();
      expect(JSON.parse(text)).toMatchObject({ error: { code: 'egress.refused' } });
      expectNoKeys(text);
    } finally {
      engine = previous;
    }
  });
});

describe('audit', () => {
  it('records a proxied request as proxy:<service> with its route, intent and outcome', async () => {
    const response = await request(`${url}/proxy/openai/models`, {
      headers: { authorization: `Bearer ${token}` },
    });
    await response.body.dump();
    await gateway.audit.drain();
    const { events } = await gateway.admin.queryAudit({ tool: 'proxy:openai', limit: 1000 });
    const last = events.filter((event) => event.route === 'GET /models');
    const outcome = last.find((event) => event.decision === 'completed');
    const intent = last.find((event) => event.decision === 'allowed');
    expect(intent).toMatchObject({ tool: 'proxy:openai', route: 'GET /models', decision: 'allowed' });
    expect(outcome).toMatchObject({
      tool: 'proxy:openai',
      route: 'GET /models',
      decision: 'completed',
      upstreamStatus: 200,
    });
    expect(outcome!.bytes).toBeGreaterThan(0);
    expect((await gateway.admin.verifyAudit()).ok).toBe(true);
  });
});

describe('keygate_http_request over MCP', () => {
  async function connect(agentToken: string): Promise<Client> {
    const client = new Client({ name: 'proxy-test', version: '1' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${agentToken}` } },
      }),
    );
    return client;
  }

  it('is not listed for an agent without a proxy grant, and names no tool for it', async () => {
    const client = await connect((await gateway.admin.addAgent('plain')).token);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).not.toContain('keygate_http_request');
      await expect(
        client.callTool({
          name: 'keygate_http_request',
          arguments: { service: 'openai', method: 'GET', path: '/models' },
        }),
      ).rejects.toThrow(/Unknown tool/);
      expect(api.received).toHaveLength(0);
    } finally {
      await client.close();
    }
  });

  it('is listed with the agent routes and runs under the same policy and scrubbing', async () => {
    const client = await connect(token);
    try {
      const { tools } = await client.listTools();
      const tool = tools.find((candidate) => candidate.name === 'keygate_http_request');
      expect(tool?.description).toContain('github-raw: GET /repos/*/*, POST /repos/*/*/issues');
      const models = await client.callTool({
        name: 'keygate_http_request',
        arguments: { service: 'openai', method: 'GET', path: '/models' },
      });
      expect(JSON.stringify(models.content)).toContain('gpt-test');
      // A proxied body is third-party text as a whole: delimited, and marked whole in _meta.
      const [notice, answer] = models.content as { text: string }[];
      const nonce = /between ⟦([0-9a-f]{6})⟧ and ⟦\/\1⟧/.exec(notice!.text)?.[1];
      expect(nonce).toBeDefined();
      expect(answer!.text).toMatch(
        new RegExp(`^HTTP 200 \\([^)]*\\)\\n\\n⟦${nonce}⟧\\{[^⟦⟧]*gpt-test[^⟦⟧]*\\}⟦/${nonce}⟧$`),
      );
      expect(models._meta?.['keygate/untrusted']).toEqual(['$']);
      const echo = await client.callTool({
        name: 'keygate_http_request',
        arguments: { service: 'openai', method: 'GET', path: '/echo' },
      });
      expectNoKeys(JSON.stringify(echo));
      const denied = await client.callTool({
        name: 'keygate_http_request',
        arguments: { service: 'openai', method: 'DELETE', path: '/models' },
      });
      expect(denied.isError).toBe(true);
      expect(JSON.stringify(denied.structuredContent)).toContain('policy.denied');
    } finally {
      await client.close();
    }
  });
});

/**
 * The daemon's HTTP edges over real sockets: input mistakes answer a clear 4xx (never a 500),
 * names taken from requests are looked up as own properties only, every 401 says which of
 * missing / invalid / expired / revoked it is, and `GET /` says what keygate is.
 */

import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.js';
import { runInProcess } from '../helpers/cli.js';
import { connectAgent, type DaemonProcess, startDaemonProcess } from '../helpers/daemon-process.js';

const SECRET = 'ghp_CANARYedges0000000000000000000000000e1';

describe('the daemon over HTTP: clear 4xx, own-property names, 401 reasons, GET /', () => {
  let home: string;
  let github: FakeUpstream;
  let daemon: DaemonProcess;
  let url: string;
  let adminToken: string;
  let ctorClient: Client;
  const clients: Client[] = [];

  async function admin(path: string, init: RequestInit = {}) {
    return fetch(`${url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json', ...init.headers },
    });
  }
  async function addAgent(name: string): Promise<{ token: string; tokenId: string }> {
    const response = await admin('/api/agents', { method: 'POST', body: JSON.stringify({ name }) });
    expect(response.status).toBe(200);
    return (await response.json()) as { token: string; tokenId: string };
  }
  async function connect(token: string): Promise<Client> {
    const client = await connectAgent(url, token, 'edges');
    clients.push(client);
    return client;
  }
  beforeAll(async () => {
    github = await startFakeUpstream('github', SECRET);
    home = join(await mkdtemp(join(tmpdir(), 'keygate-edges-')), 'home');
    expect((await runInProcess(['init', '--home', home])).code).toBe(0);
    await writeFile(
      join(home, 'keygate.yaml'),
      `services:
  github: { spec: builtin:github, credential: github, base_url: "${github.url}" }
agents:
  constructor:
    tools: [github_repo_get, github_issue_get]
    constraints:
      "github_*": { owner: acme }
    approval: { github_issue_get: never }
    rate_limit: { calls: 100, per: 1h }
  triage-bot:
    tools: [github_issue_get]
`,
    );
    adminToken = (await readFile(join(home, 'admin.token'), 'utf8')).trim();
    daemon = await startDaemonProcess(home);
    url = daemon.url;
    const set = await admin('/api/secrets/github', {
      method: 'PUT',
      body: JSON.stringify({ value: SECRET }),
    });
    expect(set.status).toBe(200);
    await addAgent('triage-bot');
  }, 120_000);

  afterAll(async () => {
    for (const client of clients) await client.close().catch(() => undefined);
    const code = await daemon.stop();
    await github.close();
    expect(code).toBe(0);
    // Nothing above was an internal error, and nothing logged a secret.
    expect(daemon.log()).not.toContain('internal error');
    expect(daemon.log()).not.toContain(SECRET);
  });

  describe('input mistakes are 4xx with a clear message, never 500', () => {
    it.each([
      ['GET', '/api/approvals/%ZZ', 'approval id'],
      ['POST', '/api/approvals/%E0%A4%A/approve', 'approval id'],
      ['DELETE', '/api/secrets/%ZZ', 'secret name'],
      ['PUT', '/api/secrets/%ZZ', 'secret name'],
      ['POST', '/api/agents/%C0/tokens', 'agent name'],
    ])('%s %s: malformed percent-encoding is a 400', async (method, path, what) => {
      const response = await admin(path, { method, ...(method === 'GET' ? {} : { body: '{}' }) });
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        error: { code: 'request.invalid', message: `the ${what} in the path is not valid percent-encoding` },
      });
    });

    it.each([
      [
        'a username that is an object',
        { kind: 'basic', params: { username: {} } },
        '--username must be a string (got an object)',
      ],
      [
        'a username that is a number',
        { kind: 'basic', params: { username: 7 } },
        '--username must be a string (got a number)',
      ],
      [
        'a header name that is an array',
        { kind: 'header', params: { header: ['x'] } },
        '--header must be a string (got an array)',
      ],
      [
        'parameters that are a string',
        { kind: 'basic', params: 'alice' },
        'parameters must be an object of strings (got a string)',
      ],
      [
        'parameters that are an array',
        { kind: 'query', params: ['key'] },
        'parameters must be an object of strings (got an array)',
      ],
    ])('a secret with %s is 400 vault.invalid_secret', async (_what, body, message) => {
      const response = await admin('/api/secrets/shaped', {
        method: 'PUT',
        body: JSON.stringify({ value: 'pw-not-quoted', ...body }),
      });
      expect(response.status).toBe(400);
      const payload = (await response.json()) as { error: { code: string; message: string } };
      expect(payload.error.code).toBe('vault.invalid_secret');
      expect(payload.error.message).toContain(message);
      expect(payload.error.message).not.toContain('pw-not-quoted');
    });

    it.each([
      [
        'a kind that is not a string',
        '/api/secrets/x',
        'PUT',
        { kind: {}, value: 'v' },
        'kind must be a string',
      ],
      ['a body that is null', '/api/agents', 'POST', null, 'the request body must be a JSON object'],
      ['a body that is an array', '/api/revoke', 'POST', ['x'], 'the request body must be a JSON object'],
      ['a ttl that is a number', '/api/agents/triage-bot/tokens', 'POST', { ttl: 5 }, 'ttl must be a string'],
    ])('%s is a 400', async (_what, path, method, body, message) => {
      const response = await admin(path, { method, body: JSON.stringify(body) });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: { message: string } }).error.message).toBe(message);
    });

    it('refuses a body nested deeper than the bound with a 400', async () => {
      const response = await admin('/api/agents', {
        method: 'POST',
        body: `{"name":${'['.repeat(10_000)}${']'.repeat(10_000)}}`,
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: { code: 'request.invalid' } });
    });

    it.each([
      ['99999999999d', '99999999999d'],
      ['400 nines of ms', `${'9'.repeat(400)}ms`],
      ['3651d', '3651d'],
    ])('refuses a token ttl of %s: at most ten years', async (_label, ttl) => {
      await addAgent(`ttl-${ttl.length}`);
      const response = await admin(`/api/agents/ttl-${ttl.length}/tokens`, {
        method: 'POST',
        body: JSON.stringify({ ttl }),
      });
      expect(response.status).toBe(400);
      const payload = (await response.json()) as { error: { code: string; message: string } };
      expect(payload.error).toMatchObject({ code: 'request.invalid' });
      expect(payload.error.message).toContain('--ttl must be at most 3650d (ten years)');
    });

    it('mints a token of exactly ten years', async () => {
      const minted = await admin('/api/agents/triage-bot/tokens', {
        method: 'POST',
        body: JSON.stringify({ ttl: '3650d' }),
      });
      expect(minted.status).toBe(200);
      const { expiresAt } = (await minted.json()) as { expiresAt: string };
      expect(Date.parse(expiresAt) - Date.now()).toBeGreaterThan(3649 * 86_400_000);
    });

    it('refuses an audit query --since past ten years with a 400', async () => {
      const response = await admin('/api/audit?since=99999999999d');
      expect(response.status).toBe(400);
    });
  });

  describe('names from requests are own properties only', () => {
    it.each(['__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'nobody'])(
      '/api/tools?agent=%s is a 404 naming the unknown agent',
      async (name) => {
        const response = await admin(`/api/tools?agent=${encodeURIComponent(name)}`);
        expect(response.status).toBe(404);
        expect(await response.json()).toEqual({
          error: {
            code: 'agent.not_found',
            message: `no agent named ${name} (not registered, not in the policy)`,
          },
        });
      },
    );

    it('lists the tools of an agent named constructor, with its approval overrides', async () => {
      const response = await admin('/api/tools?agent=constructor');
      expect(response.status).toBe(200);
      const { tools } = (await response.json()) as { tools: { name: string; approval: string }[] };
      expect(tools.map((tool) => [tool.name, tool.approval])).toEqual([
        ['github_repo_get', 'never'],
        ['github_issue_get', 'never'],
      ]);
    });

    it.each(['__proto__', 'constructor', 'toString'])(
      '/api/tools?service=%s filters to nothing rather than failing',
      async (service) => {
        const response = await admin(`/api/tools?service=${service}`);
        expect(response.status).toBe(200);
        expect(((await response.json()) as { tools: unknown[] }).tools).toEqual([]);
      },
    );

    it('serves an agent named constructor over MCP: its tools, its constraint, its calls', async () => {
      const { token } = await addAgent('constructor');
      const client = await connect(token);
      ctorClient = client;
      expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual([
        'github_repo_get',
        'github_issue_get',
      ]);
      github.reset();
      github.reply = () => ({ status: 200, body: '{"full_name":"acme/api"}' });
      const ok = await client.callTool({
        name: 'github_repo_get',
        arguments: { owner: 'acme', repo: 'api' },
      });
      expect(ok.isError).toBeFalsy();
      const denied = await client.callTool({
        name: 'github_repo_get',
        arguments: { owner: 'evil', repo: 'api' },
      });
      expect(denied.isError).toBe(true);
      expect(JSON.stringify(denied.structuredContent)).toContain('policy.denied');
      expect(github.requests.map((r) => r.path)).toEqual(['/repos/acme/api']);
    });

    it.each(['__proto__', 'constructor', 'toString'])(
      'answers a call of a tool named %s as unknown, not as a failure',
      async (name) => {
        const { token } = await addAgent(`caller-${name.replace(/_/g, '').toLowerCase()}`);
        const client = await connect(token);
        const result = await client.callTool({ name, arguments: {} }).catch((error: Error) => error);
        const text = result instanceof Error ? result.message : JSON.stringify(result);
        expect(text).not.toMatch(/internal/i);
        expect(text).toMatch(/unknown tool|not found|not among|no tool/i);
      },
    );

    it.each(['constructor', 'toString'])(
      'refuses an argument named %s as unknown, sending nothing',
      async (key) => {
        github.reset();
        const result = await ctorClient.callTool({
          name: 'github_repo_get',
          arguments: JSON.parse(`{"owner":"acme","repo":"api","${key}":{"owner":"acme"}}`),
        });
        expect(result.isError).toBe(true);
        expect(JSON.stringify(result.structuredContent)).toContain(`unknown argument ${key}`);
        expect(github.requests).toEqual([]);
      },
    );

    it('does not let an argument named __proto__ supply a constrained argument', async () => {
      github.reset();
      const result = await ctorClient.callTool({
        name: 'github_repo_get',
        arguments: JSON.parse('{"repo":"api","__proto__":{"owner":"acme"}}'),
      });
      expect(result.isError).toBe(true);
      expect(JSON.stringify(result.structuredContent)).toContain('missing required argument owner');
      expect(github.requests).toEqual([]);
    });
  });
  describe('a 401 says why, in WWW-Authenticate and in the body', () => {
    /** A tools/list POST to /mcp with `authorization` as given. */
    function mcpPost(authorization?: string) {
      return fetch(`${url}/mcp`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...(authorization === undefined ? {} : { authorization }),
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      });
    }

    async function refusal(response: Response) {
      expect(response.status).toBe(401);
      return {
        challenge: response.headers.get('www-authenticate'),
        error: ((await response.json()) as { error: { code: string; reason: string; message: string } })
          .error,
      };
    }

    it('a request without a token: missing, with a bare Bearer challenge', async () => {
      const { challenge, error } = await refusal(await mcpPost());
      expect(challenge).toBe('Bearer realm="keygate"');
      expect(error).toMatchObject({ code: 'auth.unauthorized', reason: 'missing' });
      expect(error.message).toContain('Authorization: Bearer kg_');
    });

    it.each([
      ['an unknown kg_ token', 'Bearer kg_nope'],
      ['an unknown well-formed kg_ token', `Bearer kg_${'A'.repeat(43)}`],
      ['a token of another kind', 'Bearer sk_live_whatever'],
      ['the admin token', 'ADMIN'],
    ])('%s: invalid, and nothing more', async (_what, authorization) => {
      const { challenge, error } = await refusal(
        await mcpPost(authorization === 'ADMIN' ? `Bearer ${adminToken}` : authorization),
      );
      expect(error).toEqual({
        code: 'auth.unauthorized',
        reason: 'invalid',
        message:
          'the token is not a valid agent token: check it for a typo, or mint one (keygate agent add NAME, keygate agent token NAME)',
      });
      expect(challenge).toBe(
        'Bearer realm="keygate", error="invalid_token", error_description="the token is not a valid agent token: check it for a typo, or mint one (keygate agent add NAME, keygate agent token NAME)"',
      );
    });

    it('an expired task token: expired, with when', async () => {
      const minted = await admin('/api/agents/triage-bot/tokens', {
        method: 'POST',
        body: JSON.stringify({ ttl: '1s' }),
      });
      const { token, expiresAt } = (await minted.json()) as { token: string; expiresAt: string };
      expect((await mcpPost(`Bearer ${token}`)).status).not.toBe(401);
      await new Promise((resolve) => setTimeout(resolve, 1200));
      const { challenge, error } = await refusal(await mcpPost(`Bearer ${token}`));
      expect(error).toMatchObject({ code: 'auth.unauthorized', reason: 'expired' });
      expect(error.message).toContain(`the token expired at ${expiresAt}`);
      expect(challenge).toMatch(
        /^Bearer realm="keygate", error="invalid_token", error_description="the token expired at /,
      );
    });

    it('a revoked token: revoked, on a new request and on its open session', async () => {
      const { token, tokenId } = await addAgent('revoked-bot');
      const client = await connect(token);
      await client.listTools();
      const revoked = await admin('/api/revoke', {
        method: 'POST',
        body: JSON.stringify({ target: tokenId }),
      });
      expect(revoked.status).toBe(200);
      const { challenge, error } = await refusal(await mcpPost(`Bearer ${token}`));
      expect(error).toMatchObject({ code: 'auth.unauthorized', reason: 'revoked' });
      expect(error.message).toMatch(/^the token was revoked at \d{4}-/);
      expect(challenge).toMatch(/error="invalid_token", error_description="the token was revoked at /);
      await expect(client.listTools()).rejects.toThrow();
    });

    it('a task token used outside its narrowing: not a 401, a denial that names the narrowing', async () => {
      await admin('/api/agents', { method: 'POST', body: JSON.stringify({ name: 'constructor' }) });
      const minted = await admin('/api/agents/constructor/tokens', {
        method: 'POST',
        body: JSON.stringify({ ttl: '10m', tools: ['github_issue_get'] }),
      });
      const { token } = (await minted.json()) as { token: string };
      const client = await connect(token);
      expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(['github_issue_get']);
      github.reset();
      const result = await client.callTool({
        name: 'github_repo_get',
        arguments: { owner: 'acme', repo: 'api' },
      });
      expect(result.isError).toBe(true);
      expect(result.structuredContent).toMatchObject({
        error: {
          code: 'policy.denied',
          message:
            "github_repo_get is outside this task token's tools (github_issue_get): ask for a token that covers it",
        },
      });
      expect(github.requests).toEqual([]);
    });

    it('the admin API: missing or invalid, and 403 for an agent token', async () => {
      const missing = await refusal(await fetch(`${url}/api/agents`));
      expect(missing.error.reason).toBe('missing');
      expect(missing.challenge).toBe('Bearer realm="keygate"');
      const invalid = await refusal(
        await fetch(`${url}/api/agents`, { headers: { authorization: 'Bearer kga_guess' } }),
      );
      expect(invalid.error).toMatchObject({
        reason: 'invalid',
        message: 'the token is not the admin token (admin.token in the keygate home)',
      });
      expect(invalid.challenge).toContain('error="invalid_token"');
      const { token } = await addAgent('not-admin');
      const asAgent = await fetch(`${url}/api/agents`, { headers: { authorization: `Bearer ${token}` } });
      expect(asAgent.status).toBe(403);
    });
  });
  describe('GET /', () => {
    it('sends a browser without a session to sign in, and the sign-in page holds no data', async () => {
      const response = await fetch(`${url}/`, {
        headers: { accept: 'text/html,application/xhtml+xml' },
        redirect: 'manual',
      });
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe('/login?next=%2F');
      const login = await fetch(`${url}/login`);
      expect(login.status).toBe(200);
      expect(login.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(login.headers.get('content-security-policy')).toContain("default-src 'none'");
      const page = await login.text();
      expect(page).toContain('admin.token');
      expect(page).toContain('keygate dashboard');
      expect(page).not.toMatch(/<script(?![^>]*\ssrc=)/);
    });

    it('answers anything else without a session with a 401 saying where to sign in', async () => {
      const response = await fetch(`${url}/`);
      expect(response.status).toBe(401);
      expect(((await response.json()) as { error: { message: string } }).error.message).toContain('/login');
    });

    it('still checks Host and Origin', async () => {
      const status = (headers: Record<string, string>) =>
        new Promise<number>((resolve, reject) => {
          const target = new URL(url);
          request({ host: target.hostname, port: target.port, path: '/', headers }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          })
            .on('error', reject)
            .end();
        });
      expect(await status({ host: 'evil.example' })).toBe(403);
      expect(await status({ host: new URL(url).host, origin: 'http://evil.example' })).toBe(403);
      // Past the Host and Origin checks: the dashboard's own, asking for a session.
      expect(await status({ host: new URL(url).host })).toBe(401);
    });

    it('keeps other unknown paths a JSON 404', async () => {
      const response = await fetch(`${url}/nothing-here`);
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ error: { code: 'not_found' } });
    });
  });
});

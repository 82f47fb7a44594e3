import { describe, expect, it } from 'vitest';
import { httpCalls } from '../../src/calls/http-call.js';
import type { HttpCallRequest, PipelineDeps } from '../../src/calls/index.js';
import { loadCatalog } from '../../src/catalog/index.js';
import { PolicyEngine, parsePolicy } from '../../src/policy/index.js';

const catalog = await loadCatalog(['github']);
const parsed = parsePolicy(
  `services:
  api:
    proxy:
      base_url: https://api.example.com/v1
      credential: api
      allow: ["POST /things", "GET /things/**"]
agents:
  bot:
    proxy:
      api: ["POST /things"]
`,
  catalog,
);
if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
const policy = new PolicyEngine(parsed.policy, catalog);
const deps = { policy: () => policy } as unknown as PipelineDeps;

function resolve(extra: Partial<HttpCallRequest>) {
  const found = httpCalls.resolve(deps, {
    kind: 'http',
    service: 'api',
    method: 'POST',
    path: '/things',
    headers: {},
    mode: 'text',
    ...extra,
  });
  if (found.kind !== 'call') throw new Error(`not a call: ${found.kind}`);
  return found;
}

describe('a proxied request as a call', () => {
  it('is named proxy:<service> with its METHOD /path route', () => {
    const found = resolve({ path: '/things?limit=2' });
    expect(found.name).toBe('proxy:api');
    expect(found.route).toBe('POST /things');
    expect(found.call.query).toBe('limit=2');
  });

  it('binds its identity to method, path, query and the body: a changed body is another call', () => {
    const id = (body: string, path = '/things') =>
      httpCalls.identify(resolve({ body: Buffer.from(body), path }).call).argsHash;
    expect(id('{"a":1}')).toBe(id('{"a":1}'));
    expect(id('{"a":1}')).not.toBe(id('{"a":2}'));
    expect(id('{"a":1}')).not.toBe(id('{"a":1}', '/things?x=1'));
  });

  it('binds its identity to the headers sent upstream: a changed Stripe-Account is another call', () => {
    const id = (headers: Record<string, string>) => httpCalls.identify(resolve({ headers }).call).argsHash;
    const base = { 'content-type': 'application/json', 'stripe-account': 'acct_1' };
    expect(id(base)).toBe(id({ ...base }));
    expect(id(base)).not.toBe(id({ ...base, 'stripe-account': 'acct_2' }));
    expect(id(base)).not.toBe(id({ ...base, 'content-type': 'text/plain' }));
    expect(id(base)).not.toBe(id({ ...base, 'openai-organization': 'org-2' }));
    expect(id(base)).not.toBe(id({ ...base, 'notion-version': '2022-06-28' }));
  });

  it.each([
    ['accept-encoding', 'gzip, br'],
    ['x-stainless-retry-count', '1'],
    ['x-stainless-timeout', '30'],
    ['idempotency-key', 'stainless-node-retry-2'],
    ['traceparent', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
    ['tracestate', 'vendor=2'],
    ['baggage', 'k=2'],
    ['sentry-trace', 'abc-def-1'],
    ['x-request-id', 'req-2'],
    ['date', 'Tue, 01 Dec 2026 00:00:01 GMT'],
    ['user-agent', 'OpenAI/JS 6.30.2'],
  ])('does not bind %s, which SDKs change between identical retries', (name, value) => {
    const id = (headers: Record<string, string>) => httpCalls.identify(resolve({ headers }).call).argsHash;
    const base = { 'content-type': 'application/json' };
    expect(id({ ...base, [name]: value })).toBe(id(base));
  });

  it('does not bind the agent token or its slots, which never leave keygate', () => {
    const token = 'kg_agenttokenCANARY000000000000000000';
    const id = (headers: Record<string, string>) =>
      httpCalls.identify(resolve({ headers, dropValues: [token] }).call).argsHash;
    expect(id({ authorization: `Bearer ${token}` })).toBe(id({ 'x-api-key': token }));
    expect(
      JSON.stringify(
        httpCalls.approvalSubject(resolve({ headers: { 'x-custom': token }, dropValues: [token] }).call).args,
      ),
    ).not.toContain(token);
  });

  it('shows the approver the bound headers, secret-looking values redacted, and audits only their hash', () => {
    const secret = 'header-secret-value-0001';
    const found = resolve({
      headers: { 'stripe-account': 'acct_1', 'x-upstream-token': secret, 'x-stainless-retry-count': '0' },
    });
    const { args } = httpCalls.approvalSubject(found.call);
    expect(args.headers).toEqual({ 'stripe-account': 'acct_1', 'x-upstream-token': '[REDACTED]' });
    expect(args.headers_sha256).toMatch(/^[0-9a-f]{64}$/);
    const { argsRedacted } = httpCalls.identify(found.call);
    expect(argsRedacted).toMatchObject({ headers_sha256: args.headers_sha256 });
    expect(argsRedacted).not.toHaveProperty('headers');
    expect(JSON.stringify(argsRedacted)).not.toContain('acct_1');
    expect(JSON.stringify(argsRedacted)).not.toContain(secret);
    expect(JSON.stringify(args)).not.toContain(secret);
  });

  it('keeps the body and secret-looking query values out of its redacted form', () => {
    const secret = 'body-secret-value-0001';
    const { argsRedacted } = httpCalls.identify(
      resolve({ body: Buffer.from(`{"password":"${secret}"}`), path: '/things?api_key=abc123&limit=2' }).call,
    );
    expect(JSON.stringify(argsRedacted)).not.toContain(secret);
    expect(JSON.stringify(argsRedacted)).not.toContain('abc123');
    expect(argsRedacted).toMatchObject({
      method: 'POST',
      path: '/things',
      query: 'api_key=[REDACTED]&limit=2',
    });
  });

  it('leaves the agent token out of the query it binds, stores and audits, by name or by value', () => {
    const token = 'kg_agenttokenCANARY000000000000000000';
    for (const found of [
      resolve({ path: `/things?appid=${token}&limit=2`, dropParams: ['appid'] }),
      resolve({ path: `/things?limit=2&other=${token}`, dropValues: [token] }),
    ]) {
      expect(found.call.query).toBe('limit=2');
      const { argsRedacted } = httpCalls.identify(found.call);
      expect(JSON.stringify(argsRedacted)).not.toContain(token);
      expect(JSON.stringify(httpCalls.approvalSubject(found.call).args)).not.toContain(token);
    }
  });

  it('is unknown for a service that is not a proxy service, and invalid for a path trick', () => {
    expect(
      httpCalls.resolve(deps, {
        kind: 'http',
        service: 'github',
        method: 'GET',
        path: '/',
        headers: {},
        mode: 'text',
      }).kind,
    ).toBe('unknown');
    const trick = httpCalls.resolve(deps, {
      kind: 'http',
      service: 'api',
      method: 'GET',
      path: '/things/%2e%2e/admin',
      headers: {},
      mode: 'text',
    });
    expect(trick.kind).toBe('invalid');
  });

  it('is decided by the agent routes', () => {
    const caller = { agent: 'bot', tokenId: 't', tools: null };
    expect(httpCalls.decide(policy, caller, resolve({}).call)).toMatchObject({
      allowed: true,
      approval: 'required',
    });
    expect(
      httpCalls.decide(policy, caller, resolve({ method: 'GET', path: '/things/1' }).call),
    ).toMatchObject({
      allowed: false,
    });
  });
});

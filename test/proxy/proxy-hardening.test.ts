/**
 * The proxy route's defences, end to end: real HTTP clients on 127.0.0.1 → /proxy → the fake
 * upstream (test/proxy/fake-api.ts) through the real SSRF guard. A gateway of its own, with small
 * request and response bounds, so that the limits are reached with small bodies.
 */
import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../src/audit/index.js';
import { loadCatalog } from '../../src/catalog/index.js';
import { bearerCredential, staticCredentialProvider } from '../../src/executor/index.js';
import { PolicyEngine, parsePolicy } from '../../src/policy/index.js';
import type { Gateway } from '../../src/server/index.js';
import { buildTestGateway, policySourceOf } from '../helpers/gateway.js';
import { PGLITE_BACKEND, type TestStore } from '../helpers/stores.js';
import { type FakeApi, OPENAI_KEY, startFakeApi } from './fake-api.js';

const MAX_REQUEST = 64 * 1024;
const MAX_RESPONSE = 64 * 1024;
const ROUTES =
  '["GET /models", "POST /chat/completions", "GET /big", "GET /deflate", "GET /br", "GET /hold"]';

let api: FakeApi;
let t: TestStore;
let gateway: Gateway;
let server: Server;
/** The gateway's open sockets, by the client's port (to see when keygate noticed a client leave). */
const sockets = new Map<number, Socket>();
let url: string;
/** Makes the gateway's next `writeHead` throw, as Node's does for an invalid header value. */
let failNextWriteHead = false;
const tokens: Record<string, string> = {};
let engine: PolicyEngine;
let reloadAfterNextRead: PolicyEngine | undefined;
const catalog = await loadCatalog(['github']);

function policyYaml(): string {
  return `
defaults:
  approval_wait: 60s
services:
  openai:
    proxy:
      base_url: ${api.origin}/v1
      credential: openai
      allow: ${ROUTES}
      approval: { GET: never, "*": required }
      private_ok: ["127.0.0.1:${api.port}"]
agents:
  coder:
    tools: []
    proxy:
      openai: ${ROUTES}
  reader:
    tools: []
    proxy:
      openai: ["GET /models"]
  limited:
    tools: []
    proxy:
      openai: ["GET /models"]
    rate_limit: { calls: 100, per: 1h, tools: { "proxy:openai": { calls: 1, per: 1h } } }
`;
}

beforeAll(async () => {
  api = await startFakeApi();
  const parsed = parsePolicy(policyYaml(), catalog);
  if (!parsed.ok) throw new Error(`bad test policy: ${JSON.stringify(parsed.problems)}`);
  engine = new PolicyEngine(parsed.policy, catalog);
  const policy = policySourceOf(() => {
    const current = engine;
    // A reload that lands right after this read (see the policy-reload test).
    if (reloadAfterNextRead) [engine, reloadAfterNextRead] = [reloadAfterNextRead, undefined];
    return current;
  });
  t = await PGLITE_BACKEND.fresh();
  gateway = await buildTestGateway(t, catalog, policy, {
    publicUrl: () => url,
    credentials: staticCredentialProvider({ openai: bearerCredential('openai', OPENAI_KEY) }),
    proxyLimits: { maxRequestBytes: MAX_REQUEST, maxResponseBytes: MAX_RESPONSE },
  });
  server = createServer((req, res) => {
    if (failNextWriteHead) {
      failNextWriteHead = false;
      // As Node does for a header value it refuses (ERR_INVALID_CHAR), once: the error answer's
      // own writeHead goes through.
      const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
      let first = true;
      res.writeHead = ((...args: unknown[]) => {
        if (!first) return writeHead(...args);
        first = false;
        throw Object.assign(new TypeError('Invalid character in header content ["x-bad"]'), {
          code: 'ERR_INVALID_CHAR',
        });
      }) as ServerResponse['writeHead'];
    }
    gateway.handle(req, res);
  });
  server.on('connection', (socket) => {
    const port = socket.remotePort!;
    sockets.set(port, socket);
    socket.once('close', () => sockets.delete(port));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  for (const agent of ['coder', 'reader', 'limited'])
    tokens[agent] = (await gateway.admin.addAgent(agent)).token;
}, 60_000);

afterAll(async () => {
  server?.close();
  await gateway?.close(async () => server.closeAllConnections());
  await t?.dispose();
  await api?.close();
});

beforeEach(() => {
  api.received.length = 0;
  api.held.length = 0;
});

function auth(agent: string): Record<string, string> {
  return { authorization: `Bearer ${tokens[agent]}` };
}

/** Polls `condition` every 20 ms, for 10 s at most: a bounded wait, never a fixed sleep. */
async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`timed out waiting until ${what}`);
}

/** The audit rows of `proxy:openai` for `route`, oldest first, once queued rows are committed. */
async function auditRows(route: string): Promise<AuditRecord[]> {
  await gateway.audit.drain();
  const { events } = await gateway.admin.queryAudit({ tool: 'proxy:openai', limit: 1000 });
  return events.filter((event) => event.route === route).reverse();
}

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/**
 * A POST whose body is `sent` and then never finished (the client holds the rest back): the
 * answer can only come if keygate answers without reading the whole body.
 */
function unfinishedPost(path: string, headers: Record<string, string>, sent: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}${path}`, { method: 'POST', headers, agent: false });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() });
        req.destroy();
      });
    });
    req.write(sent);
  });
}

/** A hang (keygate waiting for a body that never comes) fails fast instead of after 2 minutes. */
const HANG = 10_000;

describe('a request judged before its body is read', () => {
  it(
    'is refused on its route with 403 while its body is still arriving, and the denial is audited',
    async () => {
      const answer = await unfinishedPost(
        '/proxy/openai/chat/completions',
        { ...auth('reader'), 'content-type': 'application/json', 'content-length': String(MAX_REQUEST) },
        '{"model":',
      );
      expect(answer.status).toBe(403);
      expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'policy.denied' } });
      const rows = await auditRows('POST /chat/completions');
      expect(rows.at(-1)).toMatchObject({ agent: 'reader', decision: 'denied' });
      expect(api.received).toHaveLength(0);
    },
    HANG,
  );

  it('judges a request under one policy: a reload after its early refusal does not run it without its body', async () => {
    const permissive = parsePolicy(
      policyYaml().replace(
        'openai: ["GET /models"]\n  limited',
        'openai: ["GET /models", "POST /chat/completions"]\n  limited',
      ),
      catalog,
    );
    if (!permissive.ok) throw new Error(JSON.stringify(permissive.problems));
    const before = api.received.length;
    const previous = engine;
    reloadAfterNextRead = new PolicyEngine(permissive.policy, catalog);
    try {
      const response = await request(`${url}/proxy/openai/chat/completions`, {
        method: 'POST',
        headers: { ...auth('reader'), 'content-type': 'application/json' },
        body: '{"model":"gpt-test","messages":[]}',
      });
      expect(response.statusCode).toBe(403);
      expect(await response.body.json()).toMatchObject({ error: { code: 'policy.denied' } });
      expect(api.received.length).toBe(before);
    } finally {
      engine = previous;
      reloadAfterNextRead = undefined;
    }
  });

  it(
    'is refused on its path with 400 proxy.refused while its body is still arriving',
    async () => {
      const answer = await unfinishedPost(
        '/proxy/openai/chat/..%2fcompletions',
        { ...auth('coder'), 'content-length': '100' },
        '{',
      );
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'proxy.refused' } });
      expect(api.received).toHaveLength(0);
    },
    HANG,
  );

  it(
    'answers 413 request.too_large to a Content-Length over the limit before reading a byte',
    async () => {
      const answer = await unfinishedPost(
        '/proxy/openai/chat/completions',
        { ...auth('coder'), 'content-type': 'application/json', 'content-length': String(MAX_REQUEST + 1) },
        '{',
      );
      expect(answer.status).toBe(413);
      expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'request.too_large' } });
      expect(api.received).toHaveLength(0);
    },
    HANG,
  );

  it('answers 413 request.too_large to a chunked body that passes the limit', async () => {
    const response = await request(`${url}/proxy/openai/chat/completions`, {
      method: 'POST',
      headers: { ...auth('coder'), 'content-type': 'application/json' },
      body: Readable.from(
        (function* () {
          for (let i = 0; i < 8; i++) yield Buffer.alloc(MAX_REQUEST / 4, 'x');
        })(),
      ),
    });
    expect(response.statusCode).toBe(413);
    expect(await response.body.json()).toMatchObject({ error: { code: 'request.too_large' } });
    expect(api.received).toHaveLength(0);
  });

  it.each(['gzip', 'deflate, identity', 'br'])(
    'refuses a body in Content-Encoding %s with 415, since keygate must read what it approves',
    async (coding) => {
      const response = await request(`${url}/proxy/openai/chat/completions`, {
        method: 'POST',
        headers: { ...auth('coder'), 'content-type': 'application/json', 'content-encoding': coding },
        body: gzipSync('{"model":"gpt-test","messages":[]}'),
      });
      expect(response.statusCode).toBe(415);
      const body = (await response.body.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('request.unsupported_encoding');
      expect(body.error.message).toMatch(/approve/);
      expect(api.received).toHaveLength(0);
      const pending = await gateway.approvals.book.list({ agent: 'coder', status: 'pending' });
      expect(pending).toHaveLength(0);
    },
  );
});

describe('a client that goes away', () => {
  it.each([
    ['before the upstream sent its headers', '/hold'],
    ['while the upstream streams its body', '/hold?partial=1'],
  ])(
    '%s cancels the upstream request, and the outcome row says request.cancelled',
    async (_when, path) => {
      const controller = new AbortController();
      const sent = request(`${url}/proxy/openai${path}`, {
        headers: auth('coder'),
        signal: controller.signal,
      });
      if (path.includes('partial')) {
        const response = await sent;
        const first = await response.body[Symbol.asyncIterator]().next();
        expect(String(first.value)).toContain('data: first');
      } else await until(() => api.held.length === 1, 'the upstream holds the request');
      controller.abort();
      await sent.then(
        (response) => response.body.dump().catch(() => undefined),
        () => undefined,
      );
      await until(() => api.held[0]?.closed === true, 'keygate closed the upstream request');
      await until(
        async () =>
          (await auditRows('GET /hold')).some(
            (row) => row.decision === 'failed' && row.reason === 'request.cancelled',
          ),
        'the outcome row is written',
      );
    },
    HANG * 2,
  );
});

describe('an MCP client that cancels keygate_http_request', () => {
  it(
    'cancels the upstream request, and the outcome row says request.cancelled',
    async () => {
      const client = new Client({ name: 'cancel-test', version: '1' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
          requestInit: { headers: { authorization: `Bearer ${tokens.coder}` } },
        }),
      );
      try {
        const controller = new AbortController();
        const call = client
          .callTool(
            { name: 'keygate_http_request', arguments: { service: 'openai', method: 'GET', path: '/hold' } },
            { signal: controller.signal },
          )
          .catch((error: unknown) => error);
        await until(() => api.held.length === 1, 'the upstream holds the request');
        controller.abort();
        expect(await call).toBeInstanceOf(Error);
        await until(() => api.held[0]?.closed === true, 'keygate closed the upstream request');
        await until(
          async () =>
            (await auditRows('GET /hold')).some(
              (row) => row.decision === 'failed' && row.reason === 'request.cancelled',
            ),
          'the outcome row is written',
        );
      } finally {
        await client.close();
      }
    },
    HANG * 2,
  );
});

describe('an upstream answer Node refuses to write', () => {
  it(
    'answers 502 and stops the unread upstream body, so its socket is released',
    async () => {
      failNextWriteHead = true;
      const response = await request(`${url}/proxy/openai/hold?partial=1`, { headers: auth('coder') });
      expect(response.statusCode).toBe(502);
      expect(await response.body.json()).toMatchObject({ error: { code: 'upstream.error' } });
      await until(() => api.held[0]?.closed === true, 'keygate closed the upstream request');
      await until(
        async () =>
          (await auditRows('GET /hold')).some(
            (row) => row.decision === 'failed' && row.reason === 'upstream.error',
          ),
        'the outcome row is written',
      );
    },
    HANG * 2,
  );
});

describe('answers through the route', () => {
  it('breaks off an answer larger than maxResponseBytes (never passes it cut short) and audits it as failed', async () => {
    const response = await request(`${url}/proxy/openai/big?bytes=${MAX_RESPONSE * 3}`, {
      headers: auth('coder'),
    });
    // The headers went out before the size was known: only a broken body can say it failed.
    expect(response.statusCode).toBe(200);
    await expect(response.body.text()).rejects.toThrow();
    await until(
      async () =>
        (await auditRows('GET /big')).some(
          (row) => row.decision === 'failed' && row.reason === 'upstream.error',
        ),
      'the outcome row is written',
    );
    expect((await auditRows('GET /big')).some((row) => row.decision === 'completed')).toBe(false);
  });

  it.each(['deflate', 'br'])('decodes a %s answer and scrubs the key echoed inside it', async (coding) => {
    const response = await request(`${url}/proxy/openai/${coding}`, { headers: auth('coder') });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-encoding']).toBeUndefined();
    const text = await response.body.text();
    expect(JSON.parse(text)).toEqual({ echoed: 'key [REDACTED] inside', coding });
    for (const key of [OPENAI_KEY, Buffer.from(OPENAI_KEY).toString('base64')]) {
      expect(text).not.toContain(key);
      expect(JSON.stringify(response.headers)).not.toContain(key);
    }
  });

  it('answers 429 with the JSON error body to an agent over its rate limit, and sends nothing more', async () => {
    const first = await request(`${url}/proxy/openai/models`, { headers: auth('limited') });
    expect(first.statusCode).toBe(200);
    await first.body.dump();
    const second = await request(`${url}/proxy/openai/models`, { headers: auth('limited') });
    expect(second.statusCode).toBe(429);
    expect(Number(second.headers['retry-after'])).toBeGreaterThan(0);
    expect(await second.body.json()).toMatchObject({
      error: { code: 'policy.rate_limited', retryAfterMs: expect.any(Number) },
    });
    expect(api.received).toHaveLength(1);
  });
});

describe('a client that goes away while its request waits for approval', () => {
  /** A POST needing approval on its own connection; `port` is the client's, to see keygate notice it leave. */
  function gated(): { port: Promise<number>; answer: Promise<Answer>; abort(): void } {
    const req = httpRequest(`${url}/proxy/openai/chat/completions`, {
      method: 'POST',
      headers: { ...auth('coder'), 'content-type': 'application/json' },
      agent: false,
    });
    const port = new Promise<number>((resolve) =>
      req.once('socket', (socket) => socket.once('connect', () => resolve(socket.localPort!))),
    );
    const answer = new Promise<Answer>((resolve, reject) => {
      req.on('error', reject);
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }),
        );
      });
    });
    req.end('{"model":"gpt-test","messages":[{"role":"user","content":"left"}]}');
    return { port, answer, abort: () => req.destroy() };
  }

  it(
    'leaves the approval pending and sends nothing; the identical request after approval runs once',
    async () => {
      const left = gated();
      left.answer.catch(() => undefined);
      const port = await left.port;
      let approvalId = '';
      await until(async () => {
        const pending = await gateway.approvals.book.list({ agent: 'coder', status: 'pending' });
        approvalId = pending.find((approval) => JSON.stringify(approval.args).includes('left'))?.id ?? '';
        return approvalId !== '';
      }, 'the request waits for approval');
      left.abort();
      await until(() => !sockets.has(port), 'keygate noticed the client leave');

      expect((await gateway.approvals.book.get(approvalId))?.status).toBe('pending');
      expect(api.received).toHaveLength(0);

      // Approved now, the approval is still there for the agent's identical request: proof that the
      // abandoned one neither ran nor used it.
      await gateway.admin.decideApproval({ id: approvalId, verdict: 'approved' });
      const again = await gated().answer;
      expect(again.status).toBe(200);
      expect(api.received.filter((r) => r.method === 'POST')).toHaveLength(1);
    },
    HANG * 2,
  );
});

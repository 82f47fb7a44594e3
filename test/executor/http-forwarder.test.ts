import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { Agent } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  bearerCredential,
  type ForwardRequest,
  HttpForwarder,
  redactedCredential,
  staticCredentialProvider,
} from '../../src/executor/index.js';

const SECRET = 'sk-CANARYforward000000000000000000000001';
const QUERY_SECRET = 'qk-CANARYquery0000000000000000000000002';
const AGENT_TOKEN = 'kg_agenttoken_shouldneverleave_0001';

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

let server: Server;
let base: string;
const seen: Seen[] = [];
let handler: (seen: Seen, res: ServerResponse) => void = (_seen, res) => res.end('ok');

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      seen.push(request);
      // What the real API checks: the injected credential, or 401.
      const query = new URL(request.url, 'http://x').searchParams.get('key');
      if (req.headers.authorization !== `Bearer ${SECRET}` && query !== QUERY_SECRET) {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"bad key"}');
        return;
      }
      handler(request, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await dispatcher.close();
});
afterEach(() => {
  seen.length = 0;
  handler = (_seen, res) => res.end('ok');
});

const dispatcher = new Agent();
const queryCredential = redactedCredential({
  label: 'query test',
  inject: (request) => request.url.searchParams.set('key', QUERY_SECRET),
  secretValues: () => [QUERY_SECRET],
});
const forwarder = new HttpForwarder({
  credentials: staticCredentialProvider({ bearer: bearerCredential('t', SECRET), query: queryCredential }),
  dispatcherFor: () => dispatcher,
  limits: { maxResponseBytes: 64 * 1024 },
});

function forward(extra: Partial<ForwardRequest> = {}): ForwardRequest {
  return {
    method: 'GET',
    baseUrl: base,
    path: '/models',
    query: '',
    headers: {},
    proxyPrefix: '/proxy/svc',
    dropValues: [AGENT_TOKEN],
    ...extra,
  };
}

async function send(extra: Partial<ForwardRequest> = {}, service = 'bearer') {
  const response = await forwarder.send(forward(extra), { service, tool: `proxy:${service}`, privateOk: [] });
  const chunks: Buffer[] = [];
  for await (const chunk of response.body) chunks.push(chunk);
  return { ...response, text: Buffer.concat(chunks).toString() };
}

describe('HttpForwarder request hygiene', () => {
  it('drops the agent credentials, hop-by-hop and forwarding headers, and injects the real credential', async () => {
    const response = await send({
      headers: {
        authorization: `Bearer ${AGENT_TOKEN}`,
        'proxy-authorization': 'Basic eHh4',
        'x-api-key': AGENT_TOKEN,
        'x-keygate-token': AGENT_TOKEN,
        cookie: 'session=abc',
        connection: 'keep-alive, x-hop',
        'x-hop': 'named by connection',
        'keep-alive': 'timeout=5',
        te: 'trailers',
        upgrade: 'websocket',
        forwarded: 'for=10.0.0.1',
        'x-forwarded-for': '10.0.0.1',
        'x-forwarded-host': 'evil.example',
        'x-real-ip': '10.0.0.1',
        'x-http-method-override': 'DELETE',
        'x-http-method': 'DELETE',
        'x-method-override': 'DELETE',
        'x-original-url': '/admin',
        'x-rewrite-url': '/admin',
        'x-override-url': '/admin',
        'x-custom-slot': `Token ${AGENT_TOKEN}`,
        'accept-encoding': 'gzip, br',
        'openai-organization': 'org-1',
        'content-type': 'application/json',
      },
    });
    expect(response.status).toBe(200);
    const [request] = seen;
    expect(request!.headers.authorization).toBe(`Bearer ${SECRET}`);
    expect(request!.headers['accept-encoding']).toBe('identity');
    expect(request!.headers['openai-organization']).toBe('org-1');
    for (const name of [
      'proxy-authorization',
      'x-api-key',
      'x-keygate-token',
      'cookie',
      'x-hop',
      'keep-alive',
      'te',
      'upgrade',
      'forwarded',
      'x-forwarded-for',
      'x-forwarded-host',
      'x-real-ip',
      'x-http-method-override',
      'x-http-method',
      'x-method-override',
      'x-original-url',
      'x-rewrite-url',
      'x-override-url',
      'x-custom-slot',
    ])
      expect(request!.headers[name], name).toBeUndefined();
    expect(JSON.stringify(request)).not.toContain(AGENT_TOKEN);
  });

  it('sends the path under the base URL with the query, minus the parameter that carried the token', async () => {
    await send({
      path: '/models/gpt-4',
      query: `limit=2&api_key=${AGENT_TOKEN}&x=a%20b`,
      dropParams: ['api_key'],
    });
    expect(seen[0]!.url).toBe('/v1/models/gpt-4?limit=2&x=a%20b');
  });

  it('puts a query credential in its parameter, replacing the agent token sent there', async () => {
    await send({ query: `key=${AGENT_TOKEN}&limit=1`, dropParams: ['key'] }, 'query');
    const url = new URL(seen[0]!.url, 'http://x');
    expect(url.searchParams.get('key')).toBe(QUERY_SECRET);
    expect(url.searchParams.get('limit')).toBe('1');
    expect(seen[0]!.url).not.toContain(AGENT_TOKEN);
  });

  it('sends the body as it came', async () => {
    await send({
      method: 'POST',
      body: Buffer.from('{"model":"m"}'),
      headers: { 'content-type': 'application/json' },
    });
    expect(seen[0]!.method).toBe('POST');
    expect(seen[0]!.body).toBe('{"model":"m"}');
  });
});

describe('HttpForwarder response hygiene', () => {
  it('scrubs the credential an upstream echoes in headers and body, and drops Set-Cookie', async () => {
    handler = (request, res) => {
      res.writeHead(200, {
        'content-type': 'application/json',
        'x-echo': request.headers.authorization ?? '',
        'set-cookie': 'sess=1',
      });
      res.end(JSON.stringify({ echo: request.headers, b64: Buffer.from(SECRET).toString('base64') }));
    };
    const response = await send();
    expect(response.headers['x-echo']).toBe('Bearer [REDACTED]');
    expect(response.headers['set-cookie']).toBeUndefined();
    expect(response.text).toContain('[REDACTED]');
    expect(response.text).not.toContain(SECRET);
    expect(response.text).not.toContain(Buffer.from(SECRET).toString('base64'));
  });

  it('decodes a gzip answer the upstream sent anyway, so it can be scrubbed', async () => {
    handler = (_request, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' });
      res.end(gzipSync(`leaked ${SECRET}`));
    };
    const response = await send();
    expect(response.headers['content-encoding']).toBeUndefined();
    expect(response.text).toBe('leaked [REDACTED]');
  });

  it('returns a redirect without following it, Location scrubbed or brought back to the proxy', async () => {
    handler = (request, res) => {
      const to = request.url.includes('away')
        ? `https://elsewhere.example/cb?token=${SECRET}`
        : request.url.includes('outside')
          ? '/admin/panel'
          : `${base}/models/next?page=2`;
      res.writeHead(302, { location: to }).end();
    };
    const away = await send({ path: '/away' });
    expect(away.status).toBe(302);
    expect(away.headers.location).toBe('https://elsewhere.example/cb?token=[REDACTED]');
    const home = await send({ path: '/home' });
    expect(home.headers.location).toBe('/proxy/svc/models/next?page=2');
    // Outside the base path, a relative target is made absolute: resolved against keygate it
    // would replay the request, token and all, to another proxy route.
    const outside = await send({ path: '/outside' });
    expect(outside.headers.location).toBe(`${new URL(base).origin}/admin/panel`);
    expect(seen).toHaveLength(3);
  });

  it('streams server-sent events as the upstream sends them', async () => {
    let received!: () => void;
    const firstEventSeen = new Promise<void>((resolve) => {
      received = resolve;
    });
    handler = (_request, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"delta":"one"}\n\n');
      // The second event is only sent once the first has reached the client: a buffering
      // forwarder would wait for the end forever, and the test would time out.
      void firstEventSeen.then(() => res.end(`data: {"delta":"${SECRET}"}\n\ndata: [DONE]\n\n`));
    };
    const response = await forwarder.send(forward(), {
      service: 'bearer',
      tool: 'proxy:bearer',
      privateOk: [],
    });
    const iterator = response.body[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.value?.toString()).toBe('data: {"delta":"one"}\n\n');
    received();
    let rest = '';
    for (let next = await iterator.next(); !next.done; next = await iterator.next())
      rest += next.value.toString();
    expect(rest).toBe('data: {"delta":"[REDACTED]"}\n\ndata: [DONE]\n\n');
    expect((await response.finished).bytes).toBeGreaterThan(0);
  });

  it('breaks off an answer larger than the bound instead of passing it cut short', async () => {
    handler = (_request, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('x'.repeat(100 * 1024));
    };
    await expect(send()).rejects.toMatchObject({ code: 'upstream.error' });
  });

  it('fails closed with no credential for the service', async () => {
    await expect(send({}, 'missing')).rejects.toMatchObject({ code: 'executor.no_credential' });
    expect(seen).toHaveLength(0);
  });
});

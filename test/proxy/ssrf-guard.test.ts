import { readFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { type Dispatcher, interceptors, request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isKeygateError } from '../../src/errors/index.js';
import { type GuardOptions, guardedDispatcher, type ResolvedAddress } from '../../src/proxy/index.js';
import { EMBEDDED_IPV4, embeddings, IPV4_BLOCKS, IPV6_BLOCKS, SPELLINGS } from './special-addresses.js';

const fixtures = new URL('../fixtures/tls/', import.meta.url);
const cert = readFileSync(new URL('api-example-test.crt', fixtures));
const key = readFileSync(new URL('api-example-test.key', fixtures));

/** A fake upstream that records every request it receives (and the address it listens on). */
interface Fake {
  readonly server: Server;
  readonly port: number;
  readonly seen: { host: string | undefined; url: string | undefined }[];
}

async function listen(
  server: Server,
  host: string,
  port = 0,
  reply: (res: ServerResponse) => void = (res) => res.end(`hello from ${host}`),
): Promise<Fake> {
  const seen: Fake['seen'] = [];
  server.on('request', (req: IncomingMessage, res) => {
    seen.push({ host: req.headers.host, url: req.url });
    reply(res);
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  return { server, port: (server.address() as AddressInfo).port, seen };
}

const fakes: Fake[] = [];
let upstream: Fake;
let dispatchers: Dispatcher[] = [];

beforeAll(async () => {
  upstream = await listen(createHttpServer(), '127.0.0.1');
  fakes.push(upstream);
});

afterEach(async () => {
  await Promise.all(dispatchers.map((d) => d.close()));
  dispatchers = [];
  for (const fake of fakes) fake.seen.length = 0;
});

afterAll(async () => {
  await Promise.all(fakes.map((fake) => new Promise((resolve) => fake.server.close(resolve))));
});

function guard(options: GuardOptions): Dispatcher {
  const dispatcher = guardedDispatcher(options);
  dispatchers.push(dispatcher);
  return dispatcher;
}

/** A resolver stub that answers `answers[n]` to its n-th question and counts them. */
function stub(...answers: (readonly string[])[]) {
  const questions: string[] = [];
  const lookup = async (host: string): Promise<readonly ResolvedAddress[]> => {
    const answer = answers[Math.min(questions.length, answers.length - 1)] ?? [];
    questions.push(host);
    return answer.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return { lookup, questions };
}

async function get(url: string, dispatcher: Dispatcher): Promise<{ status: number; body: string }> {
  const response = await request(url, { dispatcher });
  return { status: response.statusCode, body: await response.body.text() };
}

async function refusal(url: string, dispatcher: Dispatcher): Promise<unknown> {
  try {
    await get(url, dispatcher);
  } catch (error) {
    return error;
  }
  return undefined;
}

function urlHost(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}

describe('guardedDispatcher refuses special-purpose addresses before connecting', () => {
  const literals = [
    ...IPV4_BLOCKS.flatMap(([, first, last]) => [first, last]),
    ...IPV6_BLOCKS.flatMap(([, first, last]) => [first, last]),
    ...EMBEDDED_IPV4.flatMap((ipv4) => embeddings(ipv4).map(([, ipv6]) => ipv6)),
  ].filter((address, i, all) => all.indexOf(address) === i);

  it.each(literals)('refuses a URL whose host is %s', async (address) => {
    const dispatcher = guard({ allowPrivateHosts: [], lookup: stub().lookup });
    const error = await refusal(`http://${urlHost(address)}:${upstream.port}/x`, dispatcher);
    expect(isKeygateError(error, 'egress.refused')).toBe(true);
  });

  it.each(SPELLINGS)('refuses the host spelled %s (%s)', async (spelling) => {
    const dispatcher = guard({ allowPrivateHosts: [], lookup: stub().lookup });
    const error = await refusal(`http://${spelling}:${upstream.port}/x`, dispatcher);
    expect(isKeygateError(error, 'egress.refused')).toBe(true);
    expect(upstream.seen).toEqual([]);
  });

  it.each([
    ['loopback', ['127.0.0.1']],
    ['IPv6 loopback', ['::1']],
    ['a private address', ['10.0.0.5']],
    ['cloud metadata', ['169.254.169.254']],
    ['a link-local address with a zone', ['fe80::1%eth0']],
    ['one public and one private address', ['93.184.215.14', '127.0.0.1']],
    ['a private address after a public one, IPv6', ['2606:4700::1', '::ffff:127.0.0.1']],
    ['no address at all', []],
    ['something that is not an address', ['not-an-address']],
  ])('refuses a name that resolves to %s, without sending anything', async (_what, answer) => {
    const resolver = stub(answer);
    const dispatcher = guard({ allowPrivateHosts: [], lookup: resolver.lookup });
    const error = await refusal(`http://api.example.test:${upstream.port}/x`, dispatcher);
    expect(isKeygateError(error, 'egress.refused')).toBe(true);
    expect((error as Error).message).toContain('api.example.test');
    expect(resolver.questions).toEqual(['api.example.test']);
    expect(upstream.seen).toEqual([]);
  });
});

describe('guardedDispatcher allowPrivateHosts', () => {
  it.each([
    ['cloud metadata', '169.254.169.254'],
    ['link-local', '169.254.10.1'],
    ['IPv6 link-local', 'fe80::1'],
    ['AWS IPv6 metadata', 'fd00:ec2::254'],
    ['metadata mapped into IPv6', '::ffff:169.254.169.254'],
  ])('a host name in private_ok still never resolves to %s', async (_what, address) => {
    const resolver = stub([address]);
    const dispatcher = guard({ allowPrivateHosts: ['internal.example.test'], lookup: resolver.lookup });
    const error = await refusal(`http://internal.example.test:${upstream.port}/x`, dispatcher);
    expect(isKeygateError(error, 'egress.refused')).toBe(true);
    expect(upstream.seen).toEqual([]);
  });

  it('a host name in private_ok reaches the private address it resolves to', async () => {
    const dispatcher = guard({
      allowPrivateHosts: ['internal.example.test'],
      lookup: stub(['127.0.0.1']).lookup,
    });
    expect((await get(`http://internal.example.test:${upstream.port}/x`, dispatcher)).status).toBe(200);
  });

  it('connects to an exact host:port the admin allowed', async () => {
    const dispatcher = guard({ allowPrivateHosts: [`127.0.0.1:${upstream.port}`] });
    const answer = await get(`http://127.0.0.1:${upstream.port}/models`, dispatcher);
    expect(answer).toEqual({ status: 200, body: 'hello from 127.0.0.1' });
    expect(upstream.seen).toEqual([{ host: `127.0.0.1:${upstream.port}`, url: '/models' }]);
  });

  it('does not let host:port cover another port of the same host', async () => {
    const dispatcher = guard({ allowPrivateHosts: [`127.0.0.1:${upstream.port + 1}`] });
    const error = await refusal(`http://127.0.0.1:${upstream.port}/x`, dispatcher);
    expect(isKeygateError(error, 'egress.refused')).toBe(true);
    expect(upstream.seen).toEqual([]);
  });

  it('lets a host without a port cover every port', async () => {
    const dispatcher = guard({ allowPrivateHosts: ['127.0.0.1'] });
    expect((await get(`http://127.0.0.1:${upstream.port}/`, dispatcher)).status).toBe(200);
  });

  it('matches an IPv6 host in brackets, with its port', async () => {
    const v6 = await listen(createHttpServer(), '::1');
    fakes.push(v6);
    const allowedHere = guard({ allowPrivateHosts: [`[::1]:${v6.port}`] });
    expect((await get(`http://[::1]:${v6.port}/`, allowedHere)).body).toBe('hello from ::1');
    const otherPort = guard({ allowPrivateHosts: [`[::1]:${v6.port + 1}`] });
    expect(isKeygateError(await refusal(`http://[::1]:${v6.port}/`, otherPort), 'egress.refused')).toBe(true);
    const unbracketed = guard({ allowPrivateHosts: [`::1:${v6.port}`] });
    expect(isKeygateError(await refusal(`http://[::1]:${v6.port}/`, unbracketed), 'egress.refused')).toBe(
      true,
    );
  });

  it('matches the host exactly: another name for the same address is refused', async () => {
    const dispatcher = guard({ allowPrivateHosts: [`localhost:${upstream.port}`] });
    const error = await refusal(`http://127.0.0.1:${upstream.port}/x`, dispatcher);
    expect(isKeygateError(error, 'egress.refused')).toBe(true);
  });

  it('asks a function form at each new connection', async () => {
    let hosts: string[] = [];
    const dispatcher = guard({ allowPrivateHosts: () => hosts });
    expect(
      isKeygateError(await refusal(`http://127.0.0.1:${upstream.port}/`, dispatcher), 'egress.refused'),
    ).toBe(true);
    hosts = [`127.0.0.1:${upstream.port}`];
    expect((await get(`http://127.0.0.1:${upstream.port}/`, dispatcher)).status).toBe(200);
  });

  it("always refuses keygate's own listener, even when allowed", async () => {
    const dispatcher = guard({
      allowPrivateHosts: ['127.0.0.1', 'localhost', 'keygate.test'],
      selfAddresses: () => [{ address: '127.0.0.1', port: upstream.port }],
      lookup: stub(['::ffff:127.0.0.1']).lookup,
    });
    for (const url of [
      `http://127.0.0.1:${upstream.port}/x`,
      `http://keygate.test:${upstream.port}/x`,
      `http://0.0.0.0:${upstream.port}/x`,
    ]) {
      const error = await refusal(url, dispatcher);
      expect(isKeygateError(error, 'egress.refused')).toBe(true);
      expect((error as Error).message).toContain("keygate's own listener");
    }
    expect(upstream.seen).toEqual([]);
  });

  it('refuses a listener on 0.0.0.0 reached through loopback', async () => {
    const dispatcher = guard({
      allowPrivateHosts: ['127.0.0.1'],
      selfAddresses: () => [{ address: '0.0.0.0', port: upstream.port }],
    });
    const error = await refusal(`http://127.0.0.1:${upstream.port}/x`, dispatcher);
    expect((error as Error).message).toContain("keygate's own listener");
  });
});

describe('guardedDispatcher pins the address it checked', () => {
  it('gives up on a resolver that does not answer within the connect timeout', async () => {
    const dispatcher = guard({
      allowPrivateHosts: [],
      connectTimeoutMs: 50,
      lookup: () => new Promise(() => undefined),
    });
    const error = await refusal(`http://slow.test:${upstream.port}/`, dispatcher);
    expect((error as { code?: string }).code).toBe('UND_ERR_CONNECT_TIMEOUT');
  });

  it('resolves once per connection and connects to the first answer, not a second lookup', async () => {
    // Two fakes on the same port: one on 127.0.0.1 (the first answer), one on 127.0.0.2.
    const second = await listen(createHttpServer(), '127.0.0.2', upstream.port).catch(() => undefined);
    if (second) fakes.push(second);
    const resolver = stub(['127.0.0.1'], ['127.0.0.2']);
    const dispatcher = guard({ allowPrivateHosts: ['rebind.test'], lookup: resolver.lookup });
    const answer = await get(`http://rebind.test:${upstream.port}/a`, dispatcher);
    expect(answer.body).toBe('hello from 127.0.0.1');
    expect(resolver.questions).toEqual(['rebind.test']);
    // The request keeps its Host: the pinned address is only where the socket goes.
    expect(upstream.seen).toEqual([{ host: `rebind.test:${upstream.port}`, url: '/a' }]);
    expect(second?.seen ?? []).toEqual([]);
  });

  it('refuses a resolver that mixes a private answer in with a public one, asking it once', async () => {
    const resolver = stub(['93.184.215.14', '127.0.0.1'], ['127.0.0.1']);
    const dispatcher = guard({ allowPrivateHosts: [], lookup: resolver.lookup });
    const error = await refusal(`http://rebind.test:${upstream.port}/a`, dispatcher);
    expect(isKeygateError(error, 'egress.refused')).toBe(true);
    expect(resolver.questions).toHaveLength(1);
    expect(upstream.seen).toEqual([]);
  });

  it('tries the next checked address when the first refuses the connection', async () => {
    const resolver = stub(['127.0.0.3', '127.0.0.1']);
    const dispatcher = guard({ allowPrivateHosts: ['multi.test'], lookup: resolver.lookup });
    // Nothing listens on 127.0.0.3 at the fake's port, so the second (checked) address is used.
    const answer = await get(`http://multi.test:${upstream.port}/`, dispatcher);
    expect(answer.body).toBe('hello from 127.0.0.1');
    expect(resolver.questions).toEqual(['multi.test']);
  });
});

describe('guardedDispatcher and redirects', () => {
  // keygate never follows a redirect to another host; should anything ever follow one (undici's
  // redirect interceptor here), the new connection is checked like the first.
  it.each([
    'http://127.0.0.1:{other}/',
    'http://localhost:{other}/',
    'http://169.254.169.254/latest/meta-data/',
    'http://[::ffff:169.254.169.254]/',
    'http://2852039166/',
    'http://0x7f.1:{other}/',
    'http://[::1]:{other}/',
    'http://10.0.0.1/',
    'http://[fd00:ec2::254]/',
    'http://metadata.internal/',
  ])('refuses a redirect to %s', async (target) => {
    const other = await listen(createHttpServer(), '127.0.0.1');
    fakes.push(other);
    const location = target.replace('{other}', String(other.port));
    const redirecting = await listen(createHttpServer(), '127.0.0.1', 0, (res) => {
      res.writeHead(302, { location }).end();
    });
    fakes.push(redirecting);
    const dispatcher = guard({
      allowPrivateHosts: [`127.0.0.1:${redirecting.port}`],
      lookup: stub(['169.254.169.254']).lookup,
    }).compose(interceptors.redirect({ maxRedirections: 3 }));
    const error = await refusal(`http://127.0.0.1:${redirecting.port}/start`, dispatcher);
    expect(isKeygateError(error, 'egress.refused')).toBe(true);
    expect(other.seen).toEqual([]);
  });
});

describe('guardedDispatcher over TLS', () => {
  let tls: Fake;

  beforeAll(async () => {
    tls = await listen(createHttpsServer({ cert, key }) as unknown as Server, '127.0.0.1');
    fakes.push(tls);
  });

  it('connects to the pinned address and verifies the certificate for the host name', async () => {
    const dispatcher = guard({
      allowPrivateHosts: ['api.example.test'],
      lookup: stub(['127.0.0.1']).lookup,
      ca: cert,
    });
    const answer = await get(`https://api.example.test:${tls.port}/v1/models`, dispatcher);
    expect(answer).toEqual({ status: 200, body: 'hello from 127.0.0.1' });
  });

  it('refuses a certificate that does not name the host, though the address is the same', async () => {
    const dispatcher = guard({
      allowPrivateHosts: ['other.example.test'],
      lookup: stub(['127.0.0.1']).lookup,
      ca: cert,
    });
    const error = await refusal(`https://other.example.test:${tls.port}/v1/models`, dispatcher);
    expect((error as { code?: string }).code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(tls.seen).toEqual([]);
  });

  it('refuses a certificate no trusted authority signed', async () => {
    const dispatcher = guard({ allowPrivateHosts: ['api.example.test'], lookup: stub(['127.0.0.1']).lookup });
    const error = await refusal(`https://api.example.test:${tls.port}/`, dispatcher);
    expect((error as { code?: string }).code).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY/);
  });
});

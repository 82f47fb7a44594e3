/** The SSRF guard's refusals over HTTP: the status each code maps to, and a body with the reason. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeygateError } from '../../src/errors/index.js';
import { checkProxyPath } from '../../src/proxy/index.js';
import { sendError } from '../../src/server/http-errors.js';

describe('guard refusals over HTTP', () => {
  let server: Server;
  let url: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      try {
        if (req.url?.startsWith('/path')) checkProxyPath(req.url.slice('/path'.length));
        throw new KeygateError('egress.refused', 'keygate does not connect to example.test: Loopback', {
          details: { host: 'example.test', reason: 'Loopback (127.0.0.0/8)' },
        });
      } catch (error) {
        sendError(res, error);
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('answers a refused proxied path with 400 proxy.refused and its reason', async () => {
    const response = await request(`${url}/path/..%2fadmin`);
    expect(response.statusCode).toBe(400);
    const body = (await response.body.json()) as { error: { code: string; reason: string } };
    expect(body.error.code).toBe('proxy.refused');
    expect(body.error.reason).toMatch(/slash/);
  });

  it('answers a refused upstream address with 502 egress.refused, naming the block', async () => {
    const response = await request(`${url}/upstream`);
    expect(response.statusCode).toBe(502);
    const body = (await response.body.json()) as { error: { code: string; reason: string } };
    expect(body.error).toMatchObject({ code: 'egress.refused', reason: 'Loopback (127.0.0.0/8)' });
  });
});

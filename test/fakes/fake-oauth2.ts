/**
 * A fake OAuth 2.0 authorisation server and the API it guards, on 127.0.0.1. The token endpoint
 * checks what a real one checks: a form POST, the client's id and secret (HTTP Basic with the
 * form-encoded pair, or in the body when so configured), the grant type, and the refresh token,
 * which it rotates (the old one then answers `invalid_grant`, like servers with rotation). Each
 * new access token replaces the previous one; the API accepts only the current one.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeOAuth2Options {
  readonly clientId: string;
  readonly clientSecret: string;
  /** The refresh token the client starts with (a refresh_token-grant client). */
  readonly refreshToken?: string;
  /** How the client must authenticate. */
  readonly clientAuth?: 'basic' | 'post';
}

export interface FakeOAuth2 {
  readonly origin: string;
  readonly tokenUrl: string;
  /** Token requests received, whatever their outcome. */
  readonly tokenRequests: { grant: string; scope: string | null; status: number; error?: string }[];
  /** API requests received and whether their token was accepted. */
  readonly apiRequests: { path: string; accepted: boolean }[];
  /** Every access token issued, oldest first. */
  readonly issued: string[];
  /** The refresh token the server accepts now. */
  currentRefreshToken: string | undefined;
  /** `expires_in` of the next answers (undefined: left out). */
  expiresIn: number | undefined;
  /** Whether a refresh returns a new refresh token (and invalidates the old one). */
  rotate: boolean;
  /** Milliseconds the token endpoint takes to answer (lets concurrent calls pile up). */
  delayMs: number;
  /** When set, the token endpoint answers this status with `server_error`. */
  failWith: number | undefined;
  /** Revokes the refresh token: every refresh then gets `invalid_grant`. */
  revoke(): void;
  close(): Promise<void>;
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
};

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** RFC 6749 §2.3.1's Basic credentials: the form-encoded id and secret. */
function basicPair(header: string | undefined): [string, string] | undefined {
  const match = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const unform = (value: string) => decodeURIComponent(value.replaceAll('+', ' '));
  return [unform(decoded.slice(0, colon)), unform(decoded.slice(colon + 1))];
}

export const canaryToken = (what: string) => `CANARY${what}${randomBytes(12).toString('hex')}`;

export async function startFakeOAuth2(options: FakeOAuth2Options): Promise<FakeOAuth2> {
  const fake: Omit<FakeOAuth2, 'origin' | 'tokenUrl' | 'close'> = {
    tokenRequests: [],
    apiRequests: [],
    issued: [],
    currentRefreshToken: options.refreshToken,
    expiresIn: 3600,
    rotate: true,
    delayMs: 0,
    failWith: undefined,
    revoke() {
      fake.currentRefreshToken = undefined;
    },
  };

  async function token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const form = new URLSearchParams(body);
    const grant = form.get('grant_type') ?? '';
    const record = (status: number, error?: string) =>
      fake.tokenRequests.push({ grant, scope: form.get('scope'), status, ...(error ? { error } : {}) });
    if (fake.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, fake.delayMs));
    if (req.method !== 'POST') return json(res, 405, { error: 'invalid_request' });
    if (!/^application\/x-www-form-urlencoded\b/.test(req.headers['content-type'] ?? '')) {
      record(400, 'invalid_request');
      return json(res, 400, { error: 'invalid_request', error_description: 'form body expected' });
    }
    const client =
      options.clientAuth === 'post'
        ? form.has('client_id')
          ? [form.get('client_id')!, form.get('client_secret') ?? '']
          : undefined
        : basicPair(req.headers.authorization);
    if (!client || client[0] !== options.clientId || client[1] !== options.clientSecret) {
      record(401, 'invalid_client');
      res.setHeader('www-authenticate', 'Basic realm="fake"');
      return json(res, 401, { error: 'invalid_client' });
    }
    if (fake.failWith !== undefined) {
      record(fake.failWith, 'server_error');
      return json(res, fake.failWith, { error: 'server_error', error_description: 'try later' });
    }
    let refresh: string | undefined;
    if (grant === 'refresh_token') {
      const presented = form.get('refresh_token');
      if (!presented || presented !== fake.currentRefreshToken) {
        record(400, 'invalid_grant');
        return json(res, 400, {
          error: 'invalid_grant',
          error_description: 'refresh token is invalid or revoked',
        });
      }
      if (fake.rotate) {
        refresh = canaryToken('refresh');
        fake.currentRefreshToken = refresh;
      }
    } else if (grant !== 'client_credentials') {
      record(400, 'unsupported_grant_type');
      return json(res, 400, { error: 'unsupported_grant_type' });
    }
    const access = canaryToken('access');
    fake.issued.push(access);
    record(200);
    json(res, 200, {
      access_token: access,
      token_type: 'Bearer',
      ...(fake.expiresIn === undefined ? {} : { expires_in: fake.expiresIn }),
      ...(refresh ? { refresh_token: refresh } : {}),
      ...(form.get('scope') ? { scope: form.get('scope') } : {}),
    });
  }

  function api(req: IncomingMessage, res: ServerResponse): void {
    const current = fake.issued.at(-1);
    const accepted = current !== undefined && req.headers.authorization === `Bearer ${current}`;
    fake.apiRequests.push({ path: req.url ?? '', accepted });
    if (!accepted) json(res, 401, { error: 'invalid_token' });
    // Echoes the credential back: keygate must scrub it before the agent sees the answer.
    else json(res, 200, { ok: true, path: req.url, youSent: req.headers.authorization });
  }

  const server: Server = createServer((req, res) => {
    const handle = req.url === '/oauth/token' ? token(req, res) : Promise.resolve(api(req, res));
    handle.catch(() => {
      res.statusCode = 500;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(fake, {
    origin,
    tokenUrl: `${origin}/oauth/token`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  }) as FakeOAuth2;
}

/**
 * A fake GitHub for GitHub App installations, on 127.0.0.1. It mints installation tokens as
 * GitHub does: the app JWT must verify with the app's PUBLIC key (RS256), name the app in `iss`,
 * be current (`iat` at most a minute ahead, `exp` not passed) and live at most 10 minutes; the
 * installation must be the app's; the repositories and permissions asked must be within the
 * installation's (an empty or absent repository list gets every repository, as on GitHub). It
 * records every mint request, then accepts API calls only with a token it minted, only on that
 * token's repositories and within its permissions (read for GET, write otherwise), judged from the
 * path by its own coarse rule, independent of keygate's permission map.
 */
import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { githubCheck, type RecordedRequest } from './fake-upstream.js';

export interface MintRequest {
  readonly installationId: string;
  readonly repositories: readonly string[] | undefined;
  readonly permissions: Readonly<Record<string, string>> | undefined;
  /** The JWT's claims as received. */
  readonly claims: { iat: number; exp: number; iss: unknown };
}

export interface MintedToken {
  readonly token: string;
  readonly repositories: readonly string[];
  readonly permissions: Readonly<Record<string, string>>;
  readonly expiresAtMs: number;
}

export interface FakeGithubApp {
  readonly url: string;
  /** Mint requests that passed the checks, in order. */
  readonly mints: MintRequest[];
  /** Mint requests refused, with the status and GitHub's message. */
  readonly refusedMints: { status: number; message: string }[];
  readonly tokens: MintedToken[];
  /** API calls accepted, and refused (with the status). */
  readonly calls: RecordedRequest[];
  readonly refusedCalls: { request: RecordedRequest; status: number }[];
  /** The fake's clock (ms); tests move it with the vault's. */
  now: () => number;
  /** Milliseconds a minted token lives (GitHub: one hour). */
  tokenLifetimeMs: number;
  /** Replaces the answer to a valid mint (a broader grant, a failure). */
  mintReply?: (asked: MintRequest, minted: MintedToken) => { status: number; body: unknown } | undefined;
  /** Answers accepted API calls (default `200 {"object":"ok","token_seen":…}` echoing the auth header). */
  reply: (request: RecordedRequest) => { status: number; body: string };
  reset(): void;
  close(): Promise<void>;
}

export interface FakeGithubAppOptions {
  readonly appId: string;
  readonly installationId: string;
  /** The app's public key (PEM or KeyObject): what GitHub keeps of the app's key pair. */
  readonly publicKey: string | KeyObject;
  /** The installation's repositories. */
  readonly repositories: readonly string[];
  /** The permissions the app was granted (what a token may ask for at most). */
  readonly permissions: Readonly<Record<string, string>>;
}

const RANK: Record<string, number> = { read: 0, write: 1, admin: 2 };

/** The permission a call needs, by the first path segment under the repository. */
function neededPermission(
  method: string,
  path: string,
): { repo?: string; permission: string; level: string } {
  const level = method === 'GET' || method === 'HEAD' ? 'read' : 'write';
  const match = /^\/repos\/[^/]+\/([^/]+)(?:\/([^/]+))?/.exec(path);
  if (!match) return { permission: 'metadata', level: 'read' };
  const section = match[2] ?? '';
  const bySection: Record<string, string> = {
    issues: 'issues',
    labels: 'issues',
    milestones: 'issues',
    assignees: 'issues',
    pulls: 'pull_requests',
    contents: 'contents',
    git: 'contents',
    commits: 'contents',
    branches: 'contents',
    releases: 'contents',
    merges: 'contents',
    compare: 'contents',
    readme: 'contents',
    actions: 'actions',
    'check-runs': 'checks',
    'check-suites': 'checks',
    statuses: 'statuses',
    deployments: 'deployments',
  };
  const permission = bySection[section] ?? 'metadata';
  return {
    repo: decodeURIComponent(match[1]!),
    permission,
    level: permission === 'metadata' ? 'read' : level,
  };
}

function decodeJwt(jwt: string, key: KeyObject): { ok: true; claims: MintRequest['claims'] } | { ok: false } {
  const parts = jwt.split('.');
  if (parts.length !== 3) return { ok: false };
  try {
    const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as { alg?: string };
    if (header.alg !== 'RS256') return { ok: false };
    const signed = verify(
      'sha256',
      Buffer.from(`${parts[0]}.${parts[1]}`),
      key,
      Buffer.from(parts[2]!, 'base64url'),
    );
    if (!signed) return { ok: false };
    return { ok: true, claims: JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) };
  } catch {
    return { ok: false };
  }
}

let counter = 0;

export async function startFakeGithubApp(options: FakeGithubAppOptions): Promise<FakeGithubApp> {
  const publicKey =
    typeof options.publicKey === 'string' ? createPublicKey(options.publicKey) : options.publicKey;
  const fake: FakeGithubApp = {
    url: '',
    mints: [],
    refusedMints: [],
    tokens: [],
    calls: [],
    refusedCalls: [],
    now: Date.now,
    tokenLifetimeMs: 3_600_000,
    reply: (request) => ({
      status: 200,
      body: JSON.stringify({ object: 'ok', path: request.path, auth: request.headers.authorization }),
    }),
    reset() {
      this.mints.length = 0;
      this.refusedMints.length = 0;
      this.tokens.length = 0;
      this.calls.length = 0;
      this.refusedCalls.length = 0;
      this.mintReply = undefined;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  const mint = (recorded: RecordedRequest): { status: number; body: unknown } => {
    const refuse = (status: number, message: string) => {
      fake.refusedMints.push({ status, message });
      return { status, body: { message, documentation_url: 'https://docs.github.com/rest' } };
    };
    const jwt = /^Bearer (.+)$/.exec(recorded.headers.authorization ?? '')?.[1];
    if (!jwt) return refuse(401, 'A JSON web token could not be decoded');
    const decoded = decodeJwt(jwt, publicKey);
    if (!decoded.ok) return refuse(401, 'A JSON web token could not be decoded');
    const { claims } = decoded;
    const now = Math.floor(fake.now() / 1000);
    if (String(claims.iss) !== options.appId) return refuse(401, "'Issuer' claim ('iss') must be an Integer");
    if (typeof claims.iat !== 'number' || typeof claims.exp !== 'number')
      return refuse(401, 'Missing iat or exp claim');
    if (claims.iat > now + 60)
      return refuse(401, "'Issued at' claim ('iat') must be an Integer representing a time in the past");
    if (claims.exp <= now)
      return refuse(401, "'Expiration time' claim ('exp') is too far in the future or has passed");
    if (claims.exp - claims.iat > 600)
      return refuse(401, "'Expiration time' claim ('exp') is too far in the future");
    const installationId = /^\/app\/installations\/([^/]+)\/access_tokens$/.exec(recorded.path)?.[1];
    if (installationId !== options.installationId) return refuse(404, 'Not Found');
    let body: { repositories?: unknown; permissions?: unknown };
    try {
      body = recorded.body ? JSON.parse(recorded.body) : {};
    } catch {
      return refuse(400, 'Problems parsing JSON');
    }
    const asked: MintRequest = {
      installationId,
      repositories: Array.isArray(body.repositories) ? (body.repositories as string[]) : undefined,
      permissions:
        typeof body.permissions === 'object' && body.permissions !== null
          ? (body.permissions as Record<string, string>)
          : undefined,
      claims,
    };
    for (const name of asked.repositories ?? [])
      if (!options.repositories.includes(name))
        return refuse(
          422,
          `There is at least one repository that does not exist or is not accessible to the parent installation.`,
        );
    for (const [permission, level] of Object.entries(asked.permissions ?? {}))
      if (
        !Object.hasOwn(options.permissions, permission) ||
        RANK[level]! > RANK[options.permissions[permission]!]!
      )
        return refuse(422, `The permissions requested are not granted to this installation.`);
    fake.mints.push(asked);
    // As on GitHub: no repository list means every repository, no permissions means all the app's.
    const minted: MintedToken = {
      token: `ghs_FAKEinstallation${String(++counter).padStart(6, '0')}x${Math.random().toString(36).slice(2, 10)}`,
      repositories: asked.repositories?.length ? [...asked.repositories] : [...options.repositories],
      permissions:
        asked.permissions && Object.keys(asked.permissions).length > 0
          ? { ...asked.permissions }
          : { ...options.permissions },
      expiresAtMs: fake.now() + fake.tokenLifetimeMs,
    };
    fake.tokens.push(minted);
    const replaced = fake.mintReply?.(asked, minted);
    if (replaced) return replaced;
    return {
      status: 201,
      body: {
        token: minted.token,
        expires_at: new Date(minted.expiresAtMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        permissions: minted.permissions,
        repository_selection: 'selected',
        repositories: minted.repositories.map((name) => ({ name, full_name: `acme/${name}` })),
      },
    };
  };

  const api = (recorded: RecordedRequest): { status: number; body: string } => {
    const given = /^(?:Bearer|token) (.+)$/.exec(recorded.headers.authorization ?? '')?.[1];
    const token = fake.tokens.find((candidate) => candidate.token === given);
    const refuse = (status: number, message: string) => {
      fake.refusedCalls.push({ request: recorded, status });
      return { status, body: JSON.stringify({ message, documentation_url: 'https://docs.github.com/rest' }) };
    };
    if (!token || token.expiresAtMs <= fake.now()) return refuse(401, 'Bad credentials');
    const checked = githubCheck(recorded, token.token);
    if (checked) return refuse(checked.status, JSON.parse(checked.body).message);
    const needs = neededPermission(recorded.method, recorded.path);
    if (needs.repo !== undefined && !token.repositories.includes(needs.repo)) return refuse(404, 'Not Found');
    const held = token.permissions[needs.permission];
    if (needs.permission !== 'metadata' && (held === undefined || RANK[held]! < RANK[needs.level]!))
      return refuse(403, 'Resource not accessible by integration');
    fake.calls.push(recorded);
    return fake.reply(recorded);
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const bytes = Buffer.concat(chunks);
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.search.replace(/^\?/, ''),
        headers: req.headers,
        body: bytes.toString('utf8'),
        bytes,
      };
      const answer =
        recorded.method === 'POST' && recorded.path.startsWith('/app/installations/')
          ? (({ status, body }) => ({ status, body: JSON.stringify(body) }))(mint(recorded))
          : api(recorded);
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(answer.body);
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (fake as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}

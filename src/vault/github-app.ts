/**
 * The `github-app` secret kind: a GitHub App's private key, from which keygate mints installation
 * tokens per call, each narrowed to the calling agent's repositories and permissions (a scope that
 * policy computes; see src/policy/app-scope.ts). The key signs a short app JWT (RS256, node:crypto)
 * and never leaves the daemon; tokens live only in memory, cached per (installation, repositories,
 * permissions) until five minutes before they expire, with one mint in flight per cache key.
 */
import { createPrivateKey, type KeyObject, sign } from 'node:crypto';
import { inspect } from 'node:util';
import { type Dispatcher, request } from 'undici';
import { KeygateError } from '../errors/index.js';
import {
  type Credential,
  type CredentialContext,
  type CredentialScope,
  type OutgoingRequest,
  redactedCredential,
} from '../executor/index.js';
import { adminHostDispatcher } from './admin-egress.js';
import { boundedText, jsonObjectOf } from './json-object.js';

/** Seconds the JWT's `iat` is set back, for a GitHub clock a little behind ours. */
export const JWT_CLOCK_SKEW_S = 60;
/** Seconds after now the JWT expires: GitHub refuses one that lives more than 10 minutes. */
export const JWT_LIFETIME_S = 9 * 60;
/** A cached token is replaced this long before it expires, so no call carries a dying one. */
export const REMINT_BEFORE_MS = 5 * 60_000;
const MINT_TIMEOUT_MS = 15_000;
const MAX_ANSWER_BYTES = 256 * 1024;
const PERMISSION_RANK: Readonly<Record<string, number>> = { read: 0, write: 1, admin: 2 };

/** A credential minted per call from a stored secret, and what is cached of them (for metadata). */
export interface Minter {
  credentialFor(context: CredentialContext): Promise<Credential>;
  /** The credentials cached now: scope and expiry each, never a value. */
  minted(): MintedCredential[];
}

/** One cached minted credential as `secret list` shows it. */
export interface MintedCredential {
  readonly scope: Readonly<Record<string, unknown>>;
  readonly expiresAt: string;
}

/** Why `value` is not a usable GitHub App private key; the messages never quote it. */
export function privateKeyProblems(value: string): string[] {
  let key: KeyObject;
  try {
    key = createPrivateKey(value);
  } catch {
    return ['the value is not a PEM private key (paste the .pem file GitHub gave for the app)'];
  }
  return key.asymmetricKeyType === 'rsa'
    ? []
    : [`the value is an ${key.asymmetricKeyType} key; GitHub App keys are RSA`];
}

/** An app JWT for `appId`, signed with `key` (RS256), valid from a minute ago for nine minutes. */
export function appJwt(appId: string, key: KeyObject, nowMs: number): string {
  const now = Math.floor(nowMs / 1000);
  const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
  const payload = base64url(
    JSON.stringify({ iat: now - JWT_CLOCK_SKEW_S, exp: now + JWT_LIFETIME_S, iss: appId }),
  );
  const signature = sign('sha256', Buffer.from(`${header}.${payload}`), key).toString('base64url');
  return `${header}.${payload}.${signature}`;
}

interface Entry {
  readonly expiresAtMs: number;
  readonly scope: CredentialScope;
  readonly credential: Credential;
}

/** Mints and caches the installation tokens of one github-app secret version. */
export class GithubAppMinter implements Minter {
  private readonly key: KeyObject;
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<Entry>>();
  private readonly dispatchers = new Map<string, Dispatcher>();

  constructor(
    private readonly label: string,
    private readonly appId: string,
    private readonly installationId: string,
    pem: string,
    private readonly now: () => number = Date.now,
  ) {
    this.key = createPrivateKey(pem);
  }

  /** The minter's only printable form: it holds the key and live tokens. */
  toJSON(): string {
    return `[github-app minter ${this.label}]`;
  }

  toString(): string {
    return this.toJSON();
  }

  [inspect.custom](): string {
    return this.toJSON();
  }

  async credentialFor(context: CredentialContext): Promise<Credential> {
    if (!context.scope || !context.baseUrl)
      throw new KeygateError(
        'policy.unpinned',
        `${this.label} is a github-app secret: its tokens are narrowed to an agent's GitHub tools, and ${context.tool} is not one (a raw-HTTP proxy service cannot use this kind)`,
      );
    const scope = context.scope();
    // Order-free: the same repositories and permissions in another order are the same token.
    const cacheKey = JSON.stringify([
      context.baseUrl,
      this.installationId,
      [...scope.repositories].sort(),
      Object.entries(scope.permissions).sort(([a], [b]) => (a < b ? -1 : 1)),
    ]);
    const cached = this.entries.get(cacheKey);
    if (cached && this.now() < cached.expiresAtMs - REMINT_BEFORE_MS) return cached.credential;
    let flight = this.inFlight.get(cacheKey);
    if (!flight) {
      flight = this.mint(context.baseUrl, scope)
        .then((entry) => {
          this.forgetExpired();
          this.entries.set(cacheKey, entry);
          return entry;
        })
        .finally(() => this.inFlight.delete(cacheKey));
      this.inFlight.set(cacheKey, flight);
    }
    return (await flight).credential;
  }

  minted(): MintedCredential[] {
    const now = this.now();
    return [...this.entries.values()]
      .filter((entry) => entry.expiresAtMs > now)
      .map((entry) => ({
        scope: { repositories: entry.scope.repositories, permissions: entry.scope.permissions },
        expiresAt: new Date(entry.expiresAtMs).toISOString(),
      }));
  }

  private forgetExpired(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) if (entry.expiresAtMs <= now) this.entries.delete(key);
  }

  /** `POST {base}/app/installations/{id}/access_tokens`, narrowed to `scope`; checks the grant. */
  private async mint(baseUrl: string, scope: CredentialScope): Promise<Entry> {
    const url = new URL(
      `app/installations/${this.installationId}/access_tokens`,
      `${baseUrl.replace(/\/$/, '')}/`,
    );
    const jwt = appJwt(this.appId, this.key, this.now());
    let status: number;
    let text: string;
    try {
      const response = await request(url, {
        // The github service's base URL, named by an administrator: through the SSRF guard.
        dispatcher: this.dispatcherFor(url.host),
        method: 'POST',
        headers: {
          authorization: `Bearer ${jwt}`,
          accept: 'application/vnd.github+json',
          'x-github-api-version': '2022-11-28',
          'content-type': 'application/json',
          'user-agent': 'keygate',
        },
        body: JSON.stringify({ repositories: scope.repositories, permissions: scope.permissions }),
        signal: AbortSignal.timeout(MINT_TIMEOUT_MS),
      });
      status = response.statusCode;
      const read = await boundedText(response.body, MAX_ANSWER_BYTES);
      if (read === undefined) throw new Error('the answer is too large');
      text = read;
    } catch (cause) {
      throw this.failed(`no answer from ${url.host}`, cause);
    }
    const answer = jsonObjectOf(text);
    if (status !== 201) {
      const message =
        typeof answer?.message === 'string'
          ? `: ${answer.message.replaceAll(jwt, '[REDACTED]').slice(0, 200)}`
          : '';
      throw this.failed(`GitHub answered HTTP ${status}${message}`);
    }
    const token = answer?.token;
    const expiresAtMs = Date.parse(String(answer?.expires_at));
    if (
      !answer ||
      typeof token !== 'string' ||
      !/^[\x21-\x7e]{8,1024}$/.test(token) ||
      !Number.isFinite(expiresAtMs)
    )
      throw this.failed('the answer has no token or expiry');
    const broader = broaderThanAsked(answer, scope);
    if (broader)
      throw this.failed(`the token GitHub minted is broader than asked (${broader}); it is not used`);
    const use = {
      kind: 'github-app',
      scope: { repositories: scope.repositories, permissions: scope.permissions },
    };
    const credential = redactedCredential({
      label: `github-app ${this.label}`,
      inject: (outgoing: OutgoingRequest) => {
        outgoing.headers.authorization = `Bearer ${token}`;
      },
      secretValues: () => [token],
      use,
    });
    return { expiresAtMs, scope, credential };
  }

  /** The guard's dispatcher for mints at `host`, one per host for this minter's life. */
  private dispatcherFor(host: string): Dispatcher {
    let dispatcher = this.dispatchers.get(host);
    if (!dispatcher) {
      dispatcher = adminHostDispatcher(host);
      this.dispatchers.set(host, dispatcher);
    }
    return dispatcher;
  }

  private failed(reason: string, cause?: unknown): KeygateError {
    return new KeygateError(
      'vault.mint_failed',
      `no installation token for ${this.label} (installation ${this.installationId}): ${reason}`,
      cause === undefined ? {} : { cause },
    );
  }
}

/**
 * What in GitHub's answer goes beyond `scope`, if anything: a repository or permission not asked
 * for, a stronger level, or no repository list at all (a token for every repository).
 */
function broaderThanAsked(answer: Record<string, unknown>, scope: CredentialScope): string | undefined {
  const repositories = answer.repositories;
  if (!Array.isArray(repositories) || repositories.length === 0) return 'no repository list';
  for (const repository of repositories) {
    const name = (repository as { name?: unknown } | null)?.name;
    if (typeof name !== 'string' || !scope.repositories.includes(name)) return `repository ${String(name)}`;
  }
  const permissions = answer.permissions;
  if (typeof permissions !== 'object' || permissions === null) return 'no permission list';
  for (const [permission, level] of Object.entries(permissions)) {
    const asked = Object.hasOwn(scope.permissions, permission) ? scope.permissions[permission] : undefined;
    if (asked === undefined) return `permission ${permission}`;
    if ((PERMISSION_RANK[String(level)] ?? 99) > (PERMISSION_RANK[asked] ?? -1))
      return `${permission}: ${String(level)}`;
  }
  return undefined;
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

/**
 * Who may see the dashboard: a browser holding a session cookie, made by signing in with the
 * admin token or with a one-time link that `keygate dashboard` prints. Sessions and links live
 * in the store as SHA-256 hashes of their secrets, bound to the admin token that made them: a
 * revoked or rotated admin token ends them at once, on every daemon sharing the store.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { AgentRegistry } from '../agents/index.js';
import type { Store } from '../store/index.js';

/** The session cookie's name. */
export const SESSION_COOKIE = 'keygate_session';
/** How long a session lasts from sign-in (an admin signs in again each working day). */
export const SESSION_TTL_MS = 12 * 3_600_000;
/** How long a sign-in link printed by `keygate dashboard` may be used. */
export const LINK_TTL_MS = 5 * 60_000;

export interface DashboardSession {
  /** Sent back by every form that changes something: a page of another site cannot know it. */
  readonly csrf: string;
  readonly expiresAt: string;
  /** SHA-256 of the action key (see SignedIn). */
  readonly actionHash: Buffer;
}

export interface SignedIn {
  /** The cookie's value: shown to the browser once, stored only as a hash. */
  readonly cookie: string;
  /**
   * What a decision or a revocation must also carry. Browsers send a 127.0.0.1 cookie to every
   * port of 127.0.0.1 (cookies are not kept apart by port), so a local server the admin's
   * browser visits gets the cookie, and a page's CSRF token with it. This key is handed over
   * once, in the sign-in answer, into the browser's storage for this origin, which another
   * port's page cannot read; no page shows it again.
   */
  readonly actionKey: string;
  readonly session: DashboardSession;
}

const secret = () => randomBytes(32).toString('base64url');
const hashOf = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/** Whether `given` is the action key whose hash the session holds (in constant time). */
export function holdsActionKey(session: DashboardSession, given: string | null | undefined): boolean {
  return typeof given === 'string' && timingSafeEqual(hashOf(given), session.actionHash);
}

/** Whether two strings are equal, in time that does not depend on where they differ. */
export function sameSecret(given: string, expected: string): boolean {
  const a = hashOf(given);
  const b = hashOf(expected);
  return timingSafeEqual(a, b);
}

export class DashboardSessions {
  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {}

  /** The id of the admin token `token` is, when it is the admin token in force. */
  private adminTokenId(token: string): Promise<string | undefined> {
    return new AgentRegistry(this.store).adminTokenId(token);
  }

  /** A new session for whoever holds the admin token; `undefined` for any other token. */
  async signIn(adminToken: string): Promise<SignedIn | undefined> {
    const tokenId = await this.adminTokenId(adminToken.trim());
    return tokenId ? this.open(tokenId) : undefined;
  }

  /** A one-time sign-in link's code, made with the admin token (the caller checked it). */
  async createLink(adminToken: string): Promise<{ code: string; expiresAt: string } | undefined> {
    const tokenId = await this.adminTokenId(adminToken);
    if (!tokenId) return undefined;
    const code = secret();
    const expiresAt = new Date(this.now() + LINK_TTL_MS);
    await this.store.db
      .insertInto('dashboard_sessions')
      .values({
        hash: hashOf(code),
        kind: 'link',
        admin_token_id: tokenId,
        csrf: '',
        created_at: new Date(this.now()),
        expires_at: expiresAt,
      })
      .execute();
    return { code, expiresAt: expiresAt.toISOString() };
  }

  /**
   * A session for a sign-in link's code, once: the link is marked used in the same statement
   * that finds it, so two browsers racing with one link get one session between them.
   */
  async redeemLink(code: string): Promise<SignedIn | undefined> {
    const now = new Date(this.now());
    const used = await this.store.db
      .updateTable('dashboard_sessions')
      .set({ used_at: now })
      .where('hash', '=', hashOf(code))
      .where('kind', '=', 'link')
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .returning('admin_token_id')
      .executeTakeFirst();
    if (!used || !(await this.tokenInForce(used.admin_token_id))) return undefined;
    return this.open(used.admin_token_id);
  }

  /** The session a cookie opens: unexpired, and its admin token still the one in force. */
  async check(cookie: string | undefined): Promise<DashboardSession | undefined> {
    if (!cookie) return undefined;
    const row = await this.store.db
      .selectFrom('dashboard_sessions as s')
      .innerJoin('tokens as t', 't.id', 's.admin_token_id')
      .select(['s.csrf', 's.expires_at', 's.action_hash'])
      .where('s.hash', '=', hashOf(cookie))
      .where('s.kind', '=', 'session')
      .where('s.expires_at', '>', new Date(this.now()))
      .where('t.kind', '=', 'admin')
      .where('t.revoked_at', 'is', null)
      .executeTakeFirst();
    return row?.action_hash
      ? {
          csrf: row.csrf,
          expiresAt: new Date(row.expires_at).toISOString(),
          actionHash: Buffer.from(row.action_hash),
        }
      : undefined;
  }

  /** Ends the session a cookie holds (signing out). */
  async end(cookie: string): Promise<void> {
    await this.store.db.deleteFrom('dashboard_sessions').where('hash', '=', hashOf(cookie)).execute();
  }

  /** Forgets sessions and links that can no longer be used. */
  async prune(): Promise<void> {
    await this.store.db
      .deleteFrom('dashboard_sessions')
      .where('expires_at', '<=', new Date(this.now()))
      .execute();
  }

  private async tokenInForce(tokenId: string): Promise<boolean> {
    const row = await this.store.db
      .selectFrom('tokens')
      .select('id')
      .where('id', '=', tokenId)
      .where('kind', '=', 'admin')
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return row !== undefined;
  }

  private async open(tokenId: string): Promise<SignedIn> {
    const cookie = secret();
    const csrf = secret();
    const actionKey = secret();
    const actionHash = hashOf(actionKey);
    const expiresAt = new Date(this.now() + SESSION_TTL_MS);
    await this.store.db
      .insertInto('dashboard_sessions')
      .values({
        hash: hashOf(cookie),
        kind: 'session',
        admin_token_id: tokenId,
        csrf,
        action_hash: actionHash,
        created_at: new Date(this.now()),
        expires_at: expiresAt,
      })
      .execute();
    return { cookie, actionKey, session: { csrf, expiresAt: expiresAt.toISOString(), actionHash } };
  }
}

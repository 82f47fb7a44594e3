/**
 * Agents and their tokens. An agent is an identity; what it may do is the policy's business. A
 * token is shown once and stored as a SHA-256 hash; a task token is short-lived and may be
 * narrowed to some of the agent's tools.
 */

import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { KeygateError } from '../errors/index.js';
import type { Store } from '../store/index.js';
import { createAdminToken, hashToken, mintToken } from './tokens.js';

/** An authenticated caller. */
export interface AgentIdentity {
  readonly agent: string;
  readonly tokenId: string;
  readonly tools: readonly string[] | null;
  readonly expiresAt: string | null;
}

export interface AgentSummary {
  readonly name: string;
  readonly createdAt: string;
  readonly tokens: readonly {
    readonly id: string;
    readonly createdAt: string;
    readonly expiresAt: string | null;
    readonly revokedAt: string | null;
    readonly tools: readonly string[] | null;
    readonly lastUsedAt: string | null;
  }[];
}

/**
 * Why a token was refused. `invalid` covers unknown and malformed tokens alike, so that a
 * guesser learns nothing; only a token keygate issued learns that it expired or was revoked.
 */
export type TokenRefusal = 'invalid' | 'expired' | 'revoked';

/** The outcome of checking an agent token. */
export type TokenCheck =
  | { readonly ok: true; readonly identity: AgentIdentity }
  | { readonly ok: false; readonly reason: TokenRefusal; readonly message: string };

const INVALID: TokenCheck = {
  ok: false,
  reason: 'invalid',
  message:
    'the token is not a valid agent token: check it for a typo, or mint one (keygate agent add NAME, keygate agent token NAME)',
};

const AGENT_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;
/** How long a successful token check is trusted before the store is asked again. */
const AUTH_CACHE_MS = 1000;

const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());

export class AgentRegistry {
  private readonly cache = new Map<string, { identity: AgentIdentity; until: number }>();

  constructor(private readonly store: Store) {}

  /** Creates an agent and its first token; returns the token to show once. */
  async add(name: string): Promise<{ agent: string; tokenId: string; token: string }> {
    if (!AGENT_NAME.test(name)) {
      throw new KeygateError(
        'request.invalid',
        'agent names are 1-64 of a-z 0-9 _ - and start with a letter or digit',
      );
    }
    const id = randomUUID();
    const minted = mintToken('agent');
    await this.store.db.transaction().execute(async (trx) => {
      const existing = await trx
        .selectFrom('agents')
        .select('id')
        .where('name', '=', name)
        .executeTakeFirst();
      if (existing) {
        throw new KeygateError(
          'agent.exists',
          `agent ${name} already exists; for a new long-lived token run keygate agent token ${name} --ttl never, or remove it first with keygate agent rm ${name}`,
        );
      }
      const now = new Date();
      await trx.insertInto('agents').values({ id, name, created_at: now }).execute();
      await trx
        .insertInto('tokens')
        .values({
          id: minted.id,
          kind: 'agent',
          agent_id: id,
          hash: minted.hash,
          tools: null,
          created_at: now,
        })
        .execute();
    });
    return { agent: name, tokenId: minted.id, token: minted.token };
  }

  /**
   * Mints a token for `name` valid for `ttlMs` (`null`: until revoked, like the one `add` makes),
   * optionally narrowed to `tools` patterns.
   */
  async mintTaskToken(name: string, ttlMs: number | null, tools: readonly string[] | null) {
    const agent = await this.store.db
      .selectFrom('agents')
      .select('id')
      .where('name', '=', name)
      .executeTakeFirst();
    if (!agent) throw new KeygateError('agent.not_found', `no agent named ${name}`);
    const minted = mintToken('agent');
    const expiresAt = ttlMs === null ? null : new Date(Date.now() + ttlMs);
    await this.store.db
      .insertInto('tokens')
      .values({
        id: minted.id,
        kind: 'agent',
        agent_id: agent.id,
        hash: minted.hash,
        tools: tools ? JSON.stringify(tools) : null,
        created_at: new Date(),
        expires_at: expiresAt,
      })
      .execute();
    return {
      agent: name,
      tokenId: minted.id,
      token: minted.token,
      expiresAt: expiresAt?.toISOString() ?? null,
      tools,
    };
  }

  /** True when an agent called `name` is registered. */
  async has(name: string): Promise<boolean> {
    const row = await this.store.db
      .selectFrom('agents')
      .select('id')
      .where('name', '=', name)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Every agent with its tokens (never the tokens themselves). */
  async list(): Promise<AgentSummary[]> {
    const agents = await this.store.db.selectFrom('agents').selectAll().orderBy('name').execute();
    const tokens = await this.store.db
      .selectFrom('tokens')
      .selectAll()
      .where('kind', '=', 'agent')
      .orderBy('created_at')
      .execute();
    return agents.map((agent) => ({
      name: agent.name,
      createdAt: iso(agent.created_at)!,
      tokens: tokens
        .filter((token) => token.agent_id === agent.id)
        .map((token) => ({
          id: token.id,
          createdAt: iso(token.created_at)!,
          expiresAt: iso(token.expires_at),
          revokedAt: iso(token.revoked_at),
          tools: token.tools,
          lastUsedAt: iso(token.last_used_at),
        })),
    }));
  }

  /** Revokes every token of agent `target`, or the one token with id `target`; returns their ids. */
  async revoke(target: string): Promise<{ revoked: string[] }> {
    const agent = await this.store.db
      .selectFrom('agents')
      .select('id')
      .where('name', '=', target)
      .executeTakeFirst();
    let query = this.store.db
      .updateTable('tokens')
      .set({ revoked_at: new Date() })
      .where('kind', '=', 'agent')
      .where('revoked_at', 'is', null);
    query = agent ? query.where('agent_id', '=', agent.id) : query.where('id', '=', target);
    const rows = await query.returning('id').execute();
    this.cache.clear();
    if (!agent && rows.length === 0) {
      const known = await this.store.db
        .selectFrom('tokens')
        .select('id')
        .where('id', '=', target)
        .executeTakeFirst();
      if (!known) throw new KeygateError('agent.not_found', `no agent or token ${target}`);
    }
    return { revoked: rows.map((row) => row.id) };
  }

  /**
   * Removes agent `name` and every token it has (revoked or not). Audit rows and approvals keep
   * its name. Returns the ids of the tokens removed, so their open sessions can be closed.
   */
  async remove(name: string): Promise<{ removed: string; tokens: string[] }> {
    const tokens = await this.store.db.transaction().execute(async (trx) => {
      const agent = await trx.selectFrom('agents').select('id').where('name', '=', name).executeTakeFirst();
      if (!agent) throw new KeygateError('agent.not_found', `no agent named ${name}`);
      const rows = await trx.deleteFrom('tokens').where('agent_id', '=', agent.id).returning('id').execute();
      await trx.deleteFrom('agents').where('id', '=', agent.id).execute();
      return rows.map((row) => row.id);
    });
    this.cache.clear();
    return { removed: name, tokens };
  }

  /** The identity behind an agent token, or `undefined` for an unknown, expired or revoked one. */
  async authenticate(token: string): Promise<AgentIdentity | undefined> {
    const checked = await this.check(token);
    return checked.ok ? checked.identity : undefined;
  }

  /** The identity behind an agent token, or why it is refused. */
  async check(token: string): Promise<TokenCheck> {
    if (!token.startsWith('kg_')) return INVALID;
    const hash = hashToken(token);
    const key = hash.toString('hex');
    const cached = this.cache.get(key);
    if (cached && cached.until > Date.now() && !this.expired(cached.identity))
      return { ok: true, identity: cached.identity };
    // The lookup is by hash: equal hashes mean equal tokens, and no stored token is ever compared
    // byte by byte with what a caller sent.
    const row = await this.store.db
      .selectFrom('tokens')
      .innerJoin('agents', 'agents.id', 'tokens.agent_id')
      .select([
        'tokens.id',
        'tokens.tools',
        'tokens.expires_at',
        'tokens.revoked_at',
        'agents.name',
        'agents.disabled_at',
      ])
      .where('tokens.hash', '=', hash)
      .where('tokens.kind', '=', 'agent')
      .executeTakeFirst();
    if (!row) return INVALID;
    // From here on the caller holds a token keygate issued: saying what became of it helps
    // them, and tells nobody else anything.
    if (row.revoked_at !== null)
      return {
        ok: false,
        reason: 'revoked',
        message: `the token was revoked at ${iso(row.revoked_at)}: ask an administrator for a new one (keygate agent token NAME)`,
      };
    if (row.disabled_at !== null)
      return {
        ok: false,
        reason: 'revoked',
        message: 'the agent of this token is disabled: ask an administrator',
      };
    const identity: AgentIdentity = {
      agent: row.name,
      tokenId: row.id,
      tools: row.tools,
      expiresAt: iso(row.expires_at),
    };
    if (this.expired(identity))
      return {
        ok: false,
        reason: 'expired',
        message: `the token expired at ${identity.expiresAt}: mint a new one (keygate agent token NAME --ttl …)`,
      };
    this.cache.set(key, { identity, until: Date.now() + AUTH_CACHE_MS });
    return { ok: true, identity };
  }

  /**
   * A new admin token in place of the one in force, in one transaction: revoked, the old one
   * opens nothing (no API call, no dashboard session or sign-in link made with it).
   */
  async rotateAdminToken(): Promise<string> {
    return this.store.db.transaction().execute(async (trx) => {
      // One rotation at a time across daemons: two at once would each miss the other's new
      // token and leave two in force.
      await sql`select pg_advisory_xact_lock(hashtext('keygate admin token'))`.execute(trx);
      await trx
        .updateTable('tokens')
        .set({ revoked_at: new Date() })
        .where('kind', '=', 'admin')
        .where('revoked_at', 'is', null)
        .execute();
      return createAdminToken({ db: trx });
    });
  }

  /** True when `token` is the admin token. */
  async isAdmin(token: string): Promise<boolean> {
    return (await this.adminTokenId(token)) !== undefined;
  }

  /** The id of the admin token in force, when `token` is it. */
  async adminTokenId(token: string): Promise<string | undefined> {
    if (!token.startsWith('kga_')) return undefined;
    const row = await this.store.db
      .selectFrom('tokens')
      .select('id')
      .where('hash', '=', hashToken(token))
      .where('kind', '=', 'admin')
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return row?.id;
  }

  private expired(identity: AgentIdentity): boolean {
    return identity.expiresAt !== null && Date.parse(identity.expiresAt) <= Date.now();
  }
}

/**
 * Access tokens of `oauth2` secrets: obtained from the token endpoint when the cached one is
 * within 5 minutes of expiry (or 24 hours old), once for every call waiting at that moment, in
 * this process and across daemons sharing a PostgreSQL store.
 *
 * - In process, one token request per secret is in flight; callers share its answer.
 * - Across daemons, the refresh runs under the secret row's lock (`SELECT … FOR UPDATE`), held
 *   over the token request. The token obtained is stored sealed under the secret's data key in
 *   `oauth2_tokens`, so a daemon that waited for the lock uses it instead of asking again. On
 *   PGlite one process owns the store (the home lock) and its single connection serialises every
 *   transaction: holding one over a network request would stall the whole daemon, so there the
 *   in-process single flight is the lock and only the writes form a transaction.
 * - A rotated refresh token is sealed into the secret's row in the transaction that records the
 *   refresh: a crash cannot keep a refresh token the endpoint has already invalidated.
 * - A permanent refusal (`invalid_grant`, `invalid_client`) marks the secret as needing
 *   re-authorisation: every later call fails at once, without a request, until it is set again.
 */
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Dispatcher } from 'undici';
import { KeygateError } from '../errors/index.js';
import type { Credential } from '../executor/index.js';
import type { Database, OAuth2TokensTable, SecretsTable, Store } from '../store/index.js';
import { adminHostDispatcher } from './admin-egress.js';
import { type EncryptedSecret, open, pack, type SecretIdentity, seal, unpack, valueAad } from './envelope.js';
import { requestToken, TokenRefused, type TokenRequest } from './oauth2-token-request.js';
import { secretKind } from './secret-kinds.js';

type SecretRow = Selectable<SecretsTable>;
type StateRow = Selectable<OAuth2TokensTable>;
type Db = Kysely<Database> | Transaction<Database>;

/** Refresh this long before the token expires. */
export const REFRESH_LEAD_MS = 5 * 60_000;
/** Refresh at least this often, and the lifetime assumed of a token without `expires_in`. */
export const MAX_TOKEN_AGE_MS = 24 * 3_600_000;
/** After a failed request (not a refusal), calls fail at once for this long: no retry storm. */
export const FAILURE_HOLD_MS = 5_000;

/** What the vault lends the broker: its data keys and fingerprints, never the master key. */
export interface OAuth2VaultAccess {
  dataKey(identity: SecretIdentity, stored: EncryptedSecret): Buffer;
  fingerprint(value: string): string;
  encrypted(row: SecretRow): EncryptedSecret;
}

export interface OAuth2Options {
  /** The clock, in milliseconds (tests move it). */
  readonly now?: () => number;
  /** Sends token requests (default: the SSRF guard, allowing the token URL's own host). */
  readonly dispatcherFor?: (host: string) => Dispatcher;
}

/** What `secret list` shows of an oauth2 secret's token: never the token. */
export interface OAuth2Status {
  readonly refreshedAt: string | null;
  readonly expiresAt: string | null;
  readonly scope: string | null;
  readonly needsReauth: boolean;
  readonly reason: string | null;
}

/** The secret parts of an oauth2 secret's value. */
interface OAuth2Parts {
  readonly client_secret: string;
  readonly refresh_token?: string;
}

interface Held {
  readonly key: string;
  readonly credential?: Credential;
  readonly refreshAt?: number;
  readonly reauth?: string;
  readonly failure?: KeygateError;
  readonly failedUntil?: number;
}

type Outcome =
  | { readonly token: string; readonly refreshAt: number; readonly scope: string | null }
  | { readonly reauth: string }
  | { readonly failure: KeygateError };

export class OAuth2Broker {
  private readonly held = new Map<string, Held>();
  private readonly flights = new Map<string, Promise<Credential>>();
  private readonly dispatchers = new Map<string, Dispatcher>();
  private readonly now: () => number;

  constructor(
    private readonly store: Store,
    private readonly vault: OAuth2VaultAccess,
    private readonly options: OAuth2Options = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  /** The bearer credential of `row`'s current access token, refreshing it first when due. */
  async credential(row: SecretRow): Promise<Credential> {
    const key = `${row.id}:${row.version}`;
    const held = this.held.get(row.id);
    if (held?.key === key) {
      if (held.reauth !== undefined) throw reauthError(row.name, held.reauth);
      if (held.credential && this.now() < held.refreshAt!) return held.credential;
      if (held.failure && this.now() < held.failedUntil!) throw held.failure;
    }
    let flight = this.flights.get(key);
    if (!flight) {
      flight = this.obtain(row, key).finally(() => this.flights.delete(key));
      this.flights.set(key, flight);
    }
    return flight;
  }

  /** The token status of each oauth2 secret among `rows`, by secret id. */
  async statuses(rows: readonly SecretRow[]): Promise<Map<string, OAuth2Status>> {
    const ids = rows.filter((row) => row.kind === 'oauth2').map((row) => row.id);
    const result = new Map<string, OAuth2Status>();
    if (ids.length === 0) return result;
    const states = await this.store.db
      .selectFrom('oauth2_tokens')
      .selectAll()
      .where('secret_id', 'in', ids)
      .execute();
    for (const row of rows) {
      const state = states.find((s) => s.secret_id === row.id && s.secret_version === row.version);
      result.set(row.id, {
        refreshedAt: iso(state?.refreshed_at ?? null),
        expiresAt: iso(state?.expires_at ?? null),
        scope: state?.granted_scope ?? null,
        needsReauth: state?.needs_reauth ?? false,
        reason: state?.reason ?? null,
      });
    }
    return result;
  }

  /** Forgets the tokens held in memory (a secret replaced, a master key rotated). */
  forget(secretId?: string): void {
    if (secretId === undefined) this.held.clear();
    else this.held.delete(secretId);
  }

  async close(): Promise<void> {
    this.held.clear();
    await Promise.all([...this.dispatchers.values()].map((dispatcher) => dispatcher.close()));
    this.dispatchers.clear();
  }

  private async obtain(row: SecretRow, key: string): Promise<Credential> {
    const outcome = await this.exclusive(row.id, (db, record) => this.refreshed(db, record, row.id));
    if ('reauth' in outcome) {
      this.held.set(row.id, { key, reauth: outcome.reauth });
      throw reauthError(row.name, outcome.reauth);
    }
    if ('failure' in outcome) {
      this.held.set(row.id, { key, failure: outcome.failure, failedUntil: this.now() + FAILURE_HOLD_MS });
      throw outcome.failure;
    }
    const params = row.params;
    const credential = secretKind('oauth2').credential(
      row.name,
      { ...params, ...(outcome.scope ? { scope: outcome.scope } : {}) },
      outcome.token,
    );
    this.held.set(row.id, { key, credential, refreshAt: outcome.refreshAt });
    return credential;
  }

  /**
   * Runs `work` as the only refresh of the secret: on PostgreSQL inside a transaction holding
   * the secret row's lock (writes join it), on PGlite under the in-process single flight with
   * the writes in a transaction of their own (see the module comment).
   */
  private async exclusive<T>(
    secretId: string,
    work: (
      db: Db,
      record: (write: (trx: Transaction<Database>) => Promise<void>) => Promise<void>,
    ) => Promise<T>,
  ): Promise<T> {
    if (this.store.kind === 'postgres')
      return this.store.db.transaction().execute(async (trx) => {
        await trx.selectFrom('secrets').select('id').where('id', '=', secretId).forUpdate().execute();
        return work(trx, (write) => write(trx));
      });
    return work(this.store.db, (write) => this.store.db.transaction().execute(write));
  }

  /** The token in force after this refresh: another daemon's fresh one, or a new one. */
  private async refreshed(
    db: Db,
    record: (write: (trx: Transaction<Database>) => Promise<void>) => Promise<void>,
    secretId: string,
  ): Promise<Outcome> {
    const secret = await db.selectFrom('secrets').selectAll().where('id', '=', secretId).executeTakeFirst();
    if (!secret) throw new KeygateError('vault.secret_not_found', 'the secret was removed');
    const identity: SecretIdentity = { id: secret.id, name: secret.name, version: secret.version };
    const stored = await db
      .selectFrom('oauth2_tokens')
      .selectAll()
      .where('secret_id', '=', secretId)
      .executeTakeFirst();
    // A copy: the vault zeroes its cached keys when it forgets them (a rotation, a stop), which
    // must not turn a refresh in flight into sealing under a zeroed key.
    const dataKey = Buffer.from(this.vault.dataKey(identity, this.vault.encrypted(secret)));
    try {
      return await this.refreshedWith(record, secret, identity, stored, dataKey);
    } finally {
      dataKey.fill(0);
    }
  }

  private async refreshedWith(
    record: (write: (trx: Transaction<Database>) => Promise<void>) => Promise<void>,
    secret: SecretRow,
    identity: SecretIdentity,
    stored: StateRow | undefined,
    dataKey: Buffer,
  ): Promise<Outcome> {
    const state = stored?.secret_version === secret.version ? stored : undefined;
    const now = this.now();
    if (state?.needs_reauth) return { reauth: state.reason ?? 'the token endpoint refused the grant' };
    if (state?.access_token && state.refresh_at && now < new Date(state.refresh_at).getTime())
      return {
        token: open(
          dataKey,
          unpack(state.access_token),
          tokenAad(identity, state.version),
          'an access token',
        ).toString('utf8'),
        refreshAt: new Date(state.refresh_at).getTime(),
        scope: state.granted_scope,
      };
    const parts = JSON.parse(
      open(dataKey, this.vault.encrypted(secret).value, valueAad(identity), `secret ${secret.name}`).toString(
        'utf8',
      ),
    ) as OAuth2Parts;
    const params = secret.params;
    const grant = params.grant === 'client_credentials' ? 'client_credentials' : 'refresh_token';
    const tokenRequest: TokenRequest = {
      tokenUrl: params['token-url']!,
      clientId: params['client-id']!,
      clientSecret: parts.client_secret,
      grant,
      ...(parts.refresh_token ? { refreshToken: parts.refresh_token } : {}),
      ...(params.scope ? { scope: params.scope } : {}),
      clientAuth: params['client-auth'] === 'post' ? 'post' : 'basic',
    };
    const version = (stored?.version ?? 0) + 1;
    let answer: Awaited<ReturnType<typeof requestToken>>;
    try {
      answer = await requestToken(tokenRequest, this.dispatcherFor(new URL(tokenRequest.tokenUrl).host));
    } catch (error) {
      if (error instanceof TokenRefused) {
        const reason = `${error.error}${error.description ? `: ${error.description}` : ''}`;
        await record((trx) => this.save(trx, secret, version, { needs_reauth: true, reason }));
        return { reauth: reason };
      }
      if (error instanceof KeygateError) return { failure: error };
      throw error;
    }
    const lifetime = answer.expiresIn === undefined ? MAX_TOKEN_AGE_MS : answer.expiresIn * 1000;
    const expiresAt = now + lifetime;
    // A token living under 10 minutes is refreshed halfway, not at once on every call.
    const refreshAt = Math.min(expiresAt - Math.min(REFRESH_LEAD_MS, lifetime / 2), now + MAX_TOKEN_AGE_MS);
    const scope = answer.scope ?? params.scope ?? null;
    const sealed = pack(seal(dataKey, Buffer.from(answer.accessToken, 'utf8'), tokenAad(identity, version)));
    await record(async (trx) => {
      await this.save(trx, secret, version, {
        access_token: sealed,
        granted_scope: answer.scope ?? null,
        refreshed_at: new Date(now),
        expires_at: new Date(expiresAt),
        refresh_at: new Date(refreshAt),
      });
      if (grant === 'refresh_token' && answer.refreshToken && answer.refreshToken !== parts.refresh_token)
        await this.storeRotated(trx, secret, identity, dataKey, {
          ...parts,
          refresh_token: answer.refreshToken,
        });
    });
    return { token: answer.accessToken, refreshAt, scope };
  }

  /** Writes the secret's state row for its current version (a fresh row for a new version). */
  private async save(
    trx: Transaction<Database>,
    secret: SecretRow,
    version: number,
    fields: Partial<Omit<StateRow, 'secret_id' | 'secret_version' | 'version'>>,
  ): Promise<void> {
    const row = {
      secret_version: secret.version,
      version,
      access_token: null,
      granted_scope: null,
      refreshed_at: null,
      expires_at: null,
      refresh_at: null,
      needs_reauth: false,
      reason: null,
      ...fields,
    };
    await trx
      .insertInto('oauth2_tokens')
      .values({ secret_id: secret.id, ...row })
      .onConflict((conflict) => conflict.column('secret_id').doUpdateSet(row))
      .execute();
  }

  /**
   * Seals the rotated refresh token into the secret's row in place: same version and data key
   * (the associated data still binds it to the secret's id, name and version), a fresh nonce.
   * Only if the row is still that version: a `secret set` meanwhile wins.
   */
  private async storeRotated(
    trx: Transaction<Database>,
    secret: SecretRow,
    identity: SecretIdentity,
    dataKey: Buffer,
    parts: OAuth2Parts,
  ): Promise<void> {
    const value = JSON.stringify(parts);
    const sealed = seal(dataKey, Buffer.from(value, 'utf8'), valueAad(identity));
    await trx
      .updateTable('secrets')
      .set({
        nonce: sealed.nonce,
        ciphertext: sealed.ciphertext,
        tag: sealed.tag,
        fingerprint: this.vault.fingerprint(value),
      })
      .where('id', '=', secret.id)
      .where('version', '=', secret.version)
      .execute();
  }

  private dispatcherFor(host: string): Dispatcher {
    if (this.options.dispatcherFor) return this.options.dispatcherFor(host);
    let dispatcher = this.dispatchers.get(host);
    if (!dispatcher) {
      dispatcher = adminHostDispatcher(host);
      this.dispatchers.set(host, dispatcher);
    }
    return dispatcher;
  }
}

/** Binds a sealed access token to its secret version and the refresh that obtained it. */
function tokenAad(secret: SecretIdentity, version: number): string {
  return `keygate/v1/oauth2-access-token/${secret.id}/${secret.version}/${version}/${secret.name}`;
}

function reauthError(name: string, reason: string): KeygateError {
  return new KeygateError(
    'vault.needs_reauth',
    `secret ${name} needs re-authorisation (${reason}): run keygate secret set ${name} --kind oauth2 … to set it again`,
    { details: { secret: name } },
  );
}

function iso(value: Date | string | null): string | null {
  return value === null ? null : new Date(value).toISOString();
}

/**
 * The vault: secrets sealed under the master key in the store. Values are write-only: they can
 * be set, replaced, used to build a credential and deleted, and no method returns one.
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import { KeygateError } from '../errors/index.js';
import type { Credential, CredentialContext, CredentialProvider } from '../executor/index.js';
import type { KdfParams, SecretsTable, Store } from '../store/index.js';
import {
  decryptValue,
  type EncryptedSecret,
  encryptSecret,
  FORMAT,
  open,
  pack,
  type SecretIdentity,
  seal,
  unpack,
  unwrapDataKey,
  wrapAad,
} from './envelope.js';
import type { MintedCredential, Minter } from './github-app.js';
import type { MasterKey } from './master-key.js';
import { OAuth2Broker, type OAuth2Options, type OAuth2Status } from './oauth2-broker.js';
import { secretKind, validateSecret } from './secret-kinds.js';

/** What anyone may see about a secret: never its value. */
export interface SecretMetadata {
  readonly name: string;
  readonly kind: string;
  readonly service: string | null;
  readonly params: Readonly<Record<string, string>>;
  readonly version: number;
  readonly fingerprint: string;
  readonly keyId: string;
  readonly createdAt: string;
  readonly rotatedAt: string | null;
  readonly lastUsedAt: string | null;
  /**
   * A minted kind's credentials cached in this daemon now: each one's narrowed scope and expiry
   * (a github-app secret: one per installation, repository set and permission set). Never a value.
   */
  readonly minted?: readonly MintedCredential[];
  /** An oauth2 secret's access token: when obtained, when it expires, whether it needs re-authorisation. */
  readonly oauth2?: OAuth2Status;
}

/** How a vault is run (tests: a clock to move minted tokens toward their expiry). */
export interface VaultOptions {
  /** Milliseconds since the epoch; minted credentials expire by it. */
  readonly now?: () => number;
  /** How oauth2 access tokens are obtained (tests: a clock). */
  readonly oauth2?: OAuth2Options;
}

export interface SetSecretInput {
  readonly name: string;
  readonly kind: string;
  readonly value: string;
  readonly params?: Record<string, string>;
  readonly service?: string;
}

type SecretRow = Selectable<SecretsTable>;

/** How long a secret's row stays cached before it is read again (another daemon may replace it). */
const ROW_TTL_MS = 10_000;
const LAST_USED_EVERY_MS = 60_000;

const fingerprintKeyAad = (keyId: string) => `keygate/v${FORMAT}/fingerprint-key/${keyId}`;

export class Vault {
  /** Unwrapped data keys by secret id, version and master key id: immutable, so cached. */
  private readonly dataKeys = new Map<string, Buffer>();
  private readonly rows = new Map<string, { row: SecretRow; readAt: number }>();
  /**
   * Credentials built from a secret's version, keyed like `dataKeys`: a version never changes, so
   * every request would decrypt the same bytes again (the data key that can decrypt them is
   * cached already, so holding the result adds no exposure). A new version replaces the entry.
   */
  private readonly credentials = new Map<string, { cacheKey: string; credential: Credential }>();
  /** Minters of minted kinds, keyed like `credentials`: their tokens live only here, in memory. */
  private readonly minters = new Map<string, { cacheKey: string; minter: Minter }>();
  private readonly lastUsedWritten = new Map<string, number>();
  #generation = 0;
  private readonly oauth2: OAuth2Broker;

  private constructor(
    private readonly store: Store,
    private masterKey: MasterKey,
    private fingerprintKey: Buffer,
    private readonly options: VaultOptions = {},
  ) {
    this.oauth2 = new OAuth2Broker(
      store,
      {
        dataKey: (identity, stored) => this.dataKey(identity, stored),
        fingerprint: (value) => this.fingerprint(value),
        encrypted: encryptedOf,
      },
      options.oauth2,
    );
  }

  /**
   * A key for another purpose, derived from the master key: every daemon sharing this vault
   * derives the same one, and rotating the master key changes it.
   */
  deriveKey(label: string): Buffer {
    return this.masterKey.derive(label);
  }

  /**
   * Counts the changes made through this object (a secret set or removed, a rotation): what
   * derives from the secrets (the outbound scan's matcher) is rebuilt when it moves.
   */
  get generation(): number {
    return this.#generation;
  }

  /** The id of the master key this vault is open with (safe to print). */
  get keyId(): string {
    return this.masterKey.id;
  }

  /** Seals a new, empty vault in `store` under `masterKey`. Refuses an existing one. */
  static async initialize(store: Store, masterKey: MasterKey, kdf?: KdfParams): Promise<void> {
    const existing = await store.db.selectFrom('vault_meta').select('key_id').executeTakeFirst();
    if (existing)
      throw new KeygateError('vault.already_initialized', `a vault already exists in ${store.location}`);
    const fingerprintKey = randomBytes(32);
    await store.db
      .insertInto('vault_meta')
      .values({
        id: 1,
        key_id: masterKey.id,
        key_check: masterKey.checkValue(),
        kdf: kdf ? JSON.stringify(kdf) : null,
        fingerprint_key: pack(seal(masterKey.bytes(), fingerprintKey, fingerprintKeyAad(masterKey.id))),
        format: FORMAT,
        created_at: new Date(),
      })
      .execute();
  }

  /** The stored scrypt parameters, when the vault's key comes from a passphrase. */
  static async kdfOf(store: Store): Promise<KdfParams | null> {
    const meta = await store.db.selectFrom('vault_meta').select('kdf').executeTakeFirst();
    if (!meta)
      throw new KeygateError('vault.not_initialized', `no vault in ${store.location}; run keygate init`);
    return meta.kdf as unknown as KdfParams | null;
  }

  /** Opens the vault with `masterKey`: a wrong key is told apart from corrupt data. */
  static async unlock(store: Store, masterKey: MasterKey, options: VaultOptions = {}): Promise<Vault> {
    const meta = await store.db.selectFrom('vault_meta').selectAll().executeTakeFirst();
    if (!meta)
      throw new KeygateError('vault.not_initialized', `no vault in ${store.location}; run keygate init`);
    if (!masterKey.matches(meta.key_check)) {
      throw new KeygateError(
        'vault.wrong_master_key',
        'the master key does not open this vault (its key check value differs)',
      );
    }
    const fingerprintKey = open(
      masterKey.bytes(),
      unpack(meta.fingerprint_key),
      fingerprintKeyAad(meta.key_id),
      'the fingerprint key',
    );
    return new Vault(store, masterKey, fingerprintKey, options);
  }

  /** Stores a secret, or replaces its value (a new version under a new data key). */
  async set(input: SetSecretInput): Promise<SecretMetadata> {
    const kind = secretKind(input.kind);
    const params = input.params ?? {};
    validateSecret(input.name, kind, params, input.value);
    const now = new Date();
    const fingerprint = this.fingerprint(input.value);
    await this.store.db.transaction().execute(async (trx) => {
      const existing = await trx
        .selectFrom('secrets')
        .select(['id', 'version'])
        .where('name', '=', input.name)
        .forUpdate()
        .executeTakeFirst();
      const identity: SecretIdentity = {
        id: existing?.id ?? randomUUID(),
        name: input.name,
        version: (existing?.version ?? 0) + 1,
      };
      const sealed = encryptSecret(
        this.masterKey.bytes(),
        this.masterKey.id,
        identity,
        Buffer.from(input.value, 'utf8'),
      );
      const columns = {
        kind: kind.name,
        service: input.service ?? null,
        params: JSON.stringify(params),
        version: identity.version,
        format: FORMAT,
        ...encryptedColumns(sealed),
        fingerprint,
      };
      if (existing) {
        await trx
          .updateTable('secrets')
          .set({ ...columns, rotated_at: now })
          .where('id', '=', identity.id)
          .execute();
      } else {
        await trx
          .insertInto('secrets')
          .values({ id: identity.id, name: input.name, ...columns, created_at: now })
          .execute();
      }
    });
    this.rows.delete(input.name);
    this.#generation++;
    this.oauth2.forget();
    return this.describe(input.name);
  }

  /** Deletes a secret. */
  async remove(name: string): Promise<void> {
    const result = await this.store.db.deleteFrom('secrets').where('name', '=', name).executeTakeFirst();
    this.rows.delete(name);
    this.#generation++;
    if (Number(result.numDeletedRows) === 0)
      throw new KeygateError('vault.secret_not_found', `no secret named ${name}`);
  }

  /** Metadata of every secret, by name. */
  async list(): Promise<SecretMetadata[]> {
    const rows = await this.store.db.selectFrom('secrets').selectAll().orderBy('name').execute();
    const statuses = await this.oauth2.statuses(rows);
    return rows.map((row) => this.metadataWithMinted(row, statuses.get(row.id)));
  }

  /** Metadata of one secret. */
  async describe(name: string): Promise<SecretMetadata> {
    const row = await this.readRow(name);
    return this.metadataWithMinted(row, (await this.oauth2.statuses([row])).get(row.id));
  }

  /** A row's metadata, with what its minter (of the row's version) or the oauth2 broker holds now. */
  private metadataWithMinted(row: SecretRow, oauth2?: OAuth2Status): SecretMetadata {
    const meta = metadataOf(row, oauth2);
    if (!secretKind(row.kind).minter) return meta;
    const held = this.minters.get(row.id);
    const current = held?.cacheKey === `${row.id}:${row.version}:${row.key_id}`;
    return { ...meta, minted: current ? held.minter.minted() : [] };
  }

  /**
   * Re-wraps every data key (and the fingerprint key) under `newKey` in one transaction: after a
   * crash, every secret is under the old key or every one is under the new key.
   */
  async rotate(
    newKey: MasterKey,
    options: { kdf?: KdfParams | null; onProgress?: (done: number, total: number) => void } = {},
  ) {
    const oldKey = this.masterKey;
    let count = 0;
    await this.store.db.transaction().execute(async (trx) => {
      const meta = await trx.selectFrom('vault_meta').selectAll().forUpdate().executeTakeFirstOrThrow();
      if (!oldKey.matches(meta.key_check)) {
        throw new KeygateError(
          'vault.wrong_master_key',
          'the vault was re-keyed by another process; unlock it again',
        );
      }
      const rows = await trx.selectFrom('secrets').selectAll().orderBy('name').forUpdate().execute();
      for (const row of rows) {
        const identity = { id: row.id, name: row.name, version: row.version };
        const dataKey = unwrapDataKey(oldKey.bytes(), identity, encryptedOf(row));
        const rewrapped = encryptedColumns({
          keyId: newKey.id,
          wrap: seal(newKey.bytes(), dataKey, wrapAad(identity, newKey.id)),
          value: encryptedOf(row).value,
        });
        dataKey.fill(0);
        await trx.updateTable('secrets').set(rewrapped).where('id', '=', row.id).execute();
        count++;
        options.onProgress?.(count, rows.length);
      }
      await trx
        .updateTable('vault_meta')
        .set({
          key_id: newKey.id,
          key_check: newKey.checkValue(),
          kdf: options.kdf ? JSON.stringify(options.kdf) : null,
          fingerprint_key: pack(seal(newKey.bytes(), this.fingerprintKey, fingerprintKeyAad(newKey.id))),
          rotated_at: new Date(),
        })
        .where('id', '=', 1)
        .execute();
    });
    this.masterKey = newKey;
    this.forgetCaches();
    return { secrets: count, keyId: newKey.id };
  }

  /** The credential built from secret `name`, for one upstream request. */
  async credential(name: string): Promise<Credential> {
    const row = await this.row(name);
    const cacheKey = `${row.id}:${row.version}:${row.key_id}`;
    this.touch(row);
    // A brokered kind's (oauth2) credential is derived per use and refreshed, not built once per version.
    if (secretKind(row.kind).minted) return this.oauth2.credential(row);
    const built = this.credentials.get(row.id);
    if (built?.cacheKey === cacheKey) return built.credential;
    const value = this.decrypt(row);
    const credential = secretKind(row.kind).credential(name, row.params, value);
    this.credentials.set(row.id, { cacheKey, credential });
    return credential;
  }

  /**
   * Every value secret `name` holds, for the outbound scan to look for; not a use (its last-used
   * time stays), read from the row as stored now (another daemon may have replaced it), and never
   * a refresh or a mint: a kind of several parts gives each part, a minted kind its key.
   */
  async storedValues(name: string): Promise<readonly string[]> {
    const row = await this.readRow(name);
    const kind = secretKind(row.kind);
    const value = this.decrypt(row);
    if (kind.parts)
      return Object.values(JSON.parse(value) as Record<string, unknown>).filter(
        (part): part is string => typeof part === 'string' && part.length > 0,
      );
    if (kind.minter) return [value];
    return kind.credential(name, row.params, value).secretValues();
  }

  /** The value of `row`, through its cached data key. */
  private decrypt(row: SecretRow): string {
    const identity = { id: row.id, name: row.name, version: row.version };
    return decryptValue(this.dataKey(identity, encryptedOf(row)), identity, encryptedOf(row)).toString(
      'utf8',
    );
  }

  /**
   * The credential of secret `name` for one call: built once per version for most kinds, minted
   * for this call's context (narrowed to its caller's scope) for a minted kind.
   */
  async credentialFor(name: string, context: CredentialContext): Promise<Credential> {
    const row = await this.row(name);
    const kind = secretKind(row.kind);
    if (!kind.minter) return this.credential(name);
    this.touch(row);
    const cacheKey = `${row.id}:${row.version}:${row.key_id}`;
    let held = this.minters.get(row.id);
    if (held?.cacheKey !== cacheKey) {
      const value = this.decrypt(row);
      held = { cacheKey, minter: kind.minter(name, row.params, value, this.options.now ?? Date.now) };
      this.minters.set(row.id, held);
    }
    return held.minter.credentialFor(context);
  }

  /** A credential provider that uses the secret `secretFor(service)` names. */
  credentialProvider(secretFor: (context: CredentialContext) => string | undefined): CredentialProvider {
    return {
      credentialFor: async (context) => {
        const name = secretFor(context);
        return name === undefined ? undefined : this.credentialFor(name, context);
      },
    };
  }

  /** Drops cached rows and data keys (after a rotation, or before close). */
  forgetCaches(): void {
    this.#generation++;
    for (const key of this.dataKeys.values()) key.fill(0);
    this.dataKeys.clear();
    this.credentials.clear();
    this.minters.clear();
    this.rows.clear();
    this.oauth2.forget();
  }

  /** Forgets every cache and closes the token endpoints' connections. */
  async close(): Promise<void> {
    this.forgetCaches();
    await this.oauth2.close();
  }

  /** The unwrapped data key of a secret version, cached (a version's key never changes). */
  private dataKey(identity: SecretIdentity, stored: EncryptedSecret): Buffer {
    const cacheKey = `${identity.id}:${identity.version}:${stored.keyId}`;
    let dataKey = this.dataKeys.get(cacheKey);
    if (!dataKey) {
      dataKey = unwrapDataKey(this.masterKey.bytes(), identity, stored);
      this.dataKeys.set(cacheKey, dataKey);
    }
    return dataKey;
  }

  private fingerprint(value: string): string {
    return `fp_${createHmac('sha256', this.fingerprintKey).update(value, 'utf8').digest('hex').slice(0, 16)}`;
  }

  private async row(name: string): Promise<SecretRow> {
    const cached = this.rows.get(name);
    if (cached && Date.now() - cached.readAt < ROW_TTL_MS) return cached.row;
    const row = await this.readRow(name);
    this.rows.set(name, { row, readAt: Date.now() });
    return row;
  }

  private async readRow(name: string): Promise<SecretRow> {
    const row = await this.store.db
      .selectFrom('secrets')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirst();
    if (!row) throw new KeygateError('vault.secret_not_found', `no secret named ${name}`);
    return row;
  }

  /** Records last use at most once a minute per secret, off the request path. */
  private touch(row: SecretRow): void {
    const now = Date.now();
    if (now - (this.lastUsedWritten.get(row.id) ?? 0) < LAST_USED_EVERY_MS) return;
    this.lastUsedWritten.set(row.id, now);
    this.store.db
      .updateTable('secrets')
      .set({ last_used_at: new Date(now) })
      .where('id', '=', row.id)
      .execute()
      .catch(() => {
        // Best effort: a missed last-used time must never fail a call.
      });
  }
}

function encryptedOf(
  row: Pick<SecretRow, 'key_id' | 'wrap_nonce' | 'wrapped_key' | 'wrap_tag' | 'nonce' | 'ciphertext' | 'tag'>,
): EncryptedSecret {
  return {
    keyId: row.key_id,
    wrap: { nonce: row.wrap_nonce, ciphertext: row.wrapped_key, tag: row.wrap_tag },
    value: { nonce: row.nonce, ciphertext: row.ciphertext, tag: row.tag },
  };
}

function encryptedColumns(sealed: EncryptedSecret) {
  return {
    key_id: sealed.keyId,
    wrap_nonce: sealed.wrap.nonce,
    wrapped_key: sealed.wrap.ciphertext,
    wrap_tag: sealed.wrap.tag,
    nonce: sealed.value.nonce,
    ciphertext: sealed.value.ciphertext,
    tag: sealed.value.tag,
  };
}

function iso(value: Date | string | null): string | null {
  return value === null ? null : new Date(value).toISOString();
}

function metadataOf(row: SecretRow, oauth2?: OAuth2Status): SecretMetadata {
  return {
    name: row.name,
    kind: row.kind,
    service: row.service,
    params: row.params,
    version: row.version,
    fingerprint: row.fingerprint,
    keyId: row.key_id,
    createdAt: iso(row.created_at)!,
    rotatedAt: iso(row.rotated_at),
    lastUsedAt: iso(row.last_used_at),
    ...(oauth2 ? { oauth2 } : {}),
  };
}

/**
 * The database schema as kysely sees it. One shape for PGlite and PostgreSQL. Tables that later
 * features fill (agents, tokens, approvals, audit) are shaped now so they grow by columns.
 */
import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Json<T> = ColumnType<T, string, string>;

/** One row per secret: its current version, encrypted under a per-version data key. */
export interface SecretsTable {
  id: string;
  name: string;
  kind: string;
  service: string | null;
  /** Non-secret parameters of the kind (header name, query parameter name, username). */
  params: Json<Record<string, string>>;
  version: number;
  /** Ciphertext format version. */
  format: number;
  /** Which master key wrapped the data key. */
  key_id: string;
  wrap_nonce: Buffer;
  wrapped_key: Buffer;
  wrap_tag: Buffer;
  nonce: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
  /** Short keyed hash of the value: tells two values apart without revealing either. */
  fingerprint: string;
  created_at: Timestamp;
  rotated_at: Timestamp | null;
  last_used_at: Timestamp | null;
}

/** The single row describing the master key the vault is sealed with. */
export interface VaultMetaTable {
  id: number;
  key_id: string;
  /** HMAC of a constant under the master key: tells a wrong key from corrupt data. */
  key_check: Buffer;
  /** scrypt parameters and salt when the master key comes from a passphrase. */
  kdf: Json<KdfParams> | null;
  /** The fingerprint key, wrapped by the master key (nonce ‖ ciphertext ‖ tag). */
  fingerprint_key: Buffer;
  format: number;
  created_at: Timestamp;
  rotated_at: Timestamp | null;
}

export interface KdfParams {
  readonly algorithm: 'scrypt';
  readonly salt: string;
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

export interface AgentsTable {
  id: string;
  name: string;
  created_at: Timestamp;
  disabled_at: Timestamp | null;
}

/** Agent and admin tokens, stored only as SHA-256 hashes. */
export interface TokensTable {
  id: string;
  /** `agent` or `admin`. */
  kind: string;
  agent_id: string | null;
  hash: Buffer;
  /** Tool patterns narrowing the agent's tools, or null for all of them. */
  tools: Json<string[]> | null;
  created_at: Timestamp;
  expires_at: Timestamp | null;
  revoked_at: Timestamp | null;
  last_used_at: Timestamp | null;
}

export interface PolicyVersionsTable {
  hash: string;
  content: string;
  loaded_at: Timestamp;
}

export interface ApprovalsTable {
  id: string;
  agent: string;
  token_id: string;
  tool: string;
  args_canonical: Json<unknown>;
  args_hash: string;
  args_redacted: Json<unknown>;
  policy_version: string;
  status: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  decided_at: Timestamp | null;
  decided_by: string | null;
  reason: string | null;
  used_at: Timestamp | null;
  /** A warning shown before the arguments (the secret scan's hit; migration 0009). */
  notice: string | null;
}

export interface AuditEventsTable {
  seq: Generated<string>;
  id: string;
  at: Timestamp;
  agent: string | null;
  token_id: string | null;
  tool: string | null;
  route: string | null;
  args_redacted: Json<unknown> | null;
  args_hash: string | null;
  decision: string;
  reason: string | null;
  upstream_status: number | null;
  latency_ms: number | null;
  bytes: number | null;
  approval_id: string | null;
  policy_version: string | null;
  /** Canonical JSON `{kind, scope}` of the credential an outcome used (migration 0008). */
  credential: string | null;
  prev_hash: string | null;
  hash: string;
}

export interface RateLimitsTable {
  key: string;
  window_start: ColumnType<string, number, number>;
  count: number;
}

export interface AuditHeadTable {
  id: number;
  seq: ColumnType<string, number | string, number | string>;
  hash: string;
}

/** A dashboard session (`kind: session`) or one-time sign-in link (`kind: link`). */
export interface DashboardSessionsTable {
  /** SHA-256 of the cookie or link secret: the secret itself is never stored. */
  hash: Buffer;
  kind: string;
  /** The admin token it was made with; revoking that token ends it. */
  admin_token_id: string;
  /** The session's CSRF token, sent back with every change it makes. */
  csrf: string;
  /**
   * SHA-256 of the session's action key: given once, in the sign-in answer, to the browser's
   * storage for this origin (which another port's page cannot read, unlike the cookie); every
   * decision and revocation carries it.
   */
  action_hash: Buffer | null;
  created_at: Timestamp;
  expires_at: Timestamp;
  /** When a link was used (a link works once). */
  used_at: Timestamp | null;
}

/** One call's hold on one spend budget rule (src/budgets/budget-ledger.ts). */
export interface BudgetHoldsTable {
  /** Shared by the rows of one call's hold, one per rule it counts against. */
  hold_id: string;
  /** The rule, as `tools|currency|per` (amount left out: raising a limit keeps what was used). */
  rule_key: string;
  agent: string;
  /** Lower-case ISO code of the call's currency. */
  currency: string;
  /** Start of the UTC period the hold counts in, in ms (0 for all_time). */
  period_start: ColumnType<string, number, number>;
  /** Minor units reserved. */
  amount: ColumnType<string, number, number>;
  /** Minor units that moved, once settled. */
  settled_amount: ColumnType<string | null, number | null, number | null>;
  /** `held` (reserved), `executing` (its call went upstream), `settled` or `released`. */
  state: string;
  /** Agent, tool, arguments hash and policy version: a re-entry of the same call reuses the hold. */
  call_key: string;
  tool: string;
  created_at: Timestamp;
  /** After this a held or executing hold no longer counts (an abandoned approval). */
  expires_at: Timestamp;
}

/**
 * The refresh bookkeeping of one `oauth2` secret, shared by every daemon on the store: the
 * access token last obtained (sealed under the secret's data key, so a daemon that waited for
 * the refresh lock uses it instead of asking again), when it expires, and whether the refresh
 * token was refused (`needs_reauth`: no request is made until the secret is set again).
 */
export interface OAuth2TokensTable {
  secret_id: string;
  /** The secret version this state belongs to: a `secret set` (new version) starts afresh. */
  secret_version: number;
  /** Bumped by every refresh; bound into the access token's ciphertext. */
  version: number;
  /** The access token, nonce ‖ ciphertext ‖ tag under the secret's data key (null: none yet). */
  access_token: Buffer | null;
  /** The scope the token endpoint granted (`scope` of its answer), when it said. */
  granted_scope: string | null;
  refreshed_at: Timestamp | null;
  expires_at: Timestamp | null;
  /** When the next call refreshes: 5 minutes before expiry, and at most 24 hours after the last. */
  refresh_at: Timestamp | null;
  needs_reauth: boolean;
  /** Why the refresh token was refused (the endpoint's error code and description, scrubbed). */
  reason: string | null;
}

export interface Database {
  secrets: SecretsTable;
  vault_meta: VaultMetaTable;
  agents: AgentsTable;
  tokens: TokensTable;
  policy_versions: PolicyVersionsTable;
  approvals: ApprovalsTable;
  audit_events: AuditEventsTable;
  rate_limits: RateLimitsTable;
  audit_head: AuditHeadTable;
  dashboard_sessions: DashboardSessionsTable;
  budget_holds: BudgetHoldsTable;
  oauth2_tokens: OAuth2TokensTable;
}

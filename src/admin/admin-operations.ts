/**
 * What an administrator can do, as one interface: the CLI, the HTTP admin API and the dashboard
 * all go through it, so a check or a JSON shape lives in one place whichever path a command takes.
 */
import type { AgentSummary } from '../agents/index.js';
import type { ApprovalView } from '../approvals/index.js';
import type { AuditRecord } from '../audit/index.js';
import type { ReloadResult } from '../policy/index.js';
import type { SecretMetadata } from '../vault/index.js';
import type { ToolJson } from './tool-json.js';

/** What `/api/status` answers. */
export interface AdminStatus {
  readonly status: 'ok';
  readonly version: string;
  readonly policyVersion: string;
  readonly store: string;
  readonly pid: number;
}

/**
 * A secret's value, or a function that reads it: a local vault asks for its passphrase first, so
 * a wrong one is said before the value is typed.
 */
export type SecretValue = string | (() => Promise<string>);

export interface SetSecretRequest {
  readonly name: string;
  readonly kind?: string;
  readonly value: SecretValue;
  readonly params?: Readonly<Record<string, string>>;
  readonly service?: string;
}

export interface AddedAgent {
  readonly agent: string;
  readonly tokenId: string;
  readonly token: string;
}

export interface MintTokenRequest {
  readonly agent: string;
  /** `never`, or a duration (`30m`, `1h`); default `1h`. */
  readonly ttl?: string;
  /** Patterns narrowing the agent's tools; empty or absent means all of them. */
  readonly tools?: readonly string[];
}

export interface MintedToken {
  readonly token: string;
  readonly tokenId: string;
  readonly expiresAt: string | null;
  readonly tools: readonly string[] | null;
}

export interface ToolListRequest {
  readonly agent?: string;
  readonly service?: string;
}

export interface ToolList {
  readonly agent: string | null;
  readonly policyVersion: string;
  readonly tools: ToolJson[];
  /**
   * Raw-HTTP proxy routes by service: the agent's grants, or with no agent every proxy service's
   * `allow`. Filtered like the tools by `service`.
   */
  readonly proxy: Readonly<Record<string, readonly string[]>>;
  /**
   * Whether the agent's tools/list shows discovery mode's three tools instead of these (its
   * `discovery` setting, `auto` past 40 tools); `null` without an agent.
   */
  readonly discovery: boolean | null;
}

export interface AuditQueryRequest {
  readonly agent?: string;
  readonly tool?: string;
  /** A duration (`1h`): events newer than that. */
  readonly since?: string;
  /** 1-10000; anything else means 100. */
  readonly limit?: number;
}

export interface AuditVerification {
  readonly ok: boolean;
  /** Rows checked: all of them, or up to and including the first bad one. */
  readonly rows: number;
  readonly problem?: string;
  /** The seq of the first row that breaks the chain, when one does. */
  readonly badSeq?: number;
}

export interface ApprovalListRequest {
  /** One of APPROVAL_FILTERS; default `pending`. */
  readonly status?: string;
  readonly agent?: string;
}

export interface DecideRequest {
  readonly id: string;
  readonly verdict: 'approved' | 'denied';
  readonly reason?: string;
  /** Who decided, as the record says it: the dashboard or (default) `keygate approvals`. */
  readonly by?: 'dashboard' | 'page' | 'cli';
}

export interface BudgetListRequest {
  readonly agent?: string;
}

/** One budget rule of one agent in one currency, in its current period. */
export interface BudgetRow {
  readonly agent: string;
  /** The rule's index in `agents.<agent>.budgets`. */
  readonly index: number;
  /** `stripe_refund_* 50000 usd per day`. */
  readonly budget: string;
  readonly tools: string;
  readonly per: string;
  /** The rule's currency, the currency counted (for a rule without one), or `*` (none seen yet). */
  readonly currency: string;
  /** Minor units. */
  readonly limit: number;
  /** Settled in the current period. */
  readonly used: number;
  /** Held by calls not settled yet (pending approvals, calls upstream). */
  readonly reserved: number;
  readonly remaining: number;
  /** ISO times of the current period (absent for all_time and call). */
  readonly periodStart?: string;
  readonly periodEnd?: string;
}

/** Every administrative operation; implemented over the store (LocalAdmin) and over HTTP (RemoteAdmin). */
export interface AdminOperations {
  status(): Promise<AdminStatus>;

  listSecrets(): Promise<{ secrets: SecretMetadata[] }>;
  setSecret(request: SetSecretRequest): Promise<SecretMetadata>;
  removeSecret(name: string): Promise<{ removed: string }>;

  listAgents(): Promise<{ agents: AgentSummary[] }>;
  addAgent(name: string): Promise<AddedAgent>;
  mintToken(request: MintTokenRequest): Promise<MintedToken>;
  /** Revokes all of an agent's tokens (by name) or one token (by id). */
  revoke(target: string): Promise<{ revoked: string[] }>;
  removeAgent(name: string): Promise<{ removed: string; tokens: string[] }>;

  listTools(request: ToolListRequest): Promise<ToolList>;

  queryAudit(request: AuditQueryRequest): Promise<{ events: AuditRecord[] }>;
  verifyAudit(): Promise<AuditVerification>;

  listApprovals(request: ApprovalListRequest): Promise<{ approvals: ApprovalView[] }>;
  getApproval(id: string): Promise<ApprovalView>;
  decideApproval(request: DecideRequest): Promise<ApprovalView>;

  /** Spend budgets of every agent (or one), with use and remainder in the current period. */
  listBudgets(request: BudgetListRequest): Promise<{ budgets: BudgetRow[] }>;

  reloadPolicy(): Promise<ReloadResult>;

  /**
   * Replaces the admin token: the old one stops working at once, and with it every dashboard
   * session and sign-in link made with it. The new token is returned to be written to admin.token.
   */
  rotateAdminToken(): Promise<{ token: string }>;
}

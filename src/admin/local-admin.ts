/**
 * The administrative operations over the store and the vault: the one place their checks live
 * (the narrowing of a task token, the approval statuses, the tool JSON shape). The daemon serves
 * it at /api; the CLI uses it directly when no daemon runs.
 */
import type { AgentRegistry } from '../agents/index.js';
import {
  APPROVAL_STATUSES,
  type ApprovalBook,
  type ApprovalStatus,
  approvalView,
  noApproval,
} from '../approvals/index.js';
import type { AuditLog } from '../audit/index.js';
import { agentBudgets, type BudgetLedger } from '../budgets/index.js';
import type { Catalog } from '../catalog/index.js';
import { parseDuration } from '../config/index.js';
import { isKeygateError, KeygateError } from '../errors/index.js';
import { globMatches, type PolicyEngine, proxyToolName, type ReloadResult } from '../policy/index.js';
import type { Vault } from '../vault/index.js';
import type {
  AdminOperations,
  AdminStatus,
  ApprovalListRequest,
  AuditQueryRequest,
  BudgetListRequest,
  BudgetRow,
  DecideRequest,
  MintTokenRequest,
  SetSecretRequest,
  ToolListRequest,
} from './admin-operations.js';
import { toolJson } from './tool-json.js';

/** What an approval listing can filter on: a status, or `all`. */
export const APPROVAL_FILTERS: readonly (ApprovalStatus | 'all')[] = [...APPROVAL_STATUSES, 'all'];

/** The longest reason kept with a decision. */
const REASON_LIMIT = 500;

/**
 * What LocalAdmin works on. Each part is fetched when an operation first needs it, so an offline
 * command opens only what it uses: `agent list` never unseals the vault (and never asks for a
 * passphrase), `tools --agent` never opens the store.
 */
export interface AdminParts {
  agents(): Promise<AgentRegistry>;
  audit(): Promise<AuditLog>;
  approvals(): Promise<ApprovalBook>;
  vault(): Promise<Vault>;
  catalog(): Promise<Catalog>;
  /** The policy in force. */
  policy(): Promise<PolicyEngine>;
  /** Spend budgets' holds (in the store). */
  budgets(): Promise<BudgetLedger>;
  reloadPolicy(): Promise<ReloadResult>;
  status(): Promise<AdminStatus>;
  /** Told the ids of tokens just revoked, so their open sessions end now. */
  onRevoked(tokenIds: readonly string[]): Promise<void>;
}

/** A mistake in what the caller asked, as opposed to a mistyped command line. */
function invalid(message: string): KeygateError {
  return new KeygateError('request.invalid', message);
}

/** A duration given in a request; a malformed one is the request's mistake. */
function duration(text: string, what: string): number {
  try {
    return parseDuration(text, what);
  } catch (error) {
    if (isKeygateError(error, 'cli.usage')) throw invalid(error.message);
    throw error;
  }
}

/** The parts of a gateway that holds them all open (the daemon). */
export interface OpenAdminParts {
  readonly agents: AgentRegistry;
  readonly audit: AuditLog;
  readonly approvals: ApprovalBook;
  readonly vault: Vault;
  readonly catalog: Catalog;
  readonly policy: () => PolicyEngine;
  readonly budgets: BudgetLedger;
  readonly reloadPolicy: () => Promise<ReloadResult>;
  readonly status: () => AdminStatus;
  readonly onRevoked: (tokenIds: readonly string[]) => Promise<void>;
}

/** Every proxy service's `allow`, by service: what a listing without an agent shows. */
function allowRoutes(policy: PolicyEngine): Record<string, readonly string[]> {
  return Object.fromEntries(
    policy.proxyServiceNames().map((name) => [name, policy.proxyService(name)?.allow ?? []]),
  );
}

export class LocalAdmin implements AdminOperations {
  constructor(private readonly parts: AdminParts) {}

  /** Over parts that are already open. */
  static of(open: OpenAdminParts): LocalAdmin {
    return new LocalAdmin({
      agents: async () => open.agents,
      audit: async () => open.audit,
      approvals: async () => open.approvals,
      vault: async () => open.vault,
      catalog: async () => open.catalog,
      policy: async () => open.policy(),
      budgets: async () => open.budgets,
      reloadPolicy: () => open.reloadPolicy(),
      status: async () => open.status(),
      onRevoked: (tokenIds) => open.onRevoked(tokenIds),
    });
  }

  status(): Promise<AdminStatus> {
    return this.parts.status();
  }

  async listSecrets() {
    return { secrets: await (await this.parts.vault()).list() };
  }

  async setSecret(request: SetSecretRequest) {
    const vault = await this.parts.vault();
    const value = typeof request.value === 'string' ? request.value : await request.value();
    return vault.set({
      name: request.name,
      kind: request.kind ?? 'bearer',
      value,
      // Passed as given: the vault says what is wrong with parameters that are not an object of strings.
      params: (request.params ?? {}) as Record<string, string>,
      ...(request.service === undefined ? {} : { service: request.service }),
    });
  }

  async removeSecret(name: string) {
    await (await this.parts.vault()).remove(name);
    return { removed: name };
  }

  async listAgents() {
    return { agents: await (await this.parts.agents()).list() };
  }

  async addAgent(name: string) {
    return (await this.parts.agents()).add(name);
  }

  async mintToken(request: MintTokenRequest) {
    const ttl = request.ttl ?? '1h';
    // `never`: a long-lived token, like the one `agent add` prints (the way back after a revoke).
    const ttlMs = ttl === 'never' ? null : duration(ttl, '--ttl');
    const tools = request.tools && request.tools.length > 0 ? [...request.tools] : null;
    if (tools) await this.checkNarrowing(request.agent, tools);
    return (await this.parts.agents()).mintTaskToken(request.agent, ttlMs, tools);
  }

  /**
   * A task token narrows the agent's tools and proxy services (`proxy:<service>`): a pattern
   * outside them is a mistake worth saying.
   */
  private async checkNarrowing(agent: string, tools: readonly string[]): Promise<void> {
    const policy = await this.parts.policy();
    const allowed = policy.toolsFor({ agent, tokenId: '', tools: null }).map((tool) => tool.name);
    const proxied = Object.keys(policy.proxyRoutesFor(agent)).map(proxyToolName);
    for (const pattern of tools) {
      const glob = pattern.replace(/^!/, '');
      // Proxy patterns narrow only proxy services (engine.ts), tool patterns only tools.
      const names = glob.startsWith('proxy:') ? proxied : allowed;
      if (!names.some((name) => globMatches(glob, name)))
        throw invalid(
          glob.startsWith('proxy:')
            ? `${pattern} matches none of ${agent}'s proxy services`
            : `${pattern} matches none of ${agent}'s tools`,
        );
    }
  }

  async revoke(target: string) {
    const result = await (await this.parts.agents()).revoke(target);
    await this.parts.onRevoked(result.revoked);
    return result;
  }

  async removeAgent(name: string) {
    const result = await (await this.parts.agents()).remove(name);
    await this.parts.onRevoked(result.tokens);
    return result;
  }

  async listTools(request: ToolListRequest) {
    const { agent, service } = request;
    const policy = await this.parts.policy();
    // A registered agent without policy may call nothing (an empty list); a name that is
    // neither registered nor in the policy is a mistake worth saying.
    if (agent && !policy.listsAgent(agent) && !(await (await this.parts.agents()).has(agent)))
      throw new KeygateError(
        'agent.not_found',
        `no agent named ${agent} (not registered, not in the policy)`,
      );
    const tools = agent
      ? policy.toolsFor({ agent, tokenId: '', tools: null })
      : (await this.parts.catalog()).tools;
    const routes = agent ? policy.proxyRoutesFor(agent) : allowRoutes(policy);
    return {
      agent: agent ?? null,
      policyVersion: policy.version,
      tools: tools
        .filter((tool) => !service || tool.service === service)
        .map((tool) => toolJson(tool, agent ? policy.approvalFor(agent, tool) : undefined)),
      proxy: Object.fromEntries(Object.entries(routes).filter(([name]) => !service || name === service)),
      discovery: agent ? policy.discoveryFor({ agent, tokenId: '', tools: null }) : null,
    };
  }

  async queryAudit(request: AuditQueryRequest) {
    const limit = request.limit;
    return {
      events: await (await this.parts.audit()).query({
        ...(request.agent ? { agent: request.agent } : {}),
        ...(request.tool ? { tool: request.tool } : {}),
        ...(request.since ? { sinceMs: duration(request.since, 'since') } : {}),
        limit: limit !== undefined && Number.isInteger(limit) && limit > 0 && limit <= 10_000 ? limit : 100,
      }),
    };
  }

  async verifyAudit() {
    return (await this.parts.audit()).verify();
  }

  async listApprovals(request: ApprovalListRequest) {
    const status = request.status ?? 'pending';
    if (!(APPROVAL_FILTERS as readonly string[]).includes(status))
      throw invalid(`status must be one of ${APPROVAL_FILTERS.join(', ')}`);
    const approvals = await (await this.parts.approvals()).list({
      status: status as ApprovalStatus | 'all',
      ...(request.agent ? { agent: request.agent } : {}),
    });
    const catalog = await this.parts.catalog();
    return { approvals: approvals.map((approval) => approvalView(approval, catalog.find(approval.tool))) };
  }

  async getApproval(id: string) {
    const approval = await (await this.parts.approvals()).get(id);
    if (!approval) throw new KeygateError('approval.not_found', noApproval(id));
    return approvalView(approval, (await this.parts.catalog()).find(approval.tool));
  }

  async decideApproval(request: DecideRequest) {
    const reason = request.reason ? request.reason.slice(0, REASON_LIMIT) : undefined;
    const by =
      request.by === 'dashboard' || request.by === 'page'
        ? 'an administrator (dashboard)'
        : 'an administrator (keygate approvals)';
    const approval = await (await this.parts.approvals()).decide(request.id, request.verdict, by, reason);
    return approvalView(approval, (await this.parts.catalog()).find(approval.tool));
  }

  async listBudgets(request: BudgetListRequest) {
    const policy = await this.parts.policy();
    const agent = request.agent;
    if (agent && !policy.listsAgent(agent) && !(await (await this.parts.agents()).has(agent)))
      throw new KeygateError(
        'agent.not_found',
        `no agent named ${agent} (not registered, not in the policy)`,
      );
    const names = agent ? [agent] : Object.keys(policy.policy.file.agents).sort();
    const ledger = await this.parts.budgets();
    const budgets: BudgetRow[] = [];
    for (const name of names)
      for (const budget of agentBudgets(policy, name))
        for (const use of await ledger.usage(name, budget))
          budgets.push({
            agent: name,
            index: budget.index,
            budget: budget.label,
            tools: budget.rule.tools,
            per: budget.rule.per,
            currency: use.currency,
            limit: budget.rule.amount,
            used: use.used,
            reserved: use.reserved,
            remaining: Math.max(0, budget.rule.amount - use.used - use.reserved),
            ...(use.periodStart > 0 ? { periodStart: new Date(use.periodStart).toISOString() } : {}),
            ...(use.periodEnd === undefined ? {} : { periodEnd: new Date(use.periodEnd).toISOString() }),
          });
    return { budgets };
  }

  reloadPolicy(): Promise<ReloadResult> {
    return this.parts.reloadPolicy();
  }

  async rotateAdminToken() {
    return { token: await (await this.parts.agents()).rotateAdminToken() };
  }
}

/** The administrative operations through a running daemon's admin API (/api). */
import type { AgentSummary } from '../agents/index.js';
import type { ApprovalView } from '../approvals/index.js';
import type { AuditRecord } from '../audit/index.js';
import type { ReloadResult } from '../policy/index.js';
import type { SecretMetadata } from '../vault/index.js';
import type {
  AddedAgent,
  AdminOperations,
  AdminStatus,
  ApprovalListRequest,
  AuditQueryRequest,
  AuditVerification,
  BudgetListRequest,
  BudgetRow,
  DecideRequest,
  MintedToken,
  MintTokenRequest,
  SetSecretRequest,
  ToolList,
  ToolListRequest,
} from './admin-operations.js';
import type { DaemonClient } from './daemon-client.js';

const part = encodeURIComponent;

/** `?a=1&b=2` of the defined entries, or nothing. */
function query(entries: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(entries)) if (value !== undefined) params.set(key, String(value));
  const text = params.toString();
  return text ? `?${text}` : '';
}

export class RemoteAdmin implements AdminOperations {
  constructor(private readonly daemon: DaemonClient) {}

  status() {
    return this.daemon.request<AdminStatus>('GET', '/api/status');
  }

  listSecrets() {
    return this.daemon.request<{ secrets: SecretMetadata[] }>('GET', '/api/secrets');
  }

  async setSecret(request: SetSecretRequest) {
    const { value, name, ...rest } = request;
    return this.daemon.request<SecretMetadata>('PUT', `/api/secrets/${part(name)}`, {
      ...rest,
      value: typeof value === 'string' ? value : await value(),
    });
  }

  async removeSecret(name: string) {
    return this.daemon.request<{ removed: string }>('DELETE', `/api/secrets/${part(name)}`);
  }

  listAgents() {
    return this.daemon.request<{ agents: AgentSummary[] }>('GET', '/api/agents');
  }

  addAgent(name: string) {
    return this.daemon.request<AddedAgent>('POST', '/api/agents', { name });
  }

  mintToken(request: MintTokenRequest) {
    return this.daemon.request<MintedToken>('POST', `/api/agents/${part(request.agent)}/tokens`, {
      ...(request.ttl === undefined ? {} : { ttl: request.ttl }),
      tools: request.tools ?? [],
    });
  }

  revoke(target: string) {
    return this.daemon.request<{ revoked: string[] }>('POST', '/api/revoke', { target });
  }

  removeAgent(name: string) {
    return this.daemon.request<{ removed: string; tokens: string[] }>('DELETE', `/api/agents/${part(name)}`);
  }

  listBudgets(request: BudgetListRequest) {
    return this.daemon.request<{ budgets: BudgetRow[] }>(
      'GET',
      `/api/budgets${query({ agent: request.agent })}`,
    );
  }

  listTools(request: ToolListRequest) {
    return this.daemon.request<ToolList>(
      'GET',
      `/api/tools${query({ agent: request.agent, service: request.service })}`,
    );
  }

  queryAudit(request: AuditQueryRequest) {
    return this.daemon.request<{ events: AuditRecord[] }>(
      'GET',
      `/api/audit${query({ agent: request.agent, tool: request.tool, since: request.since, limit: request.limit })}`,
    );
  }

  verifyAudit() {
    return this.daemon.request<AuditVerification>('GET', '/api/audit/verify');
  }

  listApprovals(request: ApprovalListRequest) {
    return this.daemon.request<{ approvals: ApprovalView[] }>(
      'GET',
      `/api/approvals${query({ status: request.status, agent: request.agent })}`,
    );
  }

  getApproval(id: string) {
    return this.daemon.request<ApprovalView>('GET', `/api/approvals/${part(id)}`);
  }

  decideApproval(request: DecideRequest) {
    const action = request.verdict === 'approved' ? 'approve' : 'deny';
    return this.daemon.request<ApprovalView>('POST', `/api/approvals/${part(request.id)}/${action}`, {
      ...(request.reason ? { reason: request.reason } : {}),
      ...(request.by === 'page' || request.by === 'dashboard' ? { by: 'dashboard' } : {}),
    });
  }

  reloadPolicy() {
    return this.daemon.request<ReloadResult>('POST', '/api/policy/reload');
  }

  rotateAdminToken() {
    return this.daemon.request<{ token: string }>('POST', '/api/admin-token/rotate');
  }
}

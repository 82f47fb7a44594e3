/**
 * Agents as their policy and tokens make them now: the tools each can call (after globs and
 * excludes), constraints, approval modes, rate limits with their use, proxy routes, and tokens
 * with a one-click revoke.
 */
import type { BudgetRow } from '../admin/index.js';
import type { AgentSummary } from '../agents/index.js';
import { type Html, html } from './html.js';
import { when } from './layout.js';

export interface AgentRow {
  readonly name: string;
  readonly inPolicy: boolean;
  readonly registered: boolean;
  readonly tools: number;
  readonly discovery: boolean;
  readonly activeTokens: number;
  readonly lastUsedAt: string | null;
}

export interface AgentDetail {
  readonly name: string;
  readonly inPolicy: boolean;
  readonly discovery: boolean;
  readonly tools: readonly { name: string; risk: string; approval: string }[];
  readonly constraints: unknown;
  readonly approvalOverrides: Readonly<Record<string, string>>;
  readonly rateLimits: readonly { label: string; used: number; calls: number }[];
  /** Its spend budgets in their current periods (minor units). */
  readonly budgets: readonly BudgetRow[];
  readonly proxy: Readonly<Record<string, readonly string[]>>;
  readonly tokens: AgentSummary['tokens'];
}

export function agentsPage(rows: AgentRow[]): Html {
  return html`<h1>Agents</h1>
<table data-agents><thead><tr><th>Agent</th><th>Tools it can call</th><th>tools/list</th><th>Live tokens</th><th>Last call</th><th></th></tr></thead><tbody>
${
  rows.length === 0
    ? html`<tr><td colspan="6" class="meta">No agent yet: <code>keygate agent add NAME</code>.</td></tr>`
    : rows.map(
        (row) =>
          html`<tr data-agent="${row.name}"><td><a href="/agents/${encodeURIComponent(row.name)}">${row.name}</a></td><td>${row.tools}</td><td>${row.discovery ? 'discovery mode' : 'its tools'}</td><td>${row.activeTokens}</td><td>${when(row.lastUsedAt)}</td><td class="meta">${
            row.inPolicy ? '' : 'not in the policy: may call nothing'
          }${row.registered ? '' : 'in the policy, no token yet'}</td></tr>`,
      )
}
</tbody></table>`;
}

function tokenState(token: AgentSummary['tokens'][number], now: number): string {
  if (token.revokedAt) return `revoked ${when(token.revokedAt)}`;
  if (token.expiresAt && Date.parse(token.expiresAt) <= now) return `expired ${when(token.expiresAt)}`;
  return 'live';
}

export function agentPage(agent: AgentDetail, csrf: string, now = Date.now()): Html {
  const live = agent.tokens.filter((token) => tokenState(token, now) === 'live');
  const revokeForm = (target: string, label: string) =>
    html`<form method="post" action="/agents/${encodeURIComponent(agent.name)}/revoke" data-needs-key><input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="target" value="${target}"><button class="revoke" type="submit">${label}</button></form>`;
  return html`<h1>Agent ${agent.name}</h1>
${agent.inPolicy ? '' : html`<p class="bad">This agent has no entry in the policy: it may call nothing.</p>`}
<h2>Tokens</h2>
<table data-tokens><thead><tr><th>Token id</th><th>State</th><th>Created</th><th>Expires</th><th>Last used</th><th>Narrowed to</th><th></th></tr></thead><tbody>
${agent.tokens.map(
  (token) =>
    html`<tr data-token="${token.id}"><td><code>${token.id}</code></td><td>${tokenState(token, now)}</td><td>${when(token.createdAt)}</td><td>${token.expiresAt ? when(token.expiresAt) : 'never'}</td><td>${when(token.lastUsedAt)}</td><td>${token.tools ? token.tools.join(', ') : 'all its tools'}</td><td>${
      tokenState(token, now) === 'live' ? revokeForm(token.id, 'Revoke') : ''
    }</td></tr>`,
)}
</tbody></table>
${live.length > 1 ? html`<div class="actions">${revokeForm(agent.name, `Revoke all ${live.length} live tokens`)}</div>` : ''}
<h2>Tools it can call now (${agent.tools.length})</h2>
<p class="meta">Its tools/list shows ${agent.discovery ? 'discovery mode (search, describe and call) over these' : 'these tools'}.</p>
<table data-tools><thead><tr><th>Tool</th><th>Risk</th><th>Approval</th></tr></thead><tbody>
${agent.tools.map(
  (tool) =>
    html`<tr><td>${tool.name}</td><td><span class="risk risk-${tool.risk}">${tool.risk}</span></td><td>${tool.approval}</td></tr>`,
)}
</tbody></table>
<h2>Proxy routes</h2>
${
  Object.keys(agent.proxy).length === 0
    ? html`<p class="meta">None.</p>`
    : html`<ul>${Object.entries(agent.proxy).map(([service, routes]) => html`<li><strong>${service}</strong>: ${routes.join(', ')}</li>`)}</ul>`
}
<h2>Rate limits</h2>
${
  agent.rateLimits.length === 0
    ? html`<p class="meta">None.</p>`
    : html`<table data-rate-limits><thead><tr><th>Limit</th><th>Used in this window</th></tr></thead><tbody>${agent.rateLimits.map(
        (limit) => html`<tr><td>${limit.label}</td><td>${limit.used} of ${limit.calls}</td></tr>`,
      )}</tbody></table>`
}
<h2>Spend budgets</h2>
${
  agent.budgets.length === 0
    ? html`<p class="meta">None.</p>`
    : html`<table data-budgets><thead><tr><th>Budget</th><th>Currency</th><th>Used</th><th>Reserved</th><th>Left</th><th>Period ends (UTC)</th></tr></thead><tbody>${agent.budgets.map(
        (budget) =>
          html`<tr><td>${budget.budget}</td><td>${budget.currency}</td><td>${budget.used}</td><td>${budget.reserved}</td><td>${budget.remaining} of ${budget.limit}</td><td>${budget.periodEnd ?? (budget.per === 'all_time' ? 'never' : 'each call')}</td></tr>`,
      )}</tbody></table><p class="meta">Minor units (cents); reserved is held by calls not settled yet, such as pending approvals.</p>`
}
<h2>Approval overrides</h2>
${
  Object.keys(agent.approvalOverrides).length === 0
    ? html`<p class="meta">None: the defaults for each risk apply.</p>`
    : html`<ul>${Object.entries(agent.approvalOverrides).map(([pattern, mode]) => html`<li><code>${pattern}</code>: ${mode}</li>`)}</ul>`
}
<h2>Constraints</h2>
<pre>${JSON.stringify(agent.constraints ?? {}, null, 2)}</pre>`;
}

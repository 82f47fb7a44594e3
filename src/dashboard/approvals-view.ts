/**
 * Approvals as a human decides them: who asks, which operation, the risk, a payment's amount
 * first and large, every argument as it will run (secret fields hidden), the policy entry that
 * asked for a human, and the time left. Decided, expired and cancelled ones stay listed.
 */
import type { ApprovalView } from '../approvals/index.js';
import { type Html, html } from './html.js';
import { when } from './layout.js';

/** An approval with the policy entry that required it (when the tool is still in the catalog). */
export interface ShownApproval {
  readonly view: ApprovalView;
  readonly rule: string | null;
}

/** Currencies Stripe counts in whole units; every other one in hundredths. */
const ZERO_DECIMAL = new Set('BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF'.split(' '));

/** A payment's amount as people read it (10.00 USD), with the raw figure the call sends. */
function amount(view: ApprovalView): Html | string {
  if (!view.amount) return '';
  const { value, currency } = view.amount;
  const readable =
    currency === null
      ? String(value)
      : ZERO_DECIMAL.has(currency)
        ? `${value} ${currency}`
        : `${(value / 100).toFixed(2)} ${currency}`;
  return html`<p class="amount" data-amount>${readable}</p>
<p class="meta">The call sends amount ${value}${currency ? ` ${currency}` : ''} (in the currency's smallest unit).</p>`;
}

function decisionForms(view: ApprovalView, csrf: string): Html {
  const action = `/approvals/${encodeURIComponent(view.id)}`;
  return html`<form class="actions" method="post" action="${action}/decide" data-needs-key>
<input type="hidden" name="csrf" value="${csrf}">
<label>Reason <input name="reason" maxlength="500" placeholder="optional, shown to the agent"></label>
<button class="approve" type="submit" name="verdict" value="approve">Approve: run it once</button>
<button class="deny" type="submit" name="verdict" value="deny">Deny</button>
</form>`;
}

/**
 * One approval: everything needed to decide, and the decision form while it is pending. In the
 * list (`whole: false`) a call whose arguments are too long to show in full is shown cut, with
 * what was cut said, and decided only on its own page, where every argument is shown.
 */
export function approvalCard({ view, rule }: ShownApproval, csrf: string, whole = true): Html {
  const pending = view.status === 'pending';
  const complete = whole || view.summaryComplete;
  return html`<article class="card" data-approval="${view.id}">
<h3><a href="/approvals/${encodeURIComponent(view.id)}">${view.tool}</a> <span class="risk risk-${view.risk ?? 'unknown'}">${view.risk ?? 'unknown risk'}</span> <span class="status-${view.status}">${view.status}</span></h3>
<p class="meta">Agent <strong>${view.agent}</strong>${view.service ? html` · ${view.service}` : ''}${view.operation ? html` · <code>${view.operation}</code>` : ''}</p>
${amount(view)}
${view.notice ? html`<p class="notice" data-notice>${view.notice}</p>` : ''}
<pre data-arguments>${complete ? view.arguments.join('\n') || '(no arguments)' : view.summary.slice(view.notice ? 2 : 1).join('\n')}</pre>
<p class="meta">Required by <code>${rule ?? 'a policy entry no longer in force'}</code> · policy ${view.policyVersion.slice(0, 12)} · asked ${when(view.createdAt)}${
    pending
      ? html` · <strong data-expires="${view.expiresAt}">until ${when(view.expiresAt)}</strong>`
      : html` · decided ${when(view.decidedAt)} by ${view.decidedBy ?? 'nobody (it lapsed)'}${view.reason ? html` · reason: “${view.reason}”` : ''}${view.usedAt ? html` · ran ${when(view.usedAt)}` : ''}`
  }</p>
${
  pending
    ? complete
      ? decisionForms(view, csrf)
      : html`<p class="actions"><a href="/approvals/${encodeURIComponent(view.id)}">Open it to see every argument and decide</a></p>`
    : ''
}
</article>`;
}

/** The live part of the approvals page: fetched again whenever an approval changes. */
export function approvalsFragment(pending: ShownApproval[], decided: ShownApproval[], csrf: string): Html {
  return html`<h2>Waiting for you (${pending.length})</h2>
${pending.length === 0 ? html`<p class="meta" data-empty>No call is waiting for a decision.</p>` : pending.map((a) => approvalCard(a, csrf, false))}
<h2>Decided, expired and cancelled</h2>
${
  decided.length === 0
    ? html`<p class="meta">None yet.</p>`
    : html`<table><thead><tr><th>Status</th><th>Tool</th><th>Agent</th><th>Decided</th><th>By</th><th>Reason</th></tr></thead><tbody>
${decided.map(
  ({ view }) =>
    html`<tr data-approval="${view.id}"><td class="status-${view.status}">${view.status}</td><td><a href="/approvals/${encodeURIComponent(view.id)}">${view.tool}</a></td><td>${view.agent}</td><td>${when(view.decidedAt ?? view.expiresAt)}</td><td>${view.decidedBy ?? '—'}</td><td>${view.reason ?? ''}</td></tr>`,
)}
</tbody></table>`
}`;
}

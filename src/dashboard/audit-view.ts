/** The audit chain as pages: newest first, filtered, each row opening to its full record. */
import type { AuditVerification } from '../admin/index.js';
import type { AuditRecord } from '../audit/index.js';
import { type Html, html, queryString } from './html.js';
import { when } from './layout.js';

/** The decisions a row can record (the audit's own vocabulary), for the filter's choices. */
export const AUDIT_DECISIONS = [
  'allowed',
  'denied',
  'rate_limited',
  'approval_pending',
  'approval_approved',
  'approval_denied',
  'approval_expired',
  'approval_cancelled',
  'approval_used',
  'approval_refused',
  'completed',
  'failed',
] as const;

/** The filters of the audit page, as its form and links carry them. */
export interface AuditFilters {
  readonly agent?: string;
  readonly tool?: string;
  readonly decision?: string;
  /** `YYYY-MM-DDTHH:MM` in UTC, as a datetime-local field gives it. */
  readonly from?: string;
  readonly to?: string;
}

const filterQuery = (filters: AuditFilters, extra: Record<string, string | number | undefined> = {}) =>
  queryString({ ...filters, ...extra });

function filterForm(filters: AuditFilters): Html {
  return html`<form class="filters" method="get" action="/audit">
<label>Agent <input name="agent" value="${filters.agent ?? ''}"></label>
<label>Tool <input name="tool" value="${filters.tool ?? ''}"></label>
<label>Decision <select name="decision"><option value="">any</option>${AUDIT_DECISIONS.map(
    (d) => html`<option${filters.decision === d ? html` selected` : ''}>${d}</option>`,
  )}</select></label>
<label>From (UTC) <input type="datetime-local" name="from" value="${filters.from ?? ''}"></label>
<label>To (UTC) <input type="datetime-local" name="to" value="${filters.to ?? ''}"></label>
<button type="submit">Filter</button>
<a href="/audit">Clear</a>
</form>`;
}

export function auditPage(rows: AuditRecord[], filters: AuditFilters, limit: number, first: boolean): Html {
  const last = rows[rows.length - 1];
  return html`<h1>Audit</h1>
${filterForm(filters)}
<p class="actions"><a href="/audit/verify">Verify the chain</a> · <a href="/audit/export${filterQuery(filters)}" download>Export these rows as JSON lines</a></p>
<table data-audit><thead><tr><th>#</th><th>Time</th><th>Agent</th><th>Tool or route</th><th>Decision</th><th>Reason</th><th>Status</th><th>Latency</th></tr></thead><tbody>
${
  rows.length === 0
    ? html`<tr><td colspan="8" class="meta">No row matches.</td></tr>`
    : rows.map(
        (row) =>
          html`<tr data-seq="${row.seq}"><td><a href="/audit/${row.seq}">${row.seq}</a></td><td>${when(row.at)}</td><td>${row.agent ?? '—'}</td><td>${row.tool ?? row.route ?? '—'}</td><td>${row.decision}</td><td>${row.reason ?? ''}</td><td>${row.upstreamStatus ?? ''}</td><td>${row.latencyMs === null ? '' : `${row.latencyMs} ms`}</td></tr>`,
      )
}
</tbody></table>
<p class="pager">${first ? '' : html`<a href="/audit${filterQuery(filters)}">Newest</a>`}${
    last && rows.length === limit
      ? html`<a href="/audit${filterQuery(filters, { before: last.seq })}" rel="next">Older →</a>`
      : ''
  }</p>`;
}

export function auditRowPage(row: AuditRecord): Html {
  const fields: [string, Html | string | number | null][] = [
    ['Time', when(row.at)],
    ['Id', row.id],
    ['Agent', row.agent],
    ['Token', row.tokenId],
    ['Tool', row.tool],
    ['Route', row.route],
    ['Decision', row.decision],
    ['Reason', row.reason],
    ['Upstream status', row.upstreamStatus],
    ['Latency', row.latencyMs === null ? null : `${row.latencyMs} ms`],
    ['Bytes', row.bytes],
    [
      'Approval',
      row.approvalId
        ? html`<a href="/approvals/${encodeURIComponent(row.approvalId)}">${row.approvalId}</a>`
        : null,
    ],
    ['Policy version', row.policyVersion],
    ['Arguments hash', row.argsHash],
    ['Previous row hash', row.prevHash],
    ['Row hash', row.hash],
  ];
  return html`<h1>Audit row ${row.seq}</h1>
<table data-audit-row><tbody>${fields.map(([name, value]) => html`<tr><th>${name}</th><td>${value ?? '—'}</td></tr>`)}</tbody></table>
<h2>Arguments (redacted)</h2>
<pre>${row.args === null ? '(none)' : JSON.stringify(row.args, null, 2)}</pre>
<p><a href="/audit?before=${row.seq + 1}">Rows around this one</a></p>`;
}

export function verifyPage(result: AuditVerification): Html {
  return html`<h1>Audit chain</h1>
${
  result.ok
    ? html`<p class="ok" data-verify="ok">The chain is intact: ${result.rows} rows, each carrying the hash of the one before, up to the recorded head.</p>`
    : html`<p class="bad" data-verify="broken">The chain is broken: ${result.problem}.</p>
${result.badSeq === undefined ? '' : html`<p>First bad row: <a href="/audit/${result.badSeq}">${result.badSeq}</a></p>`}`
}
<p><a href="/audit">Back to the audit</a></p>`;
}

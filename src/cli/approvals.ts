/**
 * `keygate approvals [list] | show ID | approve ID | deny ID [--reason R]`: the humans' side of
 * approvals.
 */
import { ApprovalBook, type ApprovalView, approvalView } from '../approvals/index.js';
import { AuditLog } from '../audit/index.js';
import { loadCatalog } from '../catalog/index.js';
import { keygateCommand } from '../config/index.js';
import { KeygateError } from '../errors/index.js';
import { findDaemon } from './daemon-client.js';
import { type CommandOutput, formatTable } from './output.js';
import { openHomeStore } from './vault-session.js';

const STATUSES = ['pending', 'approved', 'denied', 'expired', 'cancelled', 'used', 'all'];

/** Without a daemon the store is opened here: deciding needs no master key. */
async function withBook<T>(
  home: string | undefined,
  command: string,
  work: (book: ApprovalBook) => Promise<T>,
) {
  const { store } = await openHomeStore({ home, command });
  const audit = new AuditLog(store);
  try {
    return await work(new ApprovalBook(store, audit));
  } finally {
    await audit.drain();
    await store.close();
  }
}

function until(iso: string): string {
  const seconds = Math.round((Date.parse(iso) - Date.now()) / 1000);
  if (seconds <= 0) return 'now';
  return seconds < 120 ? `${seconds}s` : `${Math.round(seconds / 60)}m`;
}

export async function approvalsListCommand(options: { home?: string; status?: string; agent?: string }) {
  const status = options.status ?? 'pending';
  if (!STATUSES.includes(status))
    throw new KeygateError('cli.usage', `--status must be one of ${STATUSES.join(', ')}`);
  const daemon = await findDaemon(options.home);
  let approvals: ApprovalView[];
  if (daemon) {
    const query = new URLSearchParams({ status });
    if (options.agent) query.set('agent', options.agent);
    approvals = (await daemon.request<{ approvals: ApprovalView[] }>('GET', `/api/approvals?${query}`))
      .approvals;
  } else {
    const catalog = await loadCatalog();
    approvals = await withBook(options.home, 'keygate approvals', async (book) =>
      (
        await book.list({ status: status as 'pending', ...(options.agent ? { agent: options.agent } : {}) })
      ).map((approval) => approvalView(approval, catalog.find(approval.tool))),
    );
  }
  const text =
    approvals.length === 0
      ? `no ${status === 'all' ? '' : `${status} `}approvals`
      : [
          formatTable([
            ['ID', 'AGENT', 'TOOL', 'STATUS', 'EXPIRES IN', 'WOULD DO'],
            ...approvals.map((a) => [
              a.id,
              a.agent,
              a.tool,
              a.status,
              a.status === 'pending' || a.status === 'approved' ? until(a.expiresAt) : '-',
              a.operation ?? '-',
            ]),
          ]),
          ...approvals
            .filter((a) => a.status === 'pending')
            .flatMap((a) => ['', ...a.summary, ...decisionHints(a.id, options.home)]),
        ].join('\n');
  return { json: { approvals }, text } satisfies CommandOutput;
}

/** The commands that decide a pending approval, as the listing and `show` print them. */
function decisionHints(id: string, home: string | undefined): string[] {
  const command = keygateCommand(home);
  return [
    `  approve: ${command(`approvals approve ${id}`)}`,
    `  deny:    ${command(`approvals deny ${id} --reason "…"`)}`,
  ];
}

/** One approval, through the daemon when it runs, else from the store. */
async function fetchApproval(home: string | undefined, id: string): Promise<ApprovalView> {
  const daemon = await findDaemon(home);
  if (daemon) return daemon.request<ApprovalView>('GET', `/api/approvals/${encodeURIComponent(id)}`);
  const catalog = await loadCatalog();
  return withBook(home, 'keygate approvals show', async (book) => {
    const approval = await book.get(id);
    if (!approval) throw new KeygateError('approval.not_found', `no approval ${id}`);
    return approvalView(approval, catalog.find(approval.tool));
  });
}

/** `keygate approvals show ID`: the record and every argument in full (secrets stay redacted). */
export async function approvalsShowCommand(options: { home?: string; id: string }): Promise<CommandOutput> {
  const a = await fetchApproval(options.home, options.id);
  const field = (name: string, value: string) => `${`${name}:`.padEnd(16)}${value}`;
  const decided = a.decidedAt ? `${a.decidedAt} by ${a.decidedBy ?? 'unknown'}` : '-';
  const text = [
    field('Approval', a.id),
    field('Agent', a.agent),
    field('Tool', a.tool),
    field('Service', a.service ?? '(not in the catalog)'),
    field('Operation', a.operation ?? '-'),
    field('Risk', a.risk ?? '-'),
    field('Status', `${a.status}${a.reason ? ` (${a.reason})` : ''}`),
    field('Created', a.createdAt),
    field('Expires', a.expiresAt),
    field('Decided', decided),
    field('Used', a.usedAt ?? '-'),
    field('Policy version', a.policyVersion),
    field('Arguments hash', a.argsHash),
    'Arguments (every one in full, sensitive values redacted):',
    ...a.arguments,
    ...(a.status === 'pending' ? ['', ...decisionHints(a.id, options.home)] : []),
  ].join('\n');
  return { json: a, text };
}

export async function approvalsDecideCommand(options: {
  home?: string;
  id: string;
  verdict: 'approved' | 'denied';
  reason?: string;
}): Promise<CommandOutput> {
  const action = options.verdict === 'approved' ? 'approve' : 'deny';
  const daemon = await findDaemon(options.home);
  let approval: ApprovalView;
  if (daemon) {
    approval = await daemon.request<ApprovalView>(
      'POST',
      `/api/approvals/${encodeURIComponent(options.id)}/${action}`,
      options.reason ? { reason: options.reason } : {},
    );
  } else {
    const catalog = await loadCatalog();
    approval = await withBook(options.home, `keygate approvals ${action}`, async (book) => {
      const decided = await book.decide(
        options.id,
        options.verdict,
        'an administrator (keygate approvals)',
        options.reason,
      );
      return approvalView(decided, catalog.find(decided.tool));
    });
  }
  const next =
    options.verdict === 'approved'
      ? daemon
        ? `${approval.agent}'s waiting call runs now; if it stopped waiting, its next identical call runs once (until ${approval.expiresAt}).`
        : `${approval.agent}'s next identical call runs once (until ${approval.expiresAt}).`
      : 'the call will not be made.';
  return {
    json: approval,
    text: `${options.verdict} ${approval.id}: ${approval.tool} for ${approval.agent}${options.reason ? ` (${options.reason})` : ''}; ${next}`,
  };
}

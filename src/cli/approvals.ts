/**
 * `keygate approvals [list] | show ID | approve ID | deny ID [--reason R]`: the humans' side of
 * approvals.
 */
import { APPROVAL_FILTERS } from '../admin/index.js';
import { keygateCommand } from '../config/index.js';
import { KeygateError } from '../errors/index.js';
import { withAdmin } from './admin-session.js';
import { type CommandOutput, formatTable } from './output.js';

function until(iso: string): string {
  const seconds = Math.round((Date.parse(iso) - Date.now()) / 1000);
  if (seconds <= 0) return 'now';
  return seconds < 120 ? `${seconds}s` : `${Math.round(seconds / 60)}m`;
}

export async function approvalsListCommand(options: { home?: string; status?: string; agent?: string }) {
  const status = options.status ?? 'pending';
  if (!(APPROVAL_FILTERS as readonly string[]).includes(status))
    throw new KeygateError('cli.usage', `--status must be one of ${APPROVAL_FILTERS.join(', ')}`);
  const { approvals } = await withAdmin(options.home, 'keygate approvals', (admin) =>
    admin.listApprovals({ status, ...(options.agent ? { agent: options.agent } : {}) }),
  );
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

/** `keygate approvals show ID`: the record and every argument in full (secrets stay redacted). */
export async function approvalsShowCommand(options: { home?: string; id: string }): Promise<CommandOutput> {
  const a = await withAdmin(options.home, 'keygate approvals show', (admin) => admin.getApproval(options.id));
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
  const { approval, remote } = await withAdmin(
    options.home,
    `keygate approvals ${action}`,
    async (admin, remote) => ({
      approval: await admin.decideApproval({
        id: options.id,
        verdict: options.verdict,
        ...(options.reason ? { reason: options.reason } : {}),
      }),
      remote,
    }),
  );
  const next =
    options.verdict === 'approved'
      ? remote
        ? `${approval.agent}'s waiting call runs now; if it stopped waiting, its next identical call runs once (until ${approval.expiresAt}).`
        : `${approval.agent}'s next identical call runs once (until ${approval.expiresAt}).`
      : 'the call will not be made.';
  return {
    json: approval,
    text: `${options.verdict} ${approval.id}: ${approval.tool} for ${approval.agent}${options.reason ? ` (${options.reason})` : ''}; ${next}`,
  };
}

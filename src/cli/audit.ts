/** `keygate audit tail | query | verify | export`: the decision log. */
import type { AuditRecord } from '../audit/index.js';
import { parseDuration } from '../config/index.js';
import { KeygateError } from '../errors/index.js';
import { withAdmin } from './admin-session.js';
import { type CommandOutput, formatTable } from './output.js';

export interface AuditQueryOptions {
  readonly home?: string;
  readonly agent?: string;
  readonly tool?: string;
  readonly since?: string;
  readonly limit?: string;
}

async function fetchEvents(options: AuditQueryOptions, defaultLimit: number): Promise<AuditRecord[]> {
  const limit = options.limit === undefined ? defaultLimit : Number(options.limit);
  if (!Number.isInteger(limit) || limit <= 0 || limit > 10_000)
    throw new KeygateError('cli.usage', '--limit must be 1-10000');
  // The flags are checked before anything is opened.
  if (options.since !== undefined) parseDuration(options.since, '--since');
  const { events } = await withAdmin(options.home, 'keygate audit', (admin) =>
    admin.queryAudit({
      ...(options.agent ? { agent: options.agent } : {}),
      ...(options.tool ? { tool: options.tool } : {}),
      ...(options.since ? { since: options.since } : {}),
      limit,
    }),
  );
  return events;
}

function table(events: readonly AuditRecord[]): string {
  if (events.length === 0) return 'no audit events';
  return formatTable([
    ['TIME', 'AGENT', 'TOOL', 'DECISION', 'STATUS', 'MS', 'APPROVAL', 'REASON'],
    ...events.map((e) => [
      e.at.slice(0, 19).replace('T', ' '),
      e.agent ?? '-',
      e.tool ?? e.route ?? '-',
      e.decision,
      e.upstreamStatus === null ? '-' : String(e.upstreamStatus),
      e.latencyMs === null ? '-' : String(e.latencyMs),
      e.approvalId ?? '-',
      e.reason ?? '',
    ]),
  ]);
}

export async function auditQueryCommand(
  options: AuditQueryOptions,
  defaultLimit = 100,
): Promise<CommandOutput> {
  const events = await fetchEvents(options, defaultLimit);
  return { json: { events }, text: table(events) };
}

export async function auditExportCommand(
  options: AuditQueryOptions & { format?: string },
): Promise<CommandOutput> {
  if ((options.format ?? 'jsonl') !== 'jsonl')
    throw new KeygateError('cli.usage', '--format jsonl is the only export format');
  const events = await fetchEvents(options, 10_000);
  return { text: events.map((event) => JSON.stringify(event)).join('\n') };
}

export async function auditVerifyCommand(options: { home?: string }): Promise<CommandOutput> {
  const result = await withAdmin(options.home, 'keygate audit', (admin) => admin.verifyAudit());
  return {
    json: result,
    text: result.ok ? `audit chain intact: ${result.rows} rows` : `audit chain BROKEN: ${result.problem}`,
    exitCode: result.ok ? 0 : 1,
  };
}

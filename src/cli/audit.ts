/** `keygate audit tail | query | verify | export`: the decision log. */
import { AuditLog, type AuditRecord } from '../audit/index.js';
import { parseDuration } from '../config/index.js';
import { KeygateError } from '../errors/index.js';
import { findDaemon } from './daemon-client.js';
import { type CommandOutput, formatTable } from './output.js';
import { openHomeStore } from './vault-session.js';

export interface AuditQueryOptions {
  readonly home?: string;
  readonly agent?: string;
  readonly tool?: string;
  readonly since?: string;
  readonly limit?: string;
}

async function withAudit<T>(home: string | undefined, work: (audit: AuditLog) => Promise<T>): Promise<T> {
  const { store } = await openHomeStore({ home, command: 'keygate audit' });
  try {
    return await work(new AuditLog(store));
  } finally {
    await store.close();
  }
}

async function fetchEvents(options: AuditQueryOptions, defaultLimit: number): Promise<AuditRecord[]> {
  const limit = options.limit === undefined ? defaultLimit : Number(options.limit);
  if (!Number.isInteger(limit) || limit <= 0 || limit > 10_000)
    throw new KeygateError('cli.usage', '--limit must be 1-10000');
  const sinceMs = options.since === undefined ? undefined : parseDuration(options.since, '--since');
  const daemon = await findDaemon(options.home);
  if (daemon) {
    const query = new URLSearchParams({ limit: String(limit) });
    if (options.agent) query.set('agent', options.agent);
    if (options.tool) query.set('tool', options.tool);
    if (options.since) query.set('since', options.since);
    return (await daemon.request<{ events: AuditRecord[] }>('GET', `/api/audit?${query}`)).events;
  }
  return withAudit(options.home, (audit) =>
    audit.query({
      ...(options.agent ? { agent: options.agent } : {}),
      ...(options.tool ? { tool: options.tool } : {}),
      ...(sinceMs === undefined ? {} : { sinceMs }),
      limit,
    }),
  );
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
  const daemon = await findDaemon(options.home);
  const result = daemon
    ? await daemon.request<{ ok: boolean; rows: number; problem?: string }>('GET', '/api/audit/verify')
    : await withAudit(options.home, (audit) => audit.verify());
  return {
    json: result,
    text: result.ok ? `audit chain intact: ${result.rows} rows` : `audit chain BROKEN: ${result.problem}`,
    exitCode: result.ok ? 0 : 1,
  };
}

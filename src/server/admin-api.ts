/** The admin API under /api: what the CLI and the dashboard use. Admin token only. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AgentRegistry } from '../agents/index.js';
import { type ApprovalBook, type ApprovalStatus, approvalView } from '../approvals/index.js';
import type { AuditLog } from '../audit/index.js';
import type { Catalog } from '../catalog/index.js';
import { parseDuration } from '../config/index.js';
import { KeygateError } from '../errors/index.js';
import type { PolicyEngine } from '../policy/index.js';
import { globMatches } from '../policy/index.js';
import type { Vault } from '../vault/index.js';
import { sendJson } from './http-errors.js';
import { readJsonBody } from './request-guard.js';

export interface AdminContext {
  readonly vault: Vault;
  readonly agents: AgentRegistry;
  readonly audit: AuditLog;
  readonly approvals: ApprovalBook;
  readonly catalog: Catalog;
  readonly policy: () => PolicyEngine;
  readonly reloadPolicy: () => Promise<{ ok: boolean; version: string; problems: string[] }>;
  /** Called with the ids of tokens just revoked, so their open sessions end now. */
  readonly onRevoked: (tokenIds: readonly string[]) => Promise<void>;
  readonly status: () => Record<string, unknown>;
}

type Handler = (
  ctx: AdminContext,
  params: string[],
  query: URLSearchParams,
  req: IncomingMessage,
) => Promise<unknown>;

const str = (value: unknown, name: string): string => {
  if (typeof value !== 'string' || value.length === 0)
    throw new KeygateError('cli.usage', `${name} is required`);
  return value;
};

/** An optional string field: absent gives `fallback`, any other type is a usage error. */
const optionalStr = (value: unknown, name: string, fallback?: string): string | undefined => {
  if (value === undefined) return fallback;
  if (typeof value !== 'string') throw new KeygateError('cli.usage', `${name} must be a string`);
  return value;
};

/** A path segment, percent-decoded; malformed encoding (`%ZZ`) is the caller's mistake. */
const segment = (raw: string | undefined, name: string): string => {
  try {
    return decodeURIComponent(raw ?? '');
  } catch {
    throw new KeygateError('cli.usage', `the ${name} in the path is not valid percent-encoding`);
  }
};

const STATUSES = ['pending', 'approved', 'denied', 'expired', 'cancelled', 'used', 'all'];

const ROUTES: [string, RegExp, Handler][] = [
  ['GET', /^\/api\/status$/, async (ctx) => ctx.status()],
  ['GET', /^\/api\/secrets$/, async (ctx) => ({ secrets: await ctx.vault.list() })],
  [
    'PUT',
    /^\/api\/secrets\/([^/]+)$/,
    async (ctx, [name], _q, req) => {
      const secret = segment(name, 'secret name');
      const body = await readJsonBody(req);
      const service = optionalStr(body.service, 'service');
      return ctx.vault.set({
        name: secret,
        kind: optionalStr(body.kind, 'kind', 'bearer')!,
        value: str(body.value, 'value'),
        // The vault checks that this is an object of strings.
        params: (body.params ?? {}) as Record<string, string>,
        ...(service === undefined ? {} : { service }),
      });
    },
  ],
  [
    'DELETE',
    /^\/api\/secrets\/([^/]+)$/,
    async (ctx, [name]) => {
      const secret = segment(name, 'secret name');
      await ctx.vault.remove(secret);
      return { removed: secret };
    },
  ],
  ['GET', /^\/api\/agents$/, async (ctx) => ({ agents: await ctx.agents.list() })],
  [
    'POST',
    /^\/api\/agents$/,
    async (ctx, _p, _q, req) => ctx.agents.add(str((await readJsonBody(req)).name, 'name')),
  ],
  [
    'POST',
    /^\/api\/agents\/([^/]+)\/tokens$/,
    async (ctx, [name], _q, req) => {
      const body = await readJsonBody(req);
      const agent = segment(name, 'agent name');
      const ttlMs = body.ttl === 'never' ? null : parseDuration(optionalStr(body.ttl, 'ttl', '1h')!, '--ttl');
      const tools = Array.isArray(body.tools) && body.tools.length > 0 ? body.tools.map(String) : null;
      if (tools) {
        // A task token narrows the agent's tools; a pattern outside them is a mistake worth saying.
        const allowed = ctx.policy().toolsFor({ agent, tokenId: '', tools: null });
        for (const pattern of tools) {
          if (!allowed.some((tool) => globMatches(pattern.replace(/^!/, ''), tool.name))) {
            throw new KeygateError('cli.usage', `${pattern} matches none of ${agent}'s tools`);
          }
        }
      }
      return ctx.agents.mintTaskToken(agent, ttlMs, tools);
    },
  ],
  [
    'DELETE',
    /^\/api\/agents\/([^/]+)$/,
    async (ctx, [name]) => {
      const result = await ctx.agents.remove(segment(name, 'agent name'));
      await ctx.onRevoked(result.tokens);
      return result;
    },
  ],
  [
    'POST',
    /^\/api\/revoke$/,
    async (ctx, _p, _q, req) => {
      const result = await ctx.agents.revoke(str((await readJsonBody(req)).target, 'target'));
      await ctx.onRevoked(result.revoked);
      return result;
    },
  ],
  [
    'GET',
    /^\/api\/tools$/,
    async (ctx, _p, query) => {
      const agent = query.get('agent');
      const service = query.get('service');
      const policy = ctx.policy();
      // A registered agent without policy may call nothing (an empty list); a name that is
      // neither registered nor in the policy is a mistake worth saying.
      if (agent && !policy.agentPolicy(agent) && !(await ctx.agents.has(agent)))
        throw new KeygateError(
          'agent.not_found',
          `no agent named ${agent} (not registered, not in the policy)`,
        );
      const tools = agent ? policy.toolsFor({ agent, tokenId: '', tools: null }) : ctx.catalog.tools;
      return {
        agent,
        policyVersion: policy.version,
        tools: tools
          .filter((tool) => !service || tool.service === service)
          .map((tool) => ({
            name: tool.name,
            service: tool.service,
            risk: tool.risk,
            description: tool.description,
            operation: tool.operation,
            annotations: tool.annotations,
            inputSchema: tool.inputSchema,
            ...(agent ? { approval: policy.approvalFor(agent, tool) } : {}),
          })),
      };
    },
  ],
  [
    'GET',
    /^\/api\/audit$/,
    async (ctx, _p, query) => {
      const since = query.get('since');
      const limit = Number(query.get('limit') ?? 100);
      return {
        events: await ctx.audit.query({
          ...(query.get('agent') ? { agent: query.get('agent')! } : {}),
          ...(query.get('tool') ? { tool: query.get('tool')! } : {}),
          ...(since ? { sinceMs: parseDuration(since, 'since') } : {}),
          limit: Number.isInteger(limit) && limit > 0 && limit <= 10_000 ? limit : 100,
        }),
      };
    },
  ],
  ['GET', /^\/api\/audit\/verify$/, async (ctx) => ctx.audit.verify()],
  [
    'GET',
    /^\/api\/approvals$/,
    async (ctx, _p, query) => {
      const status = query.get('status') ?? 'pending';
      if (!STATUSES.includes(status))
        throw new KeygateError('cli.usage', `status must be one of ${STATUSES.join(', ')}`);
      const approvals = await ctx.approvals.list({
        status: status as ApprovalStatus | 'all',
        ...(query.get('agent') ? { agent: query.get('agent')! } : {}),
      });
      return {
        approvals: approvals.map((approval) => approvalView(approval, ctx.catalog.find(approval.tool))),
      };
    },
  ],
  [
    'GET',
    /^\/api\/approvals\/([^/]+)$/,
    async (ctx, [id]) => {
      const approvalId = segment(id, 'approval id');
      const approval = await ctx.approvals.get(approvalId);
      if (!approval) throw new KeygateError('approval.not_found', `no approval ${approvalId}`);
      return approvalView(approval, ctx.catalog.find(approval.tool));
    },
  ],
  [
    'POST',
    /^\/api\/approvals\/([^/]+)\/(approve|deny)$/,
    async (ctx, [id, action], _q, req) => {
      const approvalId = segment(id, 'approval id');
      const body = await readJsonBody(req);
      const reason = typeof body.reason === 'string' && body.reason ? body.reason.slice(0, 500) : undefined;
      const by =
        body.by === 'page' ? 'an administrator (approval page)' : 'an administrator (keygate approvals)';
      const approval = await ctx.approvals.decide(
        approvalId,
        action === 'approve' ? 'approved' : 'denied',
        by,
        reason,
      );
      return approvalView(approval, ctx.catalog.find(approval.tool));
    },
  ],
  ['POST', /^\/api\/policy\/reload$/, async (ctx) => ctx.reloadPolicy()],
];

/** Serves one admin request (already authenticated). */
export async function handleAdmin(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  ctx: AdminContext,
): Promise<void> {
  for (const [method, pattern, handler] of ROUTES) {
    const match = pattern.exec(url.pathname);
    if (!match) continue;
    if (req.method !== method) continue;
    sendJson(res, 200, await handler(ctx, match.slice(1), url.searchParams, req));
    return;
  }
  sendJson(res, 404, {
    error: { code: 'not_found', message: `no admin route ${req.method} ${url.pathname}` },
  });
}

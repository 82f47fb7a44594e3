/**
 * The admin API under /api: what the CLI and the dashboard use. Admin token only. A route table
 * onto the admin operations: each route reads its request, calls one operation and answers its
 * result; every check lives in the operation.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AdminOperations } from '../admin/index.js';
import { KeygateError } from '../errors/index.js';
import { sendJson } from './http-errors.js';
import { readJsonBody } from './request-guard.js';

type Handler = (
  admin: AdminOperations,
  params: string[],
  query: URLSearchParams,
  req: IncomingMessage,
) => Promise<unknown>;

const invalid = (message: string) => new KeygateError('request.invalid', message);

const str = (value: unknown, name: string): string => {
  if (typeof value !== 'string' || value.length === 0) throw invalid(`${name} is required`);
  return value;
};

/** An optional string field: absent is `undefined`, any other type is the request's mistake. */
const optionalStr = (value: unknown, name: string): string | undefined => {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalid(`${name} must be a string`);
  return value;
};

/** A path segment, percent-decoded; malformed encoding (`%ZZ`) is the caller's mistake. */
const segment = (raw: string | undefined, name: string): string => {
  try {
    return decodeURIComponent(raw ?? '');
  } catch {
    throw invalid(`the ${name} in the path is not valid percent-encoding`);
  }
};

/** A query parameter, absent when empty. */
const param = (query: URLSearchParams, name: string): string | undefined => query.get(name) || undefined;

const ROUTES: [string, RegExp, Handler][] = [
  ['GET', /^\/api\/status$/, (admin) => admin.status()],
  ['GET', /^\/api\/secrets$/, (admin) => admin.listSecrets()],
  [
    'PUT',
    /^\/api\/secrets\/([^/]+)$/,
    async (admin, [name], _q, req) => {
      const secret = segment(name, 'secret name');
      const body = await readJsonBody(req);
      const service = optionalStr(body.service, 'service');
      const kind = optionalStr(body.kind, 'kind');
      return admin.setSecret({
        name: secret,
        ...(kind === undefined ? {} : { kind }),
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
    (admin, [name]) => admin.removeSecret(segment(name, 'secret name')),
  ],
  ['GET', /^\/api\/agents$/, (admin) => admin.listAgents()],
  [
    'POST',
    /^\/api\/agents$/,
    async (admin, _p, _q, req) => admin.addAgent(str((await readJsonBody(req)).name, 'name')),
  ],
  [
    'POST',
    /^\/api\/agents\/([^/]+)\/tokens$/,
    async (admin, [name], _q, req) => {
      const agent = segment(name, 'agent name');
      const body = await readJsonBody(req);
      const ttl = optionalStr(body.ttl, 'ttl');
      return admin.mintToken({
        agent,
        ...(ttl === undefined ? {} : { ttl }),
        tools: Array.isArray(body.tools) ? body.tools.map(String) : [],
      });
    },
  ],
  ['DELETE', /^\/api\/agents\/([^/]+)$/, (admin, [name]) => admin.removeAgent(segment(name, 'agent name'))],
  [
    'POST',
    /^\/api\/revoke$/,
    async (admin, _p, _q, req) => admin.revoke(str((await readJsonBody(req)).target, 'target')),
  ],
  [
    'GET',
    /^\/api\/tools$/,
    (admin, _p, query) => {
      const agent = param(query, 'agent');
      const service = param(query, 'service');
      return admin.listTools({
        ...(agent === undefined ? {} : { agent }),
        ...(service === undefined ? {} : { service }),
      });
    },
  ],
  [
    'GET',
    /^\/api\/budgets$/,
    (admin, _p, query) => {
      const agent = param(query, 'agent');
      return admin.listBudgets(agent === undefined ? {} : { agent });
    },
  ],
  [
    'GET',
    /^\/api\/budgets$/,
    (admin, _p, query) => {
      const agent = param(query, 'agent');
      return admin.listBudgets(agent === undefined ? {} : { agent });
    },
  ],
  [
    'GET',
    /^\/api\/audit$/,
    (admin, _p, query) => {
      const [agent, tool, since] = [param(query, 'agent'), param(query, 'tool'), param(query, 'since')];
      return admin.queryAudit({
        ...(agent === undefined ? {} : { agent }),
        ...(tool === undefined ? {} : { tool }),
        ...(since === undefined ? {} : { since }),
        limit: Number(query.get('limit') ?? 100),
      });
    },
  ],
  ['GET', /^\/api\/audit\/verify$/, (admin) => admin.verifyAudit()],
  [
    'GET',
    /^\/api\/approvals$/,
    (admin, _p, query) => {
      const agent = param(query, 'agent');
      return admin.listApprovals({
        status: query.get('status') ?? 'pending',
        ...(agent === undefined ? {} : { agent }),
      });
    },
  ],
  ['GET', /^\/api\/approvals\/([^/]+)$/, (admin, [id]) => admin.getApproval(segment(id, 'approval id'))],
  [
    'POST',
    /^\/api\/approvals\/([^/]+)\/(approve|deny)$/,
    async (admin, [id, action], _q, req) => {
      const approvalId = segment(id, 'approval id');
      const body = await readJsonBody(req);
      const reason = typeof body.reason === 'string' && body.reason ? body.reason : undefined;
      return admin.decideApproval({
        id: approvalId,
        verdict: action === 'approve' ? 'approved' : 'denied',
        ...(reason === undefined ? {} : { reason }),
        by: body.by === 'dashboard' || body.by === 'page' ? 'dashboard' : 'cli',
      });
    },
  ],
  ['POST', /^\/api\/policy\/reload$/, (admin) => admin.reloadPolicy()],
  ['POST', /^\/api\/admin-token\/rotate$/, (admin) => admin.rotateAdminToken()],
];

/** Serves one admin request (already authenticated). */
export async function handleAdmin(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  admin: AdminOperations,
): Promise<void> {
  for (const [method, pattern, handler] of ROUTES) {
    const match = pattern.exec(url.pathname);
    if (!match) continue;
    if (req.method !== method) continue;
    sendJson(res, 200, await handler(admin, match.slice(1), url.searchParams, req));
    return;
  }
  throw new KeygateError('not_found', `no admin route ${req.method} ${url.pathname}`);
}

/** The one place where errors become HTTP responses. Unknown errors say nothing about themselves. */
import type { ServerResponse } from 'node:http';
import { type ErrorCode, isKeygateError } from '../errors/index.js';

const STATUS: Partial<Record<ErrorCode, number>> = {
  'cli.usage': 400,
  'vault.invalid_secret': 400,
  'policy.invalid': 400,
  'catalog.unknown': 404,
  'vault.secret_not_found': 404,
  'agent.not_found': 404,
  'agent.exists': 409,
  'approval.not_found': 404,
  'approval.not_pending': 409,
  'approval.expired': 409,
  'auth.unauthorized': 401,
  'store.locked': 503,
  'audit.unavailable': 503,
};

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(text);
}

export function sendError(res: ServerResponse, error: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  if (isKeygateError(error) && error.code !== 'internal') {
    sendJson(res, STATUS[error.code] ?? 400, {
      error: { code: error.code, message: error.message, ...error.details },
    });
    return;
  }
  sendJson(res, 500, { error: { code: 'internal', message: 'internal error' } });
}

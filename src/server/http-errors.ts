/** The one place where errors become HTTP responses. Unknown errors say nothing about themselves. */
import type { ServerResponse } from 'node:http';
import { type ErrorCode, isKeygateError, type KeygateError } from '../errors/index.js';

const STATUS: Partial<Record<ErrorCode, number>> = {
  'cli.usage': 400,
  'request.invalid': 400,
  'request.too_large': 413,
  'request.unsupported_encoding': 415,
  forbidden: 403,
  not_found: 404,
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
  // Outcomes of proxied requests (raw-HTTP proxy mode), answered as HTTP statuses SDKs know.
  'policy.denied': 403,
  'policy.rate_limited': 429,
  'policy.secret_detected': 403,
  'approval.pending': 428,
  'approval.denied': 403,
  'approval.refused': 403,
  'executor.bad_request': 400,
  'executor.no_credential': 502,
  'vault.needs_reauth': 502,
  'vault.token_refresh_failed': 502,
  'executor.network': 502,
  'executor.redirect_refused': 502,
  'executor.timeout': 504,
  'upstream.error': 502,
  'store.locked': 503,
  'audit.unavailable': 503,
  'proxy.refused': 400,
  // The caller asked for nothing wrong: the upstream it is configured with is not reachable safely.
  'egress.refused': 502,
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

/**
 * The `WWW-Authenticate` challenge of a 401 (RFC 6750 section 3): a request that sent no token
 * gets none of the error attributes, any other refusal is `invalid_token` with its description.
 */
function bearerChallenge(error: KeygateError): string {
  if (error.details.reason === 'missing') return 'Bearer realm="keygate"';
  // A quoted-string of printable ASCII: no quote, backslash or anything a header cannot carry.
  const description = error.message
    .replaceAll('…', '...')
    .replace(/["\\]/g, "'")
    .replace(/[^\x20-\x7e]/g, '');
  return `Bearer realm="keygate", error="invalid_token", error_description="${description}"`;
}

/** The HTTP status an error is answered with. */
export function httpStatusOf(error: unknown): number {
  return isKeygateError(error) && error.code !== 'internal' ? (STATUS[error.code] ?? 400) : 500;
}

/** Answers `error` as its JSON body; `headers` are added (a dashboard answer's own, say). */
export function sendError(res: ServerResponse, error: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  if (isKeygateError(error) && error.code !== 'internal') {
    const status = STATUS[error.code] ?? 400;
    sendJson(
      res,
      status,
      { error: { code: error.code, message: error.message, ...error.details } },
      {
        ...headers,
        ...(status === 401
          ? { 'www-authenticate': bearerChallenge(error) }
          : status === 429 && typeof error.details.retryAfterMs === 'number'
            ? { 'retry-after': String(Math.ceil(error.details.retryAfterMs / 1000)) }
            : {}),
      },
    );
    return;
  }
  sendJson(res, 500, { error: { code: 'internal', message: 'internal error' } }, headers);
}

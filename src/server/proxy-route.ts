/**
 * `/proxy/<service>/<path…>`: raw-HTTP proxy mode. An SDK whose base URL points here sends its
 * keygate token where the upstream key would go; the request runs through the one call pipeline
 * (policy, rate limits, approvals, audit) and the upstream's answer streams back scrubbed. The
 * outcome becomes an HTTP response here: a refusal is the JSON error body (`http-errors.ts`), a
 * request waiting for a human past `approval_wait` is a 428 naming the approval and the command
 * that approves it (the identical retry then runs once).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Span } from '@opentelemetry/api';
import type { AgentRegistry } from '../agents/index.js';
import {
  type CallOutcome,
  type HttpCallRequest,
  type PipelineDeps,
  refuseEncodedBody,
  runCall,
} from '../calls/index.js';
import { isKeygateError, KeygateError } from '../errors/index.js';
import type { Scrubber } from '../executor/index.js';
import {
  type CallerIdentity,
  matchingRoutePath,
  type PolicyEngine,
  type ProxyServiceConfig,
} from '../policy/index.js';
import { checkProxyPath } from '../proxy/index.js';
import { ATTR, inProxyServerSpan, nameProxyRoute, setResponseStatus } from '../telemetry/index.js';
import { sendError } from './http-errors.js';
import { readBody } from './request-guard.js';

/** Where a proxied request's agent token may be, in the order they are looked at. */
export interface ProxyToken {
  readonly token: string;
  /** The query parameter it came in, if it did (dropped before the request leaves). */
  readonly param?: string;
}

export interface ProxyRouteDeps {
  readonly agents: AgentRegistry;
  readonly calls: PipelineDeps;
}

/** The service and the raw rest of the target (`/path?query`), from the request's raw URL. */
export function splitProxyTarget(rawUrl: string): { service: string; rest: string } | undefined {
  const match = /^\/proxy\/([^/?#]+)([/?][^#]*)?$/.exec(rawUrl);
  if (!match) return undefined;
  const rest = match[2] ?? '/';
  return { service: match[1]!, rest: rest.startsWith('?') ? `/${rest}` : rest };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The prefix of every agent token (`src/agents/tokens.ts`): how a token is known in a query. */
const AGENT_TOKEN_PREFIX = 'kg_';
/**
 * Says on every proxied answer that its body is third-party content (issue 16): a raw proxied
 * body streams through unchanged, so it cannot carry delimiters as a tool result does.
 */
export const UNTRUSTED_HEADER = 'x-keygate-untrusted';

/** The agent's token from the slots SDKs put an API key in (see `ProxyToken`). */
export function tokenOf(req: IncomingMessage, rest: string): ProxyToken | undefined {
  const explicit = header(req, 'x-keygate-token')?.trim();
  if (explicit) return { token: explicit };
  const authorization = header(req, 'authorization') ?? '';
  // `token` is GitHub's scheme (Octokit sends it), `Bearer` everyone else's.
  const bearer = /^(?:Bearer|token)\s+(\S+)\s*$/i.exec(authorization)?.[1];
  if (bearer) return { token: bearer };
  // AWS SDKs sign with an access key id, which names its key in `Credential=<id>/<scope>`: an
  // agent gives its SDK the keygate token as the access key id (the signature is never checked:
  // keygate drops it and signs with the vault's key).
  const awsKeyId = /^AWS4-HMAC-SHA256\s+Credential=([^/\s,]+)\//i.exec(authorization)?.[1];
  if (awsKeyId) return { token: awsKeyId };
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization)?.[1];
  if (basic) {
    const pair = Buffer.from(basic, 'base64').toString('utf8');
    const at = pair.indexOf(':');
    // The key is the password (most SDKs) or the user name (Stripe-style: `key:`).
    const password = at < 0 ? '' : pair.slice(at + 1);
    const user = at < 0 ? pair : pair.slice(0, at);
    const token = password || user;
    if (token) return { token };
  }
  const apiKey = header(req, 'x-api-key')?.trim();
  if (apiKey) return { token: apiKey };
  // Last, the query (SDKs of `query` credentials put the key there). The slot is found by the
  // token's shape, not by asking the service's credential which parameter it uses: that would
  // decrypt a secret for a request nobody has authenticated yet.
  const query = rest.includes('?') ? rest.slice(rest.indexOf('?') + 1) : '';
  for (const [param, value] of new URLSearchParams(query))
    if (value.startsWith(AGENT_TOKEN_PREFIX)) return { token: value, param };
  return undefined;
}

/**
 * Answers one request under `/proxy/`, in its SERVER span (a child of the client's
 * `traceparent`), named by the route it matched once that is known.
 */
export function handleProxy(req: IncomingMessage, res: ServerResponse, deps: ProxyRouteDeps): Promise<void> {
  const method = (req.method ?? 'GET').toUpperCase();
  return inProxyServerSpan({ method, headers: req.headers }, async (span) => {
    await serveProxy(req, res, deps, span);
    setResponseStatus(span, res.statusCode);
  });
}

async function serveProxy(
  req: IncomingMessage,
  res: ServerResponse,
  deps: ProxyRouteDeps,
  span: Span,
): Promise<void> {
  const target = splitProxyTarget(req.url ?? '');
  if (!target) throw new KeygateError('not_found', 'proxied requests go to /proxy/<service>/<path>');
  const { service, rest } = target;
  // Listening from the start: a client that leaves during the token check has already closed.
  const abort = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  // One policy for the whole request: a reload between the early refusal and the pipeline must
  // not let a request whose body went unread run (with no body) under a newer policy.
  const policy = deps.calls.policy();
  const calls: PipelineDeps = { ...deps.calls, policy: () => policy };
  const proxied = policy.proxyService(service);
  const found = tokenOf(req, rest);
  if (!found)
    throw new KeygateError(
      'auth.unauthorized',
      'an agent token is required (in the API key slot, or X-Keygate-Token)',
      {
        details: { reason: 'missing' },
      },
    );
  const checked = await deps.agents.check(found.token);
  if (!checked.ok)
    throw new KeygateError('auth.unauthorized', checked.message, { details: { reason: checked.reason } });
  if (!proxied) throw new KeygateError('not_found', `no proxy service ${service}`);
  if (abort.signal.aborted) return; // nobody is left to answer, and nothing was decided yet

  const method = (req.method ?? 'GET').toUpperCase();
  nameSpan(span, proxied, method, rest);
  const request: HttpCallRequest = {
    kind: 'http',
    service,
    method,
    path: rest,
    headers: req.headers,
    mode: 'stream',
    ...(found.param ? { dropParams: [found.param] } : {}),
    dropValues: [found.token],
    // A client that goes away cancels the upstream request, whether it waits for headers or body.
    signal: abort.signal,
  };
  const exchange = { client: { form: false, url: false }, signal: abort.signal };
  // A request the route refuses anyway is refused before its body is read: an agent without a
  // grant cannot make keygate buffer megabytes. It still runs through the pipeline (without a
  // body), which writes the usual denial row and error.
  let body: Buffer | undefined;
  if (refusedRoute(policy, checked.identity, service, method, rest)) closeAfterAnswer(req, res);
  else
    try {
      body = await bodyOf(req, deps);
    } catch (error) {
      closeAfterAnswer(req, res);
      throw error;
    }
  const outcome = await runCall(calls, checked.identity, body ? { ...request, body } : request, exchange);
  await answer(outcome, res, service);
}

/** Names the request's span by its service and the `allow` route it matches (none: it stays the method). */
function nameSpan(span: Span, service: ProxyServiceConfig, method: string, rest: string): void {
  span.setAttribute(ATTR.SERVICE, service.name);
  let path: string;
  try {
    path = checkProxyPath(rest).path;
  } catch {
    return;
  }
  const route = matchingRoutePath(service.allow, method, path);
  if (route) nameProxyRoute(span, method, route);
}

/** Turns the pipeline's outcome into the HTTP response. */
async function answer(outcome: CallOutcome, res: ServerResponse, service: string): Promise<void> {
  switch (outcome.kind) {
    case 'unknown':
      throw new KeygateError('not_found', `no proxy service ${service}`);
    case 'ask':
      // A plain request declares no elicitation: only the out-of-band channel can be chosen.
      throw new KeygateError('internal', 'a proxied request was asked a question');
    case 'failed':
      return sendError(res, scrubbed(outcome.error, outcome.scrubber));
    case 'done': {
      const stream = outcome.result.stream;
      if (!stream) throw new KeygateError('internal', 'a proxied request answered without a stream');
      try {
        // The body passes as it is: the header is the only label keygate can give it.
        res.writeHead(stream.status, { ...stream.headers, [UNTRUSTED_HEADER]: 'body' });
      } catch {
        // Node refuses a status or header value the upstream sent (undici is laxer): the body,
        // unread, would hold the upstream's socket until a timeout, so it is stopped first.
        await stream.cancel('upstream.error');
        throw new KeygateError(
          'upstream.error',
          'the upstream answered with a status or header that cannot be passed on',
          { details: { status: 502 } },
        );
      }
      await pipeTo(stream.body, res);
    }
  }
}

/**
 * Closes the connection after the answer when the request's body was not read to its end: the
 * client may still be sending it, so the connection cannot carry its next request.
 */
function closeAfterAnswer(req: IncomingMessage, res: ServerResponse): void {
  if (!req.complete) res.shouldKeepAlive = false;
}

/** Whether policy refuses `METHOD rest` for `caller` whatever the body (an invalid path included). */
function refusedRoute(
  policy: PolicyEngine,
  caller: CallerIdentity,
  service: string,
  method: string,
  rest: string,
): boolean {
  let path: string;
  try {
    path = checkProxyPath(rest).path;
  } catch {
    return true;
  }
  return !policy.decideProxy(caller, service, method, path).allowed;
}

/**
 * The request's body, refused before a byte is read when it is compressed or declares more than
 * the limit (a chunked one is cut off at the limit as it arrives).
 */
async function bodyOf(req: IncomingMessage, deps: ProxyRouteDeps): Promise<Buffer> {
  refuseEncodedBody(req.headers);
  const limit = deps.calls.forwarder?.limits.maxRequestBytes ?? 10 * 1024 * 1024;
  const declared = Number(header(req, 'content-length') ?? 0);
  if (declared > limit)
    throw new KeygateError('request.too_large', `the request body is larger than ${limit} bytes`);
  return readBody(req, limit);
}

/** A refusal or failure with every string scrubbed (a message may quote the upstream). */
function scrubbed(error: unknown, scrubber: Scrubber): unknown {
  if (!isKeygateError(error)) return error;
  const details = scrubber.scrubValue({ ...error.details });
  return new KeygateError(error.code, scrubber.scrub(error.message), { details });
}

/** Streams `body` to `res` as it arrives, waiting when the client reads slower than upstream writes. */
async function pipeTo(body: AsyncIterable<Buffer>, res: ServerResponse): Promise<void> {
  const iterator = body[Symbol.asyncIterator]();
  try {
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      if (res.destroyed) break;
      if (!res.write(next.value)) await drainedOrClosed(res);
    }
    res.end();
  } catch {
    // Headers are sent: the only honest signal left is a broken response, never a cut one.
    res.destroy();
  } finally {
    await iterator.return?.(undefined);
  }
}

/** Resolves when `res` can take more or has closed, leaving no listener behind either way. */
function drainedOrClosed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done).off('close', done);
      resolve();
    };
    res.on('drain', done).on('close', done);
  });
}

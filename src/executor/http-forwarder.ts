/**
 * The raw-HTTP proxy's executor step: one proxied request, already authorised, sent to the
 * service's base URL with the real credential and none of the agent's, through the dispatcher
 * its caller gives (the SSRF guard's), and its answer streamed back scrubbed.
 *
 * Request hygiene: the agent's credentials (Authorization, Proxy-Authorization, x-api-key,
 * Cookie, X-Keygate-Token, the token's query parameter, and any header or parameter carrying the
 * agent's token), hop-by-hop headers (Connection and the ones it names, Keep-Alive, TE, Trailer,
 * Transfer-Encoding, Upgrade, Proxy-*), Host, Forwarded, X-Forwarded-* and X-Real-IP are dropped;
 * `Accept-Encoding: identity` is asked for so scrubbing sees plain bytes (a compressed answer
 * anyway is decoded here). Response hygiene: hop-by-hop headers, Content-Length (scrubbing may
 * change the length) and Set-Cookie (a session upstream is keygate's credential's, never the
 * agent's) are dropped; every other header value is scrubbed. Redirects are never followed: the
 * caller gets them, with `Location` scrubbed, and rewritten to the proxy when it points under the
 * base URL (so a client following it comes back through keygate, not to the upstream with its
 * keygate token).
 */
import type { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { type Dispatcher, request } from 'undici';
import { KeygateError } from '../errors/index.js';
import { AWS_SIGNATURE_HEADERS, type AwsSigningTarget } from '../proxy/index.js';
import { UpstreamSpan } from '../telemetry/index.js';
import { applyCredential, type CredentialProvider, type CredentialUse } from './credential.js';
import { type ExchangeSignals, type ForwardedBody, scrubbedBody } from './forwarded-body.js';
import type { OutgoingRequest } from './outgoing-request.js';
import type { Scrubber } from './scrubber.js';
import { StreamScrubber } from './stream-scrubber.js';

/** Bounds of one proxied exchange. */
export interface ForwardLimits {
  /** Bytes of request body accepted at most. */
  readonly maxRequestBytes: number;
  /** Bytes of (decoded) response body passed at most; beyond it the response is cut off. */
  readonly maxResponseBytes: number;
  /** Time until the upstream's response headers. */
  readonly headersTimeoutMs: number;
  /** Longest silence between two chunks of the response body. */
  readonly idleTimeoutMs: number;
  /** Time for the whole exchange, streamed body included. */
  readonly totalTimeoutMs: number;
}

export const DEFAULT_FORWARD_LIMITS: ForwardLimits = {
  maxRequestBytes: 10 * 1024 * 1024,
  maxResponseBytes: 50 * 1024 * 1024,
  headersTimeoutMs: 60_000,
  idleTimeoutMs: 120_000,
  // LLM streams can run for minutes; the idle bound catches a stalled one first.
  totalTimeoutMs: 600_000,
};

/** One proxied request, after policy: where it goes and what the agent sent. */
export interface ForwardRequest {
  readonly method: string;
  /** The service's `base_url`: the only source of the host. */
  readonly baseUrl: string;
  /** The checked upstream path relative to the base URL, starting with `/`. */
  readonly path: string;
  /** The checked query, without `?` (may be empty). */
  readonly query: string;
  /** The agent's headers, lower-case names. */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  readonly body?: Uint8Array;
  /** The prefix a client reaches this service at (`/proxy/<service>`), for rewritten redirects. */
  readonly proxyPrefix: string;
  /** Query parameters that carried the agent's token (dropped). */
  readonly dropParams?: readonly string[];
  /** Values (the agent's token) that no header or parameter sent upstream may contain. */
  readonly dropValues?: readonly string[];
}

/** The upstream's answer, streaming: headers cleaned and scrubbed, body scrubbed as it passes. */
export interface ForwardedResponse extends ForwardedBody {
  readonly status: number;
  readonly headers: Record<string, string | string[]>;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade']);
/** The agent's credentials and what names its network position: never sent upstream. */
const DROPPED_REQUEST = new Set([
  'host',
  'authorization',
  'cookie',
  'x-api-key',
  'x-keygate-token',
  'forwarded',
  'x-real-ip',
  'content-length',
  'accept-encoding',
  // undici refuses it, and keygate buffers the body anyway.
  'expect',
  // They would let a request run as another method than the one policy and approval judged
  // (an approved POST sent on as a DELETE): the method is only ever the request's own.
  'x-http-method-override',
  'x-http-method',
  'x-method-override',
  // Some servers take the path from these instead of the request line: never the one policy judged.
  'x-original-url',
  'x-rewrite-url',
  'x-override-url',
]);
const DROPPED_RESPONSE = new Set(['content-length', 'set-cookie', 'set-cookie2']);

/** Headers named by `Connection` (hop-by-hop too, RFC 9110 section 7.6.1). */
function connectionNamed(value: string | readonly string[] | undefined): Set<string> {
  const text = Array.isArray(value) ? value.join(',') : ((value as string | undefined) ?? '');
  return new Set(
    text
      .split(',')
      .map((name) => name.trim().toLowerCase())
      .filter(Boolean),
  );
}

function isHopByHop(name: string, named: Set<string>): boolean {
  return HOP_BY_HOP.has(name) || named.has(name) || name.startsWith('proxy-');
}

/**
 * The headers sent upstream: the agent's, without anything the module comment lists, nor, to a
 * service keygate signs for (`signed`), the client's own signature headers.
 */
export function outgoingHeaders(
  incoming: ForwardRequest['headers'],
  dropValues: readonly string[] = [],
  signed = false,
): Record<string, string> {
  const named = connectionNamed(incoming.connection);
  const out: Record<string, string> = {};
  for (const [raw, value] of Object.entries(incoming)) {
    const name = raw.toLowerCase();
    if (value === undefined || DROPPED_REQUEST.has(name) || isHopByHop(name, named)) continue;
    if (signed && AWS_SIGNATURE_HEADERS.includes(name)) continue;
    if (name.startsWith('x-forwarded-')) continue;
    const joined = Array.isArray(value) ? value.join(', ') : (value as string);
    if (dropValues.some((secret) => secret.length > 0 && joined.includes(secret))) continue;
    out[name] = joined;
  }
  out['accept-encoding'] = 'identity';
  return out;
}

/** The upstream URL: base URL + checked path + the query without the agent's token. */
export function upstreamUrl(
  request: Pick<ForwardRequest, 'baseUrl' | 'path' | 'query' | 'dropParams' | 'dropValues'>,
): URL {
  const base = new URL(request.baseUrl);
  const basePath = base.pathname.replace(/\/+$/, '');
  if (!request.path.startsWith('/'))
    throw new KeygateError('executor.bad_request', 'the proxied path must start with /');
  const drop = new Set(request.dropParams ?? []);
  const pairs = request.query
    .split('&')
    .filter((pair) => pair.length > 0)
    .filter((pair) => {
      const name = decodeParam(pair.split('=')[0] ?? '');
      const value = decodeParam(pair.slice(pair.indexOf('=') + 1));
      return (
        !drop.has(name) &&
        !(request.dropValues ?? []).some((secret) => secret.length > 0 && value.includes(secret))
      );
    });
  const url = new URL(
    `${base.origin}${basePath}${request.path}${pairs.length > 0 ? `?${pairs.join('&')}` : ''}`,
  );
  // Defence in depth: the route checked the path; the host and base path cannot have moved.
  if (url.origin !== base.origin || !`${url.pathname}/`.startsWith(`${basePath}/`))
    throw new KeygateError('executor.bad_request', 'the proxied path leaves the base URL');
  return url;
}

function decodeParam(text: string): string {
  try {
    return decodeURIComponent(text.replaceAll('+', ' '));
  } catch {
    return text;
  }
}

export interface HttpForwarderOptions {
  readonly credentials: CredentialProvider;
  /** The dispatcher a request to a service with these `private_ok` hosts goes through (the guard's). */
  readonly dispatcherFor: (privateOk: readonly string[]) => Dispatcher;
  readonly limits?: Partial<ForwardLimits>;
}

/** Who sends one proxied request, and for which service. */
export interface ForwardContext {
  readonly service: string;
  /** The name audit rows give the call (`proxy:<service>`), for the credential provider. */
  readonly tool: string;
  readonly agent?: string;
  readonly privateOk: readonly string[];
  /** The service's `aws:` block: the request is signed with AWS SigV4 for it, last. */
  readonly aws?: AwsSigningTarget;
  /** Given, before anything is sent, the scrubber of the secrets the request carries. */
  readonly onScrubber?: (scrubber: Scrubber) => void;
  /** Given the kind and narrowed scope of the credential the request uses, for its audit row. */
  readonly onCredentialUse?: (use: CredentialUse) => void;
  /** Aborts when the client went away: the upstream request (headers or body) is cancelled. */
  readonly signal?: AbortSignal;
  /** The route the request matched, as the service's `allow` writes its path (`/models/*`): what its span is named by. */
  readonly route?: string;
}

/** Sends proxied requests with the service's credential through the caller's dispatcher. */
export class HttpForwarder {
  readonly limits: ForwardLimits;

  constructor(private readonly options: HttpForwarderOptions) {
    this.limits = { ...DEFAULT_FORWARD_LIMITS, ...options.limits };
  }

  /** Sends `forward` with the service's credential. Throws a KeygateError when no answer arrives. */
  async send(forward: ForwardRequest, context: ForwardContext): Promise<ForwardedResponse> {
    const credential = await this.options.credentials.credentialFor({
      service: context.service,
      tool: context.tool,
      ...(context.agent ? { agent: context.agent } : {}),
    });
    if (!credential)
      throw new KeygateError('executor.no_credential', `no credential is configured for ${context.service}`);
    if ((forward.body?.length ?? 0) > this.limits.maxRequestBytes)
      throw new KeygateError(
        'executor.bad_request',
        `the request body is larger than ${this.limits.maxRequestBytes} bytes`,
      );
    const outgoing: OutgoingRequest = {
      method: forward.method,
      url: upstreamUrl(forward),
      headers: outgoingHeaders(forward.headers, forward.dropValues, context.aws !== undefined),
      ...(forward.body && forward.body.length > 0 ? { body: Buffer.from(forward.body) } : {}),
    };
    // The span ends when the body has passed; the client's own trace headers are replaced by its.
    const upstream = new UpstreamSpan({
      service: context.service,
      method: outgoing.method,
      url: outgoing.url,
      template: context.route,
    });
    upstream.inject(outgoing.headers);
    let scrubber: Scrubber;
    try {
      scrubber = await applyCredential(credential, outgoing, context.service, context.aws);
    } catch (error) {
      upstream.end(undefined, error);
      throw error;
    }
    context.onScrubber?.(scrubber);
    // A signature's scope is the service's target, which the credential learns only when it signs.
    const use =
      context.aws && credential.use
        ? { ...credential.use, scope: { ...credential.use.scope, ...context.aws } }
        : credential.use;
    if (use) context.onCredentialUse?.(use);
    const timeout = AbortSignal.timeout(this.limits.totalTimeoutMs);
    const signals = { timeout, ...(context.signal ? { client: context.signal } : {}) };
    // undici's signal covers the whole exchange, streamed body included.
    const signal = context.signal ? AbortSignal.any([timeout, context.signal]) : timeout;
    let response: Dispatcher.ResponseData;
    try {
      response = await request(outgoing.url, {
        method: outgoing.method as Dispatcher.HttpMethod,
        headers: outgoing.headers,
        ...(outgoing.body === undefined ? {} : { body: outgoing.body }),
        dispatcher: this.options.dispatcherFor(context.privateOk),
        signal,
        headersTimeout: this.limits.headersTimeoutMs,
        bodyTimeout: this.limits.idleTimeoutMs,
      });
    } catch (cause) {
      const error = networkError(cause, outgoing.url, signals, scrubber);
      upstream.end(undefined, error);
      throw error;
    }
    const headers = responseHeaders(response.headers, scrubber, outgoing.url, forward);
    const encoding = String(response.headers['content-encoding'] ?? 'identity').toLowerCase();
    let decoded: Readable;
    try {
      decoded = decode(response.body, encoding);
    } catch (error) {
      upstream.end(response.statusCode, error);
      throw error;
    }
    if (encoding !== 'identity' && decoded !== response.body) delete headers['content-encoding'];
    const events = String(response.headers['content-type'] ?? '').startsWith('text/event-stream');
    const stream = scrubbedBody(
      decoded,
      new StreamScrubber(scrubber, events),
      this.limits.maxResponseBytes,
      signals,
    );
    void stream.finished.then(({ reason }) =>
      upstream.end(
        response.statusCode,
        reason ? new KeygateError(reason, 'the proxied body stopped') : undefined,
      ),
    );
    return { status: response.statusCode, headers, ...stream };
  }
}

/** The response headers the caller gets (see the module comment). */
function responseHeaders(
  incoming: Dispatcher.ResponseData['headers'],
  scrubber: Scrubber,
  sent: URL,
  forward: ForwardRequest,
): Record<string, string | string[]> {
  const named = connectionNamed(incoming.connection as string | string[] | undefined);
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || DROPPED_RESPONSE.has(name) || isHopByHop(name, named)) continue;
    const clean = (text: string) => scrubber.scrub(text);
    out[name] = Array.isArray(value) ? value.map(clean) : clean(String(value));
  }
  const location = out.location;
  if (typeof location === 'string') {
    const target = proxiedLocation(location, sent, forward);
    if (target) out.location = target;
    else delete out.location;
  }
  return out;
}

/**
 * A redirect target under the base URL, as the proxy path that reaches it; any other target as
 * the absolute upstream URL it names. Never a relative one: the agent's SDK would resolve it
 * against keygate and replay the request, with its token, to another proxy route.
 */
function proxiedLocation(location: string, sent: URL, forward: ForwardRequest): string {
  let target: URL;
  try {
    target = new URL(location, sent);
  } catch {
    return '';
  }
  const base = new URL(forward.baseUrl);
  const basePath = base.pathname.replace(/\/+$/, '');
  if (target.origin !== base.origin || !`${target.pathname}/`.startsWith(`${basePath}/`)) return target.href;
  const rest = target.pathname.slice(basePath.length) || '/';
  return `${forward.proxyPrefix}${rest}${target.search}`;
}

/** The body decoded from its content coding, so scrubbing sees plain bytes. */
function decode(body: Readable, encoding: string): Readable {
  switch (encoding) {
    case 'identity':
    case '':
      return body;
    case 'gzip':
    case 'x-gzip':
      return body.pipe(createGunzip());
    case 'deflate':
      return body.pipe(createInflate());
    case 'br':
      return body.pipe(createBrotliDecompress());
    default:
      body.destroy();
      throw new KeygateError(
        'upstream.error',
        `the upstream answered in content coding ${encoding}, which keygate cannot scrub`,
        { details: { status: 502 } },
      );
  }
}

function networkError(cause: unknown, url: URL, signals: ExchangeSignals, scrubber: Scrubber): KeygateError {
  // A guard's refusal (or any KeygateError) keeps its code; its message is scrubbed.
  if (cause instanceof KeygateError)
    return new KeygateError(cause.code, scrubber.scrub(cause.message), { details: { ...cause.details } });
  const inner = (cause as { cause?: unknown }).cause;
  if (inner instanceof KeygateError) return networkError(inner, url, signals, scrubber);
  if (signals.client?.aborted)
    return new KeygateError('request.cancelled', `the client went away before ${url.host} answered`, {
      cause,
    });
  // Only the host and an error code: the URL may carry a query-parameter credential.
  const code = (cause as { code?: string }).code ?? (cause as Error).name;
  if (signals.timeout.aborted || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT')
    return new KeygateError('executor.timeout', `${url.host} did not answer in time`, { cause });
  return new KeygateError('executor.network', `cannot reach ${url.host} (${code})`, { cause });
}

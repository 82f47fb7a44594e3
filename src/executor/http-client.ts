/**
 * Sends one upstream request with undici: bounded in time and size, redirects kept on-host but for
 * one narrow exception (an operation's `redirectHosts`, followed without any credential).
 */
import { type Dispatcher, request } from 'undici';
import { isKeygateError, KeygateError } from '../errors/index.js';
import { type GuardOptions, guardedDispatcher } from '../proxy/index.js';
import { UpstreamSpan } from '../telemetry/index.js';
import type { OutgoingRequest } from './outgoing-request.js';

export interface HttpLimits {
  /** Time to open the TCP/TLS connection. */
  readonly connectTimeoutMs: number;
  /** Time for the whole exchange, body included. */
  readonly totalTimeoutMs: number;
  /** Bytes of response body read at most; the rest is discarded. */
  readonly maxResponseBytes: number;
  /** Same-host redirects followed for GET at most. */
  readonly maxRedirects: number;
  /**
   * Bytes read at most from an allowed off-host redirect (a log on the upstream's storage), of
   * which only the last `maxResponseBytes` are kept; past it the read stops.
   */
  readonly maxOffHostBytes: number;
}

export const DEFAULT_LIMITS: HttpLimits = {
  connectTimeoutMs: 10_000,
  totalTimeoutMs: 30_000,
  maxResponseBytes: 1_000_000,
  maxRedirects: 3,
  maxOffHostBytes: 64_000_000,
};

/** How one request may leave the service's host. */
export interface SendOptions {
  /**
   * Hosts (`name` or `*.name`, the tool's `redirectHosts`) a GET may be redirected to once, over
   * https: that second request carries no header of the first (no credential, nothing of
   * keygate's), goes through the same egress guard and time bound, and its body is read as a
   * log whose end is kept (`UpstreamResponse.tail`).
   */
  readonly redirectHosts?: readonly string[];
  /** What the exchange's span and latency metric name it by: the service and the operation's path template. */
  readonly operation?: { readonly service: string; readonly template: string };
}

/** A body read off-host, of which the end was kept. */
export interface TailRead {
  /** The host that answered (never its URL: a pre-signed link's query is a credential). */
  readonly host: string;
  /** Bytes of the body before the part kept. */
  readonly skippedBytes: number;
  /** False when the read stopped at `maxOffHostBytes`, before the body's end. */
  readonly complete: boolean;
}

export interface UpstreamResponse {
  readonly status: number;
  readonly contentType: string;
  /** The first `maxResponseBytes` bytes of the body. */
  readonly body: Buffer;
  /** Size of the whole body when known (Content-Length or fully read). */
  readonly totalBytes: number | undefined;
  readonly truncated: boolean;
  /**
   * The response headers, lower-case names, repeated ones joined with `, `. Upstream text: read
   * for paging (`link`), never returned to a model as such.
   */
  readonly headers: Readonly<Record<string, string>>;
  /** Present when the answer came from an allowed off-host redirect: `body` is the end of it. */
  readonly tail?: TailRead;
}

/** An HTTP client owning its connection pool. */
export class HttpClient {
  private readonly agent: Dispatcher;

  /**
   * Connections go through the SSRF guard: a special-purpose address (loopback, private,
   * metadata, …) is refused unless its host is one `guard.allowPrivateHosts` names.
   */
  constructor(
    readonly limits: HttpLimits = DEFAULT_LIMITS,
    guard: Pick<GuardOptions, 'allowPrivateHosts' | 'selfAddresses' | 'lookup' | 'ca'> = {
      allowPrivateHosts: [],
    },
  ) {
    this.agent = guardedDispatcher({
      ...guard,
      connectTimeoutMs: limits.connectTimeoutMs,
      agent: { headersTimeout: limits.totalTimeoutMs, bodyTimeout: limits.totalTimeoutMs },
    });
  }

  /**
   * Sends `req`. `reauthorize` re-applies the credential when a same-host redirect is followed.
   * A redirect to another host is refused (the credential must never travel there), unless
   * `options.redirectHosts` names it: see `SendOptions`.
   */
  async send(
    req: OutgoingRequest,
    reauthorize: (next: OutgoingRequest) => void,
    options: SendOptions = {},
  ): Promise<UpstreamResponse> {
    // One CLIENT span for the whole exchange, redirects included; its traceparent replaces any.
    const upstream = new UpstreamSpan({
      service: options.operation?.service ?? req.url.hostname,
      method: req.method,
      url: req.url,
      template: options.operation?.template,
    });
    upstream.inject(req.headers);
    try {
      const response = await this.exchangeAll(req, reauthorize, options);
      upstream.end(response.status);
      return response;
    } catch (error) {
      upstream.end(isKeygateError(error) ? (error.details.status as number | undefined) : undefined, error);
      throw error;
    }
  }

  private async exchangeAll(
    req: OutgoingRequest,
    reauthorize: (next: OutgoingRequest) => void,
    options: SendOptions,
  ): Promise<UpstreamResponse> {
    const signal = AbortSignal.timeout(this.limits.totalTimeoutMs);
    let current = req;
    for (let hop = 0; ; hop++) {
      const response = await this.exchange(current, signal);
      const location = response.headers.location;
      if (response.statusCode < 300 || response.statusCode >= 400 || typeof location !== 'string') {
        return readBounded(response, this.limits.maxResponseBytes);
      }
      await response.body.dump();
      const target = new URL(location, current.url);
      if (target.origin !== current.url.origin) {
        if (current.method === 'GET' && options.redirectHosts && listedHost(target, options.redirectHosts)) {
          if (target.protocol !== 'https:') {
            throw new KeygateError(
              'executor.redirect_refused',
              `the upstream redirected to ${target.host} over ${target.protocol.slice(0, -1)}; keygate follows it only over https`,
              { details: { status: response.statusCode } },
            );
          }
          return this.offHost(target, signal);
        }
        throw new KeygateError(
          'executor.redirect_refused',
          `the upstream redirected to another host (${target.host}); keygate does not follow it`,
          { details: { status: response.statusCode } },
        );
      }
      if (current.method !== 'GET' || hop >= this.limits.maxRedirects) {
        throw new KeygateError(
          'upstream.error',
          `the upstream answered with redirect ${response.statusCode}`,
          {
            details: { status: response.statusCode },
          },
        );
      }
      const { authorization: _dropped, ...headers } = current.headers;
      current = { method: 'GET', url: target, headers };
      reauthorize(current);
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  /**
   * The one off-host hop: a bare GET (no header of the first request: no credential, no API
   * version, no user agent of keygate's) through the same guarded dispatcher and time bound. It
   * must answer itself: a further redirect is refused.
   */
  private async offHost(target: URL, signal: AbortSignal): Promise<UpstreamResponse> {
    const response = await this.exchange({ method: 'GET', url: target, headers: {} }, signal);
    if (response.statusCode >= 300 && response.statusCode < 400 && response.headers.location !== undefined) {
      await response.body.dump();
      throw new KeygateError(
        'executor.redirect_refused',
        `${target.host} redirected again; keygate follows one redirect off the service's host`,
        { details: { status: response.statusCode } },
      );
    }
    try {
      return await readTail(response, target.host, this.limits.maxResponseBytes, this.limits.maxOffHostBytes);
    } catch (cause) {
      // A log read past the time bound (or cut by the host): say which host, never the signed URL.
      if (signal.aborted)
        throw new KeygateError('executor.timeout', `${target.host} did not send the log in time`, { cause });
      throw new KeygateError('executor.network', `${target.host} stopped sending the log`, { cause });
    }
  }

  private async exchange(req: OutgoingRequest, signal: AbortSignal): Promise<Dispatcher.ResponseData> {
    try {
      return await request(req.url, {
        method: req.method as Dispatcher.HttpMethod,
        headers: req.headers,
        body: req.body,
        dispatcher: this.agent,
        signal,
      });
    } catch (cause) {
      // The guard's refusal says which address and why; it is not a network failure to retry.
      if (cause instanceof KeygateError) throw cause;
      // Only the host and an error code: the URL may carry a query-parameter credential.
      const code = (cause as { code?: string }).code ?? (cause as Error).name;
      if (signal.aborted || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT') {
        throw new KeygateError('executor.timeout', `${req.url.host} did not answer in time`, { cause });
      }
      throw new KeygateError('executor.network', `cannot reach ${req.url.host} (${code})`, {
        cause,
        // Whether no byte of the request can have reached the upstream (nothing it could act on).
        details: { notSent: NOT_SENT.test(code) },
      });
    }
  }
}

/**
 * Error codes of failures before a request's first byte leaves: no connection (refused, no route,
 * no such name) or a TLS handshake that failed (a certificate refused). Any other network error
 * may have come after the upstream read the request.
 */
const NOT_SENT =
  /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|EADDRNOTAVAIL|ERR_TLS_.*|.*CERT.*|UNABLE_TO_VERIFY_LEAF_SIGNATURE)$/;

/**
 * True when `url`'s host is one of `patterns`: an exact name, or `*.name` for any name ending in
 * `.name`. No credentials in the URL; an IP address matches no pattern (patterns are DNS names).
 */
export function listedHost(url: URL, patterns: readonly string[]): boolean {
  if (url.username !== '' || url.password !== '') return false;
  const host = url.hostname.toLowerCase();
  return patterns.some((pattern) =>
    pattern.startsWith('*.')
      ? host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1
      : host === pattern,
  );
}

/**
 * Reads a body keeping only its last `keepBytes`, reading at most `maxBytes` (then stopping):
 * a log's end is where a failure shows.
 */
async function readTail(
  response: Dispatcher.ResponseData,
  host: string,
  keepBytes: number,
  maxBytes: number,
): Promise<UpstreamResponse> {
  const chunks: Buffer[] = [];
  let kept = 0;
  let read = 0;
  let complete = true;
  for await (const chunk of response.body) {
    const buffer = chunk as Buffer;
    chunks.push(buffer);
    kept += buffer.length;
    read += buffer.length;
    while (chunks.length > 1 && kept - chunks[0]!.length >= keepBytes) kept -= chunks.shift()!.length;
    if (read >= maxBytes) {
      complete = read === declaredLength(response);
      if (!complete) response.body.destroy();
      break;
    }
  }
  const whole = Buffer.concat(chunks);
  const body = whole.subarray(Math.max(0, whole.length - keepBytes));
  const contentType = response.headers['content-type'];
  return {
    status: response.statusCode,
    contentType: (Array.isArray(contentType) ? contentType[0] : contentType) ?? '',
    body,
    totalBytes: complete ? read : declaredLength(response),
    truncated: false,
    headers: headerRecord(response.headers),
    tail: { host, skippedBytes: read - body.length, complete },
  };
}

async function readBounded(response: Dispatcher.ResponseData, maxBytes: number): Promise<UpstreamResponse> {
  const chunks: Buffer[] = [];
  let read = 0;
  let truncated = false;
  for await (const chunk of response.body) {
    const buffer = chunk as Buffer;
    chunks.push(buffer);
    read += buffer.length;
    if (read > maxBytes) {
      truncated = true;
      response.body.destroy();
      break;
    }
  }
  const declared = Number(response.headers['content-length']);
  const contentType = response.headers['content-type'];
  return {
    status: response.statusCode,
    contentType: (Array.isArray(contentType) ? contentType[0] : contentType) ?? '',
    body: Buffer.concat(chunks).subarray(0, maxBytes),
    totalBytes: truncated ? (Number.isFinite(declared) ? declared : undefined) : read,
    truncated,
    headers: headerRecord(response.headers),
  };
}

function declaredLength(response: Dispatcher.ResponseData): number | undefined {
  const declared = Number(response.headers['content-length']);
  return Number.isFinite(declared) && declared >= 0 ? declared : undefined;
}

function headerRecord(headers: Dispatcher.ResponseData['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

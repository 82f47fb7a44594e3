/** Sends one upstream request with undici: bounded in time and size, redirects kept on-host. */
import { type Dispatcher, request } from 'undici';
import { KeygateError } from '../errors/index.js';
import { type GuardOptions, guardedDispatcher } from '../proxy/index.js';
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
}

export const DEFAULT_LIMITS: HttpLimits = {
  connectTimeoutMs: 10_000,
  totalTimeoutMs: 30_000,
  maxResponseBytes: 1_000_000,
  maxRedirects: 3,
};

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
    guard: Pick<GuardOptions, 'allowPrivateHosts' | 'selfAddresses'> = { allowPrivateHosts: [] },
  ) {
    this.agent = guardedDispatcher({
      ...guard,
      connectTimeoutMs: limits.connectTimeoutMs,
      agent: { headersTimeout: limits.totalTimeoutMs, bodyTimeout: limits.totalTimeoutMs },
    });
  }

  /**
   * Sends `req`. `reauthorize` re-applies the credential when a same-host redirect is followed.
   * A redirect to another host is refused: the credential must never travel there.
   */
  async send(req: OutgoingRequest, reauthorize: (next: OutgoingRequest) => void): Promise<UpstreamResponse> {
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
      throw new KeygateError('executor.network', `cannot reach ${req.url.host} (${code})`, { cause });
    }
  }
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

function headerRecord(headers: Dispatcher.ResponseData['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

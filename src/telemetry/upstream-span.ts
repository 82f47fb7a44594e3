/**
 * The CLIENT span of one upstream HTTP exchange, and its latency metric. It names the operation
 * by its template (`GET /repos/{owner}/{repo}/issues`, or a proxy route as `allow` writes it),
 * never by the URL sent: paths and queries carry argument values, and a query may carry a key.
 */
import { type Span, SpanKind } from '@opentelemetry/api';
import { ATTR } from './attributes.js';
import { instruments, tracer } from './instruments.js';
import { injectTraceHeaders } from './propagation.js';
import { errorType, markFailed } from './spans.js';

/** What an upstream exchange is, in terms safe to record. */
export interface UpstreamTarget {
  readonly service: string;
  readonly method: string;
  /** The URL sent: only its host and port are recorded. */
  readonly url: URL;
  /** The operation's path template or the proxy route; undefined when there is none. */
  readonly template: string | undefined;
}

/** One upstream exchange in progress. */
export class UpstreamSpan {
  private readonly span: Span;
  private readonly started = performance.now();
  private ended = false;

  constructor(private readonly target: UpstreamTarget) {
    const port = target.url.port ? Number(target.url.port) : target.url.protocol === 'https:' ? 443 : 80;
    this.span = tracer().startSpan(target.template ? `${target.method} ${target.template}` : target.method, {
      kind: SpanKind.CLIENT,
      attributes: {
        [ATTR.HTTP_REQUEST_METHOD]: target.method,
        [ATTR.SERVER_ADDRESS]: target.url.hostname,
        [ATTR.SERVER_PORT]: port,
        [ATTR.SERVICE]: target.service,
        ...(target.template ? { [ATTR.URL_TEMPLATE]: target.template } : {}),
      },
    });
  }

  /** Puts this span's `traceparent` into `headers`, replacing any the client sent. */
  inject(headers: Record<string, string>): void {
    injectTraceHeaders(headers, this.span);
  }

  /** Ends the span with the upstream's status, or with the failure that left no answer. */
  end(status: number | undefined, error?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    if (status !== undefined) this.span.setAttribute(ATTR.HTTP_RESPONSE_STATUS_CODE, status);
    const type =
      status !== undefined && status >= 400 ? String(status) : error ? errorType(error) : undefined;
    if (type) markFailed(this.span, type);
    this.span.end();
    instruments().upstreamDuration.record((performance.now() - this.started) / 1000, {
      [ATTR.SERVICE]: this.target.service,
      [ATTR.HTTP_REQUEST_METHOD]: this.target.method,
      [ATTR.STATUS_CLASS]: status === undefined ? 'none' : `${Math.floor(status / 100)}xx`,
      ...(type ? { [ATTR.ERROR_TYPE]: type } : {}),
    });
  }
}

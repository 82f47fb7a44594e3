/**
 * Running work inside a span. Spans never carry an error's message or stack (a message may
 * quote an argument or the upstream's text): a failure is the span's ERROR status and an
 * `error.type` that is a keygate error code.
 */
import {
  type Attributes,
  type Context,
  context,
  INVALID_SPAN_CONTEXT,
  type Span,
  type SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { isKeygateError } from '../errors/index.js';
import { ATTR } from './attributes.js';
import { tracer } from './instruments.js';

export interface SpanOptions {
  readonly kind?: SpanKind;
  readonly attributes?: Attributes;
  /** The parent's context (default: the active one). */
  readonly parent?: Context;
}

/** Runs `work` with a new span active around it; the span ends when `work` settles. */
export function inSpan<T>(name: string, options: SpanOptions, work: (span: Span) => Promise<T>): Promise<T> {
  const parent = options.parent ?? context.active();
  return tracer().startActiveSpan(
    name,
    { ...(options.kind === undefined ? {} : { kind: options.kind }), attributes: options.attributes ?? {} },
    parent,
    async (span) => {
      try {
        return await work(span);
      } catch (error) {
        markFailed(span, errorType(error));
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

/** Runs synchronous `work` in a span (nothing it calls starts spans of its own). */
export function inSyncSpan<T>(name: string, attributes: Attributes, work: (span: Span) => T): T {
  const span = tracer().startSpan(name, { attributes });
  try {
    return work(span);
  } catch (error) {
    markFailed(span, errorType(error));
    throw error;
  } finally {
    span.end();
  }
}

/** What `activeSpan` gives when no span is active: records nothing. */
const NO_SPAN = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/** The span active now (a non-recording one when there is none). */
export function activeSpan(): Span {
  return trace.getActiveSpan() ?? NO_SPAN;
}

/** Marks `span` failed with `type` (a keygate error code or an HTTP status), never a message. */
export function markFailed(span: Span, type: string): void {
  span.setAttribute(ATTR.ERROR_TYPE, type);
  span.setStatus({ code: SpanStatusCode.ERROR });
}

/** What `error.type` says of `error`: its keygate code, else `_OTHER` (the conventions' word). */
export function errorType(error: unknown): string {
  return isKeygateError(error) ? error.code : '_OTHER';
}

/**
 * W3C Trace Context in and out: a tools/call's `params._meta.traceparent`/`tracestate` (or a
 * proxied request's headers) become the parent of keygate's span, and every upstream request
 * carries keygate's own `traceparent` for its client span. A client's trace headers are never
 * passed upstream as they came: they are replaced (or dropped, when no SDK is registered and
 * there is no span to name).
 */
import { type Context, context, propagation, type Span, type TextMapGetter, trace } from '@opentelemetry/api';

/** The trace headers keygate reads from a client and writes upstream. */
export const TRACE_HEADERS = ['traceparent', 'tracestate'] as const;

/** Reads string values from a `_meta` object or a Node header record. */
const carrierGetter: TextMapGetter<Readonly<Record<string, unknown>>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const value = carrier[key];
    if (typeof value === 'string') return value;
    if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string');
    return undefined;
  },
};

/**
 * The context whose span is the remote parent named by `carrier`'s trace fields (only
 * `traceparent` and `tracestate` are read), on top of the active one.
 */
export function parentFrom(carrier: Readonly<Record<string, unknown>> | undefined): Context {
  const active = context.active();
  if (!carrier || typeof carrier.traceparent !== 'string') return active;
  const fields: Record<string, unknown> = { traceparent: carrier.traceparent };
  if (carrier.tracestate !== undefined) fields.tracestate = carrier.tracestate;
  return propagation.extract(active, fields, carrierGetter);
}

/**
 * Replaces any trace headers in `headers` (lower-case names) with those naming `span` as the
 * parent of whatever the upstream records.
 */
export function injectTraceHeaders(headers: Record<string, string>, span: Span): void {
  for (const name of TRACE_HEADERS) delete headers[name];
  // The W3C propagator writes nothing for an invalid span context; without an SDK nothing at all.
  propagation.inject(trace.setSpan(context.active(), span), headers);
}

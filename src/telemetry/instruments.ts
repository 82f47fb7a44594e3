/**
 * Where keygate's tracer and metric instruments come from: the global OpenTelemetry API, which
 * is a no-op until an SDK registers (`startTelemetry`, or a test). The tracer is a proxy that
 * follows a provider registered later; metric instruments are not, so they are made again when
 * the global meter provider changes.
 */
import {
  type Counter,
  type Histogram,
  type MeterProvider,
  metrics,
  type Tracer,
  trace,
  type UpDownCounter,
} from '@opentelemetry/api';
import { VERSION } from '../config/index.js';
import { METRIC } from './attributes.js';

/** The instrumentation scope of everything keygate records. */
export const SCOPE = 'keygate';

const scopeTracer = trace.getTracer(SCOPE, VERSION);

/** keygate's tracer. */
export function tracer(): Tracer {
  return scopeTracer;
}

export interface Instruments {
  readonly calls: Counter;
  readonly denials: Counter;
  readonly approvalsPending: UpDownCounter;
  readonly upstreamDuration: Histogram;
  readonly operationDuration: Histogram;
}

/** Latency buckets in seconds, from a fast local answer to a slow upstream. */
const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

let made: { provider: MeterProvider; instruments: Instruments } | undefined;

/** keygate's metric instruments, from the meter provider registered now. */
export function instruments(): Instruments {
  const provider = metrics.getMeterProvider();
  if (made?.provider !== provider) made = { provider, instruments: create(provider) };
  return made.instruments;
}

function create(provider: MeterProvider): Instruments {
  const meter = provider.getMeter(SCOPE, VERSION);
  const seconds = { unit: 's', advice: { explicitBucketBoundaries: SECONDS } };
  return {
    calls: meter.createCounter(METRIC.CALLS, {
      description: 'Calls that reached the call pipeline, by tool, service and how they ended',
      unit: '{call}',
    }),
    denials: meter.createCounter(METRIC.DENIALS, {
      description: 'Calls refused before anything was sent upstream, by reason class',
      unit: '{call}',
    }),
    approvalsPending: meter.createUpDownCounter(METRIC.APPROVALS_PENDING, {
      description: 'Calls of this daemon waiting on the approval gate',
      unit: '{call}',
    }),
    upstreamDuration: meter.createHistogram(METRIC.UPSTREAM_DURATION, {
      description: 'Time of one upstream HTTP exchange, body included',
      ...seconds,
    }),
    operationDuration: meter.createHistogram(METRIC.MCP_OPERATION_DURATION, {
      description: 'MCP request duration as observed on the server',
      ...seconds,
    }),
  };
}

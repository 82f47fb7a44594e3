/**
 * Starting the OpenTelemetry SDK, only when an OTLP endpoint is configured: without one, no SDK
 * module is even loaded, and the API keygate calls stays the no-op it is by default. The SDK
 * honours the standard OTEL_* variables itself (endpoint, headers, protocol details, sampler,
 * resource attributes, export intervals); keygate sets the service name default (`keygate`),
 * W3C Trace Context as the only propagator (no baggage: an agent's baggage is not passed
 * upstream), and flushes on shutdown.
 */
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import type { MetricReader } from '@opentelemetry/sdk-metrics';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { VERSION } from '../config/index.js';

/** The variables whose presence turns the SDK on (any one of them). */
export const OTLP_ENDPOINT_VARIABLES = [
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT',
] as const;

/** The SDK keygate started, or none. */
export interface Telemetry {
  /** Whether an SDK is running (spans and metrics are exported). */
  readonly enabled: boolean;
  /** Exports what is buffered and stops; the API is a no-op again afterwards. */
  shutdown(): Promise<void>;
}

const OFF: Telemetry = { enabled: false, shutdown: async () => {} };

/** Where the exporters come from; tests give in-memory ones. */
export interface TelemetryExporters {
  readonly spans?: SpanExporter;
  readonly metrics?: MetricReader;
}

/** The SDK's modules, loaded on demand (a test counts the loads). */
export type SdkLoader = () => Promise<SdkModules>;

export interface SdkModules {
  readonly traceNode: typeof import('@opentelemetry/sdk-trace-node');
  readonly traceBase: typeof import('@opentelemetry/sdk-trace-base');
  readonly sdkMetrics: typeof import('@opentelemetry/sdk-metrics');
  readonly resources: typeof import('@opentelemetry/resources');
  readonly core: typeof import('@opentelemetry/core');
  readonly traceExporter: () => Promise<typeof import('@opentelemetry/exporter-trace-otlp-http')>;
  readonly metricExporter: () => Promise<typeof import('@opentelemetry/exporter-metrics-otlp-http')>;
}

/** Loads the SDK's modules: the only place they are imported, and only dynamically. */
export const loadSdk: SdkLoader = async () => {
  const [traceNode, traceBase, sdkMetrics, resources, core] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/sdk-metrics'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/core'),
  ]);
  return {
    traceNode,
    traceBase,
    sdkMetrics,
    resources,
    core,
    traceExporter: () => import('@opentelemetry/exporter-trace-otlp-http'),
    metricExporter: () => import('@opentelemetry/exporter-metrics-otlp-http'),
  };
};

function set(env: NodeJS.ProcessEnv, name: string): boolean {
  const value = env[name];
  return value !== undefined && value.trim() !== '';
}

/** Which signals `env` asks to export (none when OTEL_SDK_DISABLED is true). */
export function wantedSignals(env: NodeJS.ProcessEnv): { traces: boolean; metrics: boolean } {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return { traces: false, metrics: false };
  const any = set(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  return {
    traces:
      (any || set(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT')) && env.OTEL_TRACES_EXPORTER?.trim() !== 'none',
    metrics:
      (any || set(env, 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT')) &&
      env.OTEL_METRICS_EXPORTER?.trim() !== 'none',
  };
}

/**
 * Starts the SDK when `env` sets an OTLP endpoint (or `exporters` are given), registering it as
 * the global tracer and meter provider; otherwise loads nothing and returns a Telemetry that is
 * off.
 */
export async function startTelemetry(
  env: NodeJS.ProcessEnv,
  exporters: TelemetryExporters = {},
  load: SdkLoader = loadSdk,
): Promise<Telemetry> {
  const wanted = wantedSignals(env);
  const traces = wanted.traces || exporters.spans !== undefined;
  const metered = wanted.metrics || exporters.metrics !== undefined;
  if (!traces && !metered) return OFF;
  const sdk = await load();
  const resource = sdk.resources
    .resourceFromAttributes({ 'service.name': 'keygate', 'service.version': VERSION })
    // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win over keygate's defaults.
    .merge(sdk.resources.detectResources({ detectors: [sdk.resources.envDetector] }));
  const stops: (() => Promise<void>)[] = [];
  if (traces) {
    const exporter = exporters.spans ?? new (await sdk.traceExporter()).OTLPTraceExporter();
    // A given exporter is a test's: spans go to it at once. A real one gets batches.
    const processor = exporters.spans
      ? new sdk.traceBase.SimpleSpanProcessor(exporter)
      : new sdk.traceBase.BatchSpanProcessor(exporter);
    const provider = new sdk.traceNode.NodeTracerProvider({ resource, spanProcessors: [processor] });
    provider.register({ propagator: new sdk.core.W3CTraceContextPropagator() });
    stops.push(async () => {
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    });
  }
  if (metered) {
    const reader =
      exporters.metrics ??
      new sdk.sdkMetrics.PeriodicExportingMetricReader({
        exporter: new (await sdk.metricExporter()).OTLPMetricExporter(),
      });
    const provider = new sdk.sdkMetrics.MeterProvider({ resource, readers: [reader] });
    metrics.setGlobalMeterProvider(provider);
    stops.push(async () => {
      await provider.shutdown();
      metrics.disable();
    });
  }
  let stopping: Promise<void> | undefined;
  return {
    enabled: true,
    shutdown: () => {
      stopping ??= Promise.allSettled(stops.map((stop) => stop())).then(() => undefined);
      return stopping;
    },
  };
}

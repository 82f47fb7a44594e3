/**
 * OpenTelemetry: spans and metrics for every call keygate serves, through the OpenTelemetry API
 * (a no-op until an SDK registers), and the SDK started only when an OTLP endpoint is set.
 */
export { ATTR, METRIC, SPAN } from './attributes.js';
export {
  approvalInSpan,
  type CallDecision,
  countCall,
  decideInSpan,
  denialClass,
  describeCall,
  failedDecision,
} from './call-steps.js';
export { instruments, SCOPE, tracer } from './instruments.js';
export { injectTraceHeaders, parentFrom, TRACE_HEADERS } from './propagation.js';
export {
  loadSdk,
  OTLP_ENDPOINT_VARIABLES,
  type SdkLoader,
  type SdkModules,
  startTelemetry,
  type Telemetry,
  type TelemetryExporters,
  wantedSignals,
} from './sdk-start.js';
export {
  inMcpServerSpan,
  inProxyServerSpan,
  type McpRequestInfo,
  nameProxyRoute,
  type ProxyRequestInfo,
  setResponseStatus,
} from './server-spans.js';
export { activeSpan, errorType, inSpan, inSyncSpan, markFailed } from './spans.js';
export { UpstreamSpan, type UpstreamTarget } from './upstream-span.js';

/**
 * The SERVER span of each request keygate serves: a tools/call (the OpenTelemetry MCP
 * conventions: `tools/call <tool>`, `gen_ai.operation.name: execute_tool`, the request's id,
 * session and protocol version), or a proxied HTTP request (HTTP server conventions:
 * `<METHOD> <route>`, the route as the service's `allow` writes it). Each is the child of the
 * trace context the client sent, and the parent of the call's policy, approval, audit and
 * upstream spans.
 */
import { type Span, SpanKind } from '@opentelemetry/api';
import { ATTR } from './attributes.js';
import { instruments } from './instruments.js';
import { parentFrom } from './propagation.js';
import { inSpan, markFailed } from './spans.js';

/** What is known of an MCP request when it arrives (no argument of it). */
export interface McpRequestInfo {
  readonly method: string;
  /** The tool a tools/call names. */
  readonly tool?: string;
  readonly requestId: string | number;
  readonly sessionId?: string | undefined;
  readonly protocolVersion?: string | undefined;
  /** The request's `params._meta`: only its `traceparent` and `tracestate` are read. */
  readonly meta?: Readonly<Record<string, unknown>> | undefined;
}

/**
 * Runs `work` in the SERVER span of an MCP request. `failure` says what `error.type` a result
 * is (a tool result with `isError`), or undefined for a success.
 */
export async function inMcpServerSpan<T>(
  info: McpRequestInfo,
  work: () => Promise<T>,
  failure: (result: T) => string | undefined,
): Promise<T> {
  const started = performance.now();
  const tool = info.tool === undefined ? undefined : toolName(info.tool);
  const base = {
    [ATTR.MCP_METHOD_NAME]: info.method,
    ...(info.protocolVersion ? { [ATTR.MCP_PROTOCOL_VERSION]: info.protocolVersion } : {}),
  };
  let type: string | undefined;
  let threw = false;
  try {
    return await inSpan(
      tool ? `${info.method} ${tool}` : info.method,
      {
        kind: SpanKind.SERVER,
        parent: parentFrom(info.meta),
        attributes: {
          ...base,
          ...(tool ? { [ATTR.GEN_AI_TOOL_NAME]: tool } : {}),
          ...(info.method === 'tools/call' ? { [ATTR.GEN_AI_OPERATION_NAME]: 'execute_tool' } : {}),
          [ATTR.JSONRPC_REQUEST_ID]: String(info.requestId),
          ...(info.sessionId ? { [ATTR.MCP_SESSION_ID]: info.sessionId } : {}),
        },
      },
      async (span) => {
        const result = await work();
        type = failure(result);
        if (type) markFailed(span, type);
        return result;
      },
    );
  } catch (error) {
    threw = true;
    type ??= '_OTHER';
    throw error;
  } finally {
    instruments().operationDuration.record((performance.now() - started) / 1000, {
      ...base,
      // A protocol fault (a tool name keygate does not offer) would make a series per guess.
      ...(tool && !threw ? { [ATTR.GEN_AI_TOOL_NAME]: tool } : {}),
      ...(type ? { [ATTR.ERROR_TYPE]: type } : {}),
    });
  }
}

/**
 * A tool name as the client sent it if it is shaped like keygate's (`^[a-z0-9_]{1,48}$`), else
 * `_invalid`: the model picks the name, and a token-shaped one (mixed case, `-`, longer) is not
 * copied into a span.
 */
function toolName(name: string): string {
  return /^[a-z0-9_]{1,48}$/.test(name) ? name : '_invalid';
}

/** What is known of a proxied request when it arrives: its method and its trace headers. */
export interface ProxyRequestInfo {
  readonly method: string;
  readonly headers: Readonly<Record<string, unknown>>;
}

/** Runs `work` in the SERVER span of a proxied request; `work` names its route once it knows it. */
export function inProxyServerSpan<T>(info: ProxyRequestInfo, work: (span: Span) => Promise<T>): Promise<T> {
  return inSpan(
    info.method,
    {
      kind: SpanKind.SERVER,
      parent: parentFrom(info.headers),
      attributes: { [ATTR.HTTP_REQUEST_METHOD]: info.method },
    },
    work,
  );
}

/** Names a proxied request's span by its route template (`allow`'s path glob), never its path. */
export function nameProxyRoute(span: Span, method: string, route: string): void {
  span.updateName(`${method} ${route}`);
  span.setAttribute(ATTR.HTTP_ROUTE, route);
}

/** Records the status a proxied request was answered with. */
export function setResponseStatus(span: Span, status: number): void {
  span.setAttribute(ATTR.HTTP_RESPONSE_STATUS_CODE, status);
  if (status >= 500) markFailed(span, String(status));
}

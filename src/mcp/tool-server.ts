/** An MCP server exposing tools: what tools/list shows and what tools/call does are passed in. */
import {
  type CallToolRequestParams,
  CLIENT_CAPABILITIES_META_KEY,
  type ClientCapabilities,
  isInputRequiredResult,
  PROTOCOL_VERSION_META_KEY,
  ProtocolError,
  ProtocolErrorCode,
  Server,
  type ServerContext,
  type Tool,
} from '@modelcontextprotocol/server';
import type { CallExchange, ClientAbilities } from '../approvals/index.js';
import { listedAnnotations, type ToolDefinition } from '../catalog/index.js';
import { inMcpServerSpan } from '../telemetry/index.js';
import { answersOf } from './approval-questions.js';
import type { ToolResult } from './tool-result.js';

/** What one server instance offers its client. */
export interface ToolHandlers {
  /** The tools this caller may see (evaluated on every tools/list, so policy reloads show). */
  list(): readonly ToolDefinition[];
  /** Runs a call; `undefined` when the name is no tool at all (a protocol error). */
  call(name: string, args: Record<string, unknown>, exchange: CallExchange): Promise<ToolResult | undefined>;
}

export interface ServerInfo {
  readonly name?: string;
  readonly version?: string;
}

/** The MCP form of a tool definition: what tools/list shows an agent. */
export function mcpTool(tool: ToolDefinition): Tool {
  return {
    name: tool.name,
    description: tool.description,
    inputSchema: tool.inputSchema as Tool['inputSchema'],
    // Only the hints that differ from MCP's defaults: every tool in the list is paid for.
    annotations: listedAnnotations(tool.annotations),
  };
}

/** Builds one server instance; transports call this once per session or request. */
export function createMcpServer(handlers: ToolHandlers, info: ServerInfo = {}): Server {
  const server = new Server(
    { name: info.name ?? 'keygate', version: info.version ?? '0.0.0' },
    { capabilities: { tools: {} } },
  );
  server.setRequestHandler('tools/list', async () => ({ tools: handlers.list().map(mcpTool) }));
  server.setRequestHandler('tools/call', (request, ctx) =>
    // The span's parent is the trace context in the request's _meta; the tool's name and the
    // request's ids are recorded, never its arguments.
    inMcpServerSpan(
      {
        method: 'tools/call',
        tool: request.params.name,
        requestId: ctx.mcpReq.id,
        sessionId: ctx.sessionId,
        protocolVersion: protocolVersionOf(server, ctx),
        meta: request.params._meta,
      },
      () => callTool(server, handlers, request.params, ctx),
      toolErrorType,
    ),
  );
  return server;
}

/** Runs one tools/call: its exchange with the client, then the handler's result as MCP shows it. */
async function callTool(
  server: Server,
  handlers: ToolHandlers,
  params: CallToolRequestParams,
  ctx: ServerContext,
) {
  const { name, arguments: args } = params;
  const progressToken = params._meta?.progressToken;
  const exchange: CallExchange = {
    client: abilitiesOf(clientCapabilitiesOf(server, ctx)),
    ...requestStateOf(ctx),
    ...(ctx.mcpReq.inputResponses ? { answers: answersOf(ctx.mcpReq.inputResponses) } : {}),
    signal: ctx.mcpReq.signal,
    ...(progressToken === undefined
      ? {}
      : {
          progress: (message: string, progress: number) =>
            ctx.mcpReq.notify({
              method: 'notifications/progress',
              params: { progressToken, progress, message },
            }),
        }),
  };
  const result = await handlers.call(name, args ?? {}, exchange);
  // An unknown tool is a protocol fault; every other outcome is a tool result or a question.
  if (!result) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown tool: ${name}`);
  if (isInputRequiredResult(result)) return result;
  return server.projectCallToolResult(result, undefined);
}

/** A tool result's `error.type`: the code of an `isError` result, else none. */
function toolErrorType(result: object): string | undefined {
  const { isError, structuredContent } = result as { isError?: unknown; structuredContent?: unknown };
  if (isError !== true) return undefined;
  const code = (structuredContent as { error?: { code?: unknown } } | undefined)?.error?.code;
  return typeof code === 'string' ? code : 'tool_error';
}

/** The protocol revision a request was sent under: its envelope's (2026-07-28), else the session's. */
function protocolVersionOf(server: Server, ctx: ServerContext): string | undefined {
  const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
  const version = envelope?.[PROTOCOL_VERSION_META_KEY];
  return typeof version === 'string' ? version : server.getNegotiatedProtocolVersion();
}

/** What the client declared it can be asked (a bare `elicitation: {}` means form). */
export function abilitiesOf(capabilities: ClientCapabilities | undefined): ClientAbilities {
  const elicitation = capabilities?.elicitation as { form?: unknown; url?: unknown } | undefined;
  return {
    form: elicitation !== undefined && (elicitation.form !== undefined || elicitation.url === undefined),
    url: elicitation?.url !== undefined,
  };
}

/**
 * What the client declared: per request for 2026-07-28 clients (the request's envelope; over
 * HTTP the SDK also backfills getClientCapabilities() from it, over stdio it does not), from
 * `initialize` for 2025-era sessions.
 */
function clientCapabilitiesOf(server: Server, ctx: ServerContext): ClientCapabilities | undefined {
  const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
  return (
    (envelope?.[CLIENT_CAPABILITIES_META_KEY] as ClientCapabilities | undefined) ??
    server.getClientCapabilities()
  );
}

function requestStateOf(ctx: ServerContext): { requestState?: string } {
  const state = ctx.mcpReq.requestState();
  return typeof state === 'string' ? { requestState: state } : {};
}

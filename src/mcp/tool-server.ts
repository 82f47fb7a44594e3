/** An MCP server exposing a set of catalog tools, each call run through the executor. */
import { ProtocolError, ProtocolErrorCode, Server, type Tool } from '@modelcontextprotocol/server';
import type { Catalog, ToolDefinition } from '../catalog/index.js';
import type { CallContext, Executor } from '../executor/index.js';
import { toolErrorResult, toolSuccessResult } from './tool-result.js';

export interface ToolServerOptions {
  /** The tools this server offers (already narrowed to what the caller may see). */
  readonly catalog: Catalog;
  readonly executor: Executor;
  readonly name?: string;
  readonly version?: string;
  /** Per-call context (the calling agent); default empty. */
  readonly context?: () => Omit<CallContext, 'callId'>;
}

/** The MCP form of a tool definition: what tools/list shows an agent. */
export function mcpTool(tool: ToolDefinition): Tool {
  return {
    name: tool.name,
    description: tool.description,
    inputSchema: tool.inputSchema as Tool['inputSchema'],
    annotations: { ...tool.annotations },
  };
}

/** Builds one server instance; transports call this once per session or request. */
export function createToolServer(options: ToolServerOptions): Server {
  const server = new Server(
    { name: options.name ?? 'keygate', version: options.version ?? '0.0.0' },
    { capabilities: { tools: {} } },
  );
  const tools = options.catalog.tools.map(mcpTool);

  server.setRequestHandler('tools/list', async () => ({ tools }));
  server.setRequestHandler('tools/call', async (request) => {
    const { name, arguments: args } = request.params;
    const tool = options.catalog.find(name);
    // An unknown tool is a protocol fault; everything after this point is a tool result.
    if (!tool) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown tool: ${name}`);
    try {
      const result = await options.executor.call(tool, args ?? {}, options.context?.() ?? {});
      return server.projectCallToolResult(toolSuccessResult(result), undefined);
    } catch (error) {
      return server.projectCallToolResult(toolErrorResult(error), undefined);
    }
  });
  return server;
}

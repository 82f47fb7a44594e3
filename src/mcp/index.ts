/**
 * Public surface of the MCP layer, the protocol adapter: MCP servers whose tools/call goes
 * through the call pipeline (`src/calls/`), tool results, and the HTTP transport.
 */

export { jsonNestsDeeperThan, MAX_JSON_DEPTH } from '../catalog/index.js';
export { agentToolHandlers } from './agent-tools.js';
export { answersOf, inputRequiredResult } from './approval-questions.js';
export {
  CALL_TOOL,
  DESCRIBE_TOOL,
  DISCOVERY_TOOLS,
  isDiscoveryTool,
  runDiscoveryTool,
  SEARCH_TOOL,
} from './discovery-tools.js';
export { HTTP_REQUEST_TOOL, httpRequestTool, runHttpRequestTool } from './http-request-tool.js';
export {
  createMcpHttpHandler,
  MAX_SESSIONS_PER_TOKEN,
  type McpHttpHandler,
  type McpHttpOptions,
  SESSION_IDLE_TIMEOUT_MS,
} from './http-transport.js';
export {
  DEFAULT_EVENT_LIMITS,
  DEFAULT_TOTAL_EVENT_BYTES,
  EventBudget,
  type EventStoreLimits,
  SessionEventStore,
} from './session-event-store.js';
export {
  createMcpStreamHandler,
  MAX_STREAM_MESSAGE_BYTES,
  type McpStreamHandler,
} from './stream-transport.js';
export { runToolCall } from './tool-call.js';
export { type ToolResult, toolErrorResult, toolResultOf, toolSuccessResult } from './tool-result.js';
export { createMcpServer, mcpTool, type ServerInfo, type ToolHandlers } from './tool-server.js';

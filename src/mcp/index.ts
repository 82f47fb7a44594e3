/** Public surface of the MCP layer: tool servers, the call pipeline and the transports. */

export { answersOf, inputRequiredResult } from './approval-questions.js';
export {
  createMcpHttpHandler,
  MAX_SESSIONS_PER_TOKEN,
  type McpHttpHandler,
  type McpHttpOptions,
  SESSION_IDLE_TIMEOUT_MS,
} from './http-transport.js';
export { jsonNestsDeeperThan, MAX_JSON_DEPTH } from './json-depth.js';
export {
  DEFAULT_EVENT_LIMITS,
  DEFAULT_TOTAL_EVENT_BYTES,
  EventBudget,
  type EventStoreLimits,
  SessionEventStore,
} from './session-event-store.js';
export { type StdioHandle, serveOverStdio } from './stdio-transport.js';
export { agentToolHandlers, type PipelineDeps, PLAIN_EXCHANGE, runToolCall } from './tool-call-pipeline.js';
export { type ToolResult, toolErrorResult, toolSuccessResult } from './tool-result.js';
export {
  createMcpServer,
  createToolServer,
  mcpTool,
  type ServerInfo,
  type ToolHandlers,
  type ToolServerOptions,
} from './tool-server.js';

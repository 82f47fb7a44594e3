/** Public surface of the MCP layer: tool servers and the transports that carry them. */
export { createMcpHttpHandler, type McpHttpHandler, type McpHttpOptions } from './http-transport.js';
export { type StdioHandle, serveOverStdio } from './stdio-transport.js';
export { toolErrorResult, toolSuccessResult } from './tool-result.js';
export { createToolServer, mcpTool, type ToolServerOptions } from './tool-server.js';

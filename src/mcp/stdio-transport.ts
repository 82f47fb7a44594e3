/** MCP over this process's stdin/stdout, both protocol eras, one server for the connection. */
import type { Server } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';

export interface StdioHandle {
  close(): Promise<void>;
}

/** Serves `factory`'s server on stdio until stdin closes. */
export function serveOverStdio(factory: () => Server, onerror?: (error: Error) => void): StdioHandle {
  return serveStdio(() => factory(), onerror ? { onerror } : {});
}

/**
 * Streamable HTTP for both protocol eras. 2026-07-28 requests go to the SDK's per-request
 * handler; 2025-era clients get a sessionful transport (one server per session), because the
 * stateless fallback forgets what a client declared at `initialize` (elicitation among it).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { NodeStreamableHTTPServerTransport, toNodeHandler, toWebRequest } from '@modelcontextprotocol/node';
import { createMcpHandler, isLegacyRequest, type Server } from '@modelcontextprotocol/server';

export interface McpHttpHandler {
  /** Serves one HTTP request on the MCP endpoint. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** Closes every session and the modern handler. */
  close(): Promise<void>;
  /** Number of open 2025-era sessions. */
  readonly sessionCount: number;
}

export interface McpHttpOptions {
  readonly onerror?: (error: Error) => void;
  /** Largest request body accepted, in bytes (default 4 MiB). */
  readonly maxRequestBodySize?: number;
}

/** Builds the handler; `factory` makes one MCP server per modern request or legacy session. */
export function createMcpHttpHandler(factory: () => Server, options: McpHttpOptions = {}): McpHttpHandler {
  const maxRequestBodySize = options.maxRequestBodySize ?? 4 * 1024 * 1024;
  const modern = createMcpHandler(() => factory(), {
    legacy: 'reject',
    maxRequestBodySize,
    ...(options.onerror ? { onerror: options.onerror } : {}),
  });
  const modernNode = toNodeHandler(modern, { maxRequestBodySize });
  const sessions = new Map<string, NodeStreamableHTTPServerTransport>();

  async function handleLegacy(req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
    const sessionId = req.headers['mcp-session-id'];
    const existing = typeof sessionId === 'string' ? sessions.get(sessionId) : undefined;
    if (existing) return existing.handleRequest(req, res, body);
    if (typeof sessionId === 'string') {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null }),
      );
      return;
    }
    const transport: NodeStreamableHTTPServerTransport = new NodeStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        sessions.set(id, transport);
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await factory().connect(transport);
    await transport.handleRequest(req, res, body);
  }

  return {
    async handle(req, res) {
      const request = await toWebRequest(req, undefined, { maxRequestBodySize }).catch(() => undefined);
      if (!request) {
        res.writeHead(413, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            jsonrpc: '2.0',
            error: { code: -32600, message: 'Request body too large' },
            id: null,
          }),
        );
        return;
      }
      const text = req.method === 'POST' ? await request.clone().text() : '';
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({ jsonrpc: '2.0', error: { code: -32700, message: 'Parse error' }, id: null }),
        );
        return;
      }
      if (await isLegacyRequest(request, body)) return handleLegacy(req, res, body);
      return modernNode(req, res, body);
    },
    async close() {
      await Promise.allSettled([...sessions.values()].map((transport) => transport.close()));
      sessions.clear();
      await modern.close();
    },
    get sessionCount() {
      return sessions.size;
    },
  };
}

/**
 * Streamable HTTP for both protocol eras. 2026-07-28 requests go to the SDK's per-request
 * handler; 2025-era clients get a sessionful transport (one server per session), because the
 * stateless fallback forgets what a client declared at `initialize` (elicitation among it).
 * Every request arrives already authenticated; a session stays bound to the caller's token id.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { NodeStreamableHTTPServerTransport, toNodeHandler, toWebRequest } from '@modelcontextprotocol/node';
import { createMcpHandler, isLegacyRequest, type Server } from '@modelcontextprotocol/server';
import { jsonNestsDeeperThan, MAX_JSON_DEPTH } from './json-depth.js';
import { DEFAULT_EVENT_LIMITS, type EventStoreLimits, SessionEventStore } from './session-event-store.js';

/** Who a request is from; sessions are bound to `tokenId`, never to raw token bytes. */
export interface TransportCaller {
  readonly tokenId: string;
}

export interface McpHttpHandler<C extends TransportCaller> {
  /** Serves one HTTP request on the MCP endpoint for an authenticated caller. */
  handle(req: IncomingMessage, res: ServerResponse, caller: C): Promise<void>;
  /** Closes the sessions of one token (after it was revoked). */
  closeSessionsOf(tokenId: string): Promise<void>;
  /** Closes every session and the modern handler. */
  close(): Promise<void>;
  /** Number of open 2025-era sessions. */
  readonly sessionCount: number;
}

export interface McpHttpOptions {
  readonly onerror?: (error: Error) => void;
  /** Largest request body accepted, in bytes (default 4 MiB). */
  readonly maxRequestBodySize?: number;
  /** What each 2025-era session keeps for `Last-Event-ID` replay (default 1,000 events / 4 MiB). */
  readonly eventLimits?: EventStoreLimits;
  /** The SSE `retry` (ms) sent to 2025-11-25 clients: how soon to reconnect a lost stream. */
  readonly retryIntervalMs?: number;
}

interface Session<C> {
  readonly transport: NodeStreamableHTTPServerTransport;
  readonly caller: C;
}

const CALLER = 'keygateCaller';

function jsonRpcError(res: ServerResponse, status: number, code: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

/** The request body as text, or `undefined` past `limit` bytes. */
async function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Builds the handler; `factory` makes one MCP server per modern request or legacy session. */
export function createMcpHttpHandler<C extends TransportCaller>(
  factory: (caller: C) => Server,
  options: McpHttpOptions = {},
): McpHttpHandler<C> {
  const maxRequestBodySize = options.maxRequestBodySize ?? 4 * 1024 * 1024;
  const modern = createMcpHandler(
    (ctx) => {
      const caller = (ctx.authInfo?.extra as Record<string, C | undefined> | undefined)?.[CALLER];
      if (!caller) throw new Error('an MCP request reached the server without a caller');
      return factory(caller);
    },
    { legacy: 'reject', maxRequestBodySize, ...(options.onerror ? { onerror: options.onerror } : {}) },
  );
  const modernNode = toNodeHandler(modern, { maxRequestBodySize });
  const sessions = new Map<string, Session<C>>();

  async function handleLegacy(
    req: IncomingMessage,
    res: ServerResponse,
    body: unknown,
    caller: C,
  ): Promise<void> {
    const sessionId = req.headers['mcp-session-id'];
    if (typeof sessionId === 'string') {
      const session = sessions.get(sessionId);
      if (!session) return jsonRpcError(res, 404, -32001, 'Session not found');
      // A session belongs to the token that opened it; another token cannot ride on it.
      if (session.caller.tokenId !== caller.tokenId)
        return jsonRpcError(res, 403, -32001, 'Session belongs to another token');
      return session.transport.handleRequest(req, res, body);
    }
    // Events get ids and are kept (bounded, in memory) so that a lost stream can be resumed.
    const events = new SessionEventStore(options.eventLimits ?? DEFAULT_EVENT_LIMITS);
    const transport: NodeStreamableHTTPServerTransport = new NodeStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        sessions.set(id, { transport, caller });
      },
      eventStore: events,
      retryInterval: options.retryIntervalMs ?? 1000,
    });
    transport.onclose = () => {
      events.clear();
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await factory(caller).connect(transport);
    await transport.handleRequest(req, res, body);
  }

  return {
    async handle(req, res, caller) {
      // The body is read and parsed once, for classification and for whichever leg serves it.
      const text = req.method === 'POST' ? await readBody(req, maxRequestBodySize) : '';
      if (text === undefined) return jsonRpcError(res, 413, -32600, 'Request body too large');
      // Checked on the text: the SDK copies and validates messages recursively.
      if (text && jsonNestsDeeperThan(text))
        return jsonRpcError(
          res,
          400,
          -32600,
          `Invalid Request: JSON nested deeper than ${MAX_JSON_DEPTH} levels`,
        );
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        return jsonRpcError(res, 400, -32700, 'Parse error');
      }
      // Only 2025-era clients hold sessions: a request naming one needs no classification.
      if (typeof req.headers['mcp-session-id'] === 'string') return handleLegacy(req, res, body, caller);
      if (await isLegacyRequest(await toWebRequest(req, body, { maxRequestBodySize }), body))
        return handleLegacy(req, res, body, caller);
      (req as IncomingMessage & { auth?: unknown }).auth = {
        token: caller.tokenId,
        clientId: caller.tokenId,
        scopes: [],
        extra: { [CALLER]: caller },
      };
      return modernNode(req, res, body);
    },
    async closeSessionsOf(tokenId) {
      const closing = [...sessions.values()].filter((session) => session.caller.tokenId === tokenId);
      await Promise.allSettled(closing.map((session) => session.transport.close()));
    },
    async close() {
      await Promise.allSettled([...sessions.values()].map((session) => session.transport.close()));
      sessions.clear();
      await modern.close();
    },
    get sessionCount() {
      return sessions.size;
    },
  };
}

/**
 * Streamable HTTP for both protocol eras. 2026-07-28 requests go to the SDK's per-request
 * handler; 2025-era clients get a sessionful transport (one server per session), because the
 * stateless fallback forgets what a client declared at `initialize` (elicitation among it).
 * Every request arrives already authenticated; a session stays bound to the caller's token id.
 *
 * Sessions hold memory (each its replay events), so they are bounded: at most
 * `MAX_SESSIONS_PER_TOKEN` per token (a new `initialize` past it closes that token's least
 * recently used session, so that a client reconnecting after a crash always gets in), closed
 * after `SESSION_IDLE_TIMEOUT_MS` without a request (never while one of their requests is being
 * answered), and the event stores of all sessions together share one byte budget.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { NodeStreamableHTTPServerTransport, toNodeHandler, toWebRequest } from '@modelcontextprotocol/node';
import { createMcpHandler, isLegacyRequest, type Server } from '@modelcontextprotocol/server';
import { jsonNestsDeeperThan, MAX_JSON_DEPTH } from '../catalog/index.js';
import {
  DEFAULT_EVENT_LIMITS,
  DEFAULT_TOTAL_EVENT_BYTES,
  EventBudget,
  type EventStoreLimits,
  SessionEventStore,
} from './session-event-store.js';

/**
 * Open 2025-era sessions per token. The 17th `initialize` closes the token's least recently used
 * session (one with no request being answered, if there is one) rather than being refused: a
 * client that crashed and reconnects never gets locked out by the sessions it left behind.
 */
export const MAX_SESSIONS_PER_TOKEN = 16;

/**
 * A session with no request for this long (and none being answered) is closed: 12 hours, so a
 * client left open over a working day keeps its session; memory is bounded by the per-token cap
 * and the shared event budget, not by this.
 */
export const SESSION_IDLE_TIMEOUT_MS = 12 * 60 * 60 * 1000;

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
  /** Closes the sessions idle for longer than the idle timeout (also done every minute or so). */
  expireIdle(): Promise<void>;
  /** Number of open 2025-era sessions. */
  readonly sessionCount: number;
  /** Bytes held by the event stores of all sessions together. */
  readonly eventBytes: number;
}

export interface McpHttpOptions {
  readonly onerror?: (error: Error) => void;
  /** Largest request body accepted, in bytes (default 4 MiB). */
  readonly maxRequestBodySize?: number;
  /** What each 2025-era session keeps for `Last-Event-ID` replay (default 1,000 events / 4 MiB). */
  readonly eventLimits?: EventStoreLimits;
  /** Bytes the event stores of all sessions may hold together (default 64 MiB). */
  readonly totalEventBytes?: number;
  /** The SSE `retry` (ms) sent to 2025-11-25 clients: how soon to reconnect a lost stream. */
  readonly retryIntervalMs?: number;
  /** Open 2025-era sessions per token (default `MAX_SESSIONS_PER_TOKEN`). */
  readonly maxSessionsPerToken?: number;
  /** Idle time after which a session is closed, in ms (default `SESSION_IDLE_TIMEOUT_MS`). */
  readonly idleTimeoutMs?: number;
  /** The clock for idle expiry (default `Date.now`). */
  readonly now?: () => number;
  /** Lines for the daemon's log (a session closed to make room). */
  readonly log?: (line: string) => void;
}

interface Session<C> {
  readonly transport: NodeStreamableHTTPServerTransport;
  readonly caller: C;
  readonly events: SessionEventStore;
  /** When the session last received a request. */
  lastUsed: number;
  /** Ids of the client's requests not answered yet (a call waiting for approval among them). */
  readonly pending: Set<string>;
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
  const maxPerToken = options.maxSessionsPerToken ?? MAX_SESSIONS_PER_TOKEN;
  const idleTimeoutMs = options.idleTimeoutMs ?? SESSION_IDLE_TIMEOUT_MS;
  const now = options.now ?? Date.now;
  const budget = new EventBudget(options.totalEventBytes ?? DEFAULT_TOTAL_EVENT_BYTES);
  // In least recently used order: a session is moved to the end whenever it gets a request.
  const sessions = new Map<string, Session<C>>();
  const sweep = setInterval(() => void expireIdle(), Math.min(idleTimeoutMs, 60_000));
  sweep.unref();

  const isIdle = (session: Session<C>, at: number) =>
    session.pending.size === 0 && at - session.lastUsed >= idleTimeoutMs;

  async function expireIdle(): Promise<void> {
    const at = now();
    const idle = [...sessions.values()].filter((session) => isIdle(session, at));
    await Promise.allSettled(idle.map((session) => session.transport.close()));
  }

  /** Notes a request on a session: its JSON-RPC requests are pending until answered. */
  function touch(id: string, session: Session<C>, body: unknown): void {
    session.lastUsed = now();
    sessions.delete(id);
    sessions.set(id, session);
    for (const message of Array.isArray(body) ? body : [body]) {
      if (!message || typeof message !== 'object') continue;
      const {
        id: requestId,
        method,
        params,
      } = message as { id?: unknown; method?: unknown; params?: unknown };
      if (typeof method !== 'string') continue;
      if (requestId !== undefined) session.pending.add(JSON.stringify(requestId));
      // A cancelled request gets no answer: it is not pending any more.
      if (method === 'notifications/cancelled')
        session.pending.delete(JSON.stringify((params as { requestId?: unknown } | undefined)?.requestId));
    }
  }

  /** Makes room for a new session of `tokenId`: closes its least recently used ones past the cap. */
  function evictForNew(tokenId: string): void {
    const own = [...sessions.values()].filter((session) => session.caller.tokenId === tokenId);
    while (own.length >= maxPerToken) {
      const victim = own.find((session) => session.pending.size === 0) ?? own[0]!;
      own.splice(own.indexOf(victim), 1);
      options.log?.(
        `mcp: token ${tokenId} opened more than ${maxPerToken} sessions; closing its least recently used one`,
      );
      void victim.transport.close();
    }
  }

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
      // Idle past the timeout but not swept yet: it is gone all the same.
      if (isIdle(session, now())) {
        await session.transport.close();
        return jsonRpcError(res, 404, -32001, 'Session not found');
      }
      touch(sessionId, session, body);
      return session.transport.handleRequest(req, res, body);
    }
    // Events get ids and are kept (bounded, in memory) so that a lost stream can be resumed.
    const events = new SessionEventStore(options.eventLimits ?? DEFAULT_EVENT_LIMITS, budget);
    const transport: NodeStreamableHTTPServerTransport = new NodeStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        evictForNew(caller.tokenId);
        sessions.set(id, session);
        touch(id, session, body);
      },
      eventStore: events,
      retryInterval: options.retryIntervalMs ?? 1000,
    });
    const session: Session<C> = { transport, caller, events, lastUsed: now(), pending: new Set() };
    transport.onclose = () => {
      events.clear();
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await factory(caller).connect(transport);
    // Answers (results and errors) end a request's pending state; the server sends them here.
    const send = transport.send.bind(transport);
    transport.send = async (message, sendOptions) => {
      if ('id' in message && !('method' in message)) session.pending.delete(JSON.stringify(message.id));
      return send(message, sendOptions);
    };
    await transport.handleRequest(req, res, body);
    // No session came of it (not an initialize, or a refused one): nothing may stay held.
    if (!transport.sessionId || sessions.get(transport.sessionId) !== session) {
      events.clear();
      if (!transport.sessionId) await transport.close();
    }
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
    expireIdle,
    async close() {
      clearInterval(sweep);
      await Promise.allSettled([...sessions.values()].map((session) => session.transport.close()));
      sessions.clear();
      await modern.close();
    },
    get sessionCount() {
      return sessions.size;
    },
    get eventBytes() {
      return budget.bytes;
    },
  };
}

/**
 * MCP's stdio framing (newline-delimited JSON-RPC) over any byte stream: the daemon's local
 * socket, once its connection has authenticated. Each connection is one MCP server from the same
 * factory as over HTTP, pinned for the connection's life to the era its opening selects (the
 * SDK's `serveStdio` decides it, over a `StdioServerTransport` on the stream). A connection stays
 * bound to the caller's token id, so revoking the token closes it.
 */
import { type Duplex, Transform, type TransformCallback } from 'node:stream';
import type { Server } from '@modelcontextprotocol/server';
import { StdioServerTransport, serveStdio } from '@modelcontextprotocol/server/stdio';
import { jsonNestsDeeperThan, MAX_JSON_DEPTH } from '../catalog/index.js';
import type { TransportCaller } from './http-transport.js';

/** Largest message accepted on a stream, in bytes: the same bound as an HTTP request body. */
export const MAX_STREAM_MESSAGE_BYTES = 4 * 1024 * 1024;

export interface McpStreamHandler<C extends TransportCaller> {
  /** Serves MCP on `stream` for an authenticated caller until either side closes it. */
  serve(stream: Duplex, caller: C): void;
  /** Closes the connections of one token (after it was revoked). */
  closeSessionsOf(tokenId: string): Promise<void>;
  /** Closes every connection. */
  close(): Promise<void>;
  /** Number of open connections. */
  readonly connectionCount: number;
}

interface Connection<C> {
  readonly caller: C;
  close(): Promise<void>;
}

/** Open connections per token at most: as many as HTTP sessions (`MAX_SESSIONS_PER_TOKEN`). */
export const MAX_STREAMS_PER_TOKEN = 16;

/**
 * Lets through whole lines; a line nesting deeper than `MAX_JSON_DEPTH` is dropped and answered
 * with an invalid-request error, because the SDK parses and validates messages recursively. A
 * line longer than `MAX_STREAM_MESSAGE_BYTES` ends the connection as soon as it is that long:
 * held until its newline, it could fill the daemon's memory.
 */
class LineGuard extends Transform {
  private partial: Buffer[] = [];
  private partialBytes = 0;
  constructor(
    private readonly refuseDepth: () => void,
    private readonly refuseSize: () => void,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    let start = 0;
    for (let end = chunk.indexOf(0x0a); end !== -1; end = chunk.indexOf(0x0a, start)) {
      const piece = chunk.subarray(start, end + 1);
      if (this.partialBytes + piece.length > MAX_STREAM_MESSAGE_BYTES) {
        this.tooLarge(done);
        return;
      }
      this.partial.push(piece);
      const line = Buffer.concat(this.partial);
      this.partial = [];
      this.partialBytes = 0;
      if (jsonNestsDeeperThan(line.toString('utf8'))) this.refuseDepth();
      else this.push(line);
      start = end + 1;
    }
    if (start < chunk.length) {
      this.partial.push(chunk.subarray(start));
      this.partialBytes += chunk.length - start;
      if (this.partialBytes > MAX_STREAM_MESSAGE_BYTES) {
        this.tooLarge(done);
        return;
      }
    }
    done();
  }
  private tooLarge(done: TransformCallback): void {
    this.partial = [];
    this.partialBytes = 0;
    this.refuseSize();
    done();
  }
}

/** One JSON-RPC error line (no id: it answers no request that could be named). */
function errorLine(code: number, message: string): string {
  return `${JSON.stringify({ jsonrpc: '2.0', id: null, error: { code, message } })}\n`;
}

/** Builds the handler; `factory` makes one MCP server per connection. */
export function createMcpStreamHandler<C extends TransportCaller>(
  factory: (caller: C) => Server,
  options: { readonly onerror?: (error: Error) => void } = {},
): McpStreamHandler<C> {
  const connections = new Set<Connection<C>>();

  return {
    serve(stream, caller) {
      const open = [...connections].filter((connection) => connection.caller.tokenId === caller.tokenId);
      if (open.length >= MAX_STREAMS_PER_TOKEN) {
        stream.end(
          errorLine(
            -32600,
            `this token already has ${MAX_STREAMS_PER_TOKEN} open connections: close one (or use another token)`,
          ),
        );
        return;
      }
      const guard = new LineGuard(
        () => {
          const message = `Invalid Request: JSON nested deeper than ${MAX_JSON_DEPTH} levels`;
          if (stream.writable) stream.write(errorLine(-32600, message));
        },
        () => {
          const message = `Invalid Request: a message longer than ${MAX_STREAM_MESSAGE_BYTES} bytes; the connection is closed`;
          // The rest of the line is never read: the connection ends once the refusal is written.
          stream.unpipe(guard);
          if (stream.writable) stream.end(errorLine(-32600, message), () => stream.destroy());
          else stream.destroy();
        },
      );
      // Ends the guard when the client ends its input: the transport then closes the server.
      stream.pipe(guard);
      // The guard ends a longer line first; the SDK's own bound is a backstop.
      const transport = new StdioServerTransport(guard, stream, {
        maxBufferSize: MAX_STREAM_MESSAGE_BYTES + 1,
      });
      const handle = serveStdio(() => factory(caller), {
        transport,
        ...(options.onerror ? { onerror: options.onerror } : {}),
      });
      const connection: Connection<C> = {
        caller,
        close: async () => {
          await handle.close().catch(() => undefined);
          stream.destroy();
        },
      };
      connections.add(connection);
      // The client leaving (or the stream failing) ends the MCP server too.
      stream.once('close', () => {
        connections.delete(connection);
        void handle.close().catch(() => undefined);
      });
      stream.on('error', () => stream.destroy());
    },
    async closeSessionsOf(tokenId) {
      const closing = [...connections].filter((connection) => connection.caller.tokenId === tokenId);
      await Promise.allSettled(closing.map((connection) => connection.close()));
    },
    async close() {
      await Promise.allSettled([...connections].map((connection) => connection.close()));
      connections.clear();
    },
    get connectionCount() {
      return connections.size;
    },
  };
}

/**
 * `keygate stdio` over HTTP: the fallback when no local socket is reachable (a daemon on another
 * machine, KEYGATE_URL set, a home path too long for a socket). An SDK stdio server transport
 * reads the client, a Streamable HTTP client transport carries every message to the daemon's
 * /mcp with the agent token, and back. Imported only when needed: the socket relay loads none
 * of the SDK.
 */
import type { Readable } from 'node:stream';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { StdioServerTransport } from '@modelcontextprotocol/server/stdio';

export interface HttpBridgeOptions {
  /** The daemon's base URL (without `/mcp`). */
  readonly url: string;
  readonly token: string;
  /** The client's input, from its first byte (what was read while the daemon was found included). */
  readonly input: Readable;
  readonly log: (line: string) => void;
}

/** Why the daemon refused the token, from its 401 body; `undefined` for any other failure. */
function refusal(error: unknown): string | undefined {
  const http = error as { status?: unknown; data?: { text?: unknown } };
  if (http?.status !== 401) return undefined;
  const text = typeof http.data?.text === 'string' ? http.data.text : '';
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown; code?: unknown } };
    const message = body.error?.message;
    if (typeof message === 'string' && message) return message;
  } catch {
    // not JSON: the text itself (bounded) says what the daemon said
  }
  return text.trim().slice(0, 300) || 'HTTP 401';
}

/** Bridges the client to the daemon's /mcp until the client closes its input. */
export async function bridgeOverHttp({ url, token, input, log }: HttpBridgeOptions): Promise<void> {
  const local = new StdioServerTransport(input, process.stdout);
  let closed = false;
  const initializeIds = new Set<string | number>();
  const bridge = new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${token}` } },
  });

  const answer = (message: JSONRPCMessage, text: string) => {
    if (closed || !('method' in message) || !('id' in message)) return;
    void local
      .send({ jsonrpc: '2.0', id: message.id, error: { code: -32603, message: `keygate: ${text}` } })
      .catch(() => undefined);
  };
  const stdinClosed = new Promise<void>((resolve) => {
    local.onclose = () => {
      closed = true;
      resolve();
    };
  });
  local.onerror = (error) => log(error.message);
  local.onmessage = (message: JSONRPCMessage) => {
    if ('method' in message && message.method === 'initialize' && 'id' in message)
      initializeIds.add(message.id);
    bridge.send(message).catch((error: unknown) => {
      if (closed) return;
      const reason = refusal(error);
      const text = reason
        ? `the daemon refused the token: ${reason}`
        : `keygate daemon unreachable: ${(error as Error)?.message ?? String(error)}`;
      log(text);
      answer(message, text);
    });
  };
  bridge.onmessage = (message: JSONRPCMessage) => {
    // A 2025-era session pins its protocol version at initialize; the HTTP leg must send it after.
    if ('id' in message && initializeIds.has(message.id as string | number) && 'result' in message) {
      initializeIds.delete(message.id as string | number);
      const version = (message.result as { protocolVersion?: string }).protocolVersion;
      if (version) bridge.setProtocolVersion(version);
    }
    if (!closed) void local.send(message).catch(() => undefined);
  };
  bridge.onerror = (error) => {
    // A refused token is reported with the request it failed; aborts are our own closing.
    if (!closed && refusal(error) === undefined) log(error.message);
  };
  await bridge.start();
  await local.start();
  await stdinClosed;
  await bridge.close().catch(() => undefined);
}

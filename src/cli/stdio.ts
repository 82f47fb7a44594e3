/**
 * `keygate stdio`: MCP over stdio for clients that launch a command, bridged to the daemon with
 * the agent's token (KEYGATE_TOKEN). Every message is forwarded both ways unchanged, requests
 * from the daemon to the client (elicitation) included. If no daemon answers and the home is
 * on this machine, one is started in the background.
 *
 * The client's first messages are read at once and held while the daemon is found, so a
 * failure (a daemon that died starting, a refused token, another home's daemon) reaches the
 * client as the answer to its pending request, and not as a closed connection.
 */
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import { currentEnvironment, envValue, homePaths, PACKAGE_ROOT, resolveHome } from '../config/index.js';
import { isKeygateError, KeygateError } from '../errors/index.js';
import { daemonUrl } from './daemon-url.js';
import type { CommandOutput } from './output.js';

const log = (line: string) => process.stderr.write(`keygate stdio: ${line}\n`);
const READY_WITHIN_MS = 30_000;

/** The instance id a keygate daemon shows at /healthz; `undefined` when nothing (keygate) answers. */
async function healthz(url: string): Promise<{ instance?: string } | undefined> {
  try {
    const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1500) });
    if (!response.ok) return undefined;
    return (await response.json()) as { instance?: string };
  } catch {
    return undefined;
  }
}

type Located =
  | { readonly kind: 'ours'; readonly url: string }
  | { readonly kind: 'none'; readonly url: string | undefined; readonly explicit: boolean }
  | { readonly kind: 'foreign'; readonly url: string };

/**
 * The daemon of `home`: the one at KEYGATE_URL (taken as given), else the one at daemon.json's
 * URL or the default whose /healthz shows the instance id that this home's daemon.json records.
 */
async function locate(home: string): Promise<Located> {
  const { url, source } = await daemonUrl(home);
  const explicit = source === 'environment';
  const health = url ? await healthz(url) : undefined;
  if (!url || !health) return { kind: 'none', url, explicit };
  if (explicit) return { kind: 'ours', url };
  const recorded = await readFile(homePaths(home).daemon, 'utf8')
    .then((text) => (JSON.parse(text) as { instance?: unknown }).instance)
    .catch(() => undefined);
  return typeof recorded === 'string' && health.instance === recorded
    ? { kind: 'ours', url }
    : { kind: 'foreign', url };
}

function foreignDaemon(url: string, home: string): KeygateError {
  return new KeygateError(
    'daemon.foreign',
    `the keygate daemon at ${url} serves another home, not ${home} (another checkout's daemon, or a stale daemon.json): ` +
      "nothing was sent to it. Stop it, or start this home's daemon on another port (KEYGATE_PORT), or set KEYGATE_URL to use it on purpose",
  );
}

/** The daemon's own last error line in its log after `offset`, if it printed one. */
async function lastError(logFile: string, offset: number): Promise<string | undefined> {
  const text = await readFile(logFile, 'utf8').catch(() => '');
  const lines = text
    .slice(offset)
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  // Two clients starting at once share the log: prefer a line that is an error.
  return lines.findLast((line) => /\[[a-z_]+\.[a-z_]+\]$|internal error/.test(line)) ?? lines.at(-1);
}

/**
 * Starts `keygate serve` for `home` in the background and waits until it answers. If it exits
 * first, its own error is the answer, at once, unless the store was locked by another daemon
 * starting for the same home (two clients starting together): then that one is awaited.
 */
async function startDaemon(home: string, signal: AbortSignal): Promise<string> {
  const logPath = join(home, 'daemon.log');
  const logFile = openSync(logPath, 'a', 0o600);
  const offset = (await stat(logPath)).size;
  const child = spawn(process.execPath, [join(PACKAGE_ROOT, 'bin', 'keygate'), 'serve', '--home', home], {
    detached: true,
    stdio: ['ignore', logFile, logFile],
    // The daemon sees the command's environment (an in-process run's own, not this process's).
    env: currentEnvironment(),
  });
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  child.once('exit', (code, signal) => {
    exited = { code, signal };
  });
  child.unref();
  log(`no daemon answered: started keygate serve (pid ${child.pid}, log ${logPath})`);
  const deadline = Date.now() + READY_WITHIN_MS;
  let lockedOut = false;
  while (Date.now() < deadline) {
    signal.throwIfAborted();
    // Two clients starting at once both try; the one that loses finds the winner's daemon.json.
    const found = await locate(home);
    if (found.kind === 'ours') return found.url;
    if (exited && !lockedOut) {
      const line = await lastError(logPath, offset);
      lockedOut = line?.endsWith('[store.locked]') === true;
      if (!lockedOut) {
        const how = exited.signal ? `was killed by ${exited.signal}` : `exited with code ${exited.code}`;
        throw new KeygateError(
          'daemon.unavailable',
          `the daemon it started ${how} (log ${logPath}): ${line?.replace(/^keygate: /, '') ?? 'it printed nothing'}`,
        );
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const line = exited ? await lastError(logPath, offset) : undefined;
  throw new KeygateError(
    'daemon.unavailable',
    `the daemon did not become ready within ${READY_WITHIN_MS / 1000} s${line ? `: ${line}` : ''}; see ${logPath}`,
  );
}

/** The daemon serving `home`, started when none answers and the home is on this machine. */
async function connectDaemon(home: string, signal: AbortSignal): Promise<string> {
  const found = await locate(home);
  if (found.kind === 'ours') return found.url;
  if (found.kind === 'foreign') throw foreignDaemon(found.url, home);
  const local = !found.explicit && (await stat(homePaths(home).policy).catch(() => undefined)) !== undefined;
  if (!local)
    throw new KeygateError(
      'daemon.unavailable',
      `no keygate daemon answers at ${found.url ?? 'KEYGATE_PORT=0'} and ${home} holds no keygate.yaml to start one`,
    );
  return startDaemon(home, signal);
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

export async function stdioCommand(options: { home?: string }): Promise<CommandOutput> {
  const token = envValue('KEYGATE_TOKEN');
  if (!token)
    throw new KeygateError(
      'cli.usage',
      'set KEYGATE_TOKEN to the agent token (kg_…) in the MCP client configuration',
    );
  const home = resolveHome(options.home);

  const local = new StdioServerTransport();
  let closed = false;
  const held: JSONRPCMessage[] = [];
  let upstream: StreamableHTTPClientTransport | undefined;
  /** Once set, every request is answered with it: the bridge cannot serve. */
  let failure: string | undefined;
  const initializeIds = new Set<string | number>();

  const answer = (message: JSONRPCMessage, text: string) => {
    if (closed || !('method' in message) || !('id' in message)) return;
    void local
      .send({ jsonrpc: '2.0', id: message.id, error: { code: -32603, message: `keygate: ${text}` } })
      .catch(() => undefined);
  };
  const forward = (bridge: StreamableHTTPClientTransport, message: JSONRPCMessage) => {
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

  const stdinClosed = new Promise<void>((resolve) => {
    local.onclose = () => {
      closed = true;
      resolve();
    };
  });
  local.onerror = (error) => log(error.message);
  local.onmessage = (message: JSONRPCMessage) => {
    if (failure !== undefined) answer(message, failure);
    else if (upstream) forward(upstream, message);
    else held.push(message);
  };
  await local.start();

  // A client that leaves while the daemon starts stops the wait (the daemon keeps starting).
  const leaving = new AbortController();
  void stdinClosed.then(() => leaving.abort());
  let url: string;
  try {
    url = await connectDaemon(home, leaving.signal);
  } catch (error) {
    if (closed) return { exitCode: 0 };
    if (!isKeygateError(error)) throw error;
    // The daemon's own line already ends with its code.
    failure = /\[[a-z_]+\.[a-z_]+\]$/.test(error.message)
      ? error.message
      : `${error.message} [${error.code}]`;
    log(failure);
    for (const message of held.splice(0)) answer(message, failure);
    // Stay until the client closes stdin, answering each request with the reason, so the
    // client shows it rather than "connection closed"; a client that only waits is told on
    // stderr and gets the exit code.
    await Promise.race([stdinClosed, new Promise((resolve) => setTimeout(resolve, 2000))]);
    await local.close().catch(() => undefined);
    return { exitCode: 1 };
  }

  const bridge = new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${token}` } },
  });
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
  upstream = bridge;
  for (const message of held.splice(0)) forward(bridge, message);

  await stdinClosed;
  await bridge.close().catch(() => undefined);
  return { exitCode: 0 };
}

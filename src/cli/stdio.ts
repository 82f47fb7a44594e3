/**
 * `keygate stdio`: MCP over stdio for clients that launch a command, relayed to the daemon with
 * the agent's token (KEYGATE_TOKEN). If no daemon answers and the home is on this machine, one is
 * started in the background.
 *
 * With a local daemon the bridge is a byte relay: it connects to the daemon's local socket (named
 * in daemon.json), sends one hello line with the token, and after the daemon's ok pipes stdin to
 * the socket and the socket to stdout, parsing nothing. Where no socket is reachable (KEYGATE_URL,
 * a daemon elsewhere) it bridges over HTTP instead (`stdio-http.ts`, imported only then).
 *
 * The client's first bytes are read at once and held while the daemon is found, so a failure
 * (a daemon that died starting, a refused token, another home's daemon) reaches the client as
 * the answer to its pending request, and not as a closed connection. This module imports no MCP
 * SDK and nothing of the daemon: a test keeps it so.
 */
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { currentEnvironment, envValue, homePaths, PACKAGE_ROOT, resolveHome } from '../config/index.js';
import { isKeygateError, KeygateError } from '../errors/index.js';
import { daemonUrl } from './daemon-url.js';
import type { CommandOutput } from './output.js';

const log = (line: string) => process.stderr.write(`keygate stdio: ${line}\n`);
const READY_WITHIN_MS = 30_000;

/**
 * What a keygate daemon shows at /healthz: its instance id once ready, `starting` while it
 * writes daemon.json (503); `undefined` when nothing (keygate) answers.
 */
async function healthz(url: string): Promise<{ instance?: string; starting?: true } | undefined> {
  const response = await getJson(`${url}/healthz`, 1500);
  if (response?.status === 503) {
    const body = response.body as { status?: unknown } | undefined;
    return body?.status === 'starting' ? { starting: true } : undefined;
  }
  if (response?.status !== 200) return undefined;
  return (response.body ?? {}) as { instance?: string };
}

/**
 * GET `url` and its JSON body (`undefined` when it is not JSON); `undefined` when nothing answers
 * within `timeoutMs`. node:http rather than fetch: fetch (undici) alone would double the
 * relay's memory (~40 MB).
 */
async function getJson(
  url: string,
  timeoutMs: number,
): Promise<{ status: number; body: unknown } | undefined> {
  const { get } = url.startsWith('https:') ? await import('node:https') : await import('node:http');
  return new Promise((resolve) => {
    const request = get(url, { timeout: timeoutMs }, (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        // A /healthz body is small: anything larger is not keygate's.
        if (size > 64 * 1024) request.destroy();
        else chunks.push(chunk);
      });
      response.on('end', () => {
        let body: unknown;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          body = undefined;
        }
        resolve({ status: response.statusCode ?? 0, body });
      });
      // Cut short (too large, or the daemon went away): no answer. After `end`, this changes nothing.
      response.on('close', () => resolve(undefined));
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(undefined));
  });
}

/** Where the daemon serving a home answers: its URL, and its local socket when it has one here. */
interface Found {
  readonly url: string;
  readonly socket?: string;
}

type Located =
  | ({ readonly kind: 'ours' } & Found)
  | { readonly kind: 'starting'; readonly url: string }
  | { readonly kind: 'none'; readonly url: string | undefined; readonly explicit: boolean }
  | { readonly kind: 'foreign'; readonly url: string };

/**
 * The daemon of `home`: the one at KEYGATE_URL (taken as given, over HTTP), else the one at
 * daemon.json's URL or the default whose /healthz shows the instance id that this home's
 * daemon.json records (with the local socket daemon.json names).
 */
async function locate(home: string): Promise<Located> {
  const { url, source } = await daemonUrl(home);
  const explicit = source === 'environment';
  const health = url ? await healthz(url) : undefined;
  if (!url || !health) return { kind: 'none', url, explicit };
  if (health.starting) return { kind: 'starting', url };
  if (explicit) return { kind: 'ours', url };
  const recorded = await readFile(homePaths(home).daemon, 'utf8')
    .then((text) => JSON.parse(text) as { instance?: unknown; socket?: unknown })
    .catch(() => undefined);
  if (typeof recorded?.instance !== 'string' || health.instance !== recorded.instance)
    return { kind: 'foreign', url };
  // Only the home's own socket path: a daemon.json naming another would send the token there.
  return recorded.socket === homePaths(home).socket
    ? { kind: 'ours', url, socket: recorded.socket }
    : { kind: 'ours', url };
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
async function startDaemon(home: string, signal: AbortSignal): Promise<Found> {
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
    if (found.kind === 'ours') return found;
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
async function connectDaemon(home: string, signal: AbortSignal): Promise<Found> {
  let found = await locate(home);
  // A daemon writing its daemon.json is ready in a moment: waited for, not started again.
  for (const deadline = Date.now() + READY_WITHIN_MS; found.kind === 'starting' && Date.now() < deadline; ) {
    signal.throwIfAborted();
    await new Promise((resolve) => setTimeout(resolve, 100));
    found = await locate(home);
  }
  if (found.kind === 'ours') return found;
  if (found.kind === 'starting')
    throw new KeygateError(
      'daemon.unavailable',
      `the daemon at ${found.url} did not become ready within ${READY_WITHIN_MS / 1000} s`,
    );
  if (found.kind === 'foreign') throw foreignDaemon(found.url, home);
  const local = !found.explicit && (await stat(homePaths(home).policy).catch(() => undefined)) !== undefined;
  if (!local)
    throw new KeygateError(
      'daemon.unavailable',
      `no keygate daemon answers at ${found.url ?? 'KEYGATE_PORT=0'} and ${home} holds no keygate.yaml to start one`,
    );
  return startDaemon(home, signal);
}

/** Longest answer to the hello accepted, and how long the daemon has to give it. */
const MAX_HELLO_ANSWER_BYTES = 4096;
const HELLO_ANSWER_WITHIN_MS = 5000;

type Hello =
  | { readonly kind: 'ok'; readonly socket: Socket; readonly rest: Buffer }
  | { readonly kind: 'refused'; readonly message: string }
  | { readonly kind: 'unreachable'; readonly reason: string };

/**
 * Connects to the daemon's local socket and says hello with the token. `unreachable` (no socket,
 * nobody listening, no sensible answer) means: use HTTP; `refused` is the daemon's own word.
 */
function hello(path: string, token: string): Promise<Hello> {
  return new Promise((resolve) => {
    const socket = connect(path);
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (outcome: Hello) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
      if (outcome.kind !== 'ok') socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(
      () => settle({ kind: 'unreachable', reason: `no answer within ${HELLO_ANSWER_WITHIN_MS / 1000} s` }),
      HELLO_ANSWER_WITHIN_MS,
    );
    const onError = (error: NodeJS.ErrnoException) =>
      settle({ kind: 'unreachable', reason: error.code ?? error.message });
    const onClose = () => settle({ kind: 'unreachable', reason: 'closed without an answer' });
    const onData = (chunk: Buffer) => {
      const end = chunk.indexOf(0x0a);
      chunks.push(end === -1 ? chunk : chunk.subarray(0, end));
      size += end === -1 ? chunk.length : end;
      if (size > MAX_HELLO_ANSWER_BYTES) return settle({ kind: 'unreachable', reason: 'an answer too long' });
      if (end === -1) return;
      socket.pause();
      let answer: { keygate?: unknown; error?: { message?: unknown } } | undefined;
      try {
        answer = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        answer = undefined;
      }
      if (answer?.keygate === 'ok') return settle({ kind: 'ok', socket, rest: chunk.subarray(end + 1) });
      const message = answer?.error?.message;
      if (answer?.keygate === 'error' && typeof message === 'string')
        return settle({ kind: 'refused', message: message.slice(0, 500) });
      settle({ kind: 'unreachable', reason: 'an answer that is not keygate' });
    };
    socket.on('data', onData);
    socket.on('error', onError);
    socket.once('close', onClose);
    socket.once('connect', () => socket.write(`${JSON.stringify({ keygate: 'hello', token })}\n`));
  });
}

/**
 * The client's input from its first byte: held while the daemon is found, then handed on whole
 * (to the socket, the HTTP bridge, or the answers of a failure).
 */
class ClientInput {
  private readonly chunks: Buffer[] = [];
  private onChunk: ((chunk: Buffer) => void) | undefined;
  ended = false;
  readonly closed: Promise<void>;

  constructor() {
    this.closed = new Promise((resolve) => {
      const end = () => {
        this.ended = true;
        resolve();
      };
      process.stdin.once('end', end);
      process.stdin.once('close', end);
    });
    process.stdin.on('data', (chunk: Buffer) => {
      if (this.onChunk) this.onChunk(chunk);
      else this.chunks.push(chunk);
    });
  }

  /** What was held, then every later chunk, goes to `sink`. */
  drainTo(sink: (chunk: Buffer) => void): void {
    for (const chunk of this.chunks.splice(0)) sink(chunk);
    this.onChunk = sink;
  }

  /** Stops reading: the process can exit. */
  stop(): void {
    process.stdin.pause();
    process.stdin.destroy();
  }
}

/** Pipes the client to the daemon's socket and back until either side ends. */
async function relay(input: ClientInput, socket: Socket, rest: Buffer): Promise<CommandOutput> {
  socket.on('error', (error: NodeJS.ErrnoException) => log(`local socket: ${error.code ?? error.message}`));
  // A client that went away (EPIPE) ends the relay, without a stack trace.
  process.stdout.on('error', () => socket.destroy());
  if (rest.length > 0) process.stdout.write(rest);
  socket.pipe(process.stdout);
  let held = false;
  input.drainTo((chunk) => {
    // Backpressure: a daemon slower than the client holds the client's input.
    if (!socket.write(chunk) && !held) {
      held = true;
      process.stdin.pause();
      socket.once('drain', () => {
        held = false;
        process.stdin.resume();
      });
    }
  });
  void input.closed.then(() => socket.end());
  socket.resume();
  const closed = await new Promise<'client' | 'daemon'>((resolve) => {
    socket.once('close', () => resolve(input.ended || process.stdout.destroyed ? 'client' : 'daemon'));
  });
  input.stop();
  if (closed === 'client') return { exitCode: 0 };
  log('the daemon closed the connection (it stopped, or the token was revoked or expired)');
  return { exitCode: 1 };
}

/** One JSON-RPC error line for each request in `text`'s complete lines; the unfinished rest is returned. */
function answerRequests(text: string, failure: string): string {
  const lines = text.split('\n');
  const rest = lines.pop() ?? '';
  for (const line of lines) {
    let message: { id?: unknown; method?: unknown } | undefined;
    try {
      message = JSON.parse(line);
    } catch {
      continue;
    }
    if (typeof message?.method !== 'string' || message.id === undefined) continue;
    const error = { code: -32603, message: `keygate: ${failure}` };
    process.stdout.write(`${JSON.stringify({ jsonrpc: '2.0', id: message.id, error })}\n`);
  }
  return rest;
}

/**
 * The bridge cannot serve: every request (held, and any that follows) is answered with the
 * reason, so the client shows it rather than "connection closed", until the client closes its
 * input; a client that only waits is told on stderr and gets the exit code.
 */
async function refuseAll(input: ClientInput, failure: string): Promise<CommandOutput> {
  log(failure);
  let partial = '';
  input.drainTo((chunk) => {
    partial = answerRequests(partial + chunk.toString('utf8'), failure);
  });
  await Promise.race([input.closed, new Promise((resolve) => setTimeout(resolve, 2000))]);
  input.stop();
  return { exitCode: 1 };
}

export async function stdioCommand(options: { home?: string }): Promise<CommandOutput> {
  const token = envValue('KEYGATE_TOKEN');
  if (!token)
    throw new KeygateError(
      'cli.usage',
      'set KEYGATE_TOKEN to the agent token (kg_…) in the MCP client configuration',
    );
  const home = resolveHome(options.home);
  const input = new ClientInput();

  // A client that leaves while the daemon starts stops the wait (the daemon keeps starting).
  const leaving = new AbortController();
  void input.closed.then(() => leaving.abort());
  let found: Found;
  try {
    found = await connectDaemon(home, leaving.signal);
  } catch (error) {
    if (input.ended) {
      input.stop();
      return { exitCode: 0 };
    }
    if (!isKeygateError(error)) throw error;
    // The daemon's own line already ends with its code.
    return refuseAll(
      input,
      /\[[a-z_]+\.[a-z_]+\]$/.test(error.message) ? error.message : `${error.message} [${error.code}]`,
    );
  }

  if (found.socket) {
    const greeted = await hello(found.socket, token);
    if (greeted.kind === 'ok') {
      log(`relaying to the daemon's local socket ${found.socket}`);
      return relay(input, greeted.socket, greeted.rest);
    }
    if (greeted.kind === 'refused')
      return refuseAll(input, `the daemon refused the token: ${greeted.message}`);
    // The daemon that wrote daemon.json listens on this socket for as long as it runs: one that
    // does not answer means that daemon is gone, and whatever answers at its URL now may be
    // anyone's. The token is not sent there.
    return refuseAll(
      input,
      `the daemon's local socket ${found.socket} does not answer (${greeted.reason}), so the daemon that recorded it in daemon.json is gone or stuck; nothing was sent over HTTP. Restart it (keygate serve), or set KEYGATE_URL to use a daemon over HTTP on purpose [daemon.unavailable]`,
    );
  }
  const { bridgeOverHttp } = await import('./stdio-http.js');
  log(`bridging to ${found.url}/mcp over HTTP`);
  const stream = new PassThrough();
  input.drainTo((chunk) => stream.write(chunk));
  void input.closed.then(() => stream.end());
  await bridgeOverHttp({ url: found.url, token, input: stream, log });
  input.stop();
  return { exitCode: 0 };
}

/**
 * The daemon's local socket: a Unix domain socket in the home folder (0600) that `keygate stdio`
 * relays its client's bytes to. A connection first says who it is in one line,
 * `{"keygate":"hello","token":"kg_…"}`, checked like the bearer token of /mcp; after the answer
 * `{"keygate":"ok"}` it speaks MCP's stdio framing. A refusal is one line,
 * `{"keygate":"error","error":{"code","message",…}}` (the body /mcp answers with), then close.
 */
import { chmod, lstat, rm } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { KeygateError } from '../errors/index.js';

/** Longest first line accepted, in bytes: a token and a little JSON around it. */
export const MAX_HELLO_BYTES = 4096;
/** How long a connection has to send its first line. */
export const HELLO_WITHIN_MS = 5000;
/** Longest socket path the platform takes (`sun_path` less its terminating NUL). */
const MAX_SOCKET_PATH_BYTES = process.platform === 'linux' ? 107 : 103;

/** What the first line is checked with: the identity of a good token, else the refusal to send. */
export type HelloCheck<I> = (
  token: string,
) => Promise<{ ok: true; identity: I } | { ok: false; error: KeygateError }>;

/** One JSON line of the hello exchange. */
function line(value: unknown): string {
  return `${JSON.stringify(value)}\n`;
}

function refuse(socket: Socket, error: KeygateError): void {
  socket.end(
    line({ keygate: 'error', error: { code: error.code, message: error.message, ...error.details } }),
  );
}

/**
 * Reads `socket`'s first line (bounded in size and time) and checks the token it carries. With a
 * good token, answers ok and hands the socket on with whatever followed the line put back;
 * otherwise answers with the refusal and closes.
 */
export function acceptHello<I>(
  socket: Socket,
  check: HelloCheck<I>,
  serve: (socket: Socket, identity: I) => void,
): void {
  const chunks: Buffer[] = [];
  let size = 0;
  const timer = setTimeout(() => {
    finish();
    refuse(socket, new KeygateError('request.invalid', `no hello line within ${HELLO_WITHIN_MS / 1000} s`));
  }, HELLO_WITHIN_MS);
  const finish = () => {
    clearTimeout(timer);
    socket.off('data', onData);
    socket.off('close', finish);
  };
  const onData = (chunk: Buffer) => {
    const end = chunk.indexOf(0x0a);
    chunks.push(end === -1 ? chunk : chunk.subarray(0, end));
    size += end === -1 ? chunk.length : end;
    if (size > MAX_HELLO_BYTES) {
      finish();
      return refuse(
        socket,
        new KeygateError('request.invalid', `the hello line is longer than ${MAX_HELLO_BYTES} bytes`),
      );
    }
    if (end === -1) return;
    finish();
    socket.pause();
    const rest = chunk.subarray(end + 1);
    void helloOutcome(Buffer.concat(chunks).toString('utf8'), check).then(
      (outcome) => {
        if (socket.destroyed) return;
        if (!outcome.ok) return refuse(socket, outcome.error);
        socket.write(line({ keygate: 'ok' }));
        if (rest.length > 0) socket.unshift(rest);
        serve(socket, outcome.identity);
        socket.resume();
      },
      () => refuse(socket, new KeygateError('internal', 'the token could not be checked')),
    );
  };
  socket.on('data', onData);
  socket.once('close', finish);
  socket.on('error', () => socket.destroy());
}

async function helloOutcome<I>(
  text: string,
  check: HelloCheck<I>,
): Promise<{ ok: true; identity: I } | { ok: false; error: KeygateError }> {
  let hello: unknown;
  try {
    hello = JSON.parse(text);
  } catch {
    hello = undefined;
  }
  const { keygate, token } = (hello ?? {}) as { keygate?: unknown; token?: unknown };
  if (typeof hello !== 'object' || Array.isArray(hello) || keygate !== 'hello')
    return {
      ok: false,
      error: new KeygateError(
        'request.invalid',
        'the first line must be {"keygate":"hello","token":"kg_..."} (this socket is for keygate stdio)',
      ),
    };
  if (typeof token !== 'string' || token === '')
    return {
      ok: false,
      error: new KeygateError('auth.unauthorized', 'an agent token is required (the hello line\'s "token")', {
        details: { reason: 'missing' },
      }),
    };
  return check(token);
}

export interface LocalSocket {
  readonly path: string;
  /** Stops accepting and removes the socket file; open connections stay. */
  stop(): Promise<void>;
  /** Destroys the connections still open (after their MCP servers were closed). */
  dropConnections(): void;
}

/** Whether something accepts connections on the socket at `path`. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

/**
 * Listens on `path` with mode 0600 from the start (the umask is narrowed while the socket file
 * is created). A socket file left by a dead daemon is removed first, after checking that nothing
 * answers on it. Returns `undefined`, with the reason logged, when there can be no socket here:
 * the path is too long for the platform, something else answers on it or holds the name.
 */
export async function listenLocal(
  path: string,
  onConnection: (socket: Socket) => void,
  log: (line: string) => void,
): Promise<LocalSocket | undefined> {
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) {
    log(
      `no local socket: ${path} is longer than the ${MAX_SOCKET_PATH_BYTES} bytes a socket path may have; keygate stdio uses HTTP`,
    );
    return undefined;
  }
  const existing = await lstat(path).catch(() => undefined);
  if (existing) {
    if (!existing.isSocket()) {
      log(`no local socket: ${path} exists and is not a socket; keygate stdio uses HTTP`);
      return undefined;
    }
    if (await answers(path)) {
      log(`no local socket: another process answers on ${path}; keygate stdio uses HTTP`);
      return undefined;
    }
    await rm(path, { force: true });
  }
  const open = new Set<Socket>();
  const server: Server = createServer((socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    onConnection(socket);
  });
  const listening = new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.once('listening', () => resolve());
  });
  // Binding a path is synchronous: the file exists, owner-only, before the umask is restored.
  const umask = process.umask(0o177);
  try {
    server.listen(path);
  } finally {
    process.umask(umask);
  }
  try {
    await listening;
    await chmod(path, 0o600);
  } catch (error) {
    server.close();
    log(`no local socket at ${path}: ${(error as Error).message}; keygate stdio uses HTTP`);
    return undefined;
  }
  let stopping: Promise<void> | undefined;
  return {
    path,
    stop() {
      // server.close() calls back only once every connection has ended: not waited for here.
      stopping ??= (async () => {
        server.close();
        await rm(path, { force: true });
      })();
      return stopping;
    },
    dropConnections() {
      for (const socket of open) socket.destroy();
      open.clear();
    },
  };
}

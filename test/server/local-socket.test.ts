/**
 * The daemon's local socket (what `keygate stdio` relays to): daemon.json names it and is never
 * seen half-written, the socket is owner-only, a connection must say hello with a good agent
 * token before any MCP, refusals are one line then close, and revoking a token closes its
 * connections. Raw bytes on the socket, as the relay sends them.
 */
import { lstat, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, startChild } from '../helpers/child.js';
import { ROOT, runInProcess } from '../helpers/cli.js';
import { type DaemonProcess, startDaemonProcess } from '../helpers/daemon-process.js';

const CANARY_TOKEN = 'kg_CANARYsocket000000000000000000000000000000';

/** A raw connection to the socket: every line it received, and whether the daemon closed it. */
interface Raw {
  readonly socket: Socket;
  lines(): unknown[];
  send(value: unknown): void;
  /** Resolves when `count` lines arrived (bounded). */
  waitLines(count: number): Promise<unknown[]>;
  /** Resolves when the connection is closed (bounded). */
  readonly closed: Promise<void>;
}

const BOUND_MS = 15_000;

async function open(path: string): Promise<Raw> {
  const socket = connect(path);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let text = '';
  const received: unknown[] = [];
  const waiters: (() => void)[] = [];
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
    for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n')) {
      received.push(JSON.parse(text.slice(0, end)));
      text = text.slice(end + 1);
    }
    for (const wake of waiters.splice(0)) wake();
  });
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the daemon did not close the connection')), BOUND_MS);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return {
    socket,
    lines: () => received,
    send: (value) => socket.write(`${typeof value === 'string' ? value : JSON.stringify(value)}\n`),
    async waitLines(count) {
      const deadline = Date.now() + BOUND_MS;
      while (received.length < count) {
        if (Date.now() > deadline || socket.destroyed)
          throw new Error(`expected ${count} lines, got ${JSON.stringify(received)}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
      return received;
    },
    closed,
  };
}

const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

describe('the daemon local socket', () => {
  let home: string;
  let daemon: DaemonProcess;
  let socketPath: string;
  let token: string;
  /** Every daemon.json read while the daemon started, and whether /healthz said ok just before it. */
  const reads: { healthy: boolean; text: string | undefined }[] = [];

  beforeAll(async () => {
    home = join(await mkdtemp(join(tmpdir(), 'keygate-sock-')), 'home');
    await runInProcess(['init', '--home', home]);
    await writeFile(
      join(home, 'keygate.yaml'),
      'services:\n  github: { spec: builtin:github, credential: github }\nagents:\n  bot:\n    tools: [github_repo_get]\n',
    );
    // A socket file left behind by a daemon that was killed: nothing answers on it.
    const listenAndDie = `require('net').createServer().listen(${JSON.stringify(join(home, 'daemon.sock'))}, () => process.kill(process.pid, 'SIGKILL'))`;
    const stale = await startChild(process.execPath, ['-e', listenAndDie], { timeoutMs: 20_000 }).exited;
    expect(stale.signal).toBe('SIGKILL');
    expect((await lstat(join(home, 'daemon.sock'))).isSocket()).toBe(true);

    // daemon.json polled while the daemon starts, /healthz just before each read: a port known
    // in advance (a free one, let go again) so that /healthz can be asked before daemon.json exists.
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as AddressInfo;
        probe.close(() => resolve(free));
      });
    });
    const child = startChild(join(ROOT, 'bin/keygate'), ['serve', '--port', String(port), '--home', home], {
      env: cleanEnv(),
      timeoutMs: 10 * 60_000,
    });
    const deadline = Date.now() + 60_000;
    for (;;) {
      const healthz = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
      const healthy = healthz?.status === 200;
      const text = await readFile(join(home, 'daemon.json'), 'utf8').catch(() => undefined);
      reads.push({ healthy, text });
      if (healthy) break;
      if (Date.now() > deadline || child.process.exitCode !== null)
        throw new Error(`the daemon did not start:\n${child.stderr()}`);
    }
    const info = JSON.parse(reads.at(-1)!.text!) as { url: string; socket: string };
    daemon = {
      url: info.url,
      child: child.process,
      log: () => child.stdout() + child.stderr(),
      stop: async () => (await child.stop('SIGTERM', 20_000)).code,
    };
    socketPath = info.socket;
    token = JSON.parse((await runInProcess(['agent', 'add', 'bot', '--home', home, '--json'])).stdout).token;
  }, 120_000);

  afterAll(async () => {
    if (daemon) await daemon.stop();
  });

  it('never shows daemon.json empty or partial while the daemon starts, and writes it before /healthz says ok', () => {
    expect(reads.length).toBeGreaterThan(0);
    for (const { healthy, text } of reads) {
      if (healthy) expect(text).toBeDefined();
      if (text === undefined) continue;
      const record = JSON.parse(text) as Record<string, unknown>;
      expect(Object.keys(record)).toEqual(expect.arrayContaining(['url', 'socket', 'pid', 'instance']));
    }
  });

  it('creates the socket owner-only (0600) where daemon.json says, replacing a stale one', async () => {
    expect(socketPath).toBe(join(home, 'daemon.sock'));
    const info = await stat(socketPath);
    expect(info.isSocket()).toBe(true);
    expect(info.mode & 0o777).toBe(0o600);
    expect(daemon.log()).toContain(`listening on ${daemon.url} and ${socketPath}`);
  });

  it('serves MCP after an ok to a good hello, in the same exchange as over HTTP', async () => {
    const raw = await open(socketPath);
    raw.send({ keygate: 'hello', token });
    raw.send(INITIALIZE);
    raw.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    raw.send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    const [ok, initialized, listed] = (await raw.waitLines(3)) as [
      unknown,
      { result: { serverInfo: { name: string } } },
      { result: { tools: { name: string }[] } },
    ];
    expect(ok).toEqual({ keygate: 'ok' });
    expect(initialized.result.serverInfo.name).toBe('keygate');
    expect(listed.result.tools.map((tool) => tool.name)).toEqual(['github_repo_get']);
    raw.socket.end();
    await raw.closed;
  });

  it('answers an unknown token with the message /mcp gives, and nothing else, then closes', async () => {
    const http = (await (
      await fetch(`${daemon.url}/mcp`, {
        method: 'POST',
        headers: { authorization: `Bearer ${CANARY_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(INITIALIZE),
      })
    ).json()) as { error: { message: string } };
    const raw = await open(socketPath);
    raw.send({ keygate: 'hello', token: CANARY_TOKEN });
    raw.send(INITIALIZE);
    await raw.closed;
    expect(raw.lines()).toEqual([
      {
        keygate: 'error',
        error: { code: 'auth.unauthorized', message: http.error.message, reason: 'invalid' },
      },
    ]);
    expect(JSON.stringify(raw.lines())).not.toContain(CANARY_TOKEN);
    expect(daemon.log()).not.toContain(CANARY_TOKEN);
  });

  it('refuses a revoked token, and closes the connections it has open', async () => {
    const minted = JSON.parse(
      (await runInProcess(['agent', 'token', 'bot', '--ttl', '1h', '--home', home, '--json'])).stdout,
    ) as { token: string; tokenId: string };
    const raw = await open(socketPath);
    raw.send({ keygate: 'hello', token: minted.token });
    raw.send(INITIALIZE);
    await raw.waitLines(2);
    const revoked = await runInProcess(['agent', 'revoke', minted.tokenId, '--home', home]);
    expect(revoked.code).toBe(0);
    await raw.closed;

    const again = await open(socketPath);
    again.send({ keygate: 'hello', token: minted.token });
    await again.closed;
    expect(again.lines()).toHaveLength(1);
    expect(again.lines()[0]).toMatchObject({
      keygate: 'error',
      error: { code: 'auth.unauthorized', reason: 'revoked' },
    });
  });

  it('closes a connection once its token expires, with no request needed', async () => {
    const minted = JSON.parse(
      (await runInProcess(['agent', 'token', 'bot', '--ttl', '3s', '--home', home, '--json'])).stdout,
    ) as { token: string };
    const raw = await open(socketPath);
    raw.send({ keygate: 'hello', token: minted.token });
    raw.send(INITIALIZE);
    await raw.waitLines(2);
    // Within the bound of `open`: the token is checked again every SOCKET_RECHECK_MS.
    await raw.closed;
  });

  it('ends a connection whose message grows past 4 MiB before its newline', async () => {
    const raw = await open(socketPath);
    raw.send({ keygate: 'hello', token });
    raw.send(INITIALIZE);
    await raw.waitLines(2);
    const chunk = 'x'.repeat(1024 * 1024);
    // Written without waiting: the daemon ends the connection part way, and later writes may fail.
    for (let i = 0; i < 6 && !raw.socket.destroyed; i++) raw.socket.write(i === 0 ? `{"a":"${chunk}` : chunk);
    await raw.closed;
    expect(raw.lines().at(-1)).toMatchObject({
      jsonrpc: '2.0',
      error: { code: -32600, message: expect.stringContaining('longer than 4194304 bytes') },
    });
  });

  it('refuses a seventeenth open connection of one token, and serves it again once one closes', async () => {
    const opened: Raw[] = [];
    for (let i = 0; i < 16; i++) {
      const raw = await open(socketPath);
      raw.send({ keygate: 'hello', token });
      raw.send(INITIALIZE);
      await raw.waitLines(2);
      opened.push(raw);
    }
    const extra = await open(socketPath);
    extra.send({ keygate: 'hello', token });
    await extra.closed;
    expect(extra.lines().at(-1)).toMatchObject({
      error: { message: expect.stringContaining('16 open connections') },
    });

    opened[0]!.socket.end();
    await opened[0]!.closed;
    const next = await open(socketPath);
    next.send({ keygate: 'hello', token });
    next.send(INITIALIZE);
    await next.waitLines(2);
    expect(next.lines()[1]).toMatchObject({ id: 1, result: { serverInfo: { name: 'keygate' } } });
    for (const raw of [...opened.slice(1), next]) raw.socket.end();
    await Promise.all([...opened.slice(1), next].map((raw) => raw.closed));
  });

  it.each([
    ['a line that is not JSON', 'GET / HTTP/1.1'],
    ['JSON-RPC instead of the hello', JSON.stringify(INITIALIZE)],
    ['a hello without a token', JSON.stringify({ keygate: 'hello' })],
    ['a first line longer than 4 KB', `{"keygate":"hello","token":"${'k'.repeat(5000)}"}`],
  ])('refuses %s with one error line, then closes', async (_what, line) => {
    const raw = await open(socketPath);
    raw.send(line);
    raw.send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    await raw.closed;
    expect(raw.lines()).toHaveLength(1);
    expect(raw.lines()[0]).toMatchObject({
      keygate: 'error',
      error: { code: expect.stringMatching(/^(request\.invalid|auth\.unauthorized)$/) },
    });
  });

  it('removes the socket and daemon.json when it stops', async () => {
    const raw = await open(socketPath);
    raw.send({ keygate: 'hello', token });
    raw.send(INITIALIZE);
    await raw.waitLines(2);
    expect(await daemon.stop()).toBe(0);
    // The drain closes the socket's sessions too.
    await raw.closed;
    await expect(lstat(socketPath)).rejects.toThrow();
    await expect(stat(join(home, 'daemon.json'))).rejects.toThrow();
  }, 30_000);
});

describe('a home whose path is too long for a socket', () => {
  let root: string;
  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('starts without a socket, says so, and keygate stdio bridges over HTTP', async () => {
    root = await mkdtemp(join(tmpdir(), 'keygate-long-'));
    const home = join(root, 'h'.repeat(100));
    await runInProcess(['init', '--home', home]);
    const daemon = await startDaemonProcess(home);
    try {
      expect(daemon.log()).toContain('no local socket');
      expect(JSON.parse(await readFile(join(home, 'daemon.json'), 'utf8')).socket).toBeUndefined();
      const token = JSON.parse((await runInProcess(['agent', 'add', 'bot', '--home', home, '--json'])).stdout)
        .token as string;
      const bridge = startChild(join(ROOT, 'bin/keygate'), ['stdio', '--home', home], {
        env: cleanEnv({ KEYGATE_TOKEN: token }),
        input: `${JSON.stringify(INITIALIZE)}\n`,
        timeoutMs: 30_000,
      });
      const { code } = await bridge.exited;
      expect(code).toBe(0);
      expect(bridge.stderr()).toContain(`bridging to ${daemon.url}/mcp over HTTP`);
    } finally {
      await daemon.stop();
    }
  }, 120_000);
});

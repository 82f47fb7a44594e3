/**
 * `keygate stdio` starts a daemon when none answers; two clients starting at once share one; a
 * daemon that cannot start, a refused token and another home's daemon are reported at once.
 */
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { afterAll, describe, expect, it } from 'vitest';
import { runChild, startChild, stdioTransport } from '../helpers/child.js';
import { ROOT, runInProcess } from '../helpers/cli.js';
import { BRIDGE_PATHS, bridgeVia } from '../helpers/daemon-process.js';

/** A client of `keygate stdio` with a clean environment; what it printed on stderr is kept. */
function stdioClient(home: string, env: Record<string, string>, stderr: string[]) {
  const transport = stdioTransport({
    command: join(ROOT, 'bin/keygate'),
    args: ['stdio', '--home', home],
    env: { PATH: process.env.PATH ?? '', ...env },
    stderr: 'pipe',
  });
  transport.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  return { transport, client: new Client({ name: 'stdio-test', version: '1' }) };
}

const INITIALIZE = `${JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
})}\n`;

describe('keygate stdio starting the daemon', () => {
  let home: string;
  let token: string;
  const clients: Client[] = [];

  afterAll(async () => {
    for (const client of clients) await client.close().catch(() => undefined);
    const info = await readFile(join(home, 'daemon.json'), 'utf8').catch(() => '');
    if (info) process.kill(JSON.parse(info).pid, 'SIGTERM');
  });

  it('starts one daemon for two clients that start at once', async () => {
    home = join(await mkdtemp(join(tmpdir(), 'keygate-autostart-')), 'home');
    await runInProcess(['init', '--home', home]);
    await writeFile(
      join(home, 'keygate.yaml'),
      'services:\n  github: { spec: builtin:github, credential: github }\nagents:\n  bot:\n    tools: [github_repo_get]\n',
    );
    token = JSON.parse((await runInProcess(['agent', 'add', 'bot', '--home', home, '--json'])).stdout).token;
    const stderr: string[] = [];
    const start = async () => {
      const transport = stdioTransport({
        command: join(ROOT, 'bin/keygate'),
        args: ['stdio', '--home', home],
        env: { PATH: process.env.PATH ?? '', KEYGATE_TOKEN: token, KEYGATE_PORT: '0' },
        stderr: 'pipe',
      });
      transport.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
      const client = new Client({ name: 'autostart', version: '1' });
      clients.push(client);
      await client.connect(transport);
      return (await client.listTools()).tools.map((t) => t.name);
    };
    const [a, b] = await Promise.all([start(), start()]);
    expect(a).toEqual(['github_repo_get']);
    expect(b).toEqual(['github_repo_get']);
    expect(stderr.join('')).toContain('started keygate serve');
    const pid = JSON.parse(await readFile(join(home, 'daemon.json'), 'utf8')).pid as number;
    const serving = async () =>
      (await runChild('ps', ['-eo', 'pid,args'], { timeoutMs: 10_000 })).stdout
        .split('\n')
        .filter((line) => line.includes(`serve --home ${home}`) && !line.includes('ps -eo'))
        .map((line) => Number(line.trim().split(/\s+/)[0]));
    // The daemon that lost the race for the store exits by itself; on a loaded machine it may
    // still be on its way out when both clients are already served by the winner.
    for (let i = 0; i < 100 && (await serving()).length > 1; i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(await serving()).toEqual([pid]);
    // init and two cold daemon starts: over a minute on a loaded machine.
  }, 180_000);

  it('reports a daemon that could not start at once, to the client and on stderr', async () => {
    // Something that is not keygate holds the port the daemon is configured for.
    const squatter: Server = createServer((_req, res) => res.writeHead(404).end());
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const port = (squatter.address() as AddressInfo).port;
    try {
      const other = join(await mkdtemp(join(tmpdir(), 'keygate-busy-')), 'home');
      await runInProcess(['init', '--home', other]);
      const stderr: string[] = [];
      const { client, transport } = stdioClient(
        other,
        { KEYGATE_TOKEN: 'kg_whatever', KEYGATE_PORT: String(port) },
        stderr,
      );
      const failure = await client.connect(transport).then(
        () => undefined,
        (error: Error) => error,
      );
      await client.close().catch(() => undefined);
      // The daemon's own reason, as soon as it exited: not "not ready within 30 s", not "Connection closed".
      expect(failure?.message).toContain(`the daemon it started exited with code 1`);
      expect(failure?.message).toContain(`cannot listen on 127.0.0.1:${port}: the address is in use`);
      expect(stderr.join('')).toContain(`cannot listen on 127.0.0.1:${port}`);
      expect(stderr.join('')).not.toContain('within 30 s');
    } finally {
      squatter.close();
    }
  }, 150_000);

  /** How `keygate stdio` reaches the daemon the first test started. */
  const via = async (path: (typeof BRIDGE_PATHS)[number]) =>
    bridgeVia(path, JSON.parse(await readFile(join(home, 'daemon.json'), 'utf8')).url);

  it.each(BRIDGE_PATHS)(
    'says that the daemon refused the token, and not that it is unreachable (%s)',
    async (path) => {
      const stderr: string[] = [];
      const { env } = await via(path);
      const { client, transport } = stdioClient(
        home,
        { KEYGATE_TOKEN: 'kg_not_a_real_token', ...env },
        stderr,
      );
      const failure = await client.connect(transport).then(
        () => undefined,
        (error: Error) => error,
      );
      await client.close().catch(() => undefined);
      expect(failure?.message).toContain('the daemon refused the token: ');
      expect(failure?.message).not.toContain('unreachable');
      expect(stderr.join('')).toContain('the daemon refused the token: ');
    },
    60_000,
  );

  it.each(BRIDGE_PATHS)(
    'exits 0, without a stack trace, when stdin closes right after initialize (%s)',
    async (path) => {
      const { env, says } = await via(path);
      const child = startChild(join(ROOT, 'bin/keygate'), ['stdio', '--home', home], {
        env: { PATH: process.env.PATH ?? '', KEYGATE_TOKEN: token, ...env },
        input: INITIALIZE,
        timeoutMs: 30_000,
      });
      const { code } = await child.exited;
      expect(child.timedOut()).toBe(false);
      expect(child.stderr()).not.toMatch(/Error|\n\s+at /);
      expect(child.stderr()).toContain(says);
      expect(code).toBe(0);
    },
    60_000,
  );

  it("refuses another home's daemon answering where this home's daemon.json points", async () => {
    const { url } = JSON.parse(await readFile(join(home, 'daemon.json'), 'utf8')) as { url: string };
    const other = join(await mkdtemp(join(tmpdir(), 'keygate-foreign-')), 'home');
    await runInProcess(['init', '--home', other]);
    // A daemon.json left by a daemon of this home that died; another home's daemon now answers there.
    await writeFile(join(other, 'daemon.json'), JSON.stringify({ url, pid: 1, instance: 'gone' }));
    const stderr: string[] = [];
    // The token is valid for the daemon that answers: it must not even be sent.
    const { client, transport } = stdioClient(other, { KEYGATE_TOKEN: token }, stderr);
    const failure = await client.connect(transport).then(
      () => undefined,
      (error: Error) => error,
    );
    await client.close().catch(() => undefined);
    expect(failure?.message).toContain(`the keygate daemon at ${url} serves another home`);
    expect(stderr.join('')).toContain('[daemon.foreign]');
    await expect(stat(join(other, 'daemon.log'))).rejects.toThrow();
  }, 150_000);
});

describe('keygate stdio and a daemon.json whose daemon is gone', () => {
  it('sends no token over HTTP when the local socket daemon.json names does not answer', async () => {
    const home = join(await mkdtemp(join(tmpdir(), 'keygate-gone-')), 'home');
    await runInProcess(['init', '--home', home]);
    // Whoever took the dead daemon's port answers /healthz with the instance id daemon.json records.
    const seen: (string | undefined)[] = [];
    const impostor: Server = createServer((req, res) => {
      seen.push(req.headers.authorization);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(req.url === '/healthz' ? { status: 'ok', instance: 'recorded' } : {}));
    });
    await new Promise<void>((resolve) => impostor.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(impostor.address() as AddressInfo).port}`;
      const socket = join(home, 'daemon.sock'); // no file: the daemon that made it is gone
      await writeFile(
        join(home, 'daemon.json'),
        JSON.stringify({ url, socket, pid: 1, instance: 'recorded' }),
      );
      const child = startChild(join(ROOT, 'bin/keygate'), ['stdio', '--home', home], {
        env: { PATH: process.env.PATH ?? '', KEYGATE_TOKEN: 'kg_CANARYgone000000000000000000000000000' },
        input: INITIALIZE,
        timeoutMs: 30_000,
      });
      const { code } = await child.exited;
      expect(child.timedOut()).toBe(false);
      expect(code).toBe(1);
      expect(child.stdout()).toContain('does not answer');
      expect(child.stderr()).toContain('[daemon.unavailable]');
      expect(seen.filter(Boolean)).toEqual([]);
      expect(child.stdout() + child.stderr()).not.toContain('kg_CANARYgone');
    } finally {
      await new Promise((resolve) => impostor.close(resolve));
    }
  }, 60_000);
});

/** `keygate serve` as a child process on loopback, as a user starts it, with its log kept. */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Client, type ClientOptions, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { ROOT } from './cli.js';

export interface DaemonProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything it printed so far. */
  log(): string;
  /** SIGTERM, and the exit code. */
  stop(): Promise<number | null>;
}

/** Starts a daemon on `home` and waits until /healthz answers at the URL in its daemon.json. */
export async function startDaemonProcess(
  home: string,
  env: Record<string, string> = {},
): Promise<DaemonProcess> {
  await rm(join(home, 'daemon.json'), { force: true });
  const child = spawn(join(ROOT, 'bin/keygate'), ['serve', '--port', '0', '--home', home], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout!.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const deadline = Date.now() + 60_000;
  let url = '';
  for (;;) {
    const info = await readFile(join(home, 'daemon.json'), 'utf8').catch(() => '');
    url = info ? (JSON.parse(info) as { url: string }).url : '';
    if (url && (await fetch(`${url}/healthz`).catch(() => undefined))?.status === 200) break;
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`the daemon did not start:\n${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    child,
    log: () => log,
    stop: async () => {
      if (child.exitCode !== null) return child.exitCode;
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/** An SDK v2 client connected to a daemon's /mcp as the agent holding `token`. */
export async function connectAgent(
  daemonUrl: string,
  token: string,
  name: string,
  options: ClientOptions = {},
): Promise<Client> {
  const client = new Client({ name, version: '1' }, options);
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${daemonUrl}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    }),
  );
  return client;
}

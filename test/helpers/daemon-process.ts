/** `keygate serve` as a child process on loopback, as a user starts it, with its log kept. */
import type { ChildProcess } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Client, type ClientOptions, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { cleanEnv, startChild } from './child.js';
import { ROOT } from './cli.js';

/** How long a daemon may run: a whole test file's worth; past it, it is killed. */
const DAEMON_LIFETIME_MS = 10 * 60_000;

export interface DaemonProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything it printed so far. */
  log(): string;
  /** SIGTERM, and the exit code (SIGKILL when it has not exited 20 s later). */
  stop(): Promise<number | null>;
}

/** Starts a daemon on `home` and waits until /healthz answers at the URL in its daemon.json. */
export async function startDaemonProcess(
  home: string,
  env: Record<string, string> = {},
): Promise<DaemonProcess> {
  await rm(join(home, 'daemon.json'), { force: true });
  const child = startChild(join(ROOT, 'bin/keygate'), ['serve', '--port', '0', '--home', home], {
    env: cleanEnv(env),
    timeoutMs: DAEMON_LIFETIME_MS,
  });
  const log = () => child.stdout() + child.stderr();
  const deadline = Date.now() + 60_000;
  let url = '';
  for (;;) {
    const info = await readFile(join(home, 'daemon.json'), 'utf8').catch(() => '');
    url = info ? (JSON.parse(info) as { url: string }).url : '';
    if (url && (await fetch(`${url}/healthz`).catch(() => undefined))?.status === 200) break;
    const exitCode = child.process.exitCode;
    if (Date.now() > deadline || exitCode !== null) {
      await child.stop('SIGKILL');
      const why = exitCode === null ? 'no answer within 60 s; killed' : `it exited with code ${exitCode}`;
      throw new Error(`the daemon did not start (${why}):\n${log()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    child: child.process,
    log,
    stop: async () => (await child.stop('SIGTERM', 20_000)).code,
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

/** The two ways `keygate stdio` reaches a local daemon: its local socket, or HTTP (KEYGATE_URL). */
export const BRIDGE_PATHS = ['socket', 'http'] as const;
export type BridgePath = (typeof BRIDGE_PATHS)[number];

/**
 * The environment that makes `keygate stdio` take `path` to the daemon at `url`, and the line it
 * prints on stderr when it did (KEYGATE_URL is taken as given, over HTTP).
 */
export function bridgeVia(path: BridgePath, url: string): { env: Record<string, string>; says: string } {
  return path === 'socket'
    ? { env: {}, says: "relaying to the daemon's local socket" }
    : { env: { KEYGATE_URL: url }, says: `bridging to ${url}/mcp over HTTP` };
}

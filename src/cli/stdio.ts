/**
 * `keygate stdio`: MCP over stdio for clients that launch a command, bridged to the daemon with
 * the agent's token (KEYGATE_TOKEN). Every message is forwarded both ways unchanged, requests
 * from the daemon to the client (elicitation) included. If no daemon answers and the home is
 * on this machine, one is started in the background.
 */
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import { envValue, homePaths, PACKAGE_ROOT, resolveHome } from '../config/index.js';
import { KeygateError } from '../errors/index.js';
import type { CommandOutput } from './output.js';
import { DEFAULT_PORT } from './serve.js';

const log = (line: string) => process.stderr.write(`keygate stdio: ${line}\n`);

async function healthy(url: string): Promise<boolean> {
  return fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1500) })
    .then((response) => response.ok)
    .catch(() => false);
}

/** The daemon's URL: KEYGATE_URL, else the home's daemon.json, else the default port. */
async function daemonUrl(home: string): Promise<{ url: string; explicit: boolean }> {
  const explicit = envValue('KEYGATE_URL');
  if (explicit) return { url: explicit.replace(/\/+$/, '').replace(/\/mcp$/, ''), explicit: true };
  const fromFile = await readFile(homePaths(home).daemon, 'utf8')
    .then((text) => (JSON.parse(text) as { url?: string }).url)
    .catch(() => undefined);
  return { url: fromFile ?? `http://127.0.0.1:${DEFAULT_PORT}`, explicit: false };
}

/** Starts `keygate serve` for `home` in the background and waits until it answers. */
async function startDaemon(home: string): Promise<string> {
  const paths = homePaths(home);
  const logFile = openSync(join(home, 'daemon.log'), 'a', 0o600);
  const child = spawn(process.execPath, [join(PACKAGE_ROOT, 'bin', 'keygate'), 'serve', '--home', home], {
    detached: true,
    stdio: ['ignore', logFile, logFile],
    env: process.env,
  });
  child.unref();
  log(`no daemon answered: started keygate serve (pid ${child.pid}, log ${join(home, 'daemon.log')})`);
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    // Two clients starting at once both try; the one that loses finds the winner's daemon.json.
    const { url } = await daemonUrl(home);
    if (await healthy(url)) return url;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new KeygateError(
    'daemon.unavailable',
    `the daemon did not become ready within 30 s; see ${join(paths.root, 'daemon.log')}`,
  );
}

export async function stdioCommand(options: { home?: string }): Promise<CommandOutput> {
  const token = envValue('KEYGATE_TOKEN');
  if (!token)
    throw new KeygateError(
      'cli.usage',
      'set KEYGATE_TOKEN to the agent token (kg_…) in the MCP client configuration',
    );
  const home = resolveHome(options.home);
  let { url, explicit } = await daemonUrl(home);
  if (!(await healthy(url))) {
    const local = !explicit && (await stat(homePaths(home).policy).catch(() => undefined)) !== undefined;
    if (!local) throw new KeygateError('daemon.unavailable', `no keygate daemon answers at ${url}`);
    url = await startDaemon(home);
  }

  const upstream = new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${token}` } },
  });
  const local = new StdioServerTransport();
  const initializeIds = new Set<string | number>();

  local.onmessage = (message: JSONRPCMessage) => {
    if ('method' in message && message.method === 'initialize' && 'id' in message)
      initializeIds.add(message.id);
    upstream.send(message).catch((error: Error) => {
      log(`could not forward to the daemon: ${error.message}`);
      if ('method' in message && 'id' in message) {
        void local.send({
          jsonrpc: '2.0',
          id: message.id,
          error: { code: -32603, message: `keygate daemon unreachable: ${error.message}` },
        });
      }
    });
  };
  upstream.onmessage = (message: JSONRPCMessage) => {
    // A 2025-era session pins its protocol version at initialize; the HTTP leg must send it after.
    if ('id' in message && initializeIds.has(message.id as string | number) && 'result' in message) {
      initializeIds.delete(message.id as string | number);
      const version = (message.result as { protocolVersion?: string }).protocolVersion;
      if (version) upstream.setProtocolVersion(version);
    }
    void local.send(message);
  };
  upstream.onerror = (error) => log(error.message);

  await upstream.start();
  await new Promise<void>((resolve) => {
    local.onclose = () => resolve();
    void local.start();
  });
  await upstream.close().catch(() => undefined);
  return { exitCode: 0 };
}

/**
 * The daemon: the only process that opens the store and holds the master key. It builds the
 * gateway over them and gives it one listener (/mcp for agents, /api for admin, /healthz),
 * records itself in daemon.json, and drains in-flight calls when closed. It reads no
 * environment: the command passes every value in.
 */
import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadCatalog } from '../catalog/index.js';
import { type HomePaths, homePaths, type KeygateCommand } from '../config/index.js';
import { KeygateError } from '../errors/index.js';
import { openStore } from '../store/index.js';
import { unseal } from '../vault/index.js';
import { buildGateway, type Gateway, VERSION } from './gateway.js';
import { type LocalSocket, listenLocal } from './local-socket.js';

export interface DaemonOptions {
  readonly home: string;
  readonly port: number;
  readonly host: string;
  /** Lines for the daemon's log (stderr). Never given a secret. */
  readonly log: (line: string) => void;
  /** DATABASE_URL: keep the store in PostgreSQL instead of the embedded PGlite. */
  readonly databaseUrl?: string;
  /** KEYGATE_DB_SCHEMA: the PostgreSQL schema of the store. */
  readonly schema?: string;
  /** KEYGATE_MASTER_KEY, when set. */
  readonly masterKey?: string;
  /** KEYGATE_PASSPHRASE, when set. */
  readonly passphrase?: string;
  /** Asks for the vault passphrase when the vault uses one. */
  readonly askPassphrase?: () => Promise<string>;
  /** How a human runs keygate here, for the approval hints sent to agents (default `keygate`). */
  readonly command?: KeygateCommand;
  /** How long SIGTERM waits for in-flight requests. */
  readonly drainMs?: number;
}

export interface Daemon {
  readonly url: string;
  /** The local socket `keygate stdio` relays to; `undefined` when there is none (see the log). */
  readonly socket: string | undefined;
  readonly paths: HomePaths;
  reloadPolicy(): Promise<unknown>;
  /** Stops accepting, drains in-flight requests (bounded), closes everything. */
  close(): Promise<void>;
}

/** Starts the daemon on an existing home. */
export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const paths = homePaths(options.home);
  const store = await openStore({
    home: paths.root,
    command: 'keygate serve',
    ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
    ...(options.schema ? { schema: options.schema } : {}),
  });
  try {
    const { vault } = await unseal(store, {
      paths,
      ...(options.masterKey ? { masterKey: options.masterKey } : {}),
      ...(options.passphrase ? { passphrase: options.passphrase } : {}),
      ...(options.askPassphrase ? { askPassphrase: options.askPassphrase } : {}),
    });
    let publicUrl = '';
    const gateway = await buildGateway({
      store,
      vault,
      catalog: await loadCatalog(),
      policy: paths.policy,
      log: options.log,
      host: options.host,
      publicUrl: () => publicUrl,
      ...(options.command ? { command: options.command } : {}),
    });
    // Until close() is returned, a failure stops what started: the approvals hold a LISTEN
    // connection, and the store cannot close while it is open.
    const giveUp = async (error: unknown, stop: { close(): Promise<void> }): Promise<never> => {
      await stop.close();
      vault.forgetCaches();
      throw error;
    };
    const listening = await listen(gateway, options).catch((error: unknown) => giveUp(error, gateway));
    publicUrl = listening.url;
    const local = await listenLocal(paths.socket, (socket) => gateway.serveLocal(socket), options.log).catch(
      (error: unknown) => giveUp(error, listening),
    );
    // daemon.json comes before /healthz says ok: whoever waits for the daemon finds it complete.
    await writeAtomically(paths.daemon, daemonRecord(listening.url, gateway.instance, local)).catch(
      async (error: unknown) => {
        await local?.stop();
        return giveUp(error, listening);
      },
    );
    listening.ready();
    let closing: Promise<void> | undefined;
    return {
      url: listening.url,
      socket: local?.path,
      paths,
      reloadPolicy: () => gateway.reloadPolicy(),
      close: () => {
        closing ??= (async () => {
          // No new connection on either listener; the socket's sessions close with the gateway.
          await local?.stop();
          await listening.close();
          local?.dropConnections();
          vault.forgetCaches();
          await rm(paths.daemon, { force: true });
          await store.close();
        })();
        return closing;
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}

/**
 * daemon.json: where this home's daemon answers (URL, and the local socket when there is one),
 * and the instance id its /healthz shows.
 */
function daemonRecord(url: string, instance: string, local: LocalSocket | undefined): string {
  const record = {
    url,
    ...(local ? { socket: local.path } : {}),
    pid: process.pid,
    instance,
    startedAt: new Date().toISOString(),
    version: VERSION,
  };
  return `${JSON.stringify(record)}\n`;
}

/** Writes `path` whole or not at all: a reader sees the old file, none, or the new one, never a part. */
async function writeAtomically(path: string, text: string): Promise<void> {
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, text, { mode: 0o600, flag: 'wx' });
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

interface Listening {
  readonly url: string;
  /** From now on /healthz says ok (before, 503 "starting": daemon.json is not written yet). */
  ready(): void;
  close(): Promise<void>;
}

/**
 * Serves the gateway on the daemon's address; closing stops accepting, waits for in-flight
 * requests (at most `drainMs`) and closes the gateway.
 */
async function listen(gateway: Gateway, options: DaemonOptions): Promise<Listening> {
  let inFlight = 0;
  let ready = false;
  const server: Server = createServer((req, res) => {
    // The URL must be known (port 0) before daemon.json can be written, so the listener is up
    // first; until the file is there, /healthz does not say ok.
    if (!ready && req.url === '/healthz') {
      res.writeHead(503, {
        'content-type': 'application/json',
        'cache-control': 'no-store',
        'retry-after': '1',
      });
      res.end(JSON.stringify({ status: 'starting', version: VERSION }));
      return;
    }
    // A 2025-era client's GET /mcp is a notification stream that lasts as long as its session,
    // not a call: the drain does not wait for it.
    if (req.method !== 'GET') {
      inFlight++;
      res.on('close', () => inFlight--);
    }
    gateway.handle(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  }).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE')
      throw new KeygateError(
        'daemon.unavailable',
        `cannot listen on ${options.host}:${options.port}: the address is in use (another keygate serve? choose --port)`,
      );
    throw error;
  });
  const address = server.address() as AddressInfo;
  const hostForUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${hostForUrl === '0.0.0.0' ? '127.0.0.1' : hostForUrl}:${address.port}`,
    ready: () => {
      ready = true;
    },
    close: async () => {
      server.close();
      await gateway.close(async () => {
        const deadline = Date.now() + (options.drainMs ?? 10_000);
        // HTTP requests, and tool calls over the local socket (which holds no HTTP request).
        while ((inFlight > 0 || gateway.callsRunning > 0) && Date.now() < deadline)
          await new Promise((resolve) => setTimeout(resolve, 25));
        server.closeAllConnections();
      });
    },
  };
}

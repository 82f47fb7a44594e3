/**
 * The daemon: the only process that opens the store and holds the master key. One listener
 * serves /mcp (agents), /api (admin), /healthz; it reloads policy on change or SIGHUP and drains
 * in-flight calls on SIGTERM.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { LocalAdmin } from '../admin/index.js';
import { type AgentIdentity, AgentRegistry, type TokenRefusal } from '../agents/index.js';
import { startApprovals } from '../approvals/index.js';
import { AuditLog } from '../audit/index.js';
import { loadCatalog } from '../catalog/index.js';
import { envValue, type HomePaths, homePaths, keygateCommand, PACKAGE_ROOT } from '../config/index.js';
import { isKeygateError, KeygateError } from '../errors/index.js';
import { Executor } from '../executor/index.js';
import { agentToolHandlers, createMcpHttpHandler, createMcpServer, type PipelineDeps } from '../mcp/index.js';
import { PolicyHolder, RateLimiter } from '../policy/index.js';
import { openStore, type Store } from '../store/index.js';
import { unseal } from '../vault/index.js';
import { handleAdmin } from './admin-api.js';
import { sendApprovalPage } from './approval-page.js';
import { sendHomePage } from './home-page.js';
import { sendError, sendJson } from './http-errors.js';
import { allowedHostnames, bearerToken, guardRequest } from './request-guard.js';

/** A 401: `reason` is missing, invalid, expired or revoked (details only for tokens keygate issued). */
function unauthorized(reason: 'missing' | TokenRefusal, message: string): KeygateError {
  return new KeygateError('auth.unauthorized', message, { details: { reason } });
}

export interface DaemonOptions {
  readonly home: string;
  readonly port: number;
  readonly host: string;
  /** Lines for the daemon's log (stderr). Never given a secret. */
  readonly log: (line: string) => void;
  /** Asks for the vault passphrase when the vault uses one. */
  readonly askPassphrase?: () => Promise<string>;
  /** How long SIGTERM waits for in-flight requests. */
  readonly drainMs?: number;
}

export interface Daemon {
  readonly url: string;
  readonly paths: HomePaths;
  reloadPolicy(): Promise<unknown>;
  /** Stops accepting, drains in-flight requests (bounded), closes everything. */
  close(): Promise<void>;
}

export const VERSION = (
  JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }
).version;

/** Starts the daemon on an existing home. */
export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const paths = homePaths(options.home);
  const databaseUrl = envValue('DATABASE_URL');
  const schema = envValue('KEYGATE_DB_SCHEMA');
  const store = await openStore({
    home: paths.root,
    command: 'keygate serve',
    ...(databaseUrl ? { databaseUrl } : {}),
    ...(schema ? { schema } : {}),
  });
  try {
    return await assemble(options, paths, store);
  } catch (error) {
    await store.close();
    throw error;
  }
}

async function assemble(options: DaemonOptions, paths: HomePaths, store: Store): Promise<Daemon> {
  const masterKey = envValue('KEYGATE_MASTER_KEY');
  const passphrase = envValue('KEYGATE_PASSPHRASE');
  const { vault } = await unseal(store, {
    paths,
    ...(masterKey ? { masterKey } : {}),
    ...(passphrase ? { passphrase } : {}),
    ...(options.askPassphrase ? { askPassphrase: options.askPassphrase } : {}),
  });
  const catalog = await loadCatalog();
  const policy = await PolicyHolder.load(paths.policy, catalog, store, options.log);
  const audit = new AuditLog(store);
  const agents = new AgentRegistry(store);
  const executor = new Executor({
    catalog,
    credentials: vault.credentialProvider(({ service }) => policy.current.credentialFor(service)),
    baseUrls: (service) => policy.current.baseUrlFor(service),
    userAgent: `keygate/${VERSION}`,
  });
  let publicUrl = '';
  const approvals = await startApprovals({
    store,
    audit,
    stateKey: vault.deriveKey('mcp request state'),
    pageUrl: (id) => `${publicUrl}/approvals/${encodeURIComponent(id)}`,
    command: keygateCommand(paths.root),
    onError: (error) => options.log(`approvals: ${(error as Error)?.message ?? 'unknown error'}`),
  });
  const deps: PipelineDeps = {
    catalog,
    policy: () => policy.current,
    rateLimiter: new RateLimiter(store),
    audit,
    executor,
    approvals: approvals.gate,
  };
  const mcp = createMcpHttpHandler<AgentIdentity>(
    (caller) => createMcpServer(agentToolHandlers(deps, caller), { name: 'keygate', version: VERSION }),
    { onerror: (error) => options.log(`mcp: ${error.message}`), log: options.log },
  );
  const admin = LocalAdmin.of({
    vault,
    agents,
    audit,
    approvals: approvals.book,
    catalog,
    policy: () => policy.current,
    reloadPolicy: () => policy.reload(),
    onRevoked: async (tokenIds) => {
      for (const id of tokenIds) await mcp.closeSessionsOf(id);
    },
    status: () => ({
      status: 'ok',
      version: VERSION,
      policyVersion: policy.current.version,
      store: store.kind,
      pid: process.pid,
    }),
  });

  // Written to daemon.json and shown by /healthz: `keygate stdio` tells this home's daemon from
  // another one answering at the same address (another checkout's, or after a stale daemon.json).
  const instance = randomUUID();
  const allowed = allowedHostnames(options.host);
  let inFlight = 0;
  const server: Server = createServer((req, res) => {
    // A 2025-era client's GET /mcp is a notification stream that lasts as long as its session,
    // not a call: the drain does not wait for it.
    if (req.method !== 'GET') {
      inFlight++;
      res.on('close', () => inFlight--);
    }
    void route(req, res).catch((error: unknown) => {
      // Only the error's kind is logged: an unexpected message could quote a request body.
      if (!isKeygateError(error))
        options.log(
          `internal error on ${req.method} ${req.url?.split('?')[0]}: ${(error as Error)?.name ?? 'unknown'}`,
        );
      sendError(res, error);
    });
  });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const refused = guardRequest(req, allowed);
    if (refused) throw new KeygateError('forbidden', refused);
    const url = new URL(req.url ?? '/', 'http://keygate');
    if (url.pathname === '/healthz')
      return sendJson(res, 200, {
        status: 'ok',
        version: VERSION,
        policyVersion: policy.current.version,
        instance,
      });
    if (url.pathname === '/' && (req.method === 'GET' || req.method === 'HEAD'))
      return sendHomePage(req, res, VERSION);
    // The approval page holds nothing: it asks for the admin token and then uses /api.
    if (req.method === 'GET' && url.pathname.startsWith('/approvals/'))
      return sendApprovalPage(res, url.pathname);
    const token = bearerToken(req);
    if (url.pathname === '/mcp') {
      if (!token) throw unauthorized('missing', 'an agent token is required (Authorization: Bearer kg_...)');
      const checked = await agents.check(token);
      if (!checked.ok) throw unauthorized(checked.reason, checked.message);
      return mcp.handle(req, res, checked.identity);
    }
    if (url.pathname.startsWith('/api/')) {
      if (!token)
        throw unauthorized(
          'missing',
          'the admin token is required (Authorization: Bearer kga_..., from admin.token in the keygate home)',
        );
      if (!(await agents.isAdmin(token))) {
        // An agent token is a valid identity, but never an admin: 403 tells it so.
        if ((await agents.authenticate(token)) !== undefined)
          throw new KeygateError('forbidden', 'agent tokens cannot use the admin API');
        throw unauthorized('invalid', 'the token is not the admin token (admin.token in the keygate home)');
      }
      return handleAdmin(req, res, url, admin);
    }
    throw new KeygateError('not_found', `no route ${url.pathname}`);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  }).catch(async (error: unknown) => {
    // The approvals hold a LISTEN connection; the store cannot close while it is open.
    await approvals.close();
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE')
      throw new KeygateError(
        'daemon.unavailable',
        `cannot listen on ${options.host}:${options.port}: the address is in use (another keygate serve? choose --port)`,
      );
    throw error;
  });
  const address = server.address() as AddressInfo;
  const hostForUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${hostForUrl === '0.0.0.0' ? '127.0.0.1' : hostForUrl}:${address.port}`;
  publicUrl = url;
  await writeFile(
    paths.daemon,
    `${JSON.stringify({ url, pid: process.pid, instance, startedAt: new Date().toISOString(), version: VERSION })}\n`,
    {
      mode: 0o600,
    },
  );
  policy.watch();
  const pruner = setInterval(() => void deps.rateLimiter.prune().catch(() => undefined), 3_600_000);
  pruner.unref();

  let closing: Promise<void> | undefined;
  return {
    url,
    paths,
    reloadPolicy: () => policy.reload(),
    close: () => {
      closing ??= (async () => {
        clearInterval(pruner);
        policy.close();
        server.close();
        // Calls waiting for an out-of-band decision answer "pending" now instead of holding the
        // drain; their approvals stay in the store.
        await approvals.close();
        const deadline = Date.now() + (options.drainMs ?? 10_000);
        while (inFlight > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
        server.closeAllConnections();
        await mcp.close();
        await audit.drain();
        await executor.close();
        vault.forgetCaches();
        await rm(paths.daemon, { force: true });
        await store.close();
      })();
      return closing;
    },
  };
}

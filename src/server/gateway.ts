/**
 * The gateway: everything that answers a request, wired from what the process opened (store,
 * vault, catalog) and the policy. It reads no environment and listens nowhere: the daemon gives
 * it a listener, and tests build it the same way behind their own.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Dispatcher } from 'undici';
import { LocalAdmin } from '../admin/index.js';
import { type AgentIdentity, AgentRegistry, type TokenRefusal } from '../agents/index.js';
import { type Approvals, startApprovals } from '../approvals/index.js';
import { AuditLog } from '../audit/index.js';
import { BudgetLedger } from '../budgets/index.js';
import type { PipelineDeps } from '../calls/index.js';
import type { Catalog } from '../catalog/index.js';
import { type KeygateCommand, VERSION } from '../config/index.js';
import { DASHBOARD_HEADERS, Dashboard } from '../dashboard/index.js';
import { isKeygateError, KeygateError } from '../errors/index.js';
import {
  type CredentialProvider,
  Executor,
  type ExecutorOptions,
  type ForwardLimits,
  HttpForwarder,
} from '../executor/index.js';
import { SecretScanner, type SecretSource, vaultSecrets } from '../guard/index.js';
import {
  agentToolHandlers,
  createMcpHttpHandler,
  createMcpServer,
  createMcpStreamHandler,
  type McpHttpHandler,
  type McpHttpOptions,
  type McpStreamHandler,
} from '../mcp/index.js';
import {
  type PolicyEngine,
  PolicyHolder,
  type PolicyState,
  RateLimiter,
  type ReloadResult,
} from '../policy/index.js';
import { guardedDispatcher } from '../proxy/index.js';
import type { Store } from '../store/index.js';
import type { Vault } from '../vault/index.js';
import { handleAdmin } from './admin-api.js';
import { sendError, sendJson } from './http-errors.js';
import { acceptHello } from './local-socket.js';
import { handleProxy } from './proxy-route.js';
import { allowedHostnames, bearerToken, guardRequest } from './request-guard.js';

export { VERSION };

/** The policy in force and how to read it again: the home's file (`PolicyHolder`), or a test's. */
export interface PolicySource {
  readonly current: PolicyEngine;
  /** When it was loaded and the last refused reload (a test's source may leave it out). */
  readonly state?: PolicyState;
  reload(): Promise<ReloadResult>;
}

export interface GatewayOptions {
  readonly store: Store;
  /** The unsealed vault: secrets for the admin API, the request-state key, each call's credential. */
  readonly vault: Vault;
  readonly catalog: Catalog;
  /** The policy file, kept in force (reloaded when it changes), or a source of the engine in force. */
  readonly policy: string | PolicySource;
  /** Lines for the log. Never given a secret. */
  readonly log: (line: string) => void;
  /** The host the listener is bound to: the names a request's Host and Origin may carry. */
  readonly host: string;
  /** The address clients reach the gateway at, once it listens (approval and sign-in links point to it). */
  readonly publicUrl: () => string;
  /** Prefixes a keygate command line in hints to humans (default `keygate`). */
  readonly command?: KeygateCommand;
  /** Credentials for upstream calls instead of the vault's (tests: canary values). */
  readonly credentials?: CredentialProvider;
  /** The secrets the outbound scan looks for instead of the vault's (tests: canary values). */
  readonly scanSecrets?: SecretSource;
  /** Upstream base URLs instead of the policy's `base_url` (tests: fake upstreams). */
  readonly baseUrls?: ExecutorOptions['baseUrls'];
  /** How long a call without a progress token waits out of band for a decision. */
  readonly silentWaitMs?: number;
  /** Bounds of proxied requests (defaults: DEFAULT_FORWARD_LIMITS). */
  readonly proxyLimits?: Partial<ForwardLimits>;
  /** Limits and clock of the /mcp sessions (defaults: the daemon's). */
  readonly mcp?: McpHttpOptions;
  /** The clock spend budgets read their UTC periods from (tests cross a day, week or month). */
  readonly budgetClock?: () => Date;
}

export interface Gateway {
  /** Shown at /healthz: `keygate stdio` tells this home's daemon from another at the same address. */
  readonly instance: string;
  /** Answers one request on any route; a failure becomes the JSON error body. */
  handle(req: IncomingMessage, res: ServerResponse): void;
  /**
   * Serves one connection of the local socket: its hello line's agent token is checked like
   * /mcp's bearer token, then it speaks MCP's stdio framing (see `local-socket.ts`).
   */
  serveLocal(socket: Socket): void;
  /** The /mcp endpoint behind the token check (its sessions). */
  readonly mcp: McpHttpHandler<AgentIdentity>;
  /** The local socket's MCP connections, each behind its hello's token check. */
  readonly stream: McpStreamHandler<AgentIdentity>;
  /** What every tool call runs with. */
  readonly calls: PipelineDeps;
  /** Tool calls being answered now, over either transport (what a stop waits for). */
  readonly callsRunning: number;
  readonly audit: AuditLog;
  readonly approvals: Approvals;
  readonly admin: LocalAdmin;
  readonly dashboard: Dashboard;
  readonly policy: PolicySource;
  reloadPolicy(): Promise<ReloadResult>;
  /**
   * Answers calls waiting out of band ("pending"; their approvals stay in the store), awaits
   * `drain` (the listener's in-flight requests), then closes sessions, flushes the audit queue
   * and upstream connections. The store and the vault stay open: they are the caller's.
   */
  close(drain?: () => Promise<void>): Promise<void>;
}

/** A 401: `reason` is missing, invalid, expired or revoked (details only for tokens keygate issued). */
function unauthorized(reason: 'missing' | TokenRefusal, message: string): KeygateError {
  return new KeygateError('auth.unauthorized', message, { details: { reason } });
}

/** How often a local-socket connection's token is checked again (HTTP checks every request). */
export const SOCKET_RECHECK_MS = 2000;

/**
 * Keeps checking the token a local-socket connection authenticated with, and closes the
 * connection once the token no longer passes: revoked through any daemon sharing the store (or
 * the offline CLI), expired, or its agent disabled. Over HTTP every request is checked; here
 * there is only the hello, so without this a connection would outlive its token.
 */
function closeWhenRefused(socket: Socket, stillValid: () => Promise<boolean>): void {
  const timer = setInterval(() => {
    void stillValid().then(
      (ok) => {
        if (!ok) socket.destroy();
      },
      () => undefined, // the store is unreachable: the calls themselves fail closed
    );
  }, SOCKET_RECHECK_MS);
  timer.unref();
  socket.once('close', () => clearInterval(timer));
}

/** The gateway's own listener, from the URL it answers at (none before it listens). */
function listenerOf(url: string): { address: string; port: number }[] {
  try {
    const { hostname, port, protocol } = new URL(url);
    return [
      { address: hostname.replace(/^\[|\]$/g, ''), port: Number(port) || (protocol === 'https:' ? 443 : 80) },
    ];
  } catch {
    return [];
  }
}

/** Wires the gateway; on failure whatever it started is stopped again. */
export async function buildGateway(options: GatewayOptions): Promise<Gateway> {
  const { store, vault, catalog, log } = options;
  const holder =
    typeof options.policy === 'string'
      ? await PolicyHolder.load(options.policy, catalog, store, log)
      : undefined;
  const policy: PolicySource = holder ?? (options.policy as PolicySource);
  const audit = new AuditLog(store);
  const agents = new AgentRegistry(store);
  const credentials =
    options.credentials ?? vault.credentialProvider(({ service }) => policy.current.credentialFor(service));
  const executor = new Executor({
    catalog,
    credentials,
    baseUrls: options.baseUrls ?? ((service) => policy.current.baseUrlFor(service)),
    selfAddresses: () => listenerOf(options.publicUrl()),
    userAgent: `keygate/${VERSION}`,
  });
  const approvals = await startApprovals({
    store,
    audit,
    stateKey: vault.deriveKey('mcp request state'),
    pageUrl: (id) => `${options.publicUrl()}/approvals/${encodeURIComponent(id)}`,
    ...(options.command ? { command: options.command } : {}),
    ...(options.silentWaitMs === undefined ? {} : { silentWaitMs: options.silentWaitMs }),
    onError: (error) => log(`approvals: ${(error as Error)?.message ?? 'unknown error'}`),
  }).catch(async (error: unknown) => {
    await executor.close();
    throw error;
  });
  const dispatchers = proxyDispatchers(() => listenerOf(options.publicUrl()));
  const forwarder = new HttpForwarder({
    credentials,
    dispatcherFor: dispatchers.dispatcherFor,
    ...(options.proxyLimits ? { limits: options.proxyLimits } : {}),
  });
  const ledger = new BudgetLedger(store, options.budgetClock);
  const calls: PipelineDeps = {
    catalog,
    policy: () => policy.current,
    rateLimiter: new RateLimiter(store),
    audit,
    executor,
    forwarder,
    approvals: approvals.gate,
    secretScan: new SecretScanner(options.scanSecrets ?? vaultSecrets(vault)),
    budgets: { ledger, sources: { catalog, executor } },
  };
  // Tool calls being answered now, over HTTP or the local socket: the daemon's drain waits for
  // them, so a stop does not cut off a call whose upstream request has already gone out.
  let callsRunning = 0;
  const serverFor = (caller: AgentIdentity) => {
    const handlers = agentToolHandlers(calls, caller);
    return createMcpServer(
      {
        ...handlers,
        call: async (name, args, exchange) => {
          callsRunning++;
          try {
            return await handlers.call(name, args, exchange);
          } finally {
            callsRunning--;
          }
        },
      },
      { name: 'keygate', version: VERSION },
    );
  };
  const mcp = createMcpHttpHandler<AgentIdentity>(serverFor, {
    onerror: (error) => log(`mcp: ${error.message}`),
    log,
    ...options.mcp,
  });
  const stream = createMcpStreamHandler<AgentIdentity>(serverFor, {
    onerror: (error) => log(`mcp (local socket): ${error.message}`),
  });
  const admin = LocalAdmin.of({
    vault,
    agents,
    audit,
    approvals: approvals.book,
    catalog,
    policy: () => policy.current,
    budgets: ledger,
    reloadPolicy: () => policy.reload(),
    onRevoked: async (tokenIds) => {
      for (const id of tokenIds) {
        await mcp.closeSessionsOf(id);
        await stream.closeSessionsOf(id);
      }
    },
    status: () => ({
      status: 'ok',
      version: VERSION,
      policyVersion: policy.current.version,
      store: store.kind,
      pid: process.pid,
    }),
  });

  const loadedAt = new Date().toISOString();
  const dashboard = new Dashboard({
    store,
    admin,
    approvals,
    audit,
    catalog,
    vault,
    rateLimiter: calls.rateLimiter,
    policy: () => policy.current,
    policyState: () => policy.state ?? { version: policy.current.version, loadedAt, rejected: null },
  });

  const instance = randomUUID();
  const route = router({
    dashboard,
    publicUrl: options.publicUrl,
    allowed: allowedHostnames(options.host),
    instance,
    policy,
    agents,
    mcp,
    admin,
    proxy: { agents, calls },
  });
  holder?.watch();
  const pruner = setInterval(() => {
    void calls.rateLimiter.prune().catch(() => undefined);
    void calls.budgets?.ledger.prune().catch(() => undefined);
    void dashboard.sessions.prune().catch(() => undefined);
  }, 3_600_000);
  pruner.unref();

  let closing: Promise<void> | undefined;
  return {
    instance,
    handle(req, res) {
      void route(req, res).catch((error: unknown) => {
        // Only the error's kind is logged: an unexpected message could quote a request body.
        if (!isKeygateError(error))
          log(
            `internal error on ${req.method} ${req.url?.split('?')[0]}: ${(error as Error)?.name ?? 'unknown'}`,
          );
        // A dashboard path's refusal carries the dashboard's headers too (no framing, no sniffing).
        sendError(res, error, Dashboard.handles(req.url?.split('?')[0] ?? '') ? DASHBOARD_HEADERS : {});
      });
    },
    serveLocal(socket) {
      acceptHello(
        socket,
        async (token) => {
          const checked = await agents.check(token);
          return checked.ok
            ? { ok: true, identity: { ...checked.identity, token } }
            : { ok: false, error: unauthorized(checked.reason, checked.message) };
        },
        (authenticated, { token, ...identity }) => {
          stream.serve(authenticated, identity);
          closeWhenRefused(authenticated, async () => (await agents.check(token)).ok);
        },
      );
    },
    mcp,
    stream,
    calls,
    get callsRunning() {
      return callsRunning;
    },
    audit,
    approvals,
    admin,
    dashboard,
    policy,
    reloadPolicy: () => policy.reload(),
    close(drain) {
      closing ??= (async () => {
        clearInterval(pruner);
        holder?.close();
        // Open dashboards' live streams never end by themselves: they would hold the drain.
        dashboard.close();
        // Calls waiting for an out-of-band decision answer "pending" now instead of holding the
        // drain; their approvals stay in the store.
        await approvals.close();
        await drain?.();
        await mcp.close();
        await stream.close();
        await audit.drain();
        await executor.close();
        await dispatchers.close();
      })();
      return closing;
    },
  };
}

interface Routed {
  readonly dashboard: Dashboard;
  /** The address the daemon answers at (sign-in links point to it). */
  readonly publicUrl: () => string;
  /** Hostnames a request's Host and Origin may name. */
  readonly allowed: ReturnType<typeof allowedHostnames>;
  readonly instance: string;
  readonly policy: PolicySource;
  readonly agents: AgentRegistry;
  readonly mcp: McpHttpHandler<AgentIdentity>;
  readonly admin: LocalAdmin;
  readonly proxy: Parameters<typeof handleProxy>[2];
}

/**
 * The SSRF guard's dispatchers for proxied requests, one per `private_ok` list (a policy reload
 * may bring new ones); each refuses keygate's own listener.
 */
function proxyDispatchers(selfAddresses: () => { address: string; port: number }[]): {
  dispatcherFor: (privateOk: readonly string[]) => Dispatcher;
  close: () => Promise<void>;
} {
  const made = new Map<string, Dispatcher>();
  return {
    dispatcherFor(privateOk) {
      const key = JSON.stringify([...privateOk].sort());
      let dispatcher = made.get(key);
      if (!dispatcher) {
        dispatcher = guardedDispatcher({ allowPrivateHosts: privateOk, selfAddresses });
        made.set(key, dispatcher);
      }
      return dispatcher;
    },
    async close() {
      await Promise.all([...made.values()].map((dispatcher) => dispatcher.close()));
      made.clear();
    },
  };
}

/** The routes: /healthz, the dashboard (a person's session), /mcp (agent token), /api/… (admin token). */
function router({ dashboard, publicUrl, allowed, instance, policy, agents, mcp, admin, proxy }: Routed) {
  return async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
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
    if (Dashboard.handles(url.pathname)) return dashboard.handle(req, res, url);
    // The proxy finds the agent's token in whichever slot its SDK puts the upstream key.
    if (url.pathname.startsWith('/proxy/')) return handleProxy(req, res, proxy);
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
      // A sign-in link is bound to the admin token that asked for it, which only this route sees.
      if (url.pathname === '/api/dashboard/link' && req.method === 'POST') {
        const link = await dashboard.sessions.createLink(token);
        if (!link) throw unauthorized('invalid', 'the token is not the admin token');
        return sendJson(res, 200, {
          url: `${publicUrl()}/login#code=${link.code}`,
          expiresAt: link.expiresAt,
        });
      }
      return handleAdmin(req, res, url, admin);
    }
    throw new KeygateError('not_found', `no route ${url.pathname}`);
  };
}

/**
 * The daemon's gateway in this process, for approval tests: built by `buildGateway` as the
 * daemon builds it (real pipeline, policy engine, approvals and audit on a real PGlite store,
 * with the fake upstreams and canary credentials), behind a test listener on 127.0.0.1 that
 * takes bearer token `tok-<agent>` as agent `<agent>`; clients are real SDK v2 clients of the
 * era and capabilities each test asks for.
 */
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect, createServer as createNetServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { AgentIdentity } from '../../src/agents/index.js';
import type { Approvals } from '../../src/approvals/index.js';
import type { AuditLog } from '../../src/audit/index.js';
import type { PipelineDeps } from '../../src/calls/index.js';
import type { Catalog } from '../../src/catalog/index.js';
import type { CredentialProvider } from '../../src/executor/index.js';
import type { SecretSource } from '../../src/guard/index.js';
import type { McpHttpHandler, McpHttpOptions } from '../../src/mcp/index.js';
import { PolicyEngine, parsePolicy } from '../../src/policy/index.js';
import {
  type Gateway as BuiltGateway,
  buildGateway,
  type GatewayOptions,
  type PolicySource,
} from '../../src/server/index.js';
import { CANARY_CREDENTIALS, type Harness, startHarness } from './harness.js';
import { SocketClientTransport } from './socket-transport.js';
import { freshVault, PGLITE_BACKEND, type TestStore } from './stores.js';

/** What a test may set of the gateway's options; the rest are the test's store, vault and catalog. */
export type TestGatewayOptions = Partial<Omit<GatewayOptions, 'store' | 'vault' | 'catalog' | 'policy'>>;

/**
 * The gateway over `t` with a fresh vault, as the daemon builds it but without a listener.
 * A string `policy` is the policy file's text, written to the store's home and loaded from there.
 */
export async function buildTestGateway(
  t: TestStore,
  catalog: Catalog,
  policy: string | PolicySource,
  options: TestGatewayOptions = {},
): Promise<BuiltGateway> {
  let file: string | undefined;
  if (typeof policy === 'string') {
    file = join(t.home, 'keygate.yaml');
    await writeFile(file, policy);
  }
  return buildGateway({
    store: t.store,
    vault: await freshVault(t.store),
    catalog,
    policy: file ?? (policy as PolicySource),
    log: () => {},
    host: '127.0.0.1',
    publicUrl: () => 'http://127.0.0.1:1',
    ...options,
  });
}

export type Era = '2025-06-18' | '2025-11-25' | '2026-07-28';

export interface ClientOptions {
  readonly era?: Era;
  /** Declared elicitation modes; none declares no elicitation capability at all. */
  readonly elicitation?: { form?: boolean; url?: boolean };
  /** Answers elicitation/create (for 2026-07-28 clients: the embedded requests). */
  readonly onElicit?: (params: ElicitParams) => Promise<Record<string, unknown>> | Record<string, unknown>;
  /** Wraps the transport's fetch, to watch or tamper with what goes on the wire. */
  readonly fetch?: typeof fetch;
  /**
   * How the client reaches the gateway: /mcp over HTTP (default), or MCP's stdio framing on a
   * stream as the daemon's local socket serves it after the hello (what `keygate stdio` relays).
   */
  readonly over?: 'http' | 'socket';
}

export interface ElicitParams {
  readonly mode?: string;
  readonly message: string;
  readonly url?: string;
  readonly requestedSchema?: unknown;
}

export interface Gateway {
  readonly url: string;
  readonly harness: Harness;
  readonly store: TestStore;
  readonly audit: AuditLog;
  readonly approvals: Approvals;
  readonly deps: PipelineDeps;
  /** The /mcp handler (its sessions). */
  readonly mcp: McpHttpHandler<AgentIdentity>;
  /** Replaces the policy in force (as a reload would). */
  setPolicy(yaml: string): PolicyEngine;
  connect(agent: string, options?: ClientOptions): Promise<Client>;
  close(): Promise<void>;
}

/** A policy source whose policy is whatever `current()` returns now: tests swap it with no file to read. */
export function policySourceOf(current: () => PolicyEngine): PolicySource {
  return {
    get current() {
      return current();
    },
    reload: async () => ({ ok: true, version: current().version, changed: false, problems: [] }),
  };
}

export async function startGateway(
  policyYaml: string,
  options: {
    silentWaitMs?: number;
    mcp?: McpHttpOptions;
    /** Credentials in place of the canary ones (a vault's), and base URLs over the fakes'. */
    credentials?: CredentialProvider;
    baseUrls?: Readonly<Record<string, string>>;
    scanSecrets?: SecretSource;
  } = {},
): Promise<Gateway> {
  const harness = await startHarness();
  const store = await PGLITE_BACKEND.fresh();
  let engine = compile(policyYaml);
  function compile(yaml: string): PolicyEngine {
    const parsed = parsePolicy(yaml, harness.catalog);
    if (!parsed.ok) throw new Error(`bad test policy: ${JSON.stringify(parsed.problems)}`);
    return new PolicyEngine(parsed.policy, harness.catalog);
  }
  // Replaced at once by setPolicy, with no file to read.
  const policy = policySourceOf(() => engine);
  let base = '';
  const gateway = await buildTestGateway(store, harness.catalog, policy, {
    publicUrl: () => base,
    credentials: options.credentials ?? CANARY_CREDENTIALS,
    baseUrls: { ...harness.baseUrls, ...options.baseUrls },
    ...(options.silentWaitMs === undefined ? {} : { silentWaitMs: options.silentWaitMs }),
    ...(options.mcp ? { mcp: options.mcp } : {}),
    ...(options.scanSecrets ? { scanSecrets: options.scanSecrets } : {}),
  });
  const { mcp } = gateway;
  const server: Server = createServer((req, res) => {
    const token = /^Bearer tok-([a-z0-9-]+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!token) {
      res.writeHead(401).end();
      return;
    }
    void mcp
      .handle(req, res, { agent: token, tokenId: `t-${token}`, tools: null, expiresAt: null })
      .catch(() => {
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clients: Client[] = [];

  return {
    url: base,
    harness,
    store,
    audit: gateway.audit,
    approvals: gateway.approvals,
    deps: gateway.calls,
    mcp,
    setPolicy(yaml) {
      engine = compile(yaml);
      return engine;
    },
    async connect(agent, options = {}) {
      const era = options.era ?? '2025-11-25';
      const modes = options.elicitation;
      const client = new Client(
        { name: `test-${era}`, version: '1' },
        {
          capabilities: modes
            ? { elicitation: { ...(modes.form ? { form: {} } : {}), ...(modes.url ? { url: {} } : {}) } }
            : {},
          ...(era === '2026-07-28'
            ? { versionNegotiation: { mode: { pin: '2026-07-28' } } }
            : { supportedProtocolVersions: [era] }),
        },
      );
      if (modes) {
        client.setRequestHandler('elicitation/create', async (request) => {
          const answer = await (options.onElicit ?? (() => ({ action: 'cancel' })))(
            request.params as unknown as ElicitParams,
          );
          return answer as never;
        });
      }
      if (options.over === 'socket') {
        // A connected pair: one end served as the local socket serves an authenticated client.
        const [ours, theirs] = await socketPair();
        gateway.stream.serve(theirs, { agent, tokenId: `t-${agent}`, tools: null, expiresAt: null });
        await client.connect(new SocketClientTransport(ours));
      } else {
        await client.connect(
          new StreamableHTTPClientTransport(new URL(`${base}/mcp`), {
            requestInit: { headers: { authorization: `Bearer tok-${agent}` } },
            ...(options.fetch ? { fetch: options.fetch } : {}),
          }),
        );
      }
      clients.push(client);
      return client;
    },
    async close() {
      for (const client of clients) await client.close().catch(() => undefined);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await gateway.close(async () => server.closeAllConnections());
      await closed;
      await harness.close();
      await store.dispose();
    },
  };
}

/** Two connected sockets, over a loopback TCP listener that accepts just the one connection. */
async function socketPair(): Promise<[Socket, Socket]> {
  const listener = createNetServer();
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const accepted = new Promise<Socket>((resolve) => listener.once('connection', resolve));
  const ours = connect((listener.address() as AddressInfo).port, '127.0.0.1');
  const theirs = await accepted;
  listener.close();
  return [ours, theirs];
}

/** The pending approval of `agent` on `gw`, once its call has asked for one (5 s at most). */
export async function pendingApprovalOf(gw: Gateway, agent: string) {
  for (let i = 0; i < 200; i++) {
    const [approval] = await gw.approvals.book.list({ agent, status: 'pending' });
    if (approval) return approval;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`no pending approval for ${agent}`);
}

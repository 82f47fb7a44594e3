/**
 * The whole gateway in this process, behind its own router as the daemon serves it (dashboard,
 * /api, /mcp with real agent tokens), on a real PGlite store with the fake upstreams and canary
 * credentials. For the dashboard's tests: sign-in, sessions, the authorisation matrix, and the
 * browser flows.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { createAdminToken } from '../../src/agents/index.js';
import type { Gateway } from '../../src/server/index.js';
import { buildTestGateway } from '../helpers/gateway.js';
import { CANARY_CREDENTIALS, type Harness, startHarness } from '../helpers/harness.js';
import { PGLITE_BACKEND, type TestStore } from '../helpers/stores.js';

export interface DashboardGateway {
  readonly url: string;
  readonly gateway: Gateway;
  readonly harness: Harness;
  readonly store: TestStore;
  readonly adminToken: string;
  /** Registers `agent` and returns its token. */
  addAgent(agent: string): Promise<string>;
  /** An SDK client of `token` on /mcp. */
  connect(token: string): Promise<Client>;
  /** A session cookie (`keygate_session=…`), its CSRF token and action key, signed in with the admin token. */
  signIn(): Promise<{ cookie: string; csrf: string; actionKey: string }>;
  close(): Promise<void>;
}

export async function startDashboardGateway(policy: string): Promise<DashboardGateway> {
  const harness = await startHarness();
  const store = await PGLITE_BACKEND.fresh();
  const adminToken = await createAdminToken(store.store);
  let base = '';
  const gateway = await buildTestGateway(store, harness.catalog, policy, {
    publicUrl: () => base,
    credentials: CANARY_CREDENTIALS,
    baseUrls: harness.baseUrls,
    silentWaitMs: 30_000,
  });
  const server: Server = createServer((req, res) => gateway.handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clients: Client[] = [];
  return {
    url: base,
    gateway,
    harness,
    store,
    adminToken,
    addAgent: async (agent) => (await gateway.admin.addAgent(agent)).token,
    async connect(token) {
      const client = new Client({ name: 'dashboard-test', version: '1' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`${base}/mcp`), {
          requestInit: { headers: { authorization: `Bearer ${token}` } },
        }),
      );
      clients.push(client);
      return client;
    },
    async signIn() {
      const signedIn = await gateway.dashboard.sessions.signIn(adminToken);
      if (!signedIn) throw new Error('the admin token did not sign in');
      return {
        cookie: `keygate_session=${signedIn.cookie}`,
        csrf: signedIn.session.csrf,
        actionKey: signedIn.actionKey,
      };
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

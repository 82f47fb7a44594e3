/** Wires fakes, the catalog, the executor and an MCP client together for tests. */
import { Client, InMemoryTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { type Catalog, loadCatalog } from '../../src/catalog/index.js';
import {
  bearerCredential,
  Executor,
  type ExecutorOptions,
  staticCredentialProvider,
} from '../../src/executor/index.js';
import { type FakeService, type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.js';
import { createToolServer } from './tool-server.js';

/** Canary credentials: none of these may ever appear in anything keygate returns. */
export const CANARY = {
  github: 'ghp_CANARYgithub0000000000000000000000001',
  stripe: 'sk_test_CANARYstripe000000000000000000000002',
  notion: 'ntn_CANARYnotion00000000000000000000000003',
} as const;

/** The canary credentials of the three services, as the vault would give them. */
export const CANARY_CREDENTIALS = staticCredentialProvider({
  github: bearerCredential('github', CANARY.github),
  stripe: bearerCredential('stripe', CANARY.stripe),
  notion: bearerCredential('notion', CANARY.notion),
});

export interface Harness {
  readonly catalog: Catalog;
  readonly fakes: Record<FakeService, FakeUpstream>;
  readonly executor: Executor;
  /** The fakes' addresses, as base URL overrides. */
  readonly baseUrls: Readonly<Record<FakeService, string>>;
  /** Every credential value a test must never see in output. */
  readonly secrets: readonly string[];
  resetFakes(): void;
  close(): Promise<void>;
}

/** Starts the three fakes and an executor pointed at them with canary credentials. */
export async function startHarness(options: Partial<ExecutorOptions> = {}): Promise<Harness> {
  const catalog = await loadCatalog();
  const fakes = {
    github: await startFakeUpstream('github', CANARY.github),
    stripe: await startFakeUpstream('stripe', CANARY.stripe),
    notion: await startFakeUpstream('notion', CANARY.notion),
  };
  const baseUrls = { github: fakes.github.url, stripe: fakes.stripe.url, notion: fakes.notion.url };
  const executor = new Executor({ catalog, credentials: CANARY_CREDENTIALS, baseUrls, ...options });
  return {
    catalog,
    fakes,
    executor,
    baseUrls,
    secrets: Object.values(CANARY),
    resetFakes: () => {
      for (const fake of Object.values(fakes)) fake.reset();
    },
    close: async () => {
      await executor.close();
      await Promise.all(Object.values(fakes).map((fake) => fake.close()));
    },
  };
}

/** An SDK v2 client connected in memory to a keygate tool server over `catalog`. */
export async function connectClient(harness: Harness, catalog: Catalog = harness.catalog): Promise<Client> {
  const server = createToolServer({ catalog, executor: harness.executor });
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await server.connect(serverTransport);
  const client = new Client({ name: 'keygate-test', version: '1.0.0' });
  await client.connect(clientTransport);
  return client;
}

/**
 * A harness and an SDK client connected to it for the enclosing `describe`: started before its
 * tests, closed after them, the fakes' records cleared before each test. Read `harness` and
 * `client` inside tests (they are set once the block starts).
 */
export function useHarnessClient(): { readonly harness: Harness; readonly client: Client } {
  const context = {} as { harness: Harness; client: Client };
  beforeAll(async () => {
    context.harness = await startHarness();
    context.client = await connectClient(context.harness);
  });
  afterAll(async () => {
    await context.client?.close();
    await context.harness?.close();
  });
  beforeEach(() => context.harness.resetFakes());
  return context;
}

/** Fails the test if any secret appears in `value` (serialised). */
export function assertNoSecrets(value: unknown, secrets: readonly string[]): void {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  for (const secret of secrets) {
    if (text.includes(secret)) throw new Error('a canary secret leaked into output');
  }
}

/**
 * A gateway as the daemon builds it, over a real vault (a fresh PGlite store, a generated master
 * key): on 127.0.0.1, with one agent, its token, and an MCP client connected as that agent. For
 * tests of secret kinds end to end (the tool path and the proxy path with the vault's credentials).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { Catalog } from '../../src/catalog/index.js';
import { PolicyEngine, parsePolicy } from '../../src/policy/index.js';
import { buildGateway, type Gateway } from '../../src/server/index.js';
import { MasterKey, type SetSecretInput, Vault, type VaultOptions } from '../../src/vault/index.js';
import { policySourceOf } from './gateway.js';
import { PGLITE_BACKEND, type TestStore } from './stores.js';

export interface VaultGateway {
  readonly t: TestStore;
  readonly vault: Vault;
  readonly gateway: Gateway;
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly agentToken: string;
  /** An MCP client connected as the agent. */
  readonly mcp: Client;
  /** What the gateway logged. */
  readonly logged: string[];
  close(): Promise<void>;
}

export async function startVaultGateway(options: {
  readonly policy: string;
  readonly catalog: Catalog;
  readonly agent: string;
  readonly secrets: readonly SetSecretInput[];
  readonly vault?: VaultOptions;
}): Promise<VaultGateway> {
  const parsed = parsePolicy(options.policy, options.catalog);
  if (!parsed.ok) throw new Error(`bad test policy: ${JSON.stringify(parsed.problems)}`);
  const engine = new PolicyEngine(parsed.policy, options.catalog);
  const t = await PGLITE_BACKEND.fresh();
  const key = MasterKey.generate();
  await Vault.initialize(t.store, key);
  const vault = await Vault.unlock(t.store, key, options.vault);
  for (const secret of options.secrets) await vault.set(secret);
  const logged: string[] = [];
  let url = '';
  const gateway = await buildGateway({
    store: t.store,
    vault,
    catalog: options.catalog,
    policy: policySourceOf(() => engine),
    log: (line) => logged.push(line),
    host: '127.0.0.1',
    publicUrl: () => url,
  });
  const server: Server = createServer((req, res) => gateway.handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const agentToken = (await gateway.admin.addAgent(options.agent)).token;
  const mcp = new Client({ name: 'vault-gateway-test', version: '1' }, {});
  await mcp.connect(
    new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${agentToken}` } },
    }),
  );
  return {
    t,
    vault,
    gateway,
    url,
    agentToken,
    mcp,
    logged,
    async close() {
      await mcp.close().catch(() => undefined);
      server.close();
      await gateway.close(async () => server.closeAllConnections());
      await vault.close();
      await t.dispose();
    },
  };
}

/**
 * The gateway apart from the process: built in this process over a PGlite store, served by a
 * listener of the test's; and the daemon, which takes its values from the command, not from the
 * environment.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog/index.js';
import { isKeygateError } from '../../src/errors/index.js';
import { type Gateway, startDaemon } from '../../src/server/index.js';
import { runInProcess } from '../helpers/cli.js';
import { buildTestGateway } from '../helpers/gateway.js';
import { PGLITE_BACKEND, type TestStore } from '../helpers/stores.js';

const POLICY =
  'services:\n  github: { spec: builtin:github, credential: github }\nagents:\n  bot:\n    tools: []\n';

describe('the gateway, built without a daemon', () => {
  let t: TestStore;
  let gateway: Gateway;
  let server: Server;
  let url: string;
  const log: string[] = [];

  beforeAll(async () => {
    t = await PGLITE_BACKEND.fresh();
    gateway = await buildTestGateway(t, await loadCatalog(['github']), POLICY, {
      log: (line) => log.push(line),
      publicUrl: () => url,
    });
    server = createServer((req, res) => gateway.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.close();
    await gateway.close(async () => server.closeAllConnections());
    await t.dispose();
  });

  it('answers /healthz with its instance id and the policy version of the file it was given', async () => {
    const response = await fetch(`${url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      status: 'ok',
      instance: gateway.instance,
      policyVersion: gateway.policy.current.version,
    });
  });

  it('refuses /mcp without a token and names no route it does not have', async () => {
    const mcp = await fetch(`${url}/mcp`, { method: 'POST', body: '{}' });
    expect(mcp.status).toBe(401);
    expect(await mcp.json()).toMatchObject({ error: { code: 'auth.unauthorized' } });
    const missing = await fetch(`${url}/nowhere`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'not_found' } });
    expect(log).toEqual([]);
  });

  it('reloads its policy file on demand', async () => {
    expect(await gateway.reloadPolicy()).toMatchObject({ ok: true, changed: false });
  });
});

describe('the daemon', () => {
  let home: string;
  beforeAll(async () => {
    home = join(await mkdtemp(join(tmpdir(), 'keygate-gateway-')), 'home');
    expect((await runInProcess(['init', '--home', home])).code).toBe(0);
  }, 120_000);

  it('unseals with the master key it is given (not the environment), and releases the store when that fails', async () => {
    const wrong = randomBytes(32).toString('base64');
    const failed = await startDaemon({
      home,
      port: 0,
      host: '127.0.0.1',
      log: () => {},
      masterKey: wrong,
    }).catch((error: unknown) => error);
    expect(isKeygateError(failed, 'vault.wrong_master_key')).toBe(true);
    // The store was closed: a daemon with the home's own key (master.key) opens it.
    const daemon = await startDaemon({ home, port: 0, host: '127.0.0.1', log: () => {} });
    const health = await fetch(`${daemon.url}/healthz`);
    expect(health.status).toBe(200);
    await daemon.close();
  }, 120_000);
});

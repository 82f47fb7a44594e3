/** The executor taking its credential from the vault: the fake receives it, the agent never does. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog/index.js';
import { Executor } from '../../src/executor/index.js';
import { openStore, type Store } from '../../src/store/index.js';
import { MasterKey, Vault } from '../../src/vault/index.js';
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.js';

const TOKEN = 'ghp_CANARYprovider00000000000000000000009';

describe('vault as the credential provider', () => {
  let home: string;
  let store: Store;
  let fake: FakeUpstream;
  let executor: Executor;
  let vault: Vault;

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'keygate-provider-'));
    store = await openStore({ home });
    const key = MasterKey.generate();
    await Vault.initialize(store, key);
    vault = await Vault.unlock(store, key);
    await vault.set({ name: 'github-token', kind: 'bearer', value: TOKEN });
    fake = await startFakeUpstream('github', TOKEN);
    executor = new Executor({
      catalog: await loadCatalog(['github']),
      credentials: vault.credentialProvider(({ service }) =>
        service === 'github' ? 'github-token' : undefined,
      ),
      baseUrls: { github: fake.url },
    });
  });
  afterAll(async () => {
    await executor.close();
    await fake.close();
    await store.close();
    await rm(home, { recursive: true, force: true });
  });

  it('injects the stored secret and scrubs it from the answer', async () => {
    fake.reply = (request) => ({
      status: 200,
      body: JSON.stringify({ echo: request.headers.authorization }),
    });
    const catalog = await loadCatalog(['github']);
    const result = await executor.call(catalog.get('github_repo_get'), { owner: 'acme', repo: 'api' });
    expect(fake.requests[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(result.text).toBe('{"echo":"Bearer [REDACTED]"}');
  });

  it('fails closed for a service with no mapped secret', async () => {
    const stripe = await loadCatalog(['github', 'stripe']);
    const other = new Executor({
      catalog: stripe,
      credentials: vault.credentialProvider(({ service }) =>
        service === 'github' ? 'github-token' : undefined,
      ),
    });
    await expect(other.call(stripe.get('stripe_balance_get'), {})).rejects.toMatchObject({
      code: 'executor.no_credential',
    });
    await other.close();
  });
});

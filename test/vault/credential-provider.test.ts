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
import { withoutNonces } from '../helpers/results.js';

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
    // The echo is an answer field no curation names: labelled third-party text (fail closed).
    expect(withoutNonces(result.text)).toBe('{"echo":"⟦n⟧Bearer [REDACTED]⟦/n⟧"}');
  });

  it('builds a credential once per secret version, and uses a replaced value at once', async () => {
    await vault.set({ name: 'rotating', kind: 'bearer', value: 'sk-CANARYfirst000000000000000000001' });
    const first = await vault.credential('rotating');
    expect(await vault.credential('rotating')).toBe(first);
    await vault.set({
      name: 'rotating',
      kind: 'header',
      value: 'sk-CANARYsecond00000000000000000002',
      params: { header: 'x-api-key' },
    });
    const second = await vault.credential('rotating');
    expect(second).not.toBe(first);
    expect(second.secretValues()).toEqual(['sk-CANARYsecond00000000000000000002']);
    const request = {
      method: 'GET',
      url: new URL('https://api.example/'),
      headers: {} as Record<string, string>,
    };
    second.inject(request);
    expect(request.headers).toEqual({ 'x-api-key': 'sk-CANARYsecond00000000000000000002' });
    await vault.remove('rotating');
    await expect(vault.credential('rotating')).rejects.toMatchObject({ code: 'vault.secret_not_found' });
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

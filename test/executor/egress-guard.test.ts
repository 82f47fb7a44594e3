/** The executor's catalog calls go through the SSRF guard: only hosts the admin configured may be private. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Catalog, loadCatalog } from '../../src/catalog/index.js';
import { bearerCredential, Executor, staticCredentialProvider } from '../../src/executor/index.js';
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.js';
import { CANARY } from '../helpers/harness.js';

const repo = { owner: 'acme', repo: 'api' };

describe('executor egress guard', () => {
  let fake: FakeUpstream;
  let catalog: Catalog;
  /** The catalog with GitHub's default base URL replaced by the fake's (as if its DNS pointed there). */
  let privateDefault: Catalog;
  const credentials = staticCredentialProvider({ github: bearerCredential('github', CANARY.github) });

  beforeAll(async () => {
    fake = await startFakeUpstream('github', CANARY.github);
    catalog = await loadCatalog();
    const services = [...catalog.services.values()].map((service) =>
      service.name === 'github' ? { ...service, baseUrl: fake.url } : service,
    );
    privateDefault = new Catalog(services, catalog.tools);
  });
  afterAll(() => fake.close());
  beforeEach(() => fake.reset());

  it('refuses a default base URL that is a private address, sending nothing', async () => {
    const executor = new Executor({ catalog: privateDefault, credentials });
    const error = await executor.call(privateDefault.get('github_repo_get'), repo).catch((e: Error) => e);
    expect(error).toMatchObject({ code: 'egress.refused' });
    expect((error as Error).message).toMatch(/Loopback/);
    expect(JSON.stringify(error)).not.toContain(CANARY.github);
    expect(fake.requests).toEqual([]);
    await executor.close();
  });

  it('allows the same private host once the admin configures it as a base URL', async () => {
    const executor = new Executor({ catalog: privateDefault, credentials, baseUrls: () => fake.url });
    const result = await executor.call(privateDefault.get('github_repo_get'), repo);
    expect(result.status).toBe(200);
    expect(fake.requests).toHaveLength(1);
    await executor.close();
  });

  it("refuses keygate's own listener even when it is a configured base URL", async () => {
    const port = Number(new URL(fake.url).port);
    const executor = new Executor({
      catalog,
      credentials,
      baseUrls: { github: fake.url },
      selfAddresses: () => [{ address: '127.0.0.1', port }],
    });
    const error = await executor.call(catalog.get('github_repo_get'), repo).catch((e: Error) => e);
    expect(error).toMatchObject({ code: 'egress.refused' });
    expect(fake.requests).toEqual([]);
    await executor.close();
  });
});

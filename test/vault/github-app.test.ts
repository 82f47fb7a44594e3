/**
 * The github-app kind against a fake GitHub that verifies the app JWT with the app's public key:
 * tokens narrowed to the agent's policy, one mint for concurrent calls, a new one 5 minutes before
 * expiry, refusals that mint nothing, and neither the private key nor a token reaching output.
 */
import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Catalog, loadCatalog } from '../../src/catalog/index.js';
import type { KeygateError } from '../../src/errors/index.js';
import { type CredentialUse, Executor } from '../../src/executor/index.js';
import { type CallerIdentity, PolicyEngine, parsePolicy } from '../../src/policy/index.js';
import { MasterKey, REMINT_BEFORE_MS, Vault } from '../../src/vault/index.js';
import { type FakeGithubApp, startFakeGithubApp } from '../fakes/fake-github-app.js';
import { assertNoSecrets } from '../helpers/harness.js';
import { PGLITE_BACKEND, type TestStore } from '../helpers/stores.js';

const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PEM = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const OTHER_PEM = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();
/** The lines of the key's body: none may appear anywhere keygate answers. */
const PEM_LINES = PEM.split('\n').filter((line) => line.length > 20 && !line.startsWith('-----'));

const POLICY = `
services:
  github: { spec: builtin:github, credential: gh-app }
agents:
  triage:
    tools: [github_issue_list, github_issue_create, github_pull_get]
    constraints:
      "github_*": { owner: acme, repo: { oneOf: [api, web] } }
  reader:
    tools: [github_issue_list, github_pull_get, github_content_get]
    constraints:
      "github_*": { repo: docs }
  open:
    tools: [github_issue_list]
    constraints:
      github_issue_list: { owner: acme, repo: { prefix: "ap" } }
  nothing-pinned:
    tools: [github_issue_list, github_search_users]
`;

describe('github-app secret kind', () => {
  let t: TestStore;
  let catalog: Catalog;
  let engine: PolicyEngine;
  let vault: Vault;
  let fake: FakeGithubApp;
  let executor: Executor;
  let clock = Date.parse('2026-12-02T12:00:00Z');
  const outputs: unknown[] = [];

  const caller = (agent: string): CallerIdentity => ({ agent, tokenId: `t-${agent}`, tools: null });
  /** A call as the pipeline makes it: the caller's scope from the policy that decided it. */
  const call = async (agent: string, tool: string, args: Record<string, unknown>) => {
    const uses: CredentialUse[] = [];
    const result = await executor.call(catalog.get(tool), args, {
      agent,
      credentialScope: (service) => engine.credentialScope(caller(agent), service),
      onCredentialUse: (use) => uses.push(use),
    });
    outputs.push(result, uses);
    return { result, uses };
  };
  const failure = async (promise: Promise<unknown>) => {
    const error = await promise.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    outputs.push(String(error), JSON.stringify(error));
    return error as { code?: string; message: string };
  };

  beforeAll(async () => {
    catalog = await loadCatalog(['github']);
    const parsed = parsePolicy(POLICY, catalog);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    engine = new PolicyEngine(parsed.policy, catalog);
    t = await PGLITE_BACKEND.fresh();
    const key = MasterKey.generate();
    await Vault.initialize(t.store, key);
    vault = await Vault.unlock(t.store, key, { now: () => clock });
    await vault.set({
      name: 'gh-app',
      kind: 'github-app',
      value: PEM,
      params: { 'app-id': '4242', 'installation-id': '777' },
    });
    fake = await startFakeGithubApp({
      appId: '4242',
      installationId: '777',
      publicKey: keys.publicKey,
      repositories: ['api', 'web', 'docs', 'secret-plans'],
      permissions: {
        metadata: 'read',
        issues: 'write',
        pull_requests: 'write',
        contents: 'write',
        administration: 'write',
      },
    });
    fake.now = () => clock;
    executor = new Executor({
      catalog,
      credentials: vault.credentialProvider(({ service }) => engine.credentialFor(service)),
      baseUrls: { github: fake.url },
    });
  });
  afterAll(async () => {
    // Nothing any test returned or threw carries the key or a minted token.
    for (const output of outputs) assertNoSecrets(output, [...PEM_LINES, ...fake.tokens.map((m) => m.token)]);
    await executor.close();
    await fake.close();
    await t.dispose();
  });
  beforeEach(() => {
    fake.reset();
    vault.forgetCaches();
  });

  it('mints a token for the repositories the policy pins and the permissions its tools need', async () => {
    const { result, uses } = await call('triage', 'github_issue_list', { owner: 'acme', repo: 'api' });
    expect(fake.mints).toHaveLength(1);
    const [mint] = fake.mints;
    expect(mint!.repositories).toEqual(['api', 'web']);
    expect(mint!.permissions).toEqual({ issues: 'write', metadata: 'read', pull_requests: 'read' });
    expect(mint!.claims.iss).toBe('4242');
    expect(mint!.claims.exp - mint!.claims.iat).toBeLessThanOrEqual(600);
    expect(Math.floor(clock / 1000) - mint!.claims.iat).toBe(60);
    // The API call went out with the minted token, which the answer's echo no longer shows.
    expect(fake.calls[0]!.headers.authorization).toBe(`Bearer ${fake.tokens[0]!.token}`);
    expect(result.text).toContain('Bearer [REDACTED]');
    expect(result.text).not.toContain(fake.tokens[0]!.token);
    expect(uses).toEqual([
      {
        kind: 'github-app',
        scope: { repositories: ['api', 'web'], permissions: mint!.permissions },
      },
    ]);
  });

  it('gives an agent allowed only reads read permissions only', async () => {
    await call('reader', 'github_content_get', { owner: 'acme', repo: 'docs', path: 'README.md' });
    expect(fake.mints[0]!.repositories).toEqual(['docs']);
    expect(fake.mints[0]!.permissions).toEqual({
      contents: 'read',
      issues: 'read',
      metadata: 'read',
      pull_requests: 'read',
    });
  });

  it('mints once for 100 concurrent calls of one agent', async () => {
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        call('triage', i % 2 ? 'github_issue_list' : 'github_pull_get', {
          owner: 'acme',
          repo: i % 3 ? 'api' : 'web',
          ...(i % 2 ? {} : { pull_number: i + 1 }),
        }),
      ),
    );
    expect(fake.mints).toHaveLength(1);
    expect(fake.calls).toHaveLength(100);
    expect(fake.refusedCalls).toEqual([]);
    expect(new Set(fake.calls.map((request) => request.headers.authorization)).size).toBe(1);
    expect(results.every(({ result }) => result.status === 200)).toBe(true);
  });

  it('keeps a token until 5 minutes before it expires, then mints a new one', async () => {
    const start = clock;
    await call('triage', 'github_issue_list', { owner: 'acme', repo: 'api' });
    clock = start + fake.tokenLifetimeMs - REMINT_BEFORE_MS - 1000;
    await call('triage', 'github_issue_list', { owner: 'acme', repo: 'api' });
    expect(fake.mints).toHaveLength(1);
    clock = start + fake.tokenLifetimeMs - REMINT_BEFORE_MS;
    await call('triage', 'github_issue_list', { owner: 'acme', repo: 'api' });
    expect(fake.mints).toHaveLength(2);
    expect(fake.calls[2]!.headers.authorization).toBe(`Bearer ${fake.tokens[1]!.token}`);
    clock = start;
  });

  it('keeps one token per scope: another agent with other pins gets its own', async () => {
    await call('triage', 'github_issue_list', { owner: 'acme', repo: 'api' });
    await call('reader', 'github_issue_list', { owner: 'acme', repo: 'docs' });
    await call('triage', 'github_issue_list', { owner: 'acme', repo: 'web' });
    expect(fake.mints.map((mint) => mint.repositories)).toEqual([['api', 'web'], ['docs']]);
  });

  it.each([
    ['a prefix, which does not pin', 'open', 'does not pin the repositories of github_issue_list'],
    [
      'no repository constraint at all',
      'nothing-pinned',
      'does not pin the repositories of github_issue_list',
    ],
    ['no policy', 'stranger', 'may call no github tool'],
  ])('refuses an agent with %s, minting and sending nothing', async (_case, agent, message) => {
    const error = await failure(call(agent, 'github_issue_list', { owner: 'acme', repo: 'api' }));
    expect(error.code).toBe('policy.unpinned');
    expect(error.message).toContain(message);
    expect(fake.mints).toEqual([]);
    expect(fake.refusedMints).toEqual([]);
    expect(fake.calls).toEqual([]);
  });

  it('names what to add to the policy when it refuses', async () => {
    const error = await failure(call('open', 'github_issue_list', { owner: 'acme', repo: 'api' }));
    expect(error.message).toMatch(/repo: \{ oneOf: \[/);
  });

  it('refuses a proxied request, which no tool policy narrows', async () => {
    const error = await failure(
      vault.credentialFor('gh-app', { service: 'raw-github', tool: 'proxy:raw-github' }),
    );
    expect(error.code).toBe('policy.unpinned');
    expect(fake.mints).toEqual([]);
  });

  it('refuses a token GitHub minted broader than asked, and never uses it', async () => {
    fake.mintReply = (_asked, minted) => ({
      status: 201,
      body: {
        token: minted.token,
        expires_at: new Date(minted.expiresAtMs).toISOString(),
        permissions: minted.permissions,
        repositories: [{ name: 'api' }, { name: 'secret-plans' }],
      },
    });
    const error = await failure(call('triage', 'github_issue_list', { owner: 'acme', repo: 'api' }));
    expect(error.code).toBe('vault.mint_failed');
    expect(error.message).toContain('broader than asked (repository secret-plans)');
    expect(fake.calls).toEqual([]);
  });

  it('reports what GitHub says when it refuses to mint, never the JWT', async () => {
    await vault.set({
      name: 'gh-app',
      kind: 'github-app',
      value: OTHER_PEM,
      params: { 'app-id': '4242', 'installation-id': '777' },
    });
    try {
      const error = await failure(call('triage', 'github_issue_list', { owner: 'acme', repo: 'api' }));
      expect(error.code).toBe('vault.mint_failed');
      expect(error.message).toBe(
        'no installation token for gh-app (installation 777): GitHub answered HTTP 401: A JSON web token could not be decoded',
      );
      expect(fake.refusedMints).toHaveLength(1);
    } finally {
      await vault.set({
        name: 'gh-app',
        kind: 'github-app',
        value: PEM,
        params: { 'app-id': '4242', 'installation-id': '777' },
      });
    }
  });

  it('mints through the SSRF guard: a base URL at a cloud metadata address is never asked', async () => {
    const { GithubAppMinter } = await import('../../src/vault/index.js');
    const minter = new GithubAppMinter('gh-app', '4242', '777', PEM, () => clock);
    const error = (await minter
      .credentialFor({
        service: 'github',
        tool: 'github_issue_list',
        baseUrl: 'http://169.254.169.254/latest',
        scope: () => engine.credentialScope(caller('triage'), 'github'),
      })
      .then(
        () => undefined,
        (caught: unknown) => caught,
      )) as KeygateError & { cause?: unknown };
    expect(error.code).toBe('vault.mint_failed');
    expect(error.message).toContain('no answer from 169.254.169.254');
    expect(JSON.stringify(error.cause, Object.getOwnPropertyNames(error.cause ?? {}))).toContain(
      'egress.refused',
    );
  });

  it('prints the minter and its credentials only in redacted form', async () => {
    const { inspect } = await import('node:util');
    const { GithubAppMinter } = await import('../../src/vault/index.js');
    const minter = new GithubAppMinter('gh-app', '4242', '777', PEM, () => clock);
    const credential = await minter.credentialFor({
      service: 'github',
      tool: 'github_issue_list',
      baseUrl: fake.url,
      scope: () => engine.credentialScope(caller('triage'), 'github'),
    });
    const forms = [
      inspect(minter, { depth: 9, showHidden: true }),
      JSON.stringify({ minter, credential }),
      `${minter}`,
      inspect(credential),
    ];
    expect(forms.join('\n')).toContain('[github-app minter gh-app]');
    assertNoSecrets(forms, [...PEM_LINES, fake.tokens.at(-1)!.token]);
  });

  it('lists the cached scope and expiry, never a token or the key', async () => {
    expect((await vault.describe('gh-app')).minted).toEqual([]);
    await call('triage', 'github_issue_list', { owner: 'acme', repo: 'api' });
    const meta = await vault.describe('gh-app');
    outputs.push(meta, await vault.list());
    expect(meta.params).toEqual({ 'app-id': '4242', 'installation-id': '777' });
    expect(meta.minted).toEqual([
      {
        scope: {
          repositories: ['api', 'web'],
          permissions: { issues: 'write', metadata: 'read', pull_requests: 'read' },
        },
        expiresAt: new Date(clock + fake.tokenLifetimeMs).toISOString(),
      },
    ]);
  });

  it.each([
    ['text that is no key', 'not a key at all'],
    [
      'an EC key',
      generateKeyPairSync('ec', { namedCurve: 'P-256' })
        .privateKey.export({ type: 'pkcs8', format: 'pem' })
        .toString(),
    ],
    ['a public key', keys.publicKey.export({ type: 'spki', format: 'pem' }).toString()],
  ])('refuses %s as a github-app value without quoting it', async (_case, value) => {
    const error = await failure(
      vault.set({
        name: 'bad-app',
        kind: 'github-app',
        value,
        params: { 'app-id': '1', 'installation-id': '2' },
      }),
    );
    expect(error.code).toBe('vault.invalid_secret');
    expect(error.message).not.toContain(value.split('\n')[1] ?? value);
    await expect(vault.describe('bad-app')).rejects.toMatchObject({ code: 'vault.secret_not_found' });
  });

  it('refuses app and installation ids that are not numbers', async () => {
    const error = await failure(
      vault.set({
        name: 'bad-app',
        kind: 'github-app',
        value: PEM,
        params: { 'app-id': 'x1', 'installation-id': '2' },
      }),
    );
    expect(error.message).toContain('--app-id must be a number');
  });
});

describe('the fake GitHub App checks what GitHub checks', () => {
  let fake: FakeGithubApp;
  beforeAll(async () => {
    fake = await startFakeGithubApp({
      appId: '1',
      installationId: '2',
      publicKey: keys.publicKey,
      repositories: ['api'],
      permissions: { metadata: 'read', issues: 'read' },
    });
  });
  afterAll(() => fake.close());

  const jwt = (claims: Record<string, unknown>, pem = PEM) => {
    const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const data = `${part({ alg: 'RS256', typ: 'JWT' })}.${part(claims)}`;
    return `${data}.${sign('sha256', Buffer.from(data), createPrivateKey(pem)).toString('base64url')}`;
  };
  const mint = (token: string, body: unknown = { repositories: ['api'], permissions: { issues: 'read' } }) =>
    fetch(`${fake.url}/app/installations/2/access_tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }).then((response) => response.status);
  const now = () => Math.floor(Date.now() / 1000);

  it.each([
    ['a JWT living more than 10 minutes', () => jwt({ iat: now() - 60, exp: now() + 600, iss: '1' })],
    ['an expired JWT', () => jwt({ iat: now() - 700, exp: now() - 100, iss: '1' })],
    ['another app id', () => jwt({ iat: now() - 60, exp: now() + 500, iss: '9' })],
    ['a JWT signed by another key', () => jwt({ iat: now() - 60, exp: now() + 500, iss: '1' }, OTHER_PEM)],
  ])('refuses %s', async (_case, token) => {
    expect(await mint(token())).toBe(401);
  });

  it('refuses a repository or permission the installation does not have', async () => {
    const token = jwt({ iat: now() - 60, exp: now() + 500, iss: '1' });
    expect(await mint(token, { repositories: ['other'] })).toBe(422);
    expect(await mint(token, { repositories: ['api'], permissions: { issues: 'write' } })).toBe(422);
    expect(await mint(token)).toBe(201);
    expect(fake.mints).toHaveLength(1);
  });
});

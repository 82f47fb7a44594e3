/**
 * A github-app credential end to end: a real MCP client calls a GitHub tool through the gateway
 * (policy, audit intent, executor with the vault, audit outcome); the fake GitHub mints a token
 * narrowed to the agent's policy and serves the call. The outcome row records the credential's
 * kind and scope; the private key and the token reach neither the agent, the audit rows, nor the
 * process's output.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MasterKey, Vault } from '../../src/vault/index.js';
import { type FakeGithubApp, startFakeGithubApp } from '../fakes/fake-github-app.js';
import { type Gateway, startGateway } from '../helpers/gateway.js';
import { assertNoSecrets } from '../helpers/harness.js';
import { PGLITE_BACKEND, type TestStore } from '../helpers/stores.js';

const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PEM = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const PEM_LINES = PEM.split('\n').filter((line) => line.length > 20 && !line.startsWith('-----'));

const POLICY = `
services:
  github: { spec: builtin:github, credential: gh-app }
agents:
  triage:
    tools: [github_issue_list, github_issue_get]
    constraints:
      "github_*": { owner: acme, repo: { oneOf: [api] } }
  loose:
    tools: [github_issue_list]
    constraints:
      github_issue_list: { owner: acme }
`;

describe('github-app through an MCP client', () => {
  let secrets: TestStore;
  let fake: FakeGithubApp;
  let gw: Gateway;
  const written: string[] = [];

  beforeAll(async () => {
    secrets = await PGLITE_BACKEND.fresh();
    const key = MasterKey.generate();
    await Vault.initialize(secrets.store, key);
    const vault = await Vault.unlock(secrets.store, key);
    await vault.set({
      name: 'gh-app',
      kind: 'github-app',
      value: PEM,
      params: { 'app-id': '99', 'installation-id': '5' },
    });
    fake = await startFakeGithubApp({
      appId: '99',
      installationId: '5',
      publicKey: keys.publicKey,
      repositories: ['api', 'web'],
      permissions: { metadata: 'read', issues: 'write' },
    });
    gw = await startGateway(POLICY, {
      credentials: vault.credentialProvider(({ service }) => (service === 'github' ? 'gh-app' : undefined)),
      baseUrls: { github: fake.url },
    });
    // Whatever the process prints while the calls run is checked for the key and the token.
    for (const stream of [process.stdout, process.stderr])
      vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
        written.push(String(chunk));
        return true;
      });
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await gw?.close();
    await fake?.close();
    await secrets?.dispose();
  });

  it('calls with a narrowed token, audits its scope, and leaks neither key nor token', async () => {
    const client = await gw.connect('triage');
    const result = await client.callTool({
      name: 'github_issue_list',
      arguments: { owner: 'acme', repo: 'api' },
    });
    expect(result.isError).toBeFalsy();
    expect(fake.mints).toHaveLength(1);
    expect(fake.mints[0]!.repositories).toEqual(['api']);
    expect(fake.mints[0]!.permissions).toEqual({ issues: 'read', metadata: 'read' });
    const token = fake.tokens[0]!.token;
    expect(fake.calls[0]!.headers.authorization).toBe(`Bearer ${token}`);
    expect(JSON.stringify(result)).toContain('Bearer [REDACTED]');

    await gw.audit.drain();
    const rows = await gw.audit.query({ agent: 'triage' });
    const outcome = rows.find((row) => row.decision === 'completed');
    expect(outcome?.credential).toEqual({
      kind: 'github-app',
      scope: { permissions: { issues: 'read', metadata: 'read' }, repositories: ['api'] },
    });
    expect(rows.find((row) => row.decision === 'allowed')?.credential).toBeNull();
    expect(await gw.audit.verify()).toMatchObject({ ok: true });

    const canaries = [...PEM_LINES, token];
    assertNoSecrets(result, canaries);
    assertNoSecrets(rows, canaries);
    assertNoSecrets(written.join(''), canaries);
  });

  it('refuses an agent whose repositories are open with a clear error, minting nothing', async () => {
    fake.reset();
    const client = await gw.connect('loose');
    const result = await client.callTool({
      name: 'github_issue_list',
      arguments: { owner: 'acme', repo: 'web' },
    });
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toContain(
      "loose's policy does not pin the repositories of github_issue_list",
    );
    expect(fake.mints).toEqual([]);
    expect(fake.calls).toEqual([]);
    await gw.audit.drain();
    const rows = await gw.audit.query({ agent: 'loose' });
    expect(rows.find((row) => row.decision === 'failed')?.reason).toBe('policy.unpinned');
    assertNoSecrets(rows, PEM_LINES);
  });
});

/**
 * The oauth2 secret kind on PGlite, against a fake token server that checks the client, the
 * grant and the refresh token, rotates refresh tokens, and counts its requests: single flight,
 * refresh timing (injected clock), rotation kept across a restart, revocation without a retry
 * storm, the client-credentials grant, and no secret in any message or metadata.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/index.js';
import { MasterKey, Vault } from '../../src/vault/index.js';
import { canaryToken, type FakeOAuth2, startFakeOAuth2 } from '../fakes/fake-oauth2.js';
import { PGLITE_BACKEND, type TestStore } from '../helpers/stores.js';

const CLIENT_ID = 'keygate-test-client';
const HOUR = 3_600_000;

let t: TestStore;
let store: Store;
let key: MasterKey;
let vault: Vault;
let fake: FakeOAuth2;
let clock: number;
let clientSecret: string;
let firstRefresh: string;

async function open(s: Store): Promise<Vault> {
  return Vault.unlock(s, key, { oauth2: { now: () => clock } });
}

async function setCrm(v: Vault, refreshToken = firstRefresh, extra: Record<string, string> = {}) {
  return v.set({
    name: 'crm',
    kind: 'oauth2',
    params: { 'token-url': fake.tokenUrl, 'client-id': CLIENT_ID, ...extra },
    value: JSON.stringify({ client_secret: clientSecret, refresh_token: refreshToken }),
  });
}

/** The bearer token the vault's credential for `crm` puts on a request. */
async function bearer(v: Vault, name = 'crm'): Promise<string> {
  const credential = await v.credential(name);
  const request = {
    method: 'GET',
    url: new URL(`${fake.origin}/items`),
    headers: {} as Record<string, string>,
  };
  credential.inject(request);
  return request.headers.authorization!.replace(/^Bearer /, '');
}

/** Every secret this test made, for canary checks. */
function secrets(): string[] {
  return [clientSecret, firstRefresh, fake.currentRefreshToken ?? '', ...fake.issued].filter(Boolean);
}
function expectNoSecret(text: string): void {
  for (const secret of secrets()) expect(text).not.toContain(secret);
}

// One store for the file (an embedded database takes seconds to create on a loaded machine);
// each test starts from no secret and a fresh fake server.
beforeAll(async () => {
  t = await PGLITE_BACKEND.fresh();
  store = t.store;
  key = MasterKey.generate();
  await Vault.initialize(store, key);
  vault = await open(store);
});

afterAll(async () => {
  await vault?.close();
  await t?.dispose();
});

beforeEach(async () => {
  clock = Date.parse('2026-12-01T09:00:00Z');
  clientSecret = canaryToken('clientsecret');
  firstRefresh = canaryToken('refresh');
  fake = await startFakeOAuth2({ clientId: CLIENT_ID, clientSecret, refreshToken: firstRefresh });
  for (const secret of await vault.list()) await vault.remove(secret.name);
  await setCrm(vault);
});

afterEach(async () => {
  await fake.close();
});

describe('oauth2 access tokens on PGlite', () => {
  it('makes one token request for 100 concurrent calls, and each call carries the token', async () => {
    fake.delayMs = 50;
    const tokens = await Promise.all(Array.from({ length: 100 }, () => bearer(vault)));
    expect(fake.tokenRequests).toEqual([{ grant: 'refresh_token', scope: null, status: 200 }]);
    expect(new Set(tokens)).toEqual(new Set([fake.issued[0]]));
    // And again at expiry: one refresh, with the rotated refresh token (no invalid_grant).
    clock += HOUR;
    const refreshed = await Promise.all(Array.from({ length: 100 }, () => bearer(vault)));
    expect(fake.tokenRequests.map((r) => r.status)).toEqual([200, 200]);
    expect(new Set(refreshed)).toEqual(new Set([fake.issued[1]]));
  });

  it('refreshes 5 minutes before expiry, not earlier', async () => {
    const first = await bearer(vault);
    clock += HOUR - 5 * 60_000 - 1;
    expect(await bearer(vault)).toBe(first);
    expect(fake.tokenRequests).toHaveLength(1);
    clock += 1;
    const second = await bearer(vault);
    expect(second).not.toBe(first);
    expect(second).toBe(fake.issued[1]);
    expect(fake.tokenRequests).toHaveLength(2);
  });

  it('refreshes after 24 hours a token without expires_in, and a long-lived one', async () => {
    fake.expiresIn = undefined;
    await bearer(vault);
    clock += 24 * HOUR - 5 * 60_000 - 1;
    await bearer(vault);
    expect(fake.tokenRequests).toHaveLength(1);
    clock += 1;
    await bearer(vault);
    expect(fake.tokenRequests).toHaveLength(2);
    fake.expiresIn = 7 * 24 * 3600;
    clock += 24 * HOUR;
    await bearer(vault);
    expect(fake.tokenRequests).toHaveLength(3);
    clock += 24 * HOUR - 1;
    await bearer(vault);
    expect(fake.tokenRequests).toHaveLength(3);
    clock += 1;
    await bearer(vault);
    expect(fake.tokenRequests).toHaveLength(4);
  });

  it('stores the rotated refresh token and uses it after a restart of the store', async () => {
    await bearer(vault);
    const rotated = fake.currentRefreshToken;
    expect(rotated).not.toBe(firstRefresh);
    const before = await vault.describe('crm');
    expect(before.version).toBe(1);
    await vault.close();
    await store.close();
    store = await t.reopen();
    vault = await open(store);
    // The sealed access token is still good: the restarted daemon asks nothing.
    expect(await bearer(vault)).toBe(fake.issued[0]);
    expect(fake.tokenRequests).toHaveLength(1);
    // At expiry it refreshes with the rotated token (the first one now gets invalid_grant).
    clock += HOUR;
    expect(await bearer(vault)).toBe(fake.issued[1]);
    expect(fake.tokenRequests.map((r) => r.status)).toEqual([200, 200]);
    expect(fake.currentRefreshToken).not.toBe(rotated);
    expect((await vault.describe('crm')).version).toBe(1);
  });

  it('keeps the sealed access token and the rotated refresh token usable after a master key rotation', async () => {
    const token = await bearer(vault);
    const newKey = MasterKey.generate();
    await vault.rotate(newKey);
    key = newKey;
    const reopened = await open(store);
    expect(await bearer(reopened)).toBe(token);
    clock += HOUR;
    expect(await bearer(reopened)).toBe(fake.issued[1]);
    expect(fake.tokenRequests.map((r) => r.status)).toEqual([200, 200]);
    await reopened.close();
  });

  it('marks a revoked refresh token, says so, and asks no more until the secret is set again', async () => {
    await bearer(vault);
    fake.revoke();
    clock += HOUR;
    const refused = (await vault.credential('crm').then(
      () => new Error('no refusal'),
      (error: unknown) => error,
    )) as Error & { code: string };
    expect(refused).toMatchObject({ code: 'vault.needs_reauth' });
    expect(refused.message).toMatch(/^secret crm needs re-authorisation \(invalid_grant/);
    expect(refused.message).toContain('keygate secret set crm --kind oauth2');
    expectNoSecret(refused.message);
    expect(fake.tokenRequests).toHaveLength(2);
    for (let i = 0; i < 20; i++) {
      clock += HOUR;
      await expect(vault.credential('crm')).rejects.toMatchObject({ code: 'vault.needs_reauth' });
    }
    // Another daemon (or this one restarted) reads the mark and does not ask either.
    const other = await open(store);
    await expect(other.credential('crm')).rejects.toMatchObject({ code: 'vault.needs_reauth' });
    await other.close();
    expect(fake.tokenRequests).toHaveLength(2);
    const [listed] = await vault.list();
    expect(listed!.oauth2).toMatchObject({
      needsReauth: true,
      reason: expect.stringMatching(/^invalid_grant/),
    });
    expectNoSecret(JSON.stringify(await vault.list()));
    // Setting it again with a new refresh token clears the mark.
    const fresh = canaryToken('refresh');
    fake.currentRefreshToken = fresh;
    await setCrm(vault, fresh);
    expect(await bearer(vault)).toBe(fake.issued.at(-1));
    expect((await vault.describe('crm')).oauth2).toMatchObject({ needsReauth: false });
  });

  it('fails clearly when the token endpoint fails, and does not retry for 5 seconds', async () => {
    fake.failWith = 503;
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => vault.credential('crm')));
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    const error = (results[0] as PromiseRejectedResult).reason as Error & { code: string };
    expect(error.code).toBe('vault.token_refresh_failed');
    expect(error.message).toMatch(/answered HTTP 503: server_error \(try later\)/);
    expect(fake.tokenRequests).toHaveLength(1);
    clock += 4_999;
    await expect(vault.credential('crm')).rejects.toMatchObject({ code: 'vault.token_refresh_failed' });
    expect(fake.tokenRequests).toHaveLength(1);
    fake.failWith = undefined;
    clock += 1;
    await bearer(vault);
    expect(fake.tokenRequests).toHaveLength(2);
    expect((await vault.describe('crm')).oauth2?.needsReauth).toBe(false);
  });

  it.each([
    ['cloud metadata', 'https://169.254.169.254/token', /cloud metadata/],
    ['link-local', 'https://[fe80::1]/token', /link-local/i],
  ])('never sends the client secret to a %s token URL', async (_what, tokenUrl, reason) => {
    await vault.set({
      name: 'metadata',
      kind: 'oauth2',
      params: { 'token-url': tokenUrl, 'client-id': CLIENT_ID, grant: 'client_credentials' },
      value: JSON.stringify({ client_secret: clientSecret }),
    });
    await expect(vault.credential('metadata')).rejects.toMatchObject({
      code: 'vault.token_refresh_failed',
      message: expect.stringMatching(reason),
    });
  });

  it('reports a wrong client secret as needing re-authorisation', async () => {
    await vault.set({
      name: 'crm',
      kind: 'oauth2',
      params: { 'token-url': fake.tokenUrl, 'client-id': CLIENT_ID },
      value: JSON.stringify({ client_secret: canaryToken('wrong'), refresh_token: firstRefresh }),
    });
    await expect(vault.credential('crm')).rejects.toMatchObject({
      code: 'vault.needs_reauth',
      message: expect.stringContaining('invalid_client'),
    });
  });

  it('uses the client-credentials grant with the client in the body and a scope', async () => {
    await fake.close();
    fake = await startFakeOAuth2({ clientId: CLIENT_ID, clientSecret, clientAuth: 'post' });
    await vault.set({
      name: 'machine',
      kind: 'oauth2',
      params: {
        'token-url': fake.tokenUrl,
        'client-id': CLIENT_ID,
        grant: 'client_credentials',
        'client-auth': 'post',
        scope: 'items:read items:write',
      },
      value: JSON.stringify({ client_secret: clientSecret }),
    });
    const credential = await vault.credential('machine');
    expect(fake.tokenRequests).toEqual([
      { grant: 'client_credentials', scope: 'items:read items:write', status: 200 },
    ]);
    expect(credential.use).toEqual({
      kind: 'oauth2',
      scope: { grant: 'client_credentials', scope: 'items:read items:write' },
    });
    expect(credential.secretValues()).toEqual([fake.issued[0]]);
    expect(JSON.stringify(credential)).toBe('"[credential oauth2 machine]"');
    const listed = await vault.describe('machine');
    expect(listed.oauth2).toMatchObject({
      needsReauth: false,
      scope: 'items:read items:write',
      expiresAt: new Date(clock + HOUR).toISOString(),
    });
    expect(listed.params).toEqual({
      'token-url': fake.tokenUrl,
      'client-id': CLIENT_ID,
      grant: 'client_credentials',
      'client-auth': 'post',
      scope: 'items:read items:write',
    });
  });

  it.each([
    [{ 'token-url': 'http://idp.example/token' }, /must be https/],
    [{ 'token-url': 'https://user:pw@idp.example/token' }, /no user or password/],
    [{ grant: 'password' }, /--grant is refresh_token or client_credentials/],
    [{ 'client-auth': 'jwt' }, /--client-auth is basic or post/],
    [{ scope: 'a  "b"' }, /--scope/],
  ])('refuses bad parameters %j', async (params, message) => {
    await expect(
      vault.set({
        name: 'bad',
        kind: 'oauth2',
        params: { 'token-url': fake.tokenUrl, 'client-id': CLIENT_ID, ...params },
        value: JSON.stringify({ client_secret: clientSecret, refresh_token: firstRefresh }),
      }),
    ).rejects.toMatchObject({ code: 'vault.invalid_secret', message });
  });

  it.each([
    ['not JSON', 'not json', /is not JSON/],
    ['no refresh token', JSON.stringify({ client_secret: 'x' }), /refresh_token is missing/],
    [
      'an unknown part',
      JSON.stringify({ client_secret: 'x', refresh_token: 'y', pw: 'z' }),
      /pw is not a part/,
    ],
    ['a line break', JSON.stringify({ client_secret: 'x\ny', refresh_token: 'y' }), /line break/],
  ])('refuses a value with %s, quoting none of it', async (_what, value, message) => {
    const error = await vault
      .set({
        name: 'bad',
        kind: 'oauth2',
        params: { 'token-url': fake.tokenUrl, 'client-id': CLIENT_ID },
        value,
      })
      .catch((e: unknown) => e as Error);
    expect(error).toMatchObject({ code: 'vault.invalid_secret', message });
    expect((error as Error).message).not.toContain('"x');
  });

  it('keeps every secret out of metadata, the error of a refusal and the credential form', async () => {
    const credential = await vault.credential('crm');
    expectNoSecret(JSON.stringify(await vault.list()));
    expectNoSecret(String(credential));
    const rows = await store.db.selectFrom('oauth2_tokens').selectAll().execute();
    expectNoSecret(
      JSON.stringify(rows, (_k, v) => (v?.type === 'Buffer' ? Buffer.from(v.data).toString('latin1') : v)),
    );
  });
});

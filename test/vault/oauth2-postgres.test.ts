/**
 * Two daemons (two stores and vaults in this process, each with its own connection pool) on one
 * PostgreSQL schema: concurrent calls at an access token's expiry make exactly one token request
 * between them, the one that waited for the row lock using the token the other obtained.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/index.js';
import { MasterKey, Vault } from '../../src/vault/index.js';
import { canaryToken, type FakeOAuth2, startFakeOAuth2 } from '../fakes/fake-oauth2.js';
import { POSTGRES_BACKEND, POSTGRES_SKIP_REASON, POSTGRES_URL, type TestStore } from '../helpers/stores.js';

const CLIENT_ID = 'keygate-pg-client';
const HOUR = 3_600_000;

describe.skipIf(!POSTGRES_URL)(
  `oauth2 across two daemons on PostgreSQL${POSTGRES_URL ? '' : ` (${POSTGRES_SKIP_REASON})`}`,
  () => {
    let t: TestStore;
    let stores: Store[];
    let vaults: Vault[];
    let fake: FakeOAuth2;
    let clock = Date.parse('2026-12-01T09:00:00Z');
    const clientSecret = canaryToken('clientsecret');
    const refreshToken = canaryToken('refresh');

    async function bearer(vault: Vault): Promise<string> {
      const request = {
        method: 'GET',
        url: new URL(`${fake.origin}/items`),
        headers: {} as Record<string, string>,
      };
      (await vault.credential('crm')).inject(request);
      return request.headers.authorization!;
    }

    beforeAll(async () => {
      fake = await startFakeOAuth2({ clientId: CLIENT_ID, clientSecret, refreshToken });
      t = await POSTGRES_BACKEND.fresh();
      stores = [t.store, await t.reopen()];
      const key = MasterKey.generate();
      await Vault.initialize(stores[0]!, key);
      vaults = await Promise.all(
        stores.map((store) => Vault.unlock(store, key, { oauth2: { now: () => clock } })),
      );
      await vaults[0]!.set({
        name: 'crm',
        kind: 'oauth2',
        params: { 'token-url': fake.tokenUrl, 'client-id': CLIENT_ID },
        value: JSON.stringify({ client_secret: clientSecret, refresh_token: refreshToken }),
      });
    });

    afterAll(async () => {
      for (const vault of vaults ?? []) await vault.close();
      await t?.dispose();
      await fake?.close();
    });

    it.each([
      ['with no token yet', 0],
      ['at expiry', HOUR],
      ['at expiry again', HOUR],
    ])('100 concurrent calls %s make one token request', async (_when, advance) => {
      clock += advance;
      const before = fake.tokenRequests.length;
      // Slow enough that the second daemon's calls arrive while the first holds the lock.
      fake.delayMs = 200;
      const headers = await Promise.all(Array.from({ length: 100 }, (_, i) => bearer(vaults[i % 2]!)));
      expect(fake.tokenRequests.slice(before)).toEqual([
        { grant: 'refresh_token', scope: null, status: 200 },
      ]);
      expect(fake.tokenRequests.filter((r) => r.error === 'invalid_grant')).toEqual([]);
      expect(new Set(headers)).toEqual(new Set([`Bearer ${fake.issued.at(-1)}`]));
      // The rotated refresh token was stored: the next refresh (either daemon) presents it.
      const [listed] = await vaults[1]!.list();
      expect(listed!.oauth2).toMatchObject({
        needsReauth: false,
        expiresAt: new Date(clock + HOUR).toISOString(),
      });
    });

    it('a revoked refresh token marks the secret once for both daemons, with no retry storm', async () => {
      fake.delayMs = 0;
      fake.revoke();
      clock += HOUR;
      const before = fake.tokenRequests.length;
      const results = await Promise.allSettled(Array.from({ length: 100 }, (_, i) => bearer(vaults[i % 2]!)));
      expect(results.every((r) => r.status === 'rejected' && r.reason.code === 'vault.needs_reauth')).toBe(
        true,
      );
      expect(fake.tokenRequests.slice(before)).toEqual([
        { grant: 'refresh_token', scope: null, status: 400, error: 'invalid_grant' },
      ]);
      clock += HOUR;
      await Promise.allSettled(Array.from({ length: 20 }, (_, i) => bearer(vaults[i % 2]!)));
      expect(fake.tokenRequests.length).toBe(before + 1);
    });
  },
);

/**
 * Dashboard sessions and sign-in links on a real store: only the admin token in force signs in;
 * a link works once, even raced, and not after it expires; rotating or revoking the admin token
 * ends every session and link made with it; nothing but hashes is stored. Then `keygate admin
 * rotate-token` from the command line, offline.
 */
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentRegistry, createAdminToken } from '../../src/agents/index.js';
import { DashboardSessions, LINK_TTL_MS, SESSION_TTL_MS } from '../../src/dashboard/index.js';
import { sameSecret } from '../../src/dashboard/sessions.js';
import { openStore } from '../../src/store/index.js';
import { runInProcess } from '../helpers/cli.js';
import { BACKENDS, type TestStore } from '../helpers/stores.js';

for (const backend of BACKENDS) {
  describe(`dashboard sessions on ${backend.name}`, () => {
    let t: TestStore;
    let adminToken: string;
    let now: number;
    let sessions: DashboardSessions;

    beforeEach(async () => {
      t = await backend.fresh();
      adminToken = await createAdminToken(t.store);
      now = Date.now();
      sessions = new DashboardSessions(t.store, () => now);
    });
    afterEach(async () => {
      await t.dispose();
    });

    it('signs in with the admin token only, and stores nothing but hashes', async () => {
      expect(await sessions.signIn('kga_not-it')).toBeUndefined();
      expect(await sessions.signIn('kg_an-agent-token')).toBeUndefined();
      const signedIn = await sessions.signIn(adminToken);
      expect(signedIn?.cookie).toMatch(/^[\w-]{43}$/);
      expect(await sessions.check(signedIn!.cookie)).toEqual(signedIn!.session);
      expect(await sessions.check(`${signedIn!.cookie}x`)).toBeUndefined();
      expect(await sessions.check(undefined)).toBeUndefined();
      const rows = await sql<Record<string, unknown>>`select * from dashboard_sessions`.execute(t.store.db);
      const stored = JSON.stringify(rows.rows);
      expect(stored).not.toContain(signedIn!.cookie);
      expect(stored).not.toContain(adminToken);
    });

    it('ends a session when it expires', async () => {
      const signedIn = (await sessions.signIn(adminToken))!;
      now += SESSION_TTL_MS - 1000;
      expect(await sessions.check(signedIn.cookie)).toBeDefined();
      now += 2000;
      expect(await sessions.check(signedIn.cookie)).toBeUndefined();
      await sessions.prune();
      const { rows } = await sql<{ n: string }>`select count(*) as n from dashboard_sessions`.execute(
        t.store.db,
      );
      expect(Number(rows[0]!.n)).toBe(0);
    });

    it('a sign-in link works once, also when two browsers race with it, and not once expired', async () => {
      const link = (await sessions.createLink(adminToken))!;
      const raced = await Promise.all([sessions.redeemLink(link.code), sessions.redeemLink(link.code)]);
      expect(raced.filter((r) => r !== undefined)).toHaveLength(1);
      expect(await sessions.redeemLink(link.code)).toBeUndefined();
      // A link's code is not a session cookie.
      expect(await sessions.check(link.code)).toBeUndefined();

      const late = (await sessions.createLink(adminToken))!;
      now += LINK_TTL_MS + 1;
      expect(await sessions.redeemLink(late.code)).toBeUndefined();
      expect(await sessions.createLink('kga_not-it')).toBeUndefined();
    });

    it('rotating the admin token ends every session and unused link made with the old one', async () => {
      const signedIn = (await sessions.signIn(adminToken))!;
      const link = (await sessions.createLink(adminToken))!;
      const rotated = await new AgentRegistry(t.store).rotateAdminToken();
      expect(await sessions.check(signedIn.cookie)).toBeUndefined();
      expect(await sessions.redeemLink(link.code)).toBeUndefined();
      expect(await sessions.signIn(adminToken)).toBeUndefined();
      const fresh = (await sessions.signIn(rotated))!;
      expect(await sessions.check(fresh.cookie)).toBeDefined();
      expect(await new AgentRegistry(t.store).isAdmin(adminToken)).toBe(false);
      expect(await new AgentRegistry(t.store).isAdmin(rotated)).toBe(true);
    });

    it('signs out one session and leaves the others', async () => {
      const one = (await sessions.signIn(adminToken))!;
      const other = (await sessions.signIn(adminToken))!;
      await sessions.end(one.cookie);
      expect(await sessions.check(one.cookie)).toBeUndefined();
      expect(await sessions.check(other.cookie)).toBeDefined();
    });
  });
}

describe('sameSecret', () => {
  it('compares whole strings of any length', () => {
    expect(sameSecret('abc', 'abc')).toBe(true);
    expect(sameSecret('abc', 'abd')).toBe(false);
    expect(sameSecret('', 'abc')).toBe(false);
    expect(sameSecret('abcd', 'abc')).toBe(false);
  });
});

describe('keygate admin rotate-token', () => {
  it('writes a new private admin.token that works, and the old one no longer does', async () => {
    const home = join(await mkdtemp(join(tmpdir(), 'keygate-rotate-')), 'home');
    expect((await runInProcess(['init', '--home', home])).code).toBe(0);
    const before = (await readFile(join(home, 'admin.token'), 'utf8')).trim();
    const rotated = await runInProcess(['admin', 'rotate-token', '--json', '--home', home]);
    expect(rotated.code).toBe(0);
    expect(JSON.parse(rotated.stdout)).toEqual({ adminTokenFile: join(home, 'admin.token'), rotated: true });
    const after = (await readFile(join(home, 'admin.token'), 'utf8')).trim();
    expect(after).toMatch(/^kga_/);
    expect(after).not.toBe(before);
    expect(rotated.stdout + rotated.stderr).not.toContain(after);
    expect((await stat(join(home, 'admin.token'))).mode & 0o777).toBe(0o600);
    const store = await openStore({ home });
    try {
      expect(await new AgentRegistry(store).isAdmin(before)).toBe(false);
      expect(await new AgentRegistry(store).isAdmin(after)).toBe(true);
    } finally {
      await store.close();
      await rm(home, { recursive: true, force: true });
    }
  });

  it('keeps the old token working when the new one could not be written', async () => {
    const home = join(await mkdtemp(join(tmpdir(), 'keygate-rotate-')), 'home');
    expect((await runInProcess(['init', '--home', home])).code).toBe(0);
    const before = (await readFile(join(home, 'admin.token'), 'utf8')).trim();
    // A folder where the new file would be written: the home cannot take the new token.
    await mkdir(join(home, 'admin.token.new'));
    const rotated = await runInProcess(['admin', 'rotate-token', '--home', home]);
    expect(rotated.code).not.toBe(0);
    expect(rotated.stderr).toContain('admin.token.new');
    expect((await readFile(join(home, 'admin.token'), 'utf8')).trim()).toBe(before);
    const store = await openStore({ home });
    try {
      expect(await new AgentRegistry(store).isAdmin(before)).toBe(true);
    } finally {
      await store.close();
      await rm(home, { recursive: true, force: true });
    }
  });
});

/**
 * `vault rotate-key` killed with SIGKILL at different points of its transaction: afterwards
 * every secret is readable under exactly one of the two keys, and the vault opens again.
 */
import { cp, mkdtemp, open, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { homePaths } from '../../src/config/index.js';
import { openStore } from '../../src/store/index.js';
import { MasterKey, readMasterKeyFile, unseal, unwrapDataKey, Vault } from '../../src/vault/index.js';
import { startChild } from '../helpers/child.js';
import { ROOT } from '../helpers/cli.js';

const SECRETS = 150;
const value = (i: number) => `sk_test_CANARYrotation_${String(i).padStart(4, '0')}`;

async function writeKey(file: string, key: MasterKey) {
  const handle = await open(file, 'w', 0o600);
  await handle.writeFile(`${key.toBase64()}\n`);
  await handle.close();
}

/** Builds a home with SECRETS secrets under a master.key file. */
async function buildHome(): Promise<string> {
  const home = await mkdtemp(join(tmpdir(), 'keygate-crash-'));
  const key = MasterKey.generate();
  await writeKey(join(home, 'master.key'), key);
  const store = await openStore({ home });
  await Vault.initialize(store, key);
  const vault = await Vault.unlock(store, key);
  for (let i = 0; i < SECRETS; i++) await vault.set({ name: `s${i}`, kind: 'bearer', value: value(i) });
  await store.close();
  return home;
}

/** Built once (a new database and 150 writes take seconds); each test rotates its own copy. */
let template: Promise<string> | undefined;

/** A home with SECRETS secrets under a master.key file, of its own. */
async function makeHome(): Promise<string> {
  template ??= buildHome();
  const home = await mkdtemp(join(tmpdir(), 'keygate-crash-'));
  await cp(await template, home, { recursive: true });
  return home;
}

/** Runs rotate-key and kills it when `shouldKill` says so, given the progress count seen. */
async function rotateAndKill(
  home: string,
  shouldKill: (done: number) => boolean,
): Promise<{ killed: boolean; lastSeen: number }> {
  const child = startChild(join(ROOT, 'bin/keygate'), ['vault', 'rotate-key', '--verbose', '--home', home], {
    env: { PATH: process.env.PATH ?? '' },
    timeoutMs: 100_000,
  });
  let lastSeen = 0;
  let killed = false;
  child.process.stderr?.on('data', (chunk: Buffer) => {
    for (const match of chunk.toString().matchAll(/re-wrapped (\d+)\//g)) lastSeen = Number(match[1]);
    if (!killed && shouldKill(lastSeen)) {
      killed = child.process.kill('SIGKILL');
    }
  });
  await child.exited;
  if (child.timedOut()) throw new Error(`vault rotate-key did not exit within 100 s:\n${child.stderr()}`);
  return { killed, lastSeen };
}

/** Which key opens each row: every row must open with the same one of the candidates. */
async function keysOpeningRows(home: string, candidates: MasterKey[]): Promise<Set<string>> {
  const store = await openStore({ home });
  try {
    const rows = await store.db.selectFrom('secrets').selectAll().execute();
    expect(rows).toHaveLength(SECRETS);
    const opening = new Set<string>();
    for (const row of rows) {
      const stored = {
        keyId: row.key_id,
        wrap: { nonce: row.wrap_nonce, ciphertext: row.wrapped_key, tag: row.wrap_tag },
        value: { nonce: row.nonce, ciphertext: row.ciphertext, tag: row.tag },
      };
      const openers = candidates.filter((key) => {
        try {
          unwrapDataKey(key.bytes(), row, stored);
          return true;
        } catch {
          return false;
        }
      });
      expect(openers).toHaveLength(1);
      opening.add(openers[0]!.id);
    }
    const meta = await store.db.selectFrom('vault_meta').selectAll().executeTakeFirstOrThrow();
    expect(candidates.filter((key) => key.matches(Buffer.from(meta.key_check))).map((k) => k.id)).toEqual([
      ...opening,
    ]);
    return opening;
  } finally {
    await store.close();
  }
}

async function everySecretReadable(home: string) {
  const store = await openStore({ home });
  try {
    const { vault } = await unseal(store, { paths: homePaths(home) });
    for (let i = 0; i < SECRETS; i += 37)
      expect((await vault.credential(`s${i}`)).secretValues()).toEqual([value(i)]);
  } finally {
    await store.close();
  }
}

describe('rotation killed part-way', () => {
  beforeAll(async () => {
    await stat(join(ROOT, 'dist/cli/main.js')); // npm test builds first
  });

  it.each([
    ['at its first re-wrapped secret', (done: number) => done >= 1, 'old'],
    ['half-way', (done: number) => done >= SECRETS / 2, 'either'],
    ['after its last re-wrapped secret', (done: number) => done >= SECRETS, 'either'],
  ])(
    'leaves every secret under exactly one key when killed %s',
    async (_when, shouldKill, expected) => {
      const home = await makeHome();
      const oldKey = (await readMasterKeyFile(join(home, 'master.key')))!;
      const { killed } = await rotateAndKill(home, shouldKill);
      const nextKey = await readMasterKeyFile(join(home, 'master.key.next')).catch(() => undefined);
      const currentKey = (await readMasterKeyFile(join(home, 'master.key')))!;
      const candidates = [
        oldKey,
        ...[nextKey, currentKey].filter((k): k is MasterKey => !!k && k.id !== oldKey.id),
      ];
      const opening = await keysOpeningRows(home, candidates);
      expect(killed).toBe(true);
      expect(opening.size).toBe(1);
      // Killed long before its commit, the rotation must have left everything under the old key.
      if (expected === 'old') expect([...opening]).toEqual([oldKey.id]);
      await everySecretReadable(home);
    },
    120_000,
  );

  it('finishes a rotation that committed but stopped before replacing master.key', async () => {
    const home = await makeHome();
    const paths = homePaths(home);
    const oldKey = (await readMasterKeyFile(paths.masterKey))!;
    const newKey = MasterKey.generate();
    await writeKey(paths.masterKeyNext, newKey);
    const store = await openStore({ home });
    await (await Vault.unlock(store, oldKey)).rotate(newKey);
    await store.close();

    await everySecretReadable(home);
    expect((await readMasterKeyFile(paths.masterKey))!.id).toBe(newKey.id);
    await expect(stat(paths.masterKeyNext)).rejects.toThrow();
  }, 120_000);

  it('ignores a master.key.next left by a rotation that never committed', async () => {
    const home = await makeHome();
    const paths = homePaths(home);
    const oldKey = (await readMasterKeyFile(paths.masterKey))!;
    await writeKey(paths.masterKeyNext, MasterKey.generate());
    await everySecretReadable(home);
    expect((await readMasterKeyFile(paths.masterKey))!.id).toBe(oldKey.id);
    // The next rotation replaces the leftover and completes.
    const { killed } = await rotateAndKill(home, () => false);
    expect(killed).toBe(false);
    expect((await readMasterKeyFile(paths.masterKey))!.id).not.toBe(oldKey.id);
    await expect(stat(paths.masterKeyNext)).rejects.toThrow();
    await everySecretReadable(home);
  }, 120_000);
});

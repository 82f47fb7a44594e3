/**
 * Finding the master key for a store and opening the vault with it. Sources, in order:
 * KEYGATE_MASTER_KEY, a passphrase (when the vault was initialised with one), <home>/master.key.
 */
import { rename, rm, stat } from 'node:fs/promises';
import type { HomePaths } from '../config/index.js';
import { isKeygateError, KeygateError } from '../errors/index.js';
import type { KdfParams, Store } from '../store/index.js';
import { MasterKey, readMasterKeyFile } from './master-key.js';
import { Vault } from './vault.js';

/** Where the master key comes from. */
export type KeySource = 'environment' | 'passphrase' | 'file';

export interface UnsealOptions {
  readonly paths: HomePaths;
  /** KEYGATE_MASTER_KEY, when set. */
  readonly masterKey?: string;
  /** KEYGATE_PASSPHRASE, when set. */
  readonly passphrase?: string;
  /** Asks for the passphrase (hidden) when it is needed and not in the environment. */
  readonly askPassphrase?: () => Promise<string>;
}

export interface Unsealed {
  readonly vault: Vault;
  readonly source: KeySource;
  readonly kdf: KdfParams | null;
}

/**
 * Opens the vault in `store`, telling a wrong key (`vault.wrong_master_key`) or passphrase
 * (`vault.wrong_passphrase`) from corrupt data.
 */
export async function unseal(store: Store, options: UnsealOptions): Promise<Unsealed> {
  const kdf = await Vault.kdfOf(store);
  if (options.masterKey) {
    const key = MasterKey.fromBase64(options.masterKey, 'KEYGATE_MASTER_KEY');
    return { vault: await Vault.unlock(store, key), source: 'environment', kdf };
  }
  if (kdf) {
    const passphrase = options.passphrase ?? (await options.askPassphrase?.());
    if (!passphrase) {
      throw new KeygateError(
        'vault.no_master_key',
        'this vault is sealed with a passphrase: set KEYGATE_PASSPHRASE or run on a terminal',
      );
    }
    try {
      return {
        vault: await Vault.unlock(store, await MasterKey.fromPassphrase(passphrase, kdf)),
        source: 'passphrase',
        kdf,
      };
    } catch (error) {
      // The key check cannot tell a wrong passphrase from a wrong key; here only the passphrase can be.
      if (!isKeygateError(error, 'vault.wrong_master_key')) throw error;
      const from = options.passphrase === undefined ? 'the passphrase typed' : 'KEYGATE_PASSPHRASE';
      throw new KeygateError('vault.wrong_passphrase', `${from} does not open this vault`, { cause: error });
    }
  }
  const key = await readMasterKeyFile(options.paths.masterKey);
  if (!key) {
    throw new KeygateError(
      'vault.no_master_key',
      `no master key: set KEYGATE_MASTER_KEY or restore ${options.paths.masterKey}`,
    );
  }
  try {
    return { vault: await Vault.unlock(store, key), source: 'file', kdf };
  } catch (error) {
    const recovered = isKeygateError(error, 'vault.wrong_master_key')
      ? await recoverInterruptedRotation(store, options.paths)
      : undefined;
    if (!recovered) throw error;
    return { vault: recovered, source: 'file', kdf };
  }
}

/**
 * A rotation writes the new key to master.key.next, commits, then renames it over master.key.
 * If it stopped between the commit and the rename, the store is under the new key: finish the
 * rename. (If it stopped before the commit, master.key still matches and .next is left over.)
 */
async function recoverInterruptedRotation(store: Store, paths: HomePaths): Promise<Vault | undefined> {
  const next = await readMasterKeyFile(paths.masterKeyNext).catch(() => undefined);
  if (!next) return undefined;
  const vault = await Vault.unlock(store, next).catch(() => undefined);
  if (vault) await rename(paths.masterKeyNext, paths.masterKey);
  return vault;
}

/** Removes a master.key.next left by a rotation that did not commit (it never sealed anything). */
export async function discardStaleNextKey(paths: HomePaths): Promise<void> {
  if (await stat(paths.masterKeyNext).catch(() => undefined)) await rm(paths.masterKeyNext, { force: true });
}

/** `keygate init [--passphrase]`: create the home folder: master key, vault, admin token, policy. */
import { mkdir, open, stat, writeFile } from 'node:fs/promises';
import { createAdminToken } from '../agents/index.js';
import { envValue, keygateCommand } from '../config/index.js';
import { isKeygateError, KeygateError } from '../errors/index.js';
import { STARTER_POLICY } from '../policy/index.js';
import type { KdfParams, Store } from '../store/index.js';
import { checkNewPassphrase, MasterKey, readMasterKeyFile, Vault } from '../vault/index.js';
import type { CommandOutput } from './output.js';
import { readNewPassphrase } from './secret-input.js';
import { openHomeStore } from './vault-session.js';

export interface InitOptions {
  readonly home?: string;
  readonly passphrase?: boolean;
  readonly fromStdin?: boolean;
}

async function exists(file: string): Promise<boolean> {
  return (await stat(file).catch(() => undefined)) !== undefined;
}

/** Writes `text` to a new file readable by its owner only; never overwrites. */
async function writePrivate(file: string, text: string): Promise<void> {
  const handle = await open(file, 'wx', 0o600);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function isInitialized(store: Store): Promise<boolean> {
  try {
    await Vault.kdfOf(store);
    return true;
  } catch (error) {
    if (isKeygateError(error, 'vault.not_initialized')) return false;
    throw error;
  }
}

export async function initCommand(options: InitOptions): Promise<CommandOutput> {
  // A passphrase from the environment is checked before anything is created.
  const envPassphrase = options.passphrase ? envValue('KEYGATE_PASSPHRASE') : undefined;
  if (envPassphrase !== undefined) checkNewPassphrase(envPassphrase);
  const { store, paths } = await openHomeStore({
    home: options.home,
    command: 'keygate init',
    create: true,
    storeAlone: true,
  });
  try {
    if (await isInitialized(store)) {
      throw new KeygateError(
        'vault.already_initialized',
        `${paths.root} already holds a vault; nothing was changed`,
      );
    }
    await mkdir(paths.root, { recursive: true, mode: 0o700 });
    let source: 'file' | 'environment' | 'passphrase';
    let key: MasterKey;
    let kdf: KdfParams | undefined;
    const envKey = envValue('KEYGATE_MASTER_KEY');
    if (options.passphrase) {
      kdf = MasterKey.newKdf();
      key = await MasterKey.fromPassphrase(
        envPassphrase ?? (await readNewPassphrase(options.fromStdin === true)),
        kdf,
      );
      source = 'passphrase';
    } else if (envKey) {
      key = MasterKey.fromBase64(envKey, 'KEYGATE_MASTER_KEY');
      source = 'environment';
    } else {
      // A master.key without a vault is what an interrupted init leaves: use it rather than orphan it.
      key = (await readMasterKeyFile(paths.masterKey)) ?? MasterKey.generate();
      if (!(await exists(paths.masterKey))) await writePrivate(paths.masterKey, `${key.toBase64()}\n`);
      source = 'file';
    }
    await Vault.initialize(store, key, kdf);
    const adminToken = await createAdminToken(store);
    if (await exists(paths.adminToken)) await writeFile(paths.adminToken, `${adminToken}\n`, { mode: 0o600 });
    else await writePrivate(paths.adminToken, `${adminToken}\n`);
    const policyCreated = !(await exists(paths.policy));
    if (policyCreated) await writeFile(paths.policy, STARTER_POLICY, { mode: 0o600 });

    const keyLine = {
      file: `master key: ${paths.masterKey} (0600; back it up, and keep it off the machine that holds backups of data/)`,
      environment: 'master key: from KEYGATE_MASTER_KEY (not written to disk)',
      passphrase: 'master key: derived from your passphrase with scrypt (parameters stored in the vault)',
    }[source];
    return {
      json: {
        home: paths.root,
        store: store.location,
        keySource: source,
        keyId: key.id,
        adminTokenFile: paths.adminToken,
        policy: paths.policy,
        policyCreated,
      },
      text: [
        `initialised ${paths.root}`,
        `  ${keyLine}`,
        `  admin token: ${paths.adminToken} (0600; shown only there, stored as a hash)`,
        `  policy: ${paths.policy}${policyCreated ? '' : ' (kept the existing file)'}`,
        `  store: ${store.location}`,
        '',
        `next: add a credential, e.g. \`${keygateCommand(options.home)('secret set github')}\` (the value is asked for, never passed as an argument)`,
      ].join('\n'),
    };
  } finally {
    await store.close();
  }
}

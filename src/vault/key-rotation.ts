/** `vault rotate-key`: re-wrap every secret under a new master key, crash-safe end to end. */
import { open, rename } from 'node:fs/promises';
import type { HomePaths } from '../config/index.js';
import { KeygateError } from '../errors/index.js';
import { MasterKey } from './master-key.js';
import { discardStaleNextKey, type Unsealed } from './unseal.js';

export interface RotationInput {
  readonly paths: HomePaths;
  /** For a vault keyed by KEYGATE_MASTER_KEY: the new key (base64), read from stdin. */
  readonly newKeyBase64?: string;
  /** For a passphrase vault: the new passphrase. */
  readonly newPassphrase?: string;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface RotationResult {
  readonly secrets: number;
  readonly oldKeyId: string;
  readonly newKeyId: string;
  readonly source: Unsealed['source'];
}

/** Rotates the master key of an unsealed vault, the way its key source allows. */
export async function rotateMasterKey(unsealed: Unsealed, input: RotationInput): Promise<RotationResult> {
  const { vault, source } = unsealed;
  const oldKeyId = vault.keyId;
  if (source === 'environment') {
    if (!input.newKeyBase64) {
      throw new KeygateError(
        'cli.usage',
        'the master key comes from KEYGATE_MASTER_KEY: pipe the new key (base64 of 32 bytes) with --from-stdin',
      );
    }
    const newKey = MasterKey.fromBase64(input.newKeyBase64, 'the new master key');
    const { secrets } = await vault.rotate(newKey, { kdf: null, ...progress(input) });
    return { secrets, oldKeyId, newKeyId: newKey.id, source };
  }
  if (source === 'passphrase') {
    if (!input.newPassphrase) throw new KeygateError('cli.usage', 'a new passphrase is required');
    const kdf = MasterKey.newKdf();
    const newKey = await MasterKey.fromPassphrase(input.newPassphrase, kdf);
    const { secrets } = await vault.rotate(newKey, { kdf, ...progress(input) });
    return { secrets, oldKeyId, newKeyId: newKey.id, source };
  }
  // File: the new key reaches the disk before the store commits to it, so it can never be lost.
  const newKey = MasterKey.generate();
  await discardStaleNextKey(input.paths);
  const handle = await open(input.paths.masterKeyNext, 'wx', 0o600);
  await handle.writeFile(`${newKey.toBase64()}\n`);
  await handle.sync();
  await handle.close();
  const { secrets } = await vault.rotate(newKey, { kdf: null, ...progress(input) });
  await rename(input.paths.masterKeyNext, input.paths.masterKey);
  return { secrets, oldKeyId, newKeyId: newKey.id, source };
}

function progress(input: RotationInput) {
  return input.onProgress ? { onProgress: input.onProgress } : {};
}

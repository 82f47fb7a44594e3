/** `keygate vault rotate-key`: re-wrap every secret under a new master key, in one transaction. */
import { rotateMasterKey } from '../vault/index.js';
import type { CommandOutput } from './output.js';
import { readNewPassphrase, readStdin } from './secret-input.js';
import { withVault } from './vault-session.js';

export interface RotateKeyOptions {
  readonly home?: string;
  readonly fromStdin?: boolean;
  readonly verbose?: boolean;
}

export async function vaultRotateKeyCommand(options: RotateKeyOptions): Promise<CommandOutput> {
  return withVault(
    { home: options.home, command: 'keygate vault rotate-key', storeAlone: true },
    async ({ unsealed, paths }) => {
      const showProgress = options.verbose === true || process.stderr.isTTY === true;
      const result = await rotateMasterKey(unsealed, {
        paths,
        ...(unsealed.source === 'environment' && options.fromStdin
          ? { newKeyBase64: await readStdin() }
          : {}),
        ...(unsealed.source === 'passphrase'
          ? { newPassphrase: await readNewPassphrase(options.fromStdin === true) }
          : {}),
        ...(showProgress
          ? {
              onProgress: (done: number, total: number) =>
                process.stderr.write(`re-wrapped ${done}/${total}\n`),
            }
          : {}),
      });
      const where = {
        file: `the new key is in ${paths.masterKey}`,
        environment: 'set KEYGATE_MASTER_KEY to the new key before the next command',
        passphrase: 'use the new passphrase from now on',
      }[result.source];
      return {
        json: result,
        text: `re-wrapped ${result.secrets} secret(s): master key ${result.oldKeyId} → ${result.newKeyId}; ${where}`,
      };
    },
  );
}

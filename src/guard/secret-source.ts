/**
 * Where the outbound scan learns the secret values to look for: the vault (every secret, not
 * only the call's), or a fixed set in tests. Values stay in memory, inside a `Scrubber`; they are
 * never logged, and their holders print as `[secrets]`.
 */
import { inspect } from 'node:util';
import type { Vault } from '../vault/index.js';

/** One secret's values as they can appear on the wire (basic: the password, `user:pass`, its base64). */
export interface ScanSecret {
  readonly name: string;
  readonly values: readonly string[];
}

export interface SecretSource {
  /** Changes whenever a secret is set, replaced or removed: the matcher is rebuilt then, not before. */
  version(): Promise<string>;
  secrets(): Promise<readonly ScanSecret[]>;
}

/** A fixed set of secrets (tests, benchmarks). */
export function fixedSecrets(secrets: readonly ScanSecret[]): SecretSource {
  const held = hidden([...secrets]);
  return { version: async () => 'fixed', secrets: async () => held };
}

/**
 * How long the vault's list of secrets is trusted before it is read again: another daemon
 * sharing the store may set a secret. A secret set through this daemon counts at once.
 */
const LIST_TTL_MS = 2000;

/** Every secret of `vault`, its version the names, versions and master key of its secrets. */
export function vaultSecrets(vault: Vault, now: () => number = Date.now): SecretSource {
  let cached: { version: string; generation: number; readAt: number } | undefined;
  return {
    async version() {
      if (cached && cached.generation === vault.generation && now() - cached.readAt < LIST_TTL_MS)
        return cached.version;
      const generation = vault.generation;
      const list = await vault.list();
      const version = JSON.stringify([vault.keyId, list.map((secret) => [secret.name, secret.version])]);
      cached = { version, generation, readAt: now() };
      return version;
    },
    async secrets() {
      const list = await vault.list();
      const secrets: ScanSecret[] = [];
      for (const { name } of list) {
        // Not a use of the secret: its last-used time stays as it was.
        secrets.push({ name, values: await vault.storedValues(name) });
      }
      return hidden(secrets);
    },
  };
}

/** `secrets` with a redacted form in JSON, `util.inspect` and string conversion. */
function hidden<T extends readonly ScanSecret[]>(secrets: T): T {
  Object.defineProperties(secrets, {
    toJSON: { value: () => '[secrets]' },
    toString: { value: () => '[secrets]' },
    [inspect.custom]: { value: () => '[secrets]' },
  });
  for (const secret of secrets)
    Object.defineProperties(secret, {
      toJSON: { value: () => `[secret ${secret.name}]` },
      [inspect.custom]: { value: () => `[secret ${secret.name}]` },
    });
  return secrets;
}

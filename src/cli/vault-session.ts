/** Opening the store and the vault for one CLI command, and closing them after. */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { envValue, type HomePaths, homePaths, resolveHome } from '../config/index.js';
import { KeygateError } from '../errors/index.js';
import { openStore, type Store } from '../store/index.js';
import { type Unsealed, unseal } from '../vault/index.js';
import { promptHidden } from './secret-input.js';

export interface SessionOptions {
  readonly home?: string;
  readonly command: string;
  /** Only `init`: open (and so create) the store of a home that has no vault yet. */
  readonly create?: boolean;
}

const exists = (file: string) =>
  stat(file).then(
    () => true,
    () => false,
  );

/**
 * Refuses a home folder that holds no vault, creating nothing: opening the store would otherwise
 * make a half home (an empty data/ and no key) wherever a mistyped --home points. With PGlite the
 * vault is data/; with PostgreSQL the home still holds the policy and the admin token.
 */
export async function requireInitializedHome(paths: HomePaths): Promise<void> {
  const marks = envValue('DATABASE_URL')
    ? [paths.policy, paths.adminToken]
    : [join(paths.data, 'PG_VERSION')];
  for (const file of marks) if (await exists(file)) return;
  throw new KeygateError(
    'vault.not_initialized',
    `${paths.root} holds no keygate vault (nothing was created there): check --home or KEYGATE_HOME, or create one with keygate init`,
    { details: { home: paths.root } },
  );
}

/** Opens the store of the home folder (PGlite, or PostgreSQL with DATABASE_URL). */
export async function openHomeStore(options: SessionOptions): Promise<{ store: Store; paths: HomePaths }> {
  const paths = homePaths(resolveHome(options.home));
  if (!options.create) await requireInitializedHome(paths);
  const databaseUrl = envValue('DATABASE_URL');
  const schema = envValue('KEYGATE_DB_SCHEMA');
  const store = await openStore({
    home: paths.root,
    command: options.command,
    ...(databaseUrl ? { databaseUrl } : {}),
    ...(schema ? { schema } : {}),
  });
  return { store, paths };
}

/** Runs `work` with the unsealed vault, always closing the store. */
export async function withVault<T>(
  options: SessionOptions,
  work: (session: { unsealed: Unsealed; store: Store; paths: HomePaths }) => Promise<T>,
): Promise<T> {
  const { store, paths } = await openHomeStore(options);
  try {
    const masterKey = envValue('KEYGATE_MASTER_KEY');
    const passphrase = envValue('KEYGATE_PASSPHRASE');
    const unsealed = await unseal(store, {
      paths,
      ...(masterKey ? { masterKey } : {}),
      ...(passphrase ? { passphrase } : {}),
      // Without a terminal, unseal says to set KEYGATE_PASSPHRASE (no flag of these commands can help).
      ...(process.stdin.isTTY ? { askPassphrase: () => promptHidden('Vault passphrase: ') } : {}),
    });
    try {
      return await work({ unsealed, store, paths });
    } finally {
      unsealed.vault.forgetCaches();
    }
  } finally {
    await store.close();
  }
}

/** Opening the store and the vault for one CLI command, and closing them after. */
import { envValue, type HomePaths, homePaths, resolveHome } from '../config/index.js';
import { openStore, type Store } from '../store/index.js';
import { type Unsealed, unseal } from '../vault/index.js';
import { promptHidden } from './secret-input.js';

export interface SessionOptions {
  readonly home?: string;
  readonly command: string;
}

/** Opens the store of the home folder (PGlite, or PostgreSQL with DATABASE_URL). */
export async function openHomeStore(options: SessionOptions): Promise<{ store: Store; paths: HomePaths }> {
  const paths = homePaths(resolveHome(options.home));
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
      askPassphrase: () => promptHidden('Vault passphrase: '),
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

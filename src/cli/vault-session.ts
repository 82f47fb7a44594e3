/** Opening the store and the vault for one CLI command, and closing them after. */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { envValue, type HomePaths, homePaths, resolveHome } from '../config/index.js';
import { isKeygateError, KeygateError } from '../errors/index.js';
import { openStore, type Store } from '../store/index.js';
import { type Unsealed, unseal } from '../vault/index.js';
import { promptHidden } from './secret-input.js';

export interface SessionOptions {
  readonly home?: string;
  readonly command: string;
  /** Only `init`: open (and so create) the store of a home that has no vault yet. */
  readonly create?: boolean;
  /** The command cannot go through the daemon's admin API (`vault rotate-key`, `init`). */
  readonly storeAlone?: boolean;
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
  const store = await openStore({ home: paths.root, command: options.command, ...storeLocation() }).catch(
    (error: unknown) => {
      throw isKeygateError(error, 'store.locked') ? lockedAdvice(error, options, paths) : error;
    },
  );
  return { store, paths };
}

/**
 * What to do when another process holds the embedded store, which depends on who holds it and
 * whether this command could have gone through the daemon instead.
 */
function lockedAdvice(error: KeygateError, options: SessionOptions, paths: HomePaths): KeygateError {
  const { pid, command, since } = error.details as { pid?: number; command?: string; since?: string };
  if (pid === undefined) return error;
  const isDaemon = command?.startsWith('keygate serve') === true;
  const holder = isDaemon
    ? `the keygate daemon (pid ${pid}, since ${since})`
    : `process ${pid} (${command}, since ${since})`;
  const advice = !isDaemon
    ? 'wait for it to finish, or stop it, then run this again'
    : options.storeAlone
      ? `${options.command} needs the store to itself: stop the daemon first (Ctrl-C where it runs, or kill ${pid}), run this again, then start the daemon again`
      : `it did not answer at the URL in ${paths.daemon}, so this command could not go through it: check that it is healthy, or stop it (kill ${pid}) and run this again`;
  return new KeygateError('store.locked', `the store is in use by ${holder}; ${advice}`, {
    cause: error,
    details: error.details as Record<string, unknown>,
  });
}

/** Opens the vault of an open home store with the master key from the environment, file or prompt. */
export function unsealHome(store: Store, paths: HomePaths): Promise<Unsealed> {
  return unseal(store, { paths, ...masterKeySources() });
}

/** Where the store is, from the environment: PostgreSQL with DATABASE_URL, else the home's PGlite. */
export function storeLocation(): { databaseUrl?: string; schema?: string } {
  const databaseUrl = envValue('DATABASE_URL');
  const schema = envValue('KEYGATE_DB_SCHEMA');
  return { ...(databaseUrl ? { databaseUrl } : {}), ...(schema ? { schema } : {}) };
}

/** How the master key may be had, from the environment, else a prompt when there is a terminal. */
export function masterKeySources(): {
  masterKey?: string;
  passphrase?: string;
  askPassphrase?: () => Promise<string>;
} {
  const masterKey = envValue('KEYGATE_MASTER_KEY');
  const passphrase = envValue('KEYGATE_PASSPHRASE');
  return {
    ...(masterKey ? { masterKey } : {}),
    ...(passphrase ? { passphrase } : {}),
    // Without a terminal, unseal says to set KEYGATE_PASSPHRASE (no flag can help).
    ...(process.stdin.isTTY ? { askPassphrase: () => promptHidden('Vault passphrase: ') } : {}),
  };
}

/** Runs `work` with the unsealed vault, always closing the store. */
export async function withVault<T>(
  options: SessionOptions,
  work: (session: { unsealed: Unsealed; store: Store; paths: HomePaths }) => Promise<T>,
): Promise<T> {
  const { store, paths } = await openHomeStore(options);
  try {
    const unsealed = await unsealHome(store, paths);
    try {
      return await work({ unsealed, store, paths });
    } finally {
      unsealed.vault.forgetCaches();
    }
  } finally {
    await store.close();
  }
}

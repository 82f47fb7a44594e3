/** The one place keygate reads environment variables; everything else receives values from here. */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Every environment variable keygate reads, with what it is for (shown in --help and the README). */
export const ENVIRONMENT = {
  KEYGATE_HOME:
    'home folder (policy, data, master.key, admin.token); default ./vault in a checkout, else ~/.keygate',
  KEYGATE_MASTER_KEY: 'master key as base64 of 32 bytes, instead of <home>/master.key',
  KEYGATE_PASSPHRASE:
    'passphrase for a vault initialised with --passphrase (otherwise asked on the terminal)',
  KEYGATE_PORT: 'port of `keygate serve` (default 7787; 0 picks a free one, written to daemon.json)',
  KEYGATE_HOST: 'address of `keygate serve` (default 127.0.0.1)',
  KEYGATE_TOKEN: 'agent token for `keygate stdio` (kg_…)',
  KEYGATE_URL:
    'daemon URL for `keygate stdio` (default: from <home>/daemon.json, else http://127.0.0.1:7787)',
  DATABASE_URL: 'postgres://… to keep the store in PostgreSQL instead of the embedded PGlite',
  KEYGATE_DB_SCHEMA: 'PostgreSQL schema for the store (default public)',
  KEYGATE_UPSTREAM_DIR:
    'folder of upstream OpenAPI descriptions for `spec curate` (default ../shared/specs-upstream)',
  NO_COLOR: 'disable colour in terminal output',
} as const;

export type EnvironmentName = keyof typeof ENVIRONMENT;

/** The package root: the folder holding package.json, specs/ and bin/. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Reads one of keygate's variables; an empty value counts as unset. */
export function envValue(name: EnvironmentName, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

/** Where `spec curate` looks for upstream descriptions. */
export function upstreamDir(env: NodeJS.ProcessEnv = process.env): string {
  return envValue('KEYGATE_UPSTREAM_DIR', env) ?? join(PACKAGE_ROOT, '..', 'shared', 'specs-upstream');
}

/**
 * The home folder: `--home`, else KEYGATE_HOME, else `./vault` when run from inside a checkout
 * of keygate (the repository root has .git), else `~/.keygate`.
 */
export function resolveHome(
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): string {
  const explicit = flag ?? envValue('KEYGATE_HOME', env);
  if (explicit) return resolve(cwd, explicit);
  const root = PACKAGE_ROOT.replace(/[\\/]$/, '');
  const inCheckout = existsSync(join(root, '.git')) && (cwd === root || cwd.startsWith(root + sep));
  return inCheckout ? join(root, 'vault') : join(homedir(), '.keygate');
}

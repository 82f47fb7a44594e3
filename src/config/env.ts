/** The one place keygate reads environment variables; everything else receives values from here. */
import { AsyncLocalStorage } from 'node:async_hooks';
import { existsSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Every environment variable keygate reads, with what it is for (shown in --help and the README). */
export const ENVIRONMENT = {
  KEYGATE_HOME:
    'home folder (policy, data, master.key, admin.token); default ./vault in a checkout, else ~/.keygate',
  KEYGATE_MASTER_KEY: 'master key as base64 of 32 bytes, instead of <home>/master.key',
  KEYGATE_PASSPHRASE:
    'passphrase for a vault initialised with --passphrase (otherwise asked on the terminal)',
  KEYGATE_PORT:
    'port of `keygate serve` (default 7787; 0 picks a free one, written to daemon.json); where stdio and mcp-config look when no daemon runs',
  KEYGATE_HOST: 'address of `keygate serve` (default 127.0.0.1)',
  KEYGATE_TOKEN: 'agent token for `keygate stdio` (kg_…)',
  KEYGATE_URL:
    'daemon URL for `keygate stdio` and `mcp-config` (default: from <home>/daemon.json, else http://127.0.0.1:$KEYGATE_PORT)',
  DATABASE_URL: 'postgres://… to keep the store in PostgreSQL instead of the embedded PGlite',
  KEYGATE_DB_SCHEMA: 'PostgreSQL schema for the store (default public)',
  KEYGATE_UPSTREAM_DIR:
    'folder of upstream OpenAPI descriptions for `spec curate` (default ../shared/specs-upstream)',
  OTEL_EXPORTER_OTLP_ENDPOINT:
    'OTLP/HTTP endpoint (http://collector:4318): `keygate serve` then exports spans and metrics; unset, the OpenTelemetry SDK is not even loaded',
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'OTLP/HTTP endpoint for spans only (full URL, …/v1/traces)',
  OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'OTLP/HTTP endpoint for metrics only (full URL, …/v1/metrics)',
  OTEL_SERVICE_NAME:
    'service.name of the exported telemetry (default keygate); the other OTEL_* variables work as the SDK documents',
  NO_COLOR: 'disable colour in terminal output',
  XDG_CACHE_HOME:
    "where keygate keeps Node's cache of compiled code, in keygate/compile-cache (default ~/.cache; Node 22.1+; NODE_DISABLE_COMPILE_CACHE=1 turns it off)",
} as const;

export type EnvironmentName = keyof typeof ENVIRONMENT;

/** The package root: the folder holding package.json, specs/ and bin/. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The environment of one command line run in-process (tests), set by `withEnvironment`. */
const commandEnvironment = new AsyncLocalStorage<NodeJS.ProcessEnv>();

/**
 * Runs `work` seeing `env` instead of this process's environment, everything it starts included:
 * a command line run in-process gets its own variables as a child process would, without
 * changing process.env under the other code of the process.
 */
export function withEnvironment<T>(env: NodeJS.ProcessEnv, work: () => T): T {
  return commandEnvironment.run(env, work);
}

/** The environment keygate reads: the one `withEnvironment` set, else this process's. */
export function currentEnvironment(): NodeJS.ProcessEnv {
  return commandEnvironment.getStore() ?? process.env;
}

/** Reads one of keygate's variables; an empty value counts as unset. */
export function envValue(
  name: EnvironmentName,
  env: NodeJS.ProcessEnv = currentEnvironment(),
): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

/** Where `spec curate` looks for upstream descriptions. */
export function upstreamDir(env: NodeJS.ProcessEnv = currentEnvironment()): string {
  return envValue('KEYGATE_UPSTREAM_DIR', env) ?? join(PACKAGE_ROOT, '..', 'shared', 'specs-upstream');
}

/**
 * The home folder: `--home`, else KEYGATE_HOME, else `./vault` when run from inside a checkout
 * of keygate (the repository root has .git), else `~/.keygate`.
 */
export function resolveHome(
  flag: string | undefined,
  env: NodeJS.ProcessEnv = currentEnvironment(),
  cwd = process.cwd(),
): string {
  const explicit = flag ?? envValue('KEYGATE_HOME', env);
  if (explicit) return resolve(cwd, explicit);
  return inCheckout(cwd) ? join(PACKAGE_DIR, 'vault') : join(homedir(), '.keygate');
}

/** PACKAGE_ROOT without its trailing separator. */
const PACKAGE_DIR = PACKAGE_ROOT.replace(/[\\/]$/, '');

/** Whether this package is a git checkout of keygate (an installed package has no .git). */
function isCheckout(): boolean {
  return existsSync(join(PACKAGE_DIR, '.git'));
}

/** Whether `cwd` is inside a checkout of keygate, where the home defaults to ./vault. */
function inCheckout(cwd: string): boolean {
  return isCheckout() && (cwd === PACKAGE_DIR || cwd.startsWith(PACKAGE_DIR + sep));
}

/** Prefixes a keygate command line (`approvals approve ID`) with how keygate is run here. */
export type KeygateCommand = (args: string) => string;

/**
 * How a person runs keygate here, for hints and the approval command sent to agents:
 * `keygate` when this very package is on PATH (a global install), `npx keygate` when it is a
 * project's dependency on PATH, `./bin/keygate` from the checkout's root, else the absolute
 * path of bin/keygate. `--home DIR` follows the command words whenever `home` is not what that
 * command would find by itself.
 */
export function keygateCommand(
  home?: string,
  env: NodeJS.ProcessEnv = currentEnvironment(),
  cwd = process.cwd(),
): KeygateCommand {
  const bin = join(PACKAGE_DIR, 'bin', 'keygate');
  const onPath = pathEntryFor(bin, env);
  const program = onPath
    ? onPath.endsWith(`${sep}node_modules${sep}.bin`)
      ? 'npx keygate'
      : 'keygate'
    : cwd === PACKAGE_DIR
      ? './bin/keygate'
      : shellQuote(bin);
  const resolved = resolveHome(home, env, cwd);
  // The default home of a checkout depends on the folder the command runs in; only
  // ./bin/keygate pins that folder, so any other form from a checkout names its home.
  const implicit =
    resolved === resolveHome(undefined, {}, cwd) && (!isCheckout() || program === './bin/keygate');
  const homeFlag = implicit ? '' : ` --home ${shellQuote(resolved)}`;
  return (args) => {
    // Flags follow the command words: `keygate approvals approve ID --home DIR --reason R`.
    const flags = args.search(/(?:^| )-/);
    const words = flags < 0 ? args : args.slice(0, flags);
    return `${program} ${words}${homeFlag}${args.slice(words.length)}`;
  };
}

/** The PATH folder whose `keygate` is this package's bin/keygate, if any. */
function pathEntryFor(bin: string, env: NodeJS.ProcessEnv): string | undefined {
  const real = (file: string) => {
    try {
      return realpathSync(file);
    } catch {
      return undefined;
    }
  };
  const target = real(bin);
  if (!target) return undefined;
  return (env.PATH ?? '')
    .split(delimiter)
    .filter((dir) => dir !== '')
    .find((dir) => real(join(dir, 'keygate')) === target);
}

/** Quotes a word for a POSIX shell when it needs it. */
function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}

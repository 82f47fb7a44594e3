/**
 * Node's on-disk cache of compiled JavaScript (`module.enableCompileCache`, Node 22.1 and later):
 * a command started again skips compiling the ~500 modules it loads (kysely alone is 257 files),
 * which is most of a daemon's or a bridge's start before any work (bench/daemon/cold-start.mjs).
 *
 * Node runs cached code after checking little more than a hash of its source, so whoever can
 * write the cache folder can run code as keygate. It therefore lives in this user's own cache
 * folder, made private, never in the shared temporary folder Node picks by default; it is not
 * used when it, or the `keygate` folder holding it, is a symbolic link, another user's, or open
 * to others, nor when any folder above it is open to other users (`XDG_CACHE_HOME=/tmp/x` made
 * by someone else). `NODE_DISABLE_COMPILE_CACHE=1` (Node's
 * own switch) turns it off.
 */
import { chmodSync, lstatSync, mkdirSync, realpathSync } from 'node:fs';
import module from 'node:module';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { envValue } from '../config/index.js';

type EnableCompileCache = (directory: string) => { status: number; directory?: string };

/** `<XDG_CACHE_HOME or ~/.cache>/keygate/compile-cache`. */
export function compileCacheDir(env?: NodeJS.ProcessEnv): string {
  const xdg = envValue('XDG_CACHE_HOME', env);
  // The XDG rules: a relative value is invalid and ignored.
  const base = xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.cache');
  return join(base, 'keygate', 'compile-cache');
}

/** True when `directory` is a real folder (not a link) of this user's that nobody else may write. */
export function isPrivateDir(directory: string): boolean {
  try {
    const stat = lstatSync(directory);
    return stat.isDirectory() && ownedBy(stat.uid, false) && (stat.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

function ownedBy(uid: number, rootToo: boolean): boolean {
  const own = process.getuid?.();
  return own === undefined || uid === own || (rootToo && uid === 0);
}

/**
 * True when no other user can replace `directory` or any folder on its way: whoever may write
 * a folder can swap what is in it. Every ancestor of its real path must belong to this user or
 * to root and be writable by nobody else, unless sticky (`/tmp`: others may add, not replace).
 */
export function isSafePath(directory: string): boolean {
  let real: string;
  try {
    real = realpathSync(directory);
  } catch {
    return false;
  }
  for (let folder = dirname(real); ; folder = dirname(folder)) {
    try {
      const stat = lstatSync(folder);
      const openToOthers = (stat.mode & 0o022) !== 0 && (stat.mode & 0o1000) === 0;
      if (!stat.isDirectory() || !ownedBy(stat.uid, true) || openToOthers) return false;
    } catch {
      return false;
    }
    if (folder === dirname(folder)) return true;
  }
}

/**
 * Turns the cache on for the modules loaded from now on; returns its folder, or undefined when
 * this Node has no such cache or the folder is not safe to use. Never throws: a start without the
 * cache is only slower.
 */
export function enableCompileCache(
  env?: NodeJS.ProcessEnv,
  // null: this Node has no such cache (Node 20).
  enable: EnableCompileCache | null = (module as { enableCompileCache?: EnableCompileCache })
    .enableCompileCache ?? null,
): string | undefined {
  if (!enable) return undefined;
  const directory = compileCacheDir(env);
  try {
    mkdirSync(directory, { recursive: true, mode: 0o700 });
  } catch {
    return undefined;
  }
  // The keygate folder and the cache folder are this user's alone; the folders above them at
  // least out of other users' reach.
  if (!isPrivateDir(dirname(directory)) || !isPrivateDir(directory) || !isSafePath(directory))
    return undefined;
  try {
    chmodSync(directory, 0o700); // made private even when an earlier version made it otherwise
    return enable(directory).directory;
  } catch {
    return undefined;
  }
}

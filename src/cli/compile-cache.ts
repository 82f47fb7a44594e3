/**
 * Node's on-disk cache of compiled JavaScript (`module.enableCompileCache`, Node 22.1 and later):
 * a command started again skips compiling the ~500 modules it loads (kysely alone is 257 files),
 * which is most of a daemon's or a bridge's start before any work (bench/daemon/cold-start.mjs).
 *
 * Node runs cached code after checking little more than a hash of its source, so whoever can
 * write the cache folder can run code as keygate. It therefore lives in this user's own cache
 * folder, made private, never in the shared temporary folder Node picks by default; a folder
 * (or a `keygate` folder holding it) that another user owns, or others may write, or that is a
 * symbolic link, is not used. `NODE_DISABLE_COMPILE_CACHE=1` (Node's
 * own switch) turns it off.
 */
import { lstatSync, mkdirSync } from 'node:fs';
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

/** True when `directory` is a real folder of this user's that nobody else may write. */
export function isPrivateDir(directory: string): boolean {
  try {
    const stat = lstatSync(directory);
    const ownUid = process.getuid?.();
    return stat.isDirectory() && (ownUid === undefined || stat.uid === ownUid) && (stat.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

/**
 * Turns the cache on for the modules loaded from now on; returns its folder, or undefined when
 * this Node has no such cache or the folder is not safe to use. Never throws: a start without the
 * cache is only slower.
 */
export function enableCompileCache(
  env?: NodeJS.ProcessEnv,
  enable: EnableCompileCache | undefined = (module as { enableCompileCache?: EnableCompileCache })
    .enableCompileCache,
): string | undefined {
  if (!enable) return undefined;
  const directory = compileCacheDir(env);
  try {
    mkdirSync(directory, { recursive: true, mode: 0o700 });
  } catch {
    return undefined;
  }
  // Its parent too: whoever owns the folder a directory is in can swap the directory for theirs.
  if (!isPrivateDir(dirname(directory)) || !isPrivateDir(directory)) return undefined;
  try {
    return enable(directory).directory;
  } catch {
    return undefined;
  }
}

import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  compileCacheDir,
  enableCompileCache,
  isPrivateDir,
  isSafePath,
} from '../../src/cli/compile-cache.js';

const made: string[] = [];
function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'keygate-compile-cache-'));
  made.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('compile cache folder', () => {
  it('lives under XDG_CACHE_HOME when it is absolute, else ~/.cache', () => {
    expect(compileCacheDir({ XDG_CACHE_HOME: '/var/cache/me' })).toBe('/var/cache/me/keygate/compile-cache');
    expect(compileCacheDir({ XDG_CACHE_HOME: 'relative/cache' })).toBe(
      join(homedir(), '.cache', 'keygate', 'compile-cache'),
    );
    expect(compileCacheDir({})).toBe(join(homedir(), '.cache', 'keygate', 'compile-cache'));
  });

  it('is made private and handed to Node', () => {
    const base = scratch();
    const enable = vi.fn((directory: string) => ({ status: 1, directory }));
    const directory = enableCompileCache({ XDG_CACHE_HOME: base }, enable);
    expect(directory).toBe(join(base, 'keygate', 'compile-cache'));
    expect(enable).toHaveBeenCalledWith(directory);
    expect(statSync(directory!).mode & 0o777).toBe(0o700);
  });

  it('is not used when others may write it (their code would run as keygate)', () => {
    const base = scratch();
    const directory = join(base, 'keygate', 'compile-cache');
    mkdirSync(directory, { recursive: true });
    chmodSync(directory, 0o777);
    const enable = vi.fn((dir: string) => ({ status: 1, directory: dir }));
    expect(isPrivateDir(directory)).toBe(false);
    expect(enableCompileCache({ XDG_CACHE_HOME: base }, enable)).toBeUndefined();
    expect(enable).not.toHaveBeenCalled();
  });

  it('is not used when the keygate folder holding it is open to others, or is a symbolic link', () => {
    const base = scratch();
    mkdirSync(join(base, 'keygate', 'compile-cache'), { recursive: true, mode: 0o700 });
    chmodSync(join(base, 'keygate'), 0o777);
    const enable = vi.fn((dir: string) => ({ status: 1, directory: dir }));
    expect(enableCompileCache({ XDG_CACHE_HOME: base }, enable)).toBeUndefined();
    const linked = scratch();
    symlinkSync(join(base, 'keygate'), join(linked, 'keygate'));
    chmodSync(join(base, 'keygate'), 0o700);
    expect(enableCompileCache({ XDG_CACHE_HOME: linked }, enable)).toBeUndefined();
    expect(enable).not.toHaveBeenCalled();
  });

  it('is not used below a folder others may write (without the sticky bit), and is made private', () => {
    const base = scratch();
    const open = join(base, 'open');
    mkdirSync(open, { mode: 0o700 });
    chmodSync(open, 0o777);
    const enable = vi.fn((dir: string) => ({ status: 1, directory: dir }));
    expect(enableCompileCache({ XDG_CACHE_HOME: open }, enable)).toBeUndefined();
    expect(isSafePath(join(open, 'keygate', 'compile-cache'))).toBe(false);
    // Sticky, as /tmp is: others may add entries but not replace ours.
    chmodSync(open, 0o1777);
    const loose = join(open, 'keygate', 'compile-cache');
    chmodSync(loose, 0o755);
    expect(enableCompileCache({ XDG_CACHE_HOME: open }, enable)).toBe(loose);
    expect(statSync(loose).mode & 0o777).toBe(0o700);
  });

  it('does nothing on a Node without the cache, and never throws', () => {
    const base = scratch();
    expect(enableCompileCache({ XDG_CACHE_HOME: base }, null)).toBeUndefined();
    const failing = () => {
      throw new Error('no cache here');
    };
    expect(enableCompileCache({ XDG_CACHE_HOME: base }, failing)).toBeUndefined();
    // A file where the folder should be: nothing to use.
    const blocked = scratch();
    writeFileSync(join(blocked, 'keygate'), 'not a folder');
    expect(enableCompileCache({ XDG_CACHE_HOME: blocked }, vi.fn())).toBeUndefined();
  });
});

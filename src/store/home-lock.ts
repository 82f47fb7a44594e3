/**
 * PGlite runs inside one process: a second process opening the same data folder would corrupt
 * it. A lock file beside the data names the process that holds it, so the second one gets a
 * clear error instead. A lock left by a process that no longer exists is taken over.
 */
import { randomUUID } from 'node:crypto';
import { link, readFile, rm, writeFile } from 'node:fs/promises';
import { KeygateError } from '../errors/index.js';

export interface HomeLock {
  release(): Promise<void>;
}

interface LockOwner {
  readonly pid: number;
  readonly command: string;
  readonly since: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock at `file` for this process, or throws `store.locked` naming its holder. */
export async function acquireLock(file: string, command: string): Promise<HomeLock> {
  for (let attempt = 0; attempt < 2; attempt++) {
    // The owner is written whole to a file of this process's, then linked to the lock's name
    // (which fails if the name exists): another process never sees a lock file without its owner,
    // which it would take for a stale one and remove, and then both would hold the store.
    const self: LockOwner = { pid: process.pid, command, since: new Date().toISOString() };
    const mine = `${file}.${process.pid}.${randomUUID()}`;
    await writeFile(mine, JSON.stringify(self), { mode: 0o600, flag: 'wx' });
    try {
      await link(mine, file);
      return { release: () => rm(file, { force: true }) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      await rm(mine, { force: true });
    }
    const owner = await readOwner(file);
    if (owner && owner.pid !== process.pid && alive(owner.pid)) {
      throw new KeygateError(
        'store.locked',
        `the store is in use by process ${owner.pid} (${owner.command}, since ${owner.since}); stop it, then try again`,
        { details: { pid: owner.pid, command: owner.command, since: owner.since } },
      );
    }
    await rm(file, { force: true }); // stale: its process is gone
  }
  throw new KeygateError('store.locked', 'the store lock could not be taken; try again');
}

async function readOwner(file: string): Promise<LockOwner | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as LockOwner;
  } catch {
    return undefined;
  }
}

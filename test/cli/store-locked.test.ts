/** What a command says when another process holds the embedded store (in-process). */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runInProcess } from '../helpers/cli.js';

/** A home whose store is locked by `command` running as a live process other than this one. */
async function lockedHome(command: string): Promise<{ home: string; pid: number }> {
  const home = await mkdtemp(join(tmpdir(), 'keygate-locked-'));
  await mkdir(join(home, 'data'));
  await writeFile(join(home, 'data', 'PG_VERSION'), '17\n');
  const pid = process.ppid; // alive, and not this process
  await writeFile(
    join(home, 'data.lock'),
    JSON.stringify({ pid, command, since: '2026-01-01T00:00:00.000Z' }),
  );
  return { home, pid };
}

describe('store.locked', () => {
  it('vault rotate-key says to stop the daemon first, naming its pid (it cannot go through it)', async () => {
    const { home, pid } = await lockedHome('keygate serve');
    const { code, stderr } = await runInProcess(['vault', 'rotate-key', '--home', home]);
    expect(code).toBe(1);
    expect(stderr).toBe(
      `keygate: the store is in use by the keygate daemon (pid ${pid}, since 2026-01-01T00:00:00.000Z); keygate vault rotate-key needs the store to itself: stop the daemon first (Ctrl-C where it runs, or kill ${pid}), run this again, then start the daemon again [store.locked]\n`,
    );
    expect(stderr).not.toContain('while the daemon serves it');
  });

  it('a command that goes through the daemon says the daemon did not answer', async () => {
    const { home, pid } = await lockedHome('keygate serve');
    const { code, stderr } = await runInProcess(['secret', 'list', '--home', home]);
    expect(code).toBe(1);
    expect(stderr).toContain(`it did not answer at the URL in ${join(home, 'daemon.json')}`);
    expect(stderr).toContain(`kill ${pid}`);
    expect(stderr).toMatch(/\[store\.locked\]\n$/);
  });

  it('another command holding it: wait for it to finish', async () => {
    const { home, pid } = await lockedHome('keygate audit');
    const { stderr } = await runInProcess(['agent', 'list', '--home', home]);
    expect(stderr).toContain(`in use by process ${pid} (keygate audit, since`);
    expect(stderr).toContain('wait for it to finish, or stop it, then run this again [store.locked]');
  });
});

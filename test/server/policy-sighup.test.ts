/**
 * SIGHUP reloads the policy on its own: here the policy is a symlink into another folder (as
 * configuration tools deploy it), so the daemon's watch on its home never sees the edit.
 */
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runInProcess } from '../helpers/cli.js';
import { type DaemonProcess, startDaemonProcess } from '../helpers/daemon-process.js';

describe('keygate serve on SIGHUP', () => {
  let daemon: DaemonProcess | undefined;
  afterAll(async () => {
    await daemon?.stop();
  });

  it('reloads a policy change that only a SIGHUP announces', async () => {
    const root = await mkdtemp(join(tmpdir(), 'keygate-sighup-'));
    const home = join(root, 'home');
    expect((await runInProcess(['init', '--home', home])).code).toBe(0);
    const deployed = join(root, 'deployed');
    await mkdir(deployed);
    const target = join(deployed, 'keygate.yaml');
    await writeFile(target, await readFile(join(home, 'keygate.yaml'), 'utf8'));
    await rm(join(home, 'keygate.yaml'));
    await symlink(target, join(home, 'keygate.yaml'));
    daemon = await startDaemonProcess(home);
    const version = async () =>
      ((await (await fetch(`${daemon!.url}/healthz`)).json()) as { policyVersion: string }).policyVersion;
    const before = await version();

    await writeFile(target, `${await readFile(target, 'utf8')}# changed where the daemon does not watch\n`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await version()).toBe(before); // the watch on the home folder cannot see it

    daemon.child.kill('SIGHUP');
    const deadline = Date.now() + 10_000;
    while ((await version()) === before && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await version()).not.toBe(before);
    expect(daemon.log()).toContain('policy reloaded');
    expect(daemon.child.exitCode).toBeNull(); // SIGHUP does not stop it
  }, 60_000);
});

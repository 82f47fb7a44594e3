/** Hints and approval commands name keygate the way it runs here, with --home when it matters. */
import { mkdir, mkdtemp, symlink } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { keygateCommand } from '../../src/config/index.js';
import { ROOT } from '../helpers/cli.js';

const root = ROOT.replace(/\/$/, '');
const bin = join(root, 'bin', 'keygate');

describe('keygateCommand', () => {
  let globalBin: string;
  let projectBin: string;
  let elsewhere: string;

  beforeAll(async () => {
    const scratch = await mkdtemp(join(tmpdir(), 'keygate-command-'));
    // What `npm install -g` and a project's `npm install` leave: a symlink to bin/keygate.
    globalBin = join(scratch, 'prefix', 'bin');
    projectBin = join(scratch, 'project', 'node_modules', '.bin');
    elsewhere = join(scratch, 'somewhere');
    for (const dir of [globalBin, projectBin, elsewhere]) await mkdir(dir, { recursive: true });
    await symlink(bin, join(globalBin, 'keygate'));
    await symlink(bin, join(projectBin, 'keygate'));
  });

  it('says ./bin/keygate from the checkout, where the home defaults to ./vault', () => {
    expect(keygateCommand(undefined, { PATH: '/usr/bin' }, root)('secret set github')).toBe(
      './bin/keygate secret set github',
    );
  });

  it('keeps --home after the command words and before their flags', () => {
    expect(keygateCommand('/srv/kg', { PATH: '/usr/bin' }, root)('approvals deny ap_1 --reason "…"')).toBe(
      './bin/keygate approvals deny ap_1 --home /srv/kg --reason "…"',
    );
  });

  it('names the home that KEYGATE_HOME selects', () => {
    expect(
      keygateCommand(undefined, { PATH: '/usr/bin', KEYGATE_HOME: '/srv/kg' }, root)('agent add NAME'),
    ).toBe('./bin/keygate agent add NAME --home /srv/kg');
  });

  it('gives the absolute path, and the home, outside the checkout', () => {
    expect(keygateCommand(undefined, { PATH: '/usr/bin' }, elsewhere)('approvals approve ap_1')).toBe(
      `${bin} approvals approve ap_1 --home ${join(homedir(), '.keygate')}`,
    );
  });

  it('says keygate when this package is the keygate on PATH', () => {
    const command = keygateCommand('/srv/kg', { PATH: `/usr/bin:${globalBin}` }, elsewhere);
    expect(command('approvals approve ap_1')).toBe('keygate approvals approve ap_1 --home /srv/kg');
  });

  it('says npx keygate when it is a project dependency on PATH', () => {
    const command = keygateCommand('/srv/kg', { PATH: projectBin }, elsewhere);
    expect(command('tools')).toBe('npx keygate tools --home /srv/kg');
  });

  it('quotes a home with spaces for the shell', () => {
    expect(keygateCommand("/srv/my kg's", { PATH: '' }, root)('tools')).toBe(
      `./bin/keygate tools --home '/srv/my kg'\\''s'`,
    );
  });
});

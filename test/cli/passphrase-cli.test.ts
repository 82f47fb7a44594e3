/** A vault sealed with a passphrase, as a new user meets it (in-process). */
import { mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readNewPassphrase } from '../../src/cli/secret-input.js';
import { runInProcess } from '../helpers/cli.js';

const PASSPHRASE = 'first passphrase 1';

let home: string;
beforeAll(async () => {
  home = join(await mkdtemp(join(tmpdir(), 'keygate-passphrase-')), 'home');
  const env = { KEYGATE_PASSPHRASE: PASSPHRASE };
  expect((await runInProcess(['init', '--passphrase', '--home', home], { env })).code).toBe(0);
}, 120_000);

describe('opening a passphrase vault', () => {
  it('without a terminal, says to set KEYGATE_PASSPHRASE (no flag of the command can help)', async () => {
    const env = { KEYGATE_PASSPHRASE: '' };
    const { code, stderr } = await runInProcess(['secret', 'list', '--home', home], { env });
    expect(code).toBe(1);
    expect(stderr).toContain('set KEYGATE_PASSPHRASE');
    expect(stderr).not.toContain('--from-stdin');
    expect(stderr).toMatch(/\[vault\.no_master_key\]\n$/);
  });

  it('tells a wrong passphrase apart from a wrong master key', async () => {
    const env = { KEYGATE_PASSPHRASE: 'second guess!' };
    const { code, stderr } = await runInProcess(['secret', 'list', '--home', home], { env });
    expect(code).toBe(1);
    expect(stderr).toBe('keygate: KEYGATE_PASSPHRASE does not open this vault [vault.wrong_passphrase]\n');
  });

  it('opens with the right one', async () => {
    const env = { KEYGATE_PASSPHRASE: PASSPHRASE };
    const { code, stdout } = await runInProcess(['secret', 'list', '--home', home, '--json'], { env });
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ secrets: [] });
  });
});

describe('choosing a new passphrase', () => {
  it('on a terminal, refuses one under 12 characters after the first entry, before asking again', async () => {
    const asked: string[] = [];
    const ask = async (question: string) => {
      asked.push(question);
      return 'too short';
    };
    await expect(readNewPassphrase(false, ask, true)).rejects.toThrow(
      'use a passphrase of at least 12 characters (this one has 9)',
    );
    expect(asked).toEqual(['New passphrase (at least 12 characters): ']);
  });

  it('on a terminal, asks twice for one long enough', async () => {
    const answers = ['long enough phrase', 'long enough phrase'];
    const asked: string[] = [];
    const ask = async (question: string) => {
      asked.push(question);
      return answers.shift()!;
    };
    expect(await readNewPassphrase(false, ask, true)).toBe('long enough phrase');
    expect(asked).toHaveLength(2);
  });

  it('refuses a short KEYGATE_PASSPHRASE at init too, creating nothing', async () => {
    const env = { KEYGATE_PASSPHRASE: 'short' };
    const other = join(await mkdtemp(join(tmpdir(), 'keygate-passphrase-')), 'home');
    const { code, stderr } = await runInProcess(['init', '--passphrase', '--home', other], { env });
    expect(code).toBe(1);
    expect(stderr).toContain('at least 12 characters (this one has 5) [vault.master_key_invalid]');
    expect(await stat(other).catch(() => undefined)).toBeUndefined();
  });
});

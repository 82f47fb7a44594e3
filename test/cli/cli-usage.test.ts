/** The command line's own help and mistakes, run in-process through the CLI's entry. */
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands.js';
import { runInProcess } from '../helpers/cli.js';

const GROUPS = ['secret', 'vault', 'agent', 'approvals', 'audit', 'policy', 'spec'];

describe('group help', () => {
  it.each(GROUPS)('keygate %s --help lists every command of the group', async (group) => {
    const { code, stdout, stderr } = await runInProcess([group, '--help']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const members = COMMANDS.filter((c) => c.words[0] === group);
    expect(members.length).toBeGreaterThan(0);
    for (const command of members) expect(stdout).toContain(command.usage);
    expect(stdout).toContain(`keygate ${group} COMMAND --help`);
  });

  it('lists the group for a group word alone, exiting non-zero as `keygate` alone does', async () => {
    const { code, stdout } = await runInProcess(['agent']);
    expect(code).toBe(1);
    expect(stdout).toContain('keygate agent add NAME');
  });

  it('`keygate help agent token` is `keygate agent token --help`', async () => {
    const { code, stdout } = await runInProcess(['help', 'agent', 'token']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^usage: keygate agent token NAME/);
  });
});

describe('mistakes get one clear line', () => {
  it.each([
    [['agnet', 'add', 'x'], 'unknown command "agnet add" (did you mean "agent add"?); run keygate --help'],
    [['secert', 'list'], 'unknown command "secert list" (did you mean "secret list"?)'],
    [['tols'], 'unknown command "tols" (did you mean "tools"?)'],
    [
      ['agent', 'ad', 'x'],
      'unknown command "agent ad" (did you mean "agent add"?); run keygate agent --help',
    ],
    [['approvals', 'ls'], 'unknown command "approvals ls" (did you mean "approvals list"?)'],
    [['vault', 'rotate'], 'unknown command "vault rotate" (did you mean "vault rotate-key"?)'],
    [['frobnicate'], 'unknown command "frobnicate"; run keygate --help'],
    [['tools', '--agnet', 'x'], 'unknown option --agnet (did you mean --agent?) (usage: keygate tools'],
    [['audit', 'tail', '--limt', '5'], 'unknown option --limt (did you mean --limit?)'],
    [['tools', '-x'], 'unknown option -x (usage: keygate tools'],
    [['audit', 'tail', '--limit', '-1'], '--limit needs a value; to pass a negative number write --limit=-1'],
    [['audit', 'tail', '--limit'], '--limit needs a value (usage: keygate audit tail'],
    [['approvals', 'deny', 'x', '--reason', '--json'], '--reason needs a value; --json is read as a flag'],
    [['tools', '--json=yes'], '--json takes no value'],
    [['audit', 'tail', '--limit=-1'], '--limit must be 1-10000'],
  ])('%j', async (args, reason) => {
    const { code, stdout, stderr } = await runInProcess(args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain(reason);
    expect(stderr).toMatch(/\[cli\.usage\]\n$/);
    expect(stderr).not.toMatch(/ambiguous|To specify|Unknown option/);
  });

  it('suggests nothing for a word that is not close to any command', async () => {
    const { stderr } = await runInProcess(['tools', '--zzzzzz']);
    expect(stderr).toContain('unknown option --zzzzzz (usage:');
  });
});

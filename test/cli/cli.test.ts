/**
 * The CLI as a user runs it, in-process through its entry; `--help` once through ./bin/keygate
 * from the repository root (built by `npm test`), the binary itself.
 */
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands.js';
import { ENVIRONMENT } from '../../src/config/index.js';
import { runInProcess, keygate as spawnKeygate } from '../helpers/cli.js';

const keygate = (...args: string[]) => runInProcess(args);

interface ToolJson {
  name: string;
  service: string;
  risk: string;
  description: string;
  operation: { method: string; path: string; operationId: string };
  inputSchema: { type: string };
  annotations: { readOnlyHint: boolean };
}

describe('keygate CLI', () => {
  it('lists the whole catalog as JSON, with everything a script needs', async () => {
    const { code, stdout } = await keygate('tools', '--json');
    expect(code).toBe(0);
    const { tools } = JSON.parse(stdout) as { tools: ToolJson[] };
    const count = (service: string) => tools.filter((tool) => tool.service === service).length;
    expect(count('github')).toBeGreaterThanOrEqual(35);
    expect(count('stripe')).toBeGreaterThanOrEqual(25);
    expect(count('notion')).toBe(32);
    const refund = tools.find((tool) => tool.name === 'stripe_refund_create')!;
    expect(refund).toMatchObject({
      service: 'stripe',
      risk: 'payment',
      operation: { method: 'POST', path: '/v1/refunds', operationId: 'PostRefunds' },
      inputSchema: { type: 'object' },
      annotations: { readOnlyHint: false, destructiveHint: true },
    });
  });

  it('prints a table of name, risk and description, filtered by service', async () => {
    const { code, stdout } = await keygate('tools', '--service', 'notion');
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+RISK\s+DESCRIPTION$/);
    expect(lines).toHaveLength(33);
    expect(lines.find((line) => line.startsWith('notion_block_delete'))).toMatch(/destructive/);
  });

  it.each([
    [['tools', '--service', 'gitlab'], 1, 'no service named gitlab'],
    [['tools', '--nope'], 2, 'unknown option --nope'],
    [['frobnicate'], 2, 'unknown command "frobnicate"'],
    [['spec', 'curate'], 2, 'missing SERVICE'],
    [['tools', 'extra'], 2, 'unexpected argument "extra"'],
  ])('exits non-zero with a one-line reason for %j', async (args, exitCode, reason) => {
    const { code, stdout, stderr } = await keygate(...args);
    expect(code).toBe(exitCode);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain(reason);
  });

  it('documents every command and environment variable in --help', async () => {
    const { code, stdout } = await spawnKeygate(['--help']);
    expect(code).toBe(0);
    for (const command of COMMANDS) expect(stdout).toContain(command.usage);
    for (const name of Object.keys(ENVIRONMENT)) expect(stdout).toContain(name);
  });

  it('prints usage for one command', async () => {
    const { code, stdout } = await keygate('tools', '--help');
    expect(code).toBe(0);
    expect(stdout).toContain('usage: keygate tools [--agent NAME] [--service S] [--home DIR] [--json]');
  });
});

/** The CLI as a user runs it: ./bin/keygate from the repository root (built by `npm test`). */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands.js';
import { ENVIRONMENT } from '../../src/config/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);

async function keygate(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(`${root}bin/keygate`, args, { cwd: root });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

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
    expect(count('notion')).toBe(24);
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
    expect(lines).toHaveLength(25);
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
    const { code, stdout } = await keygate('--help');
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

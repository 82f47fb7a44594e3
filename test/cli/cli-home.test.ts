/** Names and homes that do not exist are refused, not silently accepted (in-process). */
import { mkdtemp, readdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, startChild } from '../helpers/child.js';
import { ROOT, runInProcess } from '../helpers/cli.js';

const POLICY = `services:
  github: { spec: builtin:github, credential: github }
agents:
  triage-bot:
    tools: ["github_issue_list"]
`;

let home: string;
beforeAll(async () => {
  home = join(await mkdtemp(join(tmpdir(), 'keygate-home-')), 'home');
  expect((await runInProcess(['init', '--home', home])).code).toBe(0);
  await writeFile(join(home, 'keygate.yaml'), POLICY);
});

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

describe('an agent the policy does not list', () => {
  it.each([
    [['tools', '--agent', 'nobody']],
    [['mcp-config', '--client', 'claude-code', '--agent', 'nobody']],
  ])('%j exits 1 naming the agents the policy has', async (args) => {
    const { code, stdout, stderr } = await runInProcess([...args, '--home', home]);
    expect(stdout).toBe('');
    expect(code).toBe(1);
    expect(stderr).toContain('the policy has no agent "nobody": it lists triage-bot');
    expect(stderr).toMatch(/\[agent\.not_found\]\n$/);
  });

  it('suggests the closest name for a typo', async () => {
    const { stderr } = await runInProcess(['tools', '--agent', 'triage-bto', '--home', home]);
    expect(stderr).toContain('no agent "triage-bto" (did you mean "triage-bot"?)');
  });

  it('still answers for an agent the policy lists', async () => {
    const { code, stdout } = await runInProcess(['tools', '--agent', 'triage-bot', '--home', home, '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout).tools.map((t: { name: string }) => t.name)).toEqual(['github_issue_list']);
  });
});

describe('a home folder with no vault', () => {
  it.each([
    [['secret', 'list']],
    [['secret', 'rm', 'github']],
    [['agent', 'add', 'bot']],
    [['agent', 'list']],
    [['agent', 'revoke', 'bot']],
    [['agent', 'token', 'bot']],
    [['audit', 'tail']],
    [['audit', 'verify']],
    [['approvals']],
    [['approvals', 'approve', 'x']],
    [['vault', 'rotate-key']],
    [['tools', '--agent', 'bot']],
    [['mcp-config', '--client', 'cursor', '--agent', 'bot']],
    [['serve', '--port', '0']],
  ])('%j refuses it with vault.not_initialized and creates nothing', async (args) => {
    const parent = await mkdtemp(join(tmpdir(), 'keygate-typo-'));
    const typo = join(parent, 'typo');
    const { code, stderr } = await runInProcess([...args, '--home', typo]);
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain(typo);
    expect(stderr).toContain('keygate init');
    expect(stderr).toMatch(/\[vault\.not_initialized\]\n$/);
    expect(await exists(typo)).toBe(false);
    expect(await readdir(parent)).toEqual([]);
  });

  it('`serve --init` (what npm start runs) still creates the home and serves it', async () => {
    const fresh = join(await mkdtemp(join(tmpdir(), 'keygate-serve-init-')), 'home');
    const child = startChild(
      process.execPath,
      [join(ROOT, 'bin/keygate'), 'serve', '--init', '--port', '0', '--home', fresh],
      { cwd: ROOT, env: cleanEnv({ HOME: tmpdir() }), timeoutMs: 100_000 },
    );
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.process.stderr?.on('data', () => {
          const match = /listening on (http:\/\/\S+)/.exec(child.stderr());
          if (match) resolve(match[1]!);
        });
        void child.exited.then(() => reject(new Error(`serve exited: ${child.stderr()}`)));
      });
      expect(child.stderr()).toContain(`initialised ${fresh}`);
      expect((await fetch(`${url}/healthz`)).ok).toBe(true);
      expect((await child.stop('SIGTERM', 60_000)).code).toBe(0);
    } finally {
      await child.stop('SIGKILL');
    }
  }, 120_000);
});

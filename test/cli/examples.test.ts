/** The examples stay true: every policy validates, every client config is what mcp-config prints. */
import { copyFile, mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog/index.js';
import { parsePolicy } from '../../src/policy/index.js';
import { ROOT, runInProcess } from '../helpers/cli.js';

const examples = join(ROOT, 'examples');

/** What `keygate mcp-config --client CLIENT --agent AGENT --json` prints, run in-process. */
async function mcpConfig(client: string, agent: string, home?: string): Promise<{ config: unknown }> {
  const { code, stdout, stderr } = await runInProcess([
    'mcp-config',
    '--client',
    client,
    '--agent',
    agent,
    ...(home ? ['--home', home] : []),
    '--json',
  ]);
  expect(stderr).toBe('');
  expect(code).toBe(0);
  return JSON.parse(stdout) as { config: unknown };
}
/** A home whose keygate.yaml lists triage-bot (mcp-config refuses an agent the policy lacks). */
let home: string;
beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'keygate-examples-'));
  await copyFile(join(examples, 'policies', 'github-triage-readonly.yaml'), join(home, 'keygate.yaml'));
});

describe('examples', () => {
  it('has five policies, each valid against the catalog', async () => {
    const files = (await readdir(join(examples, 'policies'))).filter((f) => f.endsWith('.yaml'));
    expect(files).toHaveLength(5);
    const catalog = await loadCatalog();
    for (const file of files) {
      const result = parsePolicy(await readFile(join(examples, 'policies', file), 'utf8'), catalog);
      expect(result.ok ? [] : result.problems, file).toEqual([]);
    }
  });

  it.each(['claude-code', 'cursor', 'vscode'])(
    'holds exactly what mcp-config prints for %s',
    async (client) => {
      const printed = await mcpConfig(client, 'triage-bot', home);
      const file = JSON.parse(await readFile(join(examples, 'clients', `${client}.mcp.json`), 'utf8'));
      expect(file).toEqual(printed.config);
      expect(JSON.stringify(file)).not.toMatch(/kg_[A-Za-z0-9_-]{20}/);
    },
  );

  it('runs keygate stdio for Claude Desktop, with the token as a placeholder', async () => {
    const printed = (await mcpConfig('claude-desktop', 'triage-bot', home)) as {
      config: {
        mcpServers: Record<string, { command: string; args: string[]; env: Record<string, string> }>;
      };
    };
    const entry = printed.config.mcpServers['keygate-triage-bot']!;
    expect(entry.command).toBe(join(ROOT, 'bin', 'keygate'));
    expect(entry.args).toEqual(['stdio']);
    expect(entry.env).toEqual({ KEYGATE_TOKEN: '<the kg_ token of this agent>', KEYGATE_HOME: home });
    const file = JSON.parse(await readFile(join(examples, 'clients', 'claude-desktop.json'), 'utf8'));
    expect(Object.keys(file.mcpServers['keygate-triage-bot'])).toEqual(['command', 'args', 'env']);
  });

  it('refuses an unknown client', async () => {
    const { code, stderr } = await runInProcess(['mcp-config', '--client', 'emacs', '--agent', 'a']);
    expect(code).not.toBe(0);
    expect(stderr).toContain('--client must be one of');
  });
});

/** mcp-config addresses the daemon it is told about, and gives every agent its own names. */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the clients' own ${…} placeholders.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { COMMANDS } from '../../src/cli/commands.js';
import { mcpConfigCommand } from '../../src/cli/mcp-config.js';

type Config = {
  mcpServers?: Record<
    string,
    { url?: string; headers?: Record<string, string>; env?: Record<string, string> }
  >;
  inputs?: { id: string }[];
  servers?: Record<string, { url: string; headers: Record<string, string> }>;
};
const config = async (options: Parameters<typeof mcpConfigCommand>[0]) =>
  ((await mcpConfigCommand(options)).json as { config: Config }).config;

/** A home whose keygate.yaml lists the agents these tests name (mcp-config refuses others). */
async function policyHome(): Promise<string> {
  const home = await mkdtemp(join(tmpdir(), 'keygate-mcp-config-'));
  const agents = ['bot', 'triage-bot', 'billing-bot'].map((name) => `  ${name}:\n    tools: []\n`).join('');
  await writeFile(join(home, 'keygate.yaml'), `agents:\n${agents}`);
  return home;
}

describe('keygate mcp-config', () => {
  let home: string;
  beforeAll(async () => {
    home = await policyHome();
  });
  afterEach(() => vi.unstubAllEnvs());

  it('uses KEYGATE_PORT when no daemon runs', async () => {
    vi.stubEnv('KEYGATE_PORT', '9123');
    const printed = await config({ client: 'cursor', agent: 'bot', home });
    expect(printed.mcpServers?.['keygate-bot']?.url).toBe('http://127.0.0.1:9123/mcp');
  });

  it('uses KEYGATE_URL, with or without its /mcp', async () => {
    vi.stubEnv('KEYGATE_URL', 'https://keygate.internal:8443/mcp');
    const printed = await config({ client: 'claude-code', agent: 'bot', home });
    expect(printed.mcpServers?.['keygate-bot']?.url).toBe('https://keygate.internal:8443/mcp');
  });

  it.each([
    [{ port: '9200' }, 'http://127.0.0.1:9200/mcp'],
    [{ url: 'http://10.0.0.5:7000/' }, 'http://10.0.0.5:7000/mcp'],
  ])('takes %o over the environment', async (flags, url) => {
    vi.stubEnv('KEYGATE_URL', 'http://127.0.0.1:1111');
    vi.stubEnv('KEYGATE_PORT', '2222');
    const printed = await config({ client: 'cursor', agent: 'bot', home, ...flags });
    expect(printed.mcpServers?.['keygate-bot']?.url).toBe(url);
  });

  it("prefers the running daemon's URL to KEYGATE_PORT", async () => {
    const running = await policyHome();
    await writeFile(join(running, 'daemon.json'), JSON.stringify({ url: 'http://127.0.0.1:45678', pid: 1 }));
    vi.stubEnv('KEYGATE_PORT', '9123');
    const printed = await config({ client: 'cursor', agent: 'bot', home: running });
    expect(printed.mcpServers?.['keygate-bot']?.url).toBe('http://127.0.0.1:45678/mcp');
  });

  it('refuses a port that is not one', async () => {
    await expect(mcpConfigCommand({ client: 'cursor', agent: 'bot', home, port: 'x' })).rejects.toThrow(
      '--port must be a port number',
    );
  });

  it('passes an explicit URL on to keygate stdio for Claude Desktop', async () => {
    const printed = await config({ client: 'claude-desktop', agent: 'bot', home, port: '9300' });
    expect(printed.mcpServers?.['keygate-bot']?.env?.KEYGATE_URL).toBe('http://127.0.0.1:9300');
  });

  it('accepts --port and --url on the command line', async () => {
    const spec = COMMANDS.find((c) => c.words.join(' ') === 'mcp-config')!;
    expect(spec.options).toHaveProperty('port');
    expect(spec.options).toHaveProperty('url');
    const output = await spec.run({ client: 'cursor', agent: 'bot', home, port: '9400' }, []);
    expect(output.text).toContain('http://127.0.0.1:9400/mcp');
  });

  it.each(['claude-code', 'cursor'])(
    'gives two agents their own server and token variable in one %s config',
    async (client) => {
      const a = await config({ client, agent: 'triage-bot', home });
      const b = await config({ client, agent: 'billing-bot', home });
      const merged = { ...a.mcpServers, ...b.mcpServers };
      expect(Object.keys(merged)).toEqual(['keygate-triage-bot', 'keygate-billing-bot']);
      const auth = Object.values(merged).map((server) => server.headers?.Authorization);
      expect(auth[0]).toMatch(/KEYGATE_TOKEN_TRIAGE_BOT\}$/);
      expect(auth[1]).toMatch(/KEYGATE_TOKEN_BILLING_BOT\}$/);
    },
  );

  it('gives two agents their own input in one VS Code config', async () => {
    const a = await config({ client: 'vscode', agent: 'triage-bot', home });
    const b = await config({ client: 'vscode', agent: 'billing-bot', home });
    expect([...(a.inputs ?? []), ...(b.inputs ?? [])].map((input) => input.id)).toEqual([
      'keygate-token-triage-bot',
      'keygate-token-billing-bot',
    ]);
    expect(b.servers?.['keygate-billing-bot']?.headers.Authorization).toBe(
      'Bearer ${input:keygate-token-billing-bot}',
    );
  });
});

/**
 * mcp-config addresses the daemon it is told about, and gives every agent its own names
 * (in-process through the CLI's entry, with the environment a child would get).
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the clients' own ${…} placeholders.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands.js';
import { runInProcess } from '../helpers/cli.js';

type Config = {
  mcpServers?: Record<
    string,
    { url?: string; headers?: Record<string, string>; env?: Record<string, string> }
  >;
  inputs?: { id: string }[];
  servers?: Record<string, { url: string; headers: Record<string, string> }>;
};
interface McpConfigFlags {
  readonly client: string;
  readonly agent: string;
  readonly home: string;
  readonly port?: string;
  readonly url?: string;
}

/** `keygate mcp-config` with these flags: what it prints, and its exit code. */
function mcpConfig(flags: McpConfigFlags, env: Record<string, string> = {}, json = true) {
  const args = Object.entries(flags).flatMap(([name, value]) => [`--${name}`, value]);
  return runInProcess(['mcp-config', ...args, ...(json ? ['--json'] : [])], { env });
}

/** The configuration `keygate mcp-config --json` prints. */
async function config(flags: McpConfigFlags, env: Record<string, string> = {}): Promise<Config> {
  const { code, stdout, stderr } = await mcpConfig(flags, env);
  expect(stderr).toBe('');
  expect(code).toBe(0);
  return (JSON.parse(stdout) as { config: Config }).config;
}

/** A home whose keygate.yaml lists the agents these tests name (mcp-config refuses others). */
async function policyHome(): Promise<string> {
  const home = await mkdtemp(join(tmpdir(), 'keygate-mcp-config-'));
  const agents = ['bot', 'triage-bot', 'billing-bot'].map((name) => `  ${name}:\n    tools: []\n`).join('');
  const proxied = '  coder:\n    proxy:\n      openai: ["GET /models"]\n      s3: ["GET /**"]\n';
  const services =
    'services:\n  s3:\n    proxy:\n      base_url: https://s3.eu-west-1.amazonaws.com\n      credential: aws\n      allow: ["GET /**"]\n      aws: { region: eu-west-1, service: s3 }\n';
  await writeFile(join(home, 'keygate.yaml'), `${services}agents:\n${agents}${proxied}`);
  return home;
}

describe('keygate mcp-config', () => {
  let home: string;
  beforeAll(async () => {
    home = await policyHome();
  });

  it("shows the base URL and key an SDK needs for each of the agent's proxy services", async () => {
    const { code, stdout } = await mcpConfig(
      { client: 'claude-code', agent: 'coder', home },
      { KEYGATE_PORT: '9123' },
      false,
    );
    expect(code).toBe(0);
    expect(stdout).toContain('OPENAI_BASE_URL=http://127.0.0.1:9123/proxy/openai OPENAI_API_KEY=kg_…');
    expect(stdout).toContain(
      's3 (AWS SDK): endpoint http://127.0.0.1:9123/proxy/s3 with forcePathStyle, region eu-west-1, accessKeyId kg_…',
    );
    const json = await mcpConfig({ client: 'claude-code', agent: 'coder', home }, { KEYGATE_PORT: '9123' });
    expect(JSON.parse(json.stdout).proxy).toEqual({
      openai: { baseUrl: 'http://127.0.0.1:9123/proxy/openai', apiKey: '<the kg_ token of this agent>' },
      s3: {
        baseUrl: 'http://127.0.0.1:9123/proxy/s3',
        accessKeyId: '<the kg_ token of this agent>',
        region: 'eu-west-1',
      },
    });
    const plain = await mcpConfig(
      { client: 'claude-code', agent: 'bot', home },
      { KEYGATE_PORT: '9123' },
      false,
    );
    expect(plain.stdout).not.toContain('/proxy/');
  });

  it('uses KEYGATE_PORT when no daemon runs', async () => {
    const printed = await config({ client: 'cursor', agent: 'bot', home }, { KEYGATE_PORT: '9123' });
    expect(printed.mcpServers?.['keygate-bot']?.url).toBe('http://127.0.0.1:9123/mcp');
  });

  it('uses KEYGATE_URL, with or without its /mcp', async () => {
    const printed = await config(
      { client: 'claude-code', agent: 'bot', home },
      { KEYGATE_URL: 'https://keygate.internal:8443/mcp' },
    );
    expect(printed.mcpServers?.['keygate-bot']?.url).toBe('https://keygate.internal:8443/mcp');
  });

  it.each([
    [{ port: '9200' }, 'http://127.0.0.1:9200/mcp'],
    [{ url: 'http://10.0.0.5:7000/' }, 'http://10.0.0.5:7000/mcp'],
  ])('takes %o over the environment', async (flags, url) => {
    const env = { KEYGATE_URL: 'http://127.0.0.1:1111', KEYGATE_PORT: '2222' };
    const printed = await config({ client: 'cursor', agent: 'bot', home, ...flags }, env);
    expect(printed.mcpServers?.['keygate-bot']?.url).toBe(url);
  });

  it("prefers the running daemon's URL to KEYGATE_PORT", async () => {
    const running = await policyHome();
    await writeFile(join(running, 'daemon.json'), JSON.stringify({ url: 'http://127.0.0.1:45678', pid: 1 }));
    const printed = await config({ client: 'cursor', agent: 'bot', home: running }, { KEYGATE_PORT: '9123' });
    expect(printed.mcpServers?.['keygate-bot']?.url).toBe('http://127.0.0.1:45678/mcp');
  });

  it('refuses a port that is not one', async () => {
    const { code, stderr } = await mcpConfig({ client: 'cursor', agent: 'bot', home, port: 'x' });
    expect(code).not.toBe(0);
    expect(stderr).toContain('--port must be a port number');
  });

  it('passes an explicit URL on to keygate stdio for Claude Desktop', async () => {
    const printed = await config({ client: 'claude-desktop', agent: 'bot', home, port: '9300' });
    expect(printed.mcpServers?.['keygate-bot']?.env?.KEYGATE_URL).toBe('http://127.0.0.1:9300');
  });

  it('accepts --port and --url on the command line', async () => {
    const spec = COMMANDS.find((c) => c.words.join(' ') === 'mcp-config')!;
    expect(spec.options).toHaveProperty('port');
    expect(spec.options).toHaveProperty('url');
    const output = await mcpConfig({ client: 'cursor', agent: 'bot', home, port: '9400' }, {}, false);
    expect(output.stdout).toContain('http://127.0.0.1:9400/mcp');
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

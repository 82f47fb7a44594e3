/** `keygate mcp-config --client … --agent NAME`: the exact configuration snippet for an MCP client. */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the snippets contain the clients' own ${…} placeholders, on purpose.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { homePaths, PACKAGE_ROOT, resolveHome } from '../config/index.js';
import { KeygateError } from '../errors/index.js';
import type { CommandOutput } from './output.js';
import { requirePolicyAgent } from './policy-agents.js';
import { DEFAULT_PORT } from './serve.js';

export const CLIENTS = ['claude-desktop', 'claude-code', 'cursor', 'vscode'] as const;

export async function mcpConfigCommand(options: {
  home?: string;
  client?: string;
  agent?: string;
}): Promise<CommandOutput> {
  const client = options.client as (typeof CLIENTS)[number];
  if (!CLIENTS.includes(client))
    throw new KeygateError('cli.usage', `--client must be one of ${CLIENTS.join(', ')}`);
  if (!options.agent) throw new KeygateError('cli.usage', '--agent NAME is required');
  const home = resolveHome(options.home);
  await requirePolicyAgent(homePaths(home), options.agent);
  const daemon = await readFile(homePaths(home).daemon, 'utf8')
    .then((text) => (JSON.parse(text) as { url?: string }).url)
    .catch(() => undefined);
  const url = `${daemon ?? `http://127.0.0.1:${DEFAULT_PORT}`}/mcp`;
  const name = `keygate-${options.agent}`;
  const { config, where, note } = snippet(client, name, url, home);
  return {
    json: { client, agent: options.agent, file: where, config },
    text: [`# ${where}`, JSON.stringify(config, null, 2), '', `# ${note}`].join('\n'),
  };
}

function snippet(client: (typeof CLIENTS)[number], name: string, url: string, home: string) {
  switch (client) {
    case 'claude-desktop':
      // Claude Desktop launches a command and cannot read an environment variable of yours.
      return {
        where: 'claude_desktop_config.json (Settings → Developer → Edit Config)',
        config: {
          mcpServers: {
            [name]: {
              command: join(PACKAGE_ROOT, 'bin', 'keygate'),
              args: ['stdio'],
              env: { KEYGATE_TOKEN: '<the kg_ token of this agent>', KEYGATE_HOME: home },
            },
          },
        },
        note: 'Claude Desktop stores the token in this file: prefer a task token (keygate agent token NAME --ttl 8h).',
      };
    case 'claude-code':
      return {
        where: '.mcp.json in your project (or: claude mcp add-json)',
        config: {
          mcpServers: {
            [name]: { type: 'http', url, headers: { Authorization: 'Bearer ${KEYGATE_TOKEN}' } },
          },
        },
        note: 'Claude Code expands ${KEYGATE_TOKEN} from your environment: export KEYGATE_TOKEN=kg_… before starting it.',
      };
    case 'cursor':
      return {
        where: '~/.cursor/mcp.json (or .cursor/mcp.json in a project)',
        config: {
          mcpServers: { [name]: { url, headers: { Authorization: 'Bearer ${env:KEYGATE_TOKEN}' } } },
        },
        note: 'Cursor reads ${env:KEYGATE_TOKEN} from the environment it was started in.',
      };
    case 'vscode':
      return {
        where: '.vscode/mcp.json',
        config: {
          inputs: [
            {
              type: 'promptString',
              id: 'keygate-token',
              description: `keygate token (${name})`,
              password: true,
            },
          ],
          servers: {
            [name]: { type: 'http', url, headers: { Authorization: 'Bearer ${input:keygate-token}' } },
          },
        },
        note: 'VS Code asks for the token once and keeps it in its secret storage.',
      };
  }
}

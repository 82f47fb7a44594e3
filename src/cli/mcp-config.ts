/** `keygate mcp-config --client … --agent NAME`: the exact configuration snippet for an MCP client. */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the snippets contain the clients' own ${…} placeholders, on purpose.
import { join } from 'node:path';
import { homePaths, keygateCommand, PACKAGE_ROOT, resolveHome } from '../config/index.js';
import { KeygateError } from '../errors/index.js';
import { daemonUrl } from './daemon-url.js';
import type { CommandOutput } from './output.js';
import { proxyServicesOf, requirePolicyAgent } from './policy-agents.js';

export const CLIENTS = ['claude-desktop', 'claude-code', 'cursor', 'vscode'] as const;

export async function mcpConfigCommand(options: {
  home?: string;
  client?: string;
  agent?: string;
  /** The daemon's URL (default KEYGATE_URL, else the running daemon's, else KEYGATE_PORT or 7787). */
  url?: string;
  /** The daemon's port on this machine, when it is not the default. */
  port?: string;
}): Promise<CommandOutput> {
  const client = options.client as (typeof CLIENTS)[number];
  if (!CLIENTS.includes(client))
    throw new KeygateError('cli.usage', `--client must be one of ${CLIENTS.join(', ')}`);
  if (!options.agent) throw new KeygateError('cli.usage', '--agent NAME is required');
  const home = resolveHome(options.home);
  await requirePolicyAgent(homePaths(home), options.agent);
  const daemon = await daemonUrl(home, { url: options.url, port: options.port });
  if (!daemon.url)
    throw new KeygateError(
      'cli.usage',
      'KEYGATE_PORT=0 lets the daemon pick its port when it starts: start it first, or pass --port or --url',
    );
  const agent = options.agent;
  // Each agent has its own server name, token variable and input id, so that the snippets of
  // several agents can live side by side in one client's configuration.
  const names: SnippetNames = {
    server: `keygate-${agent}`,
    tokenVariable: `KEYGATE_TOKEN_${agent.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}`,
    inputId: `keygate-token-${agent.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`,
  };
  const { config, where, note } = snippet(client, names, {
    url: `${daemon.url}/mcp`,
    // stdio finds the daemon through daemon.json; a URL given explicitly is passed on.
    stdioUrl: daemon.source === 'flag' || daemon.source === 'environment' ? daemon.url : undefined,
    home,
    taskToken: keygateCommand(options.home)(`agent token ${agent} --ttl 8h`),
  });
  // An SDK reaches a proxy service through its base URL, with the agent's token as its key (an
  // AWS SDK: as its access key id; keygate signs with the real keys).
  const services = await proxyServicesOf(homePaths(home), agent);
  const proxy = Object.fromEntries(
    services.map(({ service, aws }) => [
      service,
      aws
        ? {
            baseUrl: `${daemon.url}/proxy/${service}`,
            accessKeyId: '<the kg_ token of this agent>',
            region: aws.region,
          }
        : { baseUrl: `${daemon.url}/proxy/${service}`, apiKey: '<the kg_ token of this agent>' },
    ]),
  );
  const proxyLines = services.map(({ service, aws }) => {
    const baseUrl = `${daemon.url}/proxy/${service}`;
    if (aws)
      return `#   ${service} (AWS SDK): endpoint ${baseUrl}${aws.service === 's3' ? ' with forcePathStyle' : ''}, region ${aws.region}, accessKeyId kg_…, any secretAccessKey`;
    const prefix = service.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
    return `#   ${prefix}_BASE_URL=${baseUrl} ${prefix}_API_KEY=kg_…`;
  });
  return {
    json: { client, agent, file: where, config, ...(proxyLines.length > 0 ? { proxy } : {}) },
    text: [
      `# ${where}`,
      JSON.stringify(config, null, 2),
      '',
      `# ${note}`,
      ...(proxyLines.length > 0
        ? [
            '',
            '# Raw-HTTP proxy: point an SDK at its service through keygate, the agent token as its API key',
            '# (e.g. OPENAI_BASE_URL and OPENAI_API_KEY for the openai client):',
            ...proxyLines,
          ]
        : []),
    ].join('\n'),
  };
}

interface SnippetNames {
  readonly server: string;
  readonly tokenVariable: string;
  readonly inputId: string;
}

interface SnippetContext {
  readonly url: string;
  readonly stdioUrl: string | undefined;
  readonly home: string;
  readonly taskToken: string;
}

function snippet(client: (typeof CLIENTS)[number], names: SnippetNames, context: SnippetContext) {
  const { server: name, tokenVariable, inputId } = names;
  const { url, home } = context;
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
              env: {
                KEYGATE_TOKEN: '<the kg_ token of this agent>',
                KEYGATE_HOME: home,
                ...(context.stdioUrl ? { KEYGATE_URL: context.stdioUrl } : {}),
              },
            },
          },
        },
        note: `Claude Desktop stores the token in this file: prefer a task token (${context.taskToken}).`,
      };
    case 'claude-code':
      return {
        where: '.mcp.json in your project (or: claude mcp add-json)',
        config: {
          mcpServers: {
            [name]: { type: 'http', url, headers: { Authorization: `Bearer \${${tokenVariable}}` } },
          },
        },
        note: `Claude Code expands \${${tokenVariable}} from your environment: export ${tokenVariable}=kg_… before starting it.`,
      };
    case 'cursor':
      return {
        where: '~/.cursor/mcp.json (or .cursor/mcp.json in a project)',
        config: {
          mcpServers: { [name]: { url, headers: { Authorization: `Bearer \${env:${tokenVariable}}` } } },
        },
        note: `Cursor reads \${env:${tokenVariable}} from the environment it was started in: export ${tokenVariable}=kg_… before starting it.`,
      };
    case 'vscode':
      return {
        where: '.vscode/mcp.json',
        config: {
          inputs: [
            {
              type: 'promptString',
              id: inputId,
              description: `keygate token (${name})`,
              password: true,
            },
          ],
          servers: {
            [name]: { type: 'http', url, headers: { Authorization: `Bearer \${input:${inputId}}` } },
          },
        },
        note: 'VS Code asks for the token once and keeps it in its secret storage.',
      };
  }
}

/** `keygate tools [--agent NAME] [--service S] [--json]`: what an agent can call, with risk class. */
import { type Catalog, loadCatalog, type ToolDefinition } from '../catalog/index.js';
import { homePaths, resolveHome } from '../config/index.js';
import { KeygateError } from '../errors/index.js';
import { loadPolicy } from '../policy/index.js';
import { findDaemon } from './daemon-client.js';
import { type CommandOutput, formatTable } from './output.js';
import { requirePolicyAgent } from './policy-agents.js';
import { requireInitializedHome } from './vault-session.js';

export interface ToolsOptions {
  readonly service?: string;
  readonly agent?: string;
  readonly home?: string;
  readonly json?: boolean;
  /** Injected by tests; loaded from specs/ otherwise. */
  readonly catalog?: Catalog;
}

type ToolJson = ReturnType<typeof toolJson> & { approval?: string };

export async function toolsCommand(options: ToolsOptions): Promise<CommandOutput> {
  const catalog = options.catalog ?? (await loadCatalog());
  if (options.service && !catalog.services.has(options.service)) {
    const known = [...catalog.services.keys()].join(', ');
    throw new KeygateError('catalog.unknown', `no service named ${options.service} (known: ${known})`);
  }
  let tools: ToolJson[];
  if (options.agent) {
    tools = await agentTools(options.agent, options.home, catalog);
  } else {
    tools = catalog.tools.map(toolJson);
  }
  tools = tools.filter((tool) => !options.service || tool.service === options.service);
  const header = options.agent
    ? ['NAME', 'RISK', 'APPROVAL', 'DESCRIPTION']
    : ['NAME', 'RISK', 'DESCRIPTION'];
  const rows = tools.map((t) =>
    options.agent ? [t.name, t.risk, t.approval ?? '', t.description] : [t.name, t.risk, t.description],
  );
  return {
    json: { ...(options.agent ? { agent: options.agent } : {}), tools },
    text:
      tools.length === 0
        ? `no tools${options.agent ? ` for ${options.agent}: give it some in keygate.yaml` : ''}`
        : formatTable([header, ...rows]),
  };
}

/** The tools policy gives `agent`: from the running daemon, else from the policy file. */
async function agentTools(agent: string, home: string | undefined, catalog: Catalog): Promise<ToolJson[]> {
  const paths = homePaths(resolveHome(home));
  await requireInitializedHome(paths);
  await requirePolicyAgent(paths, agent);
  const daemon = await findDaemon(home);
  if (daemon)
    return (
      await daemon.request<{ tools: ToolJson[] }>('GET', `/api/tools?agent=${encodeURIComponent(agent)}`)
    ).tools;
  const engine = await loadPolicy(paths.policy, catalog);
  return engine
    .toolsFor({ agent, tokenId: '', tools: null })
    .map((tool) => ({ ...toolJson(tool), approval: engine.approvalFor(agent, tool) }));
}

/** The complete JSON form of a tool, as `tools --json` prints it. */
export function toolJson(tool: ToolDefinition) {
  return {
    name: tool.name,
    service: tool.service,
    risk: tool.risk,
    description: tool.description,
    operation: tool.operation,
    aliases: tool.aliases,
    annotations: tool.annotations,
    inputSchema: tool.inputSchema,
  };
}

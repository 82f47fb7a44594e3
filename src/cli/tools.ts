/** `keygate tools [--agent NAME] [--service S] [--json]`: what an agent can call, with risk class. */
import { type ToolJson, toolJson } from '../admin/index.js';
import { loadCatalog } from '../catalog/index.js';
import { homePaths, resolveHome } from '../config/index.js';
import { KeygateError } from '../errors/index.js';
import { withAdmin } from './admin-session.js';
import { type CommandOutput, formatTable } from './output.js';
import { requirePolicyAgent } from './policy-agents.js';
import { requireInitializedHome } from './vault-session.js';

export interface ToolsOptions {
  readonly service?: string;
  readonly agent?: string;
  readonly home?: string;
  readonly json?: boolean;
}

export async function toolsCommand(options: ToolsOptions): Promise<CommandOutput> {
  const catalog = await loadCatalog();
  if (options.service && !catalog.services.has(options.service)) {
    const known = [...catalog.services.keys()].join(', ');
    throw new KeygateError('catalog.unknown', `no service named ${options.service} (known: ${known})`);
  }
  // The whole catalog needs no home; an agent's tools are the policy's, from the daemon or the file.
  let tools: ToolJson[] = options.agent
    ? await agentTools(options.agent, options.home)
    : catalog.tools.map((tool) => toolJson(tool));
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
async function agentTools(agent: string, home: string | undefined): Promise<ToolJson[]> {
  const paths = homePaths(resolveHome(home));
  await requireInitializedHome(paths);
  await requirePolicyAgent(paths, agent);
  return (await withAdmin(home, 'keygate tools', (admin) => admin.listTools({ agent }))).tools;
}

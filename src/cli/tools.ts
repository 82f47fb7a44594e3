/** `keygate tools [--agent NAME] [--service S] [--json]`: what an agent can call, with risk class and proxy routes. */
import { type ToolJson, type ToolList, toolJson } from '../admin/index.js';
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
  const unknownService = () =>
    new KeygateError(
      'catalog.unknown',
      `no service named ${options.service} (known: ${[...catalog.services.keys()].join(', ')})`,
    );
  // Without an agent, a service must be a catalog one; with one, it may be a proxy service it has routes on.
  if (options.service && !options.agent && !catalog.services.has(options.service)) throw unknownService();
  // The whole catalog needs no home; an agent's tools are the policy's, from the daemon or the file.
  const listed = options.agent ? await agentListing(options.agent, options.home) : undefined;
  let tools: ToolJson[] = listed ? listed.tools : catalog.tools.map((tool) => toolJson(tool));
  tools = tools.filter((tool) => !options.service || tool.service === options.service);
  const proxy = Object.entries(listed?.proxy ?? {}).filter(
    ([service]) => !options.service || service === options.service,
  );
  if (options.service && !catalog.services.has(options.service) && proxy.length === 0) throw unknownService();
  const header = options.agent
    ? ['NAME', 'RISK', 'APPROVAL', 'DESCRIPTION']
    : ['NAME', 'RISK', 'DESCRIPTION'];
  const rows = tools.map((t) =>
    options.agent ? [t.name, t.risk, t.approval ?? '', t.description] : [t.name, t.risk, t.description],
  );
  const routes = proxy.flatMap(([service, granted]) => granted.map((route) => [service, route]));
  const discovery =
    listed?.discovery && tools.length > 0
      ? [
          `discovery mode: ${options.agent}'s tools/list shows keygate_search_tools, keygate_describe_tool and keygate_call_tool; the tools below are reached through them`,
        ]
      : [];
  const text = [
    ...discovery,
    ...(tools.length > 0 ? [formatTable([header, ...rows])] : []),
    ...(routes.length > 0 ? [formatTable([['PROXY SERVICE', 'ROUTE'], ...routes])] : []),
  ].join('\n\n');
  return {
    json: {
      ...(options.agent ? { agent: options.agent } : {}),
      tools,
      ...(options.agent ? { proxy: Object.fromEntries(proxy), discovery: listed?.discovery ?? false } : {}),
    },
    text:
      text === ''
        ? `no tools${options.agent ? ` for ${options.agent}: give it some in keygate.yaml` : ''}`
        : text,
  };
}

/** The tools and proxy routes policy gives `agent`: from the running daemon, else from the policy file. */
async function agentListing(agent: string, home: string | undefined): Promise<ToolList> {
  const paths = homePaths(resolveHome(home));
  await requireInitializedHome(paths);
  await requirePolicyAgent(paths, agent);
  return withAdmin(home, 'keygate tools', (admin) => admin.listTools({ agent }));
}

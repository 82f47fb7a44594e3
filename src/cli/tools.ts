/** `keygate tools [--service S] [--json]`: the catalog, as an agent would see it. */
import { type Catalog, loadCatalog, type ToolDefinition } from '../catalog/index.js';
import { KeygateError } from '../errors/index.js';
import { type CommandOutput, formatTable } from './output.js';

export interface ToolsOptions {
  readonly service?: string;
  readonly json?: boolean;
  /** Injected by tests; loaded from specs/ otherwise. */
  readonly catalog?: Catalog;
}

export async function toolsCommand(options: ToolsOptions): Promise<CommandOutput> {
  const catalog = options.catalog ?? (await loadCatalog());
  if (options.service && !catalog.services.has(options.service)) {
    const known = [...catalog.services.keys()].join(', ');
    throw new KeygateError('catalog.unknown', `no service named ${options.service} (known: ${known})`);
  }
  const tools = catalog.tools.filter((tool) => !options.service || tool.service === options.service);
  return {
    json: { tools: tools.map(toolJson) },
    text: formatTable([
      ['NAME', 'RISK', 'DESCRIPTION'],
      ...tools.map((t) => [t.name, t.risk, t.description]),
    ]),
  };
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

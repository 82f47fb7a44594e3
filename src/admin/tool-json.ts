/** The JSON form of a tool, as `keygate tools --json` prints it and `/api/tools` answers it. */
import { describedSchemaOf, type ToolDefinition } from '../catalog/index.js';

/** The complete JSON form of a tool; `approval` is present when listed for an agent. */
export function toolJson(tool: ToolDefinition, approval?: string) {
  return {
    name: tool.name,
    service: tool.service,
    risk: tool.risk,
    description: tool.description,
    operation: tool.operation,
    aliases: tool.aliases,
    annotations: tool.annotations,
    // In full, as keygate_describe_tool shows it: tools/list's form is compacted to fit its budget.
    inputSchema: describedSchemaOf(tool),
    ...(approval === undefined ? {} : { approval }),
  };
}

export type ToolJson = ReturnType<typeof toolJson>;

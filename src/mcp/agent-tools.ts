/** The tools one agent gets over MCP: what policy lets it see, and every call through the call pipeline. */
import type { CallExchange } from '../approvals/index.js';
import { type PipelineDeps, PLAIN_EXCHANGE, runCall } from '../calls/index.js';
import type { CallerIdentity } from '../policy/index.js';
import { HTTP_REQUEST_TOOL, httpRequestTool, runHttpRequestTool } from './http-request-tool.js';
import { type ToolResult, toolResultOf } from './tool-result.js';
import type { ToolHandlers } from './tool-server.js';

/** The tool handlers one authenticated caller gets. */
export function agentToolHandlers(deps: PipelineDeps, caller: CallerIdentity): ToolHandlers {
  return {
    list: () => {
      const policy = deps.policy();
      const proxy = httpRequestTool(policy, caller);
      return proxy ? [...policy.toolsFor(caller), proxy] : policy.toolsFor(caller);
    },
    call: (name, args, exchange) =>
      // Only an agent with proxy routes has the tool; for any other it names no tool at all.
      name === HTTP_REQUEST_TOOL && httpRequestTool(deps.policy(), caller)
        ? runHttpRequestTool(deps, caller, args, exchange)
        : runToolCall(deps, caller, name, args, exchange),
  };
}

/** Runs one tools/call for `caller`; `undefined` when `name` is no tool at all. */
export async function runToolCall(
  deps: PipelineDeps,
  caller: CallerIdentity,
  name: string,
  args: Record<string, unknown>,
  exchange: CallExchange = PLAIN_EXCHANGE,
): Promise<ToolResult | undefined> {
  return toolResultOf(await runCall(deps, caller, { kind: 'tool', name, args }, exchange));
}

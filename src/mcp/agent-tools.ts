/** The tools one agent gets over MCP: what policy lets it see, and every call through the call pipeline. */
import type { PipelineDeps } from '../calls/index.js';
import type { CallerIdentity } from '../policy/index.js';
import { DISCOVERY_TOOLS, isDiscoveryTool, runDiscoveryTool } from './discovery-tools.js';
import { HTTP_REQUEST_TOOL, httpRequestTool, runHttpRequestTool } from './http-request-tool.js';
import { runToolCall } from './tool-call.js';
import type { ToolHandlers } from './tool-server.js';

/**
 * The tool handlers one authenticated caller gets. In discovery mode tools/list shows the three
 * meta-tools instead of the caller's own; its own stay callable by name all the same (a client
 * that listed them before a policy change still works, through the same pipeline).
 */
export function agentToolHandlers(deps: PipelineDeps, caller: CallerIdentity): ToolHandlers {
  return {
    list: () => {
      const policy = deps.policy();
      const own = policy.discoveryFor(caller) ? DISCOVERY_TOOLS : policy.toolsFor(caller);
      const proxy = httpRequestTool(policy, caller);
      return proxy ? [...own, proxy] : [...own];
    },
    call: (name, args, exchange) => {
      // Only an agent with proxy routes has the tool; for any other it names no tool at all.
      if (name === HTTP_REQUEST_TOOL && httpRequestTool(deps.policy(), caller))
        return runHttpRequestTool(deps, caller, args, exchange);
      // Likewise the meta-tools exist only for an agent in discovery mode.
      if (isDiscoveryTool(name) && deps.policy().discoveryFor(caller))
        return runDiscoveryTool(deps, caller, name, args, exchange);
      return runToolCall(deps, caller, name, args, exchange);
    },
  };
}

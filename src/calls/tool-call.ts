/** Catalog tool calls: the catalog finds and validates them, policy rules on them, the executor sends them. */
import { isKeygateError } from '../errors/index.js';
import { argumentParts } from '../guard/index.js';
import type { CallKind, ToolCall, ToolCallRequest } from './call.js';
import { toolCallIdentity } from './call-identity.js';

export const toolCalls: CallKind<ToolCallRequest, ToolCall> = {
  nameOf: (request) => request.name,
  resolve(deps, request) {
    const tool = deps.catalog.find(request.name);
    if (!tool) return { kind: 'unknown', name: request.name, reason: 'unknown tool' };
    try {
      // The one validation a call gets: the executor trusts these arguments as they are.
      const args = deps.catalog.validate(tool, request.args);
      return { kind: 'call', name: tool.name, call: { kind: 'tool', tool, args } };
    } catch (error) {
      if (!isKeygateError(error)) throw error;
      return { kind: 'invalid', name: tool.name, error };
    }
  },
  outOfReach: (deps, policy, caller, name) => {
    const tool = deps.catalog.find(name);
    return tool && policy.outOfReach(caller, tool);
  },
  identify: (call) => toolCallIdentity(call.tool, call.args),
  decide: (policy, caller, call) => policy.decide(caller, call.tool, call.args),
  // Every string of the arguments: path, query, header and body fields alike leave with the request.
  outbound: (call) => ({ destination: call.tool.service, parts: argumentParts(call.args) }),
  rateLimits: (policy, caller, call) => policy.rateLimitsFor(caller.agent, call.tool),
  approvalSubject: (call) => ({ definition: call.tool, args: call.args }),
  approved: (call, args) => ({ ...call, args }),
  execute: (deps, call, context) => deps.executor.call(call.tool, call.args, context),
};

/**
 * How the pipeline's calls show in OpenTelemetry: who made each call under which policy (on the
 * span of the request being served), its risk, and the calls and denials metrics by how it
 * ended. Only names keygate offers, codes and classes are recorded, never an argument.
 */
import { isKeygateError } from '../errors/index.js';
import type { CallerIdentity } from '../policy/index.js';
import { countCall, denialClass, describeCall, failedDecision } from '../telemetry/index.js';
import type { Call, CallOutcome, CallRequest, PipelineDeps } from './call.js';
import { proxyToolName } from './http-call.js';

/** Runs one call, then counts it by how it ended. */
export async function observeCall(
  deps: PipelineDeps,
  caller: CallerIdentity,
  request: CallRequest,
  run: () => Promise<CallOutcome>,
): Promise<CallOutcome> {
  describeCall(caller.agent, deps.policy().version);
  const outcome = await run();
  const { tool, service } = offered(deps, request, outcome);
  switch (outcome.kind) {
    case 'unknown':
      countCall(tool, service, 'unknown', 'unknown');
      break;
    case 'ask':
      countCall(tool, service, 'approval_asked');
      break;
    case 'done':
      countCall(tool, service, 'completed');
      break;
    case 'failed': {
      const code = isKeygateError(outcome.error) ? outcome.error.code : 'internal';
      countCall(tool, service, failedDecision(code), denialClass(code));
      break;
    }
  }
  return outcome;
}

/**
 * The tool and service a call names, as metric attributes: a name the agent made up is
 * `_unknown` (it is the agent's text, and would make a series per guess).
 */
function offered(
  deps: PipelineDeps,
  request: CallRequest,
  outcome: CallOutcome,
): { tool: string; service: string } {
  if (outcome.kind === 'unknown') return { tool: '_unknown', service: '_unknown' };
  if (request.kind === 'http') return { tool: proxyToolName(request.service), service: request.service };
  const tool = deps.catalog.find(request.name);
  return tool ? { tool: tool.name, service: tool.service } : { tool: '_unknown', service: '_unknown' };
}

/** A call's risk class: the tool's, or for a proxied request read (GET, HEAD) or write. */
export function riskOf(call: Call): string {
  if (call.kind === 'tool') return call.tool.risk;
  return call.method === 'GET' || call.method === 'HEAD' ? 'read' : 'write';
}

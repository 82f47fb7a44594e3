/**
 * Discovery mode: three meta-tools in tools/list instead of every tool an agent may use, so that
 * the context an agent pays for does not grow with the catalog. Search and describe see only the
 * caller's own tools (policy and token); `keygate_call_tool` hands its call to the same
 * `runToolCall` as a direct tools/call — validation, policy, rate limits, approvals and audit
 * under the real tool's name — so it is no path around anything.
 */
import type { CallExchange } from '../approvals/index.js';
import { type PipelineDeps, PLAIN_EXCHANGE, rateLimitedError } from '../calls/index.js';
import {
  describedSchemaOf,
  jsonNestsDeeperThan,
  MAX_JSON_DEPTH,
  MAX_SEARCH_LIMIT,
  type ToolDefinition,
} from '../catalog/index.js';
import { KeygateError } from '../errors/index.js';
import type { CallerIdentity } from '../policy/index.js';
import { runToolCall } from './tool-call.js';
import { type ToolResult, toolErrorResult } from './tool-result.js';

export const SEARCH_TOOL = 'keygate_search_tools';
export const DESCRIBE_TOOL = 'keygate_describe_tool';
export const CALL_TOOL = 'keygate_call_tool';

const MAX_QUERY_CHARACTERS = 500;

const READ_ONLY = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };

function metaTool(
  name: string,
  description: string,
  inputSchema: Record<string, unknown>,
  annotations: ToolDefinition['annotations'],
): ToolDefinition {
  return {
    name,
    aliases: [],
    service: 'keygate',
    description,
    risk: annotations.readOnlyHint ? 'read' : 'write',
    annotations,
    operation: { method: 'post', path: `/discovery/${name}`, operationId: name },
    inputSchema: { type: 'object', ...inputSchema, additionalProperties: false },
    bindings: [],
    headers: {},
    bodyEncoding: 'none',
    sensitiveArguments: [],
    unions: new Map(),
  };
}

/** The three tools, as tools/list shows them (the same for every agent: they name no tool). */
export const DISCOVERY_TOOLS: readonly ToolDefinition[] = [
  metaTool(
    SEARCH_TOOL,
    [
      'Finds the API tools you may use (GitHub, Stripe, Notion) for a task, best match first: name, service, risk and a one-line summary.',
      'Search in plain words ("close an issue", "refund a charge"), then keygate_describe_tool for the arguments and keygate_call_tool to run it.',
    ].join('\n'),
    {
      properties: {
        query: { type: 'string', description: 'What you want to do, in a few words.' },
        service: { type: 'string', description: 'Only this service: github, stripe or notion.' },
        limit: {
          type: 'integer',
          minimum: 1,
          maximum: MAX_SEARCH_LIMIT,
          description: `Most matches to return (default 10, at most ${MAX_SEARCH_LIMIT}).`,
        },
      },
      required: ['query'],
    },
    READ_ONLY,
  ),
  metaTool(
    DESCRIBE_TOOL,
    "Describes one of your tools in full: what it does, its risk, whether calls wait for a human's approval, and the JSON Schema of its arguments.",
    {
      properties: {
        name: { type: 'string', description: 'The tool name, as keygate_search_tools gave it.' },
      },
      required: ['name'],
    },
    READ_ONLY,
  ),
  metaTool(
    CALL_TOOL,
    [
      'Calls one of your tools with its arguments, exactly as if it were called directly: the same checks, approvals and audit.',
      'Writes and payments may wait for a human to approve them. The answer is the tool’s own.',
    ].join('\n'),
    {
      properties: {
        name: { type: 'string', description: 'The tool name.' },
        arguments: {
          type: 'object',
          description: "The tool's arguments, as keygate_describe_tool shows them.",
        },
      },
      required: ['name'],
    },
    { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
  ),
];

const NAMES = new Set(DISCOVERY_TOOLS.map((tool) => tool.name));

export function isDiscoveryTool(name: string): boolean {
  return NAMES.has(name);
}

function invalid(message: string): ToolResult {
  return toolErrorResult(new KeygateError('executor.invalid_arguments', message));
}

function jsonResult(value: unknown): ToolResult {
  return {
    content: [{ type: 'text', text: JSON.stringify(value, null, 1) }],
    structuredContent: value as never,
  };
}

/** The same answer for a tool that does not exist and one the caller may not use. */
function notYours(name: string): ToolResult {
  return toolErrorResult(
    new KeygateError(
      'policy.denied',
      `no tool named ${JSON.stringify(name.slice(0, 100))} is available to you; keygate_search_tools finds the ones that are`,
    ),
  );
}

/** Runs one of the three tools for `caller`. */
export async function runDiscoveryTool(
  deps: PipelineDeps,
  caller: CallerIdentity,
  name: string,
  args: Record<string, unknown>,
  exchange: CallExchange = PLAIN_EXCHANGE,
): Promise<ToolResult | undefined> {
  switch (name) {
    case SEARCH_TOOL:
    case DESCRIBE_TOOL: {
      // They call nothing upstream and write no audit row, but they cost the daemon's time: they
      // count against the agent's rate limits like any call (a call through keygate_call_tool
      // counts as the real tool's).
      const rate = await deps.rateLimiter.hit(deps.policy().rateLimitsFor(caller.agent, name));
      if (!rate.allowed) return toolErrorResult(rateLimitedError(rate));
      return name === SEARCH_TOOL ? search(deps, caller, args) : describe(deps, caller, args);
    }
    case CALL_TOOL:
      return call(deps, caller, args, exchange);
    default:
      return undefined;
  }
}

function search(deps: PipelineDeps, caller: CallerIdentity, args: Record<string, unknown>): ToolResult {
  const { query, service, limit } = args;
  if (typeof query !== 'string' || query.trim() === '' || query.length > MAX_QUERY_CHARACTERS)
    return invalid(`query must be a non-empty string of at most ${MAX_QUERY_CHARACTERS} characters`);
  if (service !== undefined && typeof service !== 'string') return invalid('service must be a string');
  if (
    limit !== undefined &&
    (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_SEARCH_LIMIT)
  )
    return invalid(`limit must be an integer from 1 to ${MAX_SEARCH_LIMIT}`);
  const allowed = new Set(
    deps
      .policy()
      .toolsFor(caller)
      .map((tool) => tool.name),
  );
  const matches = deps.catalog.search.search(query, {
    allowed: (tool) => allowed.has(tool),
    ...(service ? { service } : {}),
    ...(limit ? { limit } : {}),
  });
  return jsonResult({
    tools: matches.map(({ name, service, risk, summary }) => ({ name, service, risk, summary })),
    ...(matches.length === 0
      ? { hint: 'No tool you may use matches; try other or fewer words, or no service.' }
      : { next: 'keygate_describe_tool gives a tool’s arguments; keygate_call_tool runs it.' }),
  });
}

/** The caller's own tool called `name` (or formerly so), if it may use it. */
function ownTool(deps: PipelineDeps, caller: CallerIdentity, name: string): ToolDefinition | undefined {
  const tool = deps.catalog.find(name);
  if (!tool) return undefined;
  return deps
    .policy()
    .toolsFor(caller)
    .find((own) => own.name === tool.name);
}

function describe(deps: PipelineDeps, caller: CallerIdentity, args: Record<string, unknown>): ToolResult {
  const { name } = args;
  if (typeof name !== 'string' || name === '') return invalid('name must be a tool name');
  const tool = ownTool(deps, caller, name);
  if (!tool) return notYours(name);
  return jsonResult({
    name: tool.name,
    service: tool.service,
    risk: tool.risk,
    approval: deps.policy().approvalFor(caller.agent, tool),
    description: tool.description,
    // The schema in full: tools/list's compact form leaves out what its own words restate.
    inputSchema: describedSchemaOf(tool),
  });
}

async function call(
  deps: PipelineDeps,
  caller: CallerIdentity,
  args: Record<string, unknown>,
  exchange: CallExchange,
): Promise<ToolResult> {
  const { name } = args;
  let inner = args.arguments ?? {};
  if (typeof name !== 'string' || name === '') return invalid('name must be a tool name');
  // Models often send an object as a JSON string.
  if (typeof inner === 'string') {
    if (jsonNestsDeeperThan(inner)) return invalid(`arguments nest deeper than ${MAX_JSON_DEPTH} levels`);
    try {
      inner = JSON.parse(inner);
    } catch {
      return invalid('arguments must be an object');
    }
  }
  if (typeof inner !== 'object' || inner === null || Array.isArray(inner))
    return invalid('arguments must be an object');
  // The meta-tools are not catalog tools: naming one here names no tool, as any unknown name.
  const result = await runToolCall(deps, caller, name, inner as Record<string, unknown>, exchange);
  return result ?? notYours(name);
}

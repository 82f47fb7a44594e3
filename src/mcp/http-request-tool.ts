/**
 * `keygate_http_request`: raw-HTTP proxy mode for agents that only speak MCP. The same proxied
 * request as `/proxy/<service>/…` (same policy, rate limits, approvals, audit and scrubbing,
 * through the same `runCall`), its answer read whole and bounded into a tool result. Listed only
 * for agents with a `proxy:` grant; its description lists their routes so the model knows them.
 */
import type { CallExchange } from '../approvals/index.js';
import { type PipelineDeps, runCall } from '../calls/index.js';
import type { ToolDefinition } from '../catalog/index.js';
import { KeygateError } from '../errors/index.js';
import type { CallerIdentity, PolicyEngine } from '../policy/index.js';
import { type ToolResult, toolErrorResult, toolResultOf } from './tool-result.js';

export const HTTP_REQUEST_TOOL = 'keygate_http_request';

const INPUT_SCHEMA = {
  type: 'object',
  properties: {
    service: { type: 'string', description: 'The proxy service, as listed in this description.' },
    method: { type: 'string', description: 'GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS.' },
    path: { type: 'string', description: "The path under the service's base URL, starting with /." },
    query: {
      type: 'object',
      additionalProperties: { type: 'string' },
      description: 'Query parameters.',
    },
    headers: {
      type: 'object',
      additionalProperties: { type: 'string' },
      description: 'Request headers (credentials are added by keygate; any sent here are dropped).',
    },
    body: {
      description: 'The request body: a string as it is, anything else sent as JSON.',
    },
  },
  required: ['service', 'method', 'path'],
  additionalProperties: false,
} as const;

/** The tool's definition for `caller`, or undefined when its agent has no proxy routes. */
export function httpRequestTool(policy: PolicyEngine, caller: CallerIdentity): ToolDefinition | undefined {
  const grants = Object.entries(policy.proxyRoutesForCaller(caller)).filter(
    ([, routes]) => routes.length > 0,
  );
  if (grants.length === 0) return undefined;
  const lines = grants.map(([service, routes]) => `- ${service}: ${routes.join(', ')}`);
  return {
    name: HTTP_REQUEST_TOOL,
    aliases: [],
    service: 'keygate',
    description: [
      "Sends an HTTP request to an API through keygate's proxy, which adds the credential.",
      'Routes you may call (method and path glob, per service):',
      ...lines,
      'Writes may wait for a human to approve them. The answer is the status, content type and body.',
    ].join('\n'),
    risk: 'write',
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
    operation: { method: 'post', path: '/proxy/{service}/{path}', operationId: HTTP_REQUEST_TOOL },
    inputSchema: INPUT_SCHEMA as unknown as ToolDefinition['inputSchema'],
    bindings: [],
    headers: {},
    bodyEncoding: 'none',
    sensitiveArguments: [],
    unions: new Map(),
  };
}

function stringRecord(value: unknown, name: string): Record<string, string> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new KeygateError('executor.invalid_arguments', `${name} must be an object of strings`);
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.some(([, item]) => typeof item !== 'string'))
    throw new KeygateError('executor.invalid_arguments', `${name} must be an object of strings`);
  return Object.fromEntries(entries) as Record<string, string>;
}

/** Runs one `keygate_http_request` call for `caller`. */
export async function runHttpRequestTool(
  deps: PipelineDeps,
  caller: CallerIdentity,
  args: Record<string, unknown>,
  exchange: CallExchange,
): Promise<ToolResult> {
  const { service, method, path, body } = args;
  if (typeof service !== 'string' || typeof method !== 'string' || typeof path !== 'string')
    return toolErrorResult(
      new KeygateError('executor.invalid_arguments', 'service, method and path are required strings'),
    );
  let headers: Record<string, string>;
  let query: Record<string, string>;
  try {
    headers = Object.fromEntries(
      Object.entries(stringRecord(args.headers, 'headers')).map(([name, value]) => [
        name.toLowerCase(),
        value,
      ]),
    );
    query = stringRecord(args.query, 'query');
  } catch (error) {
    return toolErrorResult(error);
  }
  let bytes: Uint8Array | undefined;
  if (typeof body === 'string') bytes = Buffer.from(body);
  else if (body !== undefined) {
    bytes = Buffer.from(JSON.stringify(body));
    headers['content-type'] ??= 'application/json';
  }
  const search = new URLSearchParams(query).toString();
  const target = `${path}${search ? `${path.includes('?') ? '&' : '?'}${search}` : ''}`;
  const outcome = await runCall(
    deps,
    caller,
    {
      kind: 'http',
      service,
      method,
      path: target,
      headers,
      ...(bytes ? { body: bytes } : {}),
      mode: 'text',
      // A client that cancels the tool call (or leaves) cancels the upstream request too.
      ...(exchange.signal ? { signal: exchange.signal } : {}),
    },
    exchange,
  );
  // A service keygate does not proxy is the model's mistake to correct, not a protocol fault.
  if (outcome.kind === 'unknown')
    return toolErrorResult(
      new KeygateError('policy.denied', `no proxy service ${service} is available to you`),
    );
  return toolResultOf(outcome) ?? toolErrorResult(new KeygateError('internal', 'no result'));
}

/**
 * The narrowest app credential an agent's policy allows on a service: the repositories its tools
 * are pinned to and the permissions its tools need (through the curated permission map). A GitHub
 * App installation token is minted with exactly this scope. It is computed from the agent's whole
 * tool set, not from one call: one token per agent scope is what gets cached.
 */
import {
  type AppPermissionMap,
  appPermissions,
  type PermissionLevel,
  strongerLevel,
  type ToolDefinition,
} from '../catalog/index.js';
import { KeygateError } from '../errors/index.js';
import type { CredentialScope } from '../executor/index.js';
import type { CallerIdentity, PolicyEngine } from './engine.js';
import type { Constraint } from './policy-schema.js';
import { globMatches } from './tool-pattern.js';

/** GitHub refuses more repositories than this in one token request. */
export const MAX_TOKEN_REPOSITORIES = 500;

/** The argument naming a repository in every repository-scoped GitHub operation. */
const REPO_ARGUMENT = 'repo';

/**
 * The scope of `caller` on `service`; throws `policy.unpinned` when its policy leaves the
 * repositories open (an empty list would make GitHub grant every repository of the installation).
 */
export function credentialScope(
  engine: PolicyEngine,
  caller: CallerIdentity,
  service: string,
  permissionMap: AppPermissionMap | undefined = appPermissions(service),
): CredentialScope {
  const rules = engine.agentPolicy(caller.agent);
  const tools = engine.toolsFor(caller).filter((tool) => tool.service === service);
  if (!rules || tools.length === 0)
    throw unpinned(`${caller.agent} may call no ${service} tool, so no ${service} token is minted for it`);
  if (!permissionMap)
    throw unpinned(
      `${service} has no permission map (specs/${service}.permissions.yaml): nothing to narrow to`,
    );
  const repositories = new Set<string>();
  const open: string[] = [];
  // metadata: read comes with every installation token; asking for it keeps the permission set
  // from ever being empty (an empty one would leave the token the installation's full permissions).
  const permissions: Record<string, PermissionLevel> = { metadata: 'read' };
  for (const tool of tools) {
    const needs = permissionMap.get(tool.name);
    if (needs === undefined) throw unpinned(`${tool.name} is not in ${service}'s permission map`);
    if (needs !== 'unavailable')
      for (const [permission, level] of Object.entries(needs))
        permissions[permission] = Object.hasOwn(permissions, permission)
          ? strongerLevel(permissions[permission]!, level)
          : level;
    if (!hasArgument(tool, REPO_ARGUMENT)) continue;
    const pinned = pinnedRepositories(tool, rules.constraints);
    if (pinned === undefined) open.push(tool.name);
    else for (const name of pinned) repositories.add(name);
  }
  const fix = `pin them in keygate.yaml, e.g. agents.${caller.agent}.constraints: { "${service}_*": { repo: { oneOf: [name, …] } } } (equals or oneOf; a pattern or prefix does not pin)`;
  if (open.length > 0)
    throw unpinned(`${caller.agent}'s policy does not pin the repositories of ${listed(open)}: ${fix}`);
  if (repositories.size === 0)
    throw unpinned(`${caller.agent}'s policy pins no repository on its ${service} tools: ${fix}`);
  if (repositories.size > MAX_TOKEN_REPOSITORIES)
    throw unpinned(
      `${caller.agent}'s policy pins ${repositories.size} repositories; a token covers at most ${MAX_TOKEN_REPOSITORIES}`,
    );
  return {
    repositories: [...repositories].sort(),
    permissions: Object.fromEntries(Object.entries(permissions).sort(([a], [b]) => (a < b ? -1 : 1))),
  };
}

/**
 * The repository names `tool` may be called with under `constraints`: the intersection of every
 * matching pattern's `repo` pin (a call must pass all of them); `undefined` when none pins it.
 */
function pinnedRepositories(
  tool: ToolDefinition,
  constraints: Readonly<Record<string, Readonly<Record<string, Constraint>>>>,
): Set<string> | undefined {
  let allowed: Set<string> | undefined;
  for (const [pattern, args] of Object.entries(constraints)) {
    if (!globMatches(pattern, tool.name) || !Object.hasOwn(args, REPO_ARGUMENT)) continue;
    const values = pinnedValues(args[REPO_ARGUMENT]!);
    if (values === undefined) continue;
    allowed = allowed ? new Set([...allowed].filter((name) => values.has(name))) : values;
  }
  return allowed;
}

/** The values a constraint admits when it is a closed list (equals, oneOf); strings only. */
function pinnedValues(constraint: Constraint): Set<string> | undefined {
  const rule = typeof constraint === 'object' ? constraint : { equals: constraint };
  if (rule.equals === undefined && rule.oneOf === undefined) return undefined;
  let values = rule.oneOf ?? [rule.equals!];
  if (rule.equals !== undefined) values = values.filter((value) => value === rule.equals);
  return new Set(values.filter((value): value is string => typeof value === 'string'));
}

function hasArgument(tool: ToolDefinition, name: string): boolean {
  const properties = (tool.inputSchema.properties ?? {}) as Record<string, unknown>;
  return Object.hasOwn(properties, name);
}

function listed(names: readonly string[]): string {
  return names.length <= 4
    ? names.join(', ')
    : `${names.slice(0, 4).join(', ')} and ${names.length - 4} more`;
}

function unpinned(message: string): KeygateError {
  return new KeygateError('policy.unpinned', message);
}

/** Decisions under one loaded policy: which tools an agent sees, and whether a call may proceed. */
import { argumentSchemaOf, type Catalog, type ToolDefinition } from '../catalog/index.js';
import { parseDuration } from '../config/index.js';
import type { CredentialScope } from '../executor/index.js';
import { credentialScope } from './app-scope.js';
import { constraintViolation } from './constraints.js';
import type { LoadedPolicy } from './policy-loader.js';
import {
  type AgentPolicy,
  type ApprovalMode,
  DEFAULT_AWS_PROXY_APPROVAL,
  DEFAULT_PROXY_APPROVAL,
  type PolicyFile,
  SECRET_SCAN_DEFAULT,
  type SecretScanMode,
} from './policy-schema.js';
import { anyRouteMatches, requestPathProblem } from './proxy-route.js';
import { shapeViolation } from './shape-pin.js';
import { allowedBy, globMatches } from './tool-pattern.js';

/** Who is calling: an agent, through one of its tokens (possibly narrowed to some tools). */
export interface CallerIdentity {
  readonly agent: string;
  readonly tokenId: string;
  /** Tool patterns of a narrowed task token; `null` for the agent's full set. */
  readonly tools: readonly string[] | null;
}

export type Decision =
  | { readonly allowed: true; readonly approval: ApprovalMode }
  | { readonly allowed: false; readonly reason: string };

/** A raw-HTTP proxy service as the policy declares it (`services.<name>.proxy`). */
export interface ProxyServiceConfig {
  readonly name: string;
  readonly baseUrl: string;
  /** The secret's name; its kind decides how the credential is injected. */
  readonly credential: string;
  /** Routes (`"METHOD /path-glob"`) any agent may be granted. */
  readonly allow: readonly string[];
  /** Approval mode by method, `*` for the others (`{ GET: never, HEAD: never, "*": required }` by default). */
  readonly approval: Readonly<Record<string, ApprovalMode>>;
  /** Exact `host[:port]` literals allowed to resolve to private addresses. */
  readonly privateOk: readonly string[];
  /** Where requests are signed for with AWS SigV4 (`aws: { region, service }`), if they are. */
  readonly aws?: { readonly region: string; readonly service: string };
}

/** The tool name a proxied request to `service` has in audit rows, rate limits and task tokens. */
export function proxyToolName(service: string): string {
  return `proxy:${service}`;
}

/** The approval mode of a method when a service's map names neither it nor `*`: a non-GET is a write. */
function defaultProxyApproval(method: string): ApprovalMode {
  return method === 'GET' || method === 'HEAD' ? 'never' : 'required';
}

/** A rate limit that applies to one call, with the counter key it is kept under. */
export interface RateLimitRule {
  readonly key: string;
  readonly calls: number;
  readonly windowMs: number;
  readonly label: string;
}

/** The value at a dotted path (`parent.page_id`) in the arguments. */
function valueAt(args: Readonly<Record<string, unknown>>, path: string): unknown {
  let value: unknown = args;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    // Own properties only: `constructor` or `__proto__` must not reach Object.prototype.
    value = Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined;
  }
  return value;
}

/**
 * Past this many tools an agent's tools/list costs more context than discovery mode's three
 * tools and a search or two (~1,000 characters a tool against ~3,000 for the three).
 */
export const DISCOVERY_AUTO_TOOLS = 40;

export class PolicyEngine {
  constructor(
    readonly policy: LoadedPolicy,
    private readonly catalog: Catalog,
  ) {}

  get version(): string {
    return this.policy.version;
  }

  /**
   * The policy of agent `name`, if the file has one. Names come from tokens and requests: an
   * own-property lookup keeps `constructor` or `__proto__` from finding Object.prototype's.
   */
  agentPolicy(name: string): AgentPolicy | undefined {
    const agents = this.policy.file.agents;
    return Object.hasOwn(agents, name) ? (agents[name] ?? undefined) : undefined;
  }

  /** Whether the file names agent `name`, even with an empty entry (which grants nothing). */
  listsAgent(name: string): boolean {
    return Object.hasOwn(this.policy.file.agents, name);
  }

  /** The policy file's entry for service `name`, by own property. */
  private serviceEntry(name: string): PolicyFile['services'][string] | undefined {
    const services = this.policy.file.services;
    return Object.hasOwn(services, name) ? services[name] : undefined;
  }

  /** Exactly the tools `caller` may see and call. Deny by default. */
  toolsFor(caller: CallerIdentity): ToolDefinition[] {
    const rules = this.agentPolicy(caller.agent);
    if (!rules) return [];
    return this.catalog.tools.filter((tool) => this.visible(tool, rules.tools, caller));
  }

  /**
   * Whether `caller` gets discovery mode (keygate_search_tools, keygate_describe_tool,
   * keygate_call_tool) in tools/list instead of its own tools: the agent's `discovery`, and for
   * `auto` (the default) whether it may use more than DISCOVERY_AUTO_TOOLS tools.
   */
  discoveryFor(caller: CallerIdentity): boolean {
    const setting = this.agentPolicy(caller.agent)?.discovery ?? 'auto';
    return setting === 'auto' ? this.toolsFor(caller).length > DISCOVERY_AUTO_TOOLS : setting;
  }

  /** Why `caller` may not call `tool` at all, whatever the arguments; undefined when it may. */
  outOfReach(caller: CallerIdentity, tool: ToolDefinition): string | undefined {
    const rules = this.agentPolicy(caller.agent);
    if (!rules) return `agent ${caller.agent} has no policy: it may call nothing`;
    if (this.visible(tool, rules.tools, caller)) return undefined;
    // A task token narrowed away from a tool its agent may call: an authorisation matter of a
    // valid token (never a 401), said plainly so the caller asks for a token that covers it.
    const narrowed = caller.tools !== null && this.visible(tool, rules.tools, { ...caller, tools: null });
    return narrowed
      ? `${tool.name} is outside this task token's tools (${caller.tools!.join(', ')}): ask for a token that covers it`
      : `${tool.name} is not among the tools ${caller.agent} may call`;
  }

  /** Whether `caller` may call `tool` with `args` (already schema-valid), and under what approval. */
  decide(caller: CallerIdentity, tool: ToolDefinition, args: Readonly<Record<string, unknown>>): Decision {
    const outOfReach = this.outOfReach(caller, tool);
    if (outOfReach) return { allowed: false, reason: outOfReach };
    const rules = this.agentPolicy(caller.agent)!;
    for (const [pattern, constraints] of Object.entries(rules.constraints)) {
      if (!globMatches(pattern, tool.name)) continue;
      // The exact schema, the one arguments were validated against (not the compacted one models see).
      const properties = argumentSchemaOf(tool).properties as Record<string, unknown>;
      for (const [arg, constraint] of Object.entries(constraints)) {
        // A constraint this tool cannot be checked against fails closed.
        const top = arg.split('.')[0]!;
        if (!Object.hasOwn(properties, top)) {
          return { allowed: false, reason: `${tool.name} has no ${top} argument for policy to check` };
        }
        const violation =
          constraintViolation(arg, constraint, valueAt(args, arg)) ?? shapeViolation(tool, arg, args);
        if (violation) return { allowed: false, reason: violation };
      }
    }
    return { allowed: true, approval: this.approvalFor(caller.agent, tool) };
  }

  /** The approval mode for an agent's call: its own override, else the default for the risk. */
  approvalFor(agent: string, tool: ToolDefinition): ApprovalMode {
    return this.approvalRuleFor(agent, tool).mode;
  }

  /** The approval mode for an agent's call and the policy entry that sets it (shown to approvers). */
  approvalRuleFor(agent: string, tool: ToolDefinition): { mode: ApprovalMode; rule: string } {
    return paymentsOutOfBand(tool, this.configuredApproval(agent, tool));
  }

  /** The approval mode the policy file gives an agent's call, and the entry that gives it. */
  private configuredApproval(agent: string, tool: ToolDefinition): { mode: ApprovalMode; rule: string } {
    const overrides = this.agentPolicy(agent)?.approval ?? {};
    for (const [pattern, mode] of Object.entries(overrides))
      if (globMatches(pattern, tool.name))
        return { mode, rule: `agents.${agent}.approval["${pattern}"]: ${mode}` };
    const mode = this.policy.file.defaults.approval[tool.risk];
    return { mode, rule: `defaults.approval.${tool.risk}: ${mode}` };
  }

  /**
   * Rate limits on this call: the agent's, and those of `rate_limit.tools` whose pattern matches
   * the tool's name. A proxied request's name is `proxy:<service>` (see `proxyToolName`).
   */
  rateLimitsFor(agent: string, tool: ToolDefinition | string): RateLimitRule[] {
    const name = typeof tool === 'string' ? tool : tool.name;
    return this.rateLimitsOf(agent)
      .filter((rule) => rule.pattern === undefined || globMatches(rule.pattern, name))
      .map(({ pattern: _pattern, ...rule }) => rule);
  }

  /** Every rate limit of an agent: its own on all calls, and each of `rate_limit.tools`. */
  rateLimitsOf(agent: string): (RateLimitRule & { readonly pattern?: string })[] {
    const limit = this.agentPolicy(agent)?.rate_limit;
    if (!limit) return [];
    return [
      {
        key: `agent:${agent}`,
        calls: limit.calls,
        windowMs: parseDuration(limit.per),
        label: `${limit.calls} calls per ${limit.per}`,
      },
      ...Object.entries(limit.tools ?? {}).map(([pattern, toolLimit]) => ({
        key: `agent:${agent}:tool:${pattern}`,
        calls: toolLimit.calls,
        windowMs: parseDuration(toolLimit.per),
        label: `${toolLimit.calls} calls of ${pattern} per ${toolLimit.per}`,
        pattern,
      })),
    ];
  }

  /** The secret name holding the credential of `service` (a catalog or a proxy service). */
  credentialFor(service: string): string | undefined {
    const entry = this.serviceEntry(service);
    if (!entry) return undefined;
    return 'spec' in entry ? entry.credential : entry.proxy.credential;
  }

  /**
   * The narrowest app credential `caller` may hold on `service` (repositories and permissions from
   * its tools); throws `policy.unpinned` when its policy leaves the repositories open.
   */
  credentialScope(caller: CallerIdentity, service: string): CredentialScope {
    return credentialScope(this, caller, service);
  }

  /** The `base_url` override of catalog service `service`, if the policy sets one. */
  baseUrlFor(service: string): string | undefined {
    const entry = this.serviceEntry(service);
    return entry && 'spec' in entry ? entry.base_url : undefined;
  }

  /** The proxy service `name`, if the policy declares one (own property). */
  proxyService(name: string): ProxyServiceConfig | undefined {
    const entry = this.serviceEntry(name);
    if (!entry || !('proxy' in entry)) return undefined;
    const proxy = entry.proxy;
    return {
      name,
      baseUrl: proxy.base_url,
      credential: proxy.credential,
      allow: proxy.allow,
      approval: proxy.approval ?? { ...(proxy.aws ? DEFAULT_AWS_PROXY_APPROVAL : DEFAULT_PROXY_APPROVAL) },
      privateOk: proxy.private_ok,
      ...(proxy.aws ? { aws: proxy.aws } : {}),
    };
  }

  /** The names of the proxy services the policy declares. */
  proxyServiceNames(): string[] {
    return Object.entries(this.policy.file.services).flatMap(([name, entry]) =>
      'proxy' in entry ? [name] : [],
    );
  }

  /**
   * Service → the routes agent `agent` is granted on it (`agents.<agent>.proxy`), for proxy
   * services the policy declares; empty for an agent without grants or without policy.
   */
  proxyRoutesFor(agent: string): Readonly<Record<string, readonly string[]>> {
    const grants = this.agentPolicy(agent)?.proxy ?? {};
    const out: Record<string, readonly string[]> = {};
    for (const [service, routes] of Object.entries(grants)) {
      if (this.proxyService(service) && routes.length > 0) out[service] = routes;
    }
    return out;
  }

  /** The proxy routes `caller` may use: its agent's, or none on a service its task token leaves out. */
  proxyRoutesForCaller(caller: CallerIdentity): Readonly<Record<string, readonly string[]>> {
    const routes = this.proxyRoutesFor(caller.agent);
    if (caller.tools === null) return routes;
    // A task token's patterns narrow proxy services only through `proxy:` patterns.
    const out: Record<string, readonly string[]> = {};
    for (const [service, granted] of Object.entries(routes))
      if (tokenCoversProxy(caller, service)) out[service] = granted;
    return out;
  }

  /**
   * Whether `caller` may send `method path` to proxy service `service`, and under what approval.
   * Deny by default: the route must be within the service's `allow` and the agent's grant, and a
   * narrowed task token must name `proxy:<service>`. `path` is the upstream path relative to the
   * base URL, starting with `/`, without query (already checked by the SSRF guard).
   */
  decideProxy(caller: CallerIdentity, service: string, method: string, path: string): Decision {
    const config = this.proxyService(service);
    if (!config) {
      const names = this.proxyServiceNames();
      return {
        allowed: false,
        reason: `no proxy service named ${service}${names.length > 0 ? ` (proxy services: ${names.join(', ')})` : ''}`,
      };
    }
    const route = `${method} ${path}`;
    if (!/^[A-Z][A-Z0-9_-]{0,19}$/.test(method)) {
      return {
        allowed: false,
        reason: `${JSON.stringify(method)} is not a method keygate proxies: write it in upper case (GET, POST, …)`,
      };
    }
    const pathProblem = requestPathProblem(path);
    if (pathProblem) {
      return {
        allowed: false,
        reason: `the path ${JSON.stringify(path)} is not one routes can judge: ${pathProblem}`,
      };
    }
    if (!this.agentPolicy(caller.agent)) {
      return { allowed: false, reason: `agent ${caller.agent} has no policy: it may call nothing` };
    }
    const granted = this.proxyRoutesFor(caller.agent)[service] ?? [];
    if (!anyRouteMatches(granted, method, path)) {
      return {
        allowed: false,
        reason:
          granted.length === 0
            ? `${caller.agent} has no routes on ${service}: an administrator grants them under agents.${caller.agent}.proxy.${service} in keygate.yaml`
            : `${route} is not among ${caller.agent}'s routes for ${service}: ${granted.join(', ')}`,
      };
    }
    // The grant is within allow by validation; checked again so that a decision never rests on it.
    if (!anyRouteMatches(config.allow, method, path)) {
      return {
        allowed: false,
        reason: `${route} is not among the routes ${service} allows: ${config.allow.join(', ')}`,
      };
    }
    if (!tokenCoversProxy(caller, service)) {
      return {
        allowed: false,
        reason: `${proxyToolName(service)} is outside this task token's tools (${caller.tools!.join(', ')}): ask for a token that covers it`,
      };
    }
    return { allowed: true, approval: proxyApproval(config, method) };
  }

  /**
   * What the outbound secret scan does for `agent`'s calls: its own `secret_scan`, else
   * `defaults.secret_scan` (or its alias `policy.secret_scan`), else refuse.
   */
  secretScanFor(agent: string): SecretScanMode {
    const file = this.policy.file;
    return (
      this.agentPolicy(agent)?.secret_scan ??
      file.defaults.secret_scan ??
      file.policy?.secret_scan ??
      SECRET_SCAN_DEFAULT
    );
  }

  /** Milliseconds a pending approval waits (`defaults.approval_timeout`). */
  get approvalTimeoutMs(): number {
    return parseDuration(this.policy.file.defaults.approval_timeout);
  }

  /** Milliseconds one request may wait for an out-of-band decision (`defaults.approval_wait`). */
  get approvalWaitMs(): number {
    return parseDuration(this.policy.file.defaults.approval_wait);
  }

  private visible(tool: ToolDefinition, patterns: readonly string[], caller: CallerIdentity): boolean {
    const service = this.serviceEntry(tool.service);
    if (!service || !('spec' in service)) return false;
    if (!allowedBy(patterns, tool.name)) return false;
    return caller.tools === null || allowedBy(caller.tools, tool.name);
  }
}

/**
 * Whether `caller`'s token reaches proxy service `service`: a full token does; a narrowed task
 * token only through its `proxy:` patterns (`proxy:openai`, `proxy:*`, `!proxy:openai`), so that
 * a token narrowed to `github_*` or even `*` never gains raw HTTP.
 */
function tokenCoversProxy(caller: CallerIdentity, service: string): boolean {
  if (caller.tools === null) return true;
  const proxyPatterns = caller.tools.filter((pattern) => pattern.replace(/^!/, '').startsWith('proxy:'));
  return allowedBy(proxyPatterns, proxyToolName(service));
}

/** A service's approval mode for `method`: its own key, then `*`, then GET/HEAD never and others required. */
export function proxyApproval(config: ProxyServiceConfig, method: string): ApprovalMode {
  const map = config.approval;
  if (Object.hasOwn(map, method)) return map[method]!;
  if (Object.hasOwn(map, '*')) return map['*']!;
  return defaultProxyApproval(method);
}

/**
 * A payment that needs a human is approved out of band, whatever the policy says: an agent that
 * controls its own client could answer a form itself, and money is not for the agent to approve.
 */
function paymentsOutOfBand(
  tool: ToolDefinition,
  configured: { mode: ApprovalMode; rule: string },
): { mode: ApprovalMode; rule: string } {
  if (tool.risk !== 'payment' || configured.mode !== 'required') return configured;
  return { mode: 'out-of-band', rule: `${configured.rule} (a payment is always approved out of band)` };
}

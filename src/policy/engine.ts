/** Decisions under one loaded policy: which tools an agent sees, and whether a call may proceed. */
import type { Catalog, ToolDefinition } from '../catalog/index.js';
import { parseDuration } from '../config/index.js';
import { constraintViolation } from './constraints.js';
import type { LoadedPolicy } from './policy-loader.js';
import type { AgentPolicy, ApprovalMode, PolicyFile } from './policy-schema.js';
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

  /** Whether `caller` may call `tool` with `args` (already schema-valid), and under what approval. */
  decide(caller: CallerIdentity, tool: ToolDefinition, args: Readonly<Record<string, unknown>>): Decision {
    const rules = this.agentPolicy(caller.agent);
    if (!rules) return { allowed: false, reason: `agent ${caller.agent} has no policy: it may call nothing` };
    if (!this.visible(tool, rules.tools, caller)) {
      // A task token narrowed away from a tool its agent may call: an authorisation matter of a
      // valid token (never a 401), said plainly so the caller asks for a token that covers it.
      const narrowed = caller.tools !== null && this.visible(tool, rules.tools, { ...caller, tools: null });
      return {
        allowed: false,
        reason: narrowed
          ? `${tool.name} is outside this task token's tools (${caller.tools!.join(', ')}): ask for a token that covers it`
          : `${tool.name} is not among the tools ${caller.agent} may call`,
      };
    }
    for (const [pattern, constraints] of Object.entries(rules.constraints)) {
      if (!globMatches(pattern, tool.name)) continue;
      const properties = tool.inputSchema.properties as Record<string, unknown>;
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
    const overrides = this.agentPolicy(agent)?.approval ?? {};
    for (const [pattern, mode] of Object.entries(overrides)) if (globMatches(pattern, tool.name)) return mode;
    return this.policy.file.defaults.approval[tool.risk];
  }

  /** Rate limits on this call: the agent's, and the tool's own when set. */
  rateLimitsFor(agent: string, tool: ToolDefinition): RateLimitRule[] {
    const limit = this.agentPolicy(agent)?.rate_limit;
    if (!limit) return [];
    const rules: RateLimitRule[] = [
      {
        key: `agent:${agent}`,
        calls: limit.calls,
        windowMs: parseDuration(limit.per),
        label: `${limit.calls} calls per ${limit.per}`,
      },
    ];
    for (const [pattern, toolLimit] of Object.entries(limit.tools ?? {})) {
      if (!globMatches(pattern, tool.name)) continue;
      rules.push({
        key: `agent:${agent}:tool:${pattern}`,
        calls: toolLimit.calls,
        windowMs: parseDuration(toolLimit.per),
        label: `${toolLimit.calls} calls of ${pattern} per ${toolLimit.per}`,
      });
    }
    return rules;
  }

  /** The secret name holding the credential of `service`. */
  credentialFor(service: string): string | undefined {
    const entry = this.serviceEntry(service);
    return entry && 'spec' in entry ? entry.credential : undefined;
  }

  /** The `base_url` override of `service`, if the policy sets one. */
  baseUrlFor(service: string): string | undefined {
    const entry = this.serviceEntry(service);
    return entry && 'spec' in entry ? entry.base_url : undefined;
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

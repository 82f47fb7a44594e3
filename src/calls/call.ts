/**
 * What the call pipeline runs: a call an agent makes through keygate, and what the pipeline needs
 * to know about each kind of call: a catalog tool call, or a proxied HTTP request (raw-HTTP proxy
 * mode and `keygate_http_request`), each with a `CallKind` of its own.
 */
import type { ApprovalGate, GatedCall, GateOutcome } from '../approvals/index.js';
import type { AuditLog } from '../audit/index.js';
import type { BudgetDeps } from '../budgets/index.js';
import type { Catalog, ToolDefinition } from '../catalog/index.js';
import type { KeygateError } from '../errors/index.js';
import type { CallContext, CallResult, Executor, HttpForwarder, Scrubber } from '../executor/index.js';
import type { Outbound, SecretScanner } from '../guard/index.js';
import type {
  CallerIdentity,
  Decision,
  PolicyEngine,
  ProxyServiceConfig,
  RateLimiter,
  RateLimitRule,
} from '../policy/index.js';
import type { ArgumentsIdentity } from './call-identity.js';

/** A tools/call as the agent sent it: nothing about it is checked yet. */
export interface ToolCallRequest {
  readonly kind: 'tool';
  readonly name: string;
  readonly args: Record<string, unknown>;
}

/**
 * A request for a proxy service as the agent sent it (through `/proxy/<service>/…` or
 * `keygate_http_request`): nothing about it is checked yet.
 */
export interface HttpCallRequest {
  readonly kind: 'http';
  readonly service: string;
  readonly method: string;
  /** The raw path and query after `/proxy/<service>` (checked by the SSRF guard's path check). */
  readonly path: string;
  /** The agent's headers, lower-case names (the forwarder drops its credentials and hop-by-hop ones). */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  readonly body?: Uint8Array;
  /** `stream`: the answer streams back (the proxy route); `text`: read whole, bounded (MCP). */
  readonly mode: 'stream' | 'text';
  /** Query parameters that carried the agent's token. */
  readonly dropParams?: readonly string[];
  /** The agent's token: no header or parameter carrying it is sent upstream. */
  readonly dropValues?: readonly string[];
  /** Aborts when the client that sent the request goes away: the upstream request is cancelled. */
  readonly signal?: AbortSignal;
}

/** What an agent asks keygate to do. */
export type CallRequest = ToolCallRequest | HttpCallRequest;

/** A call of a catalog tool, with arguments the catalog has validated (and coerced). */
export interface ToolCall {
  readonly kind: 'tool';
  readonly tool: ToolDefinition;
  readonly args: Record<string, unknown>;
}

/** A proxied request whose route the guard has checked, to a declared proxy service. */
export interface HttpCall {
  readonly kind: 'http';
  readonly service: ProxyServiceConfig;
  /** Upper case. */
  readonly method: string;
  /** The checked upstream path relative to the base URL, starting with `/`, without query. */
  readonly path: string;
  /** The checked query, without `?`. */
  readonly query: string;
  readonly headers: HttpCallRequest['headers'];
  /** The headers an approval binds (sent upstream, lower-case sorted names, volatile ones left out). */
  readonly boundHeaders: Readonly<Record<string, string>>;
  /** SHA-256 of `boundHeaders`: what approvals and audit rows keep of the headers. */
  readonly headersSha256: string;
  readonly body: Uint8Array;
  readonly bodySha256: string;
  readonly mode: HttpCallRequest['mode'];
  /** Where a client reaches the service (`/proxy/<service>`), for redirects pointing under it. */
  readonly proxyPrefix: string;
  readonly dropParams: readonly string[];
  readonly dropValues: readonly string[];
  /** See `HttpCallRequest.signal`. */
  readonly signal?: AbortSignal;
}

/** A request the pipeline has resolved: what it names, and whether its input is valid. */
export type Call = ToolCall | HttpCall;

/** What a request names, under the name audit rows give it. */
export type Resolution<C extends Call> =
  /** Nothing keygate offers (audited with `reason`; a protocol fault, not a result). */
  | { readonly kind: 'unknown'; readonly name: string; readonly reason: string }
  /** Something keygate offers, asked for with input it refuses (audited without arguments). */
  | { readonly kind: 'invalid'; readonly name: string; readonly error: KeygateError }
  /** `route`: the proxied request's `METHOD /path`, kept in audit rows' route column. */
  | { readonly kind: 'call'; readonly name: string; readonly route?: string; readonly call: C };

/** What the pipeline asks of one kind of call; it never looks inside a call itself. */
export interface CallKind<R extends CallRequest, C extends Call> {
  /** The name audit rows give `request` (a tool's, or `proxy:<service>`), before it is resolved. */
  nameOf(request: R): string;
  /** Finds what `request` names and validates its input. */
  resolve(deps: PipelineDeps, request: R): Resolution<C>;
  /**
   * Why `caller` may not make a call to `name` at all, whatever its input; checked before an
   * invalid input is reported, so that the input rules of what is not the caller's stay unsaid.
   */
  outOfReach?(
    deps: PipelineDeps,
    policy: PolicyEngine,
    caller: CallerIdentity,
    name: string,
  ): string | undefined;
  /** The hash and redacted form of its arguments, for audit rows and approval records. */
  identify(call: C): ArgumentsIdentity;
  /** Whether `caller` may make it under `policy`, and with which approval mode. */
  decide(policy: PolicyEngine, caller: CallerIdentity, call: C): Decision;
  /** Where it goes and everything it would carry there, for the outbound secret scan. */
  outbound(call: C): Outbound;
  /** The rate limits it counts against. */
  rateLimits(policy: PolicyEngine, caller: CallerIdentity, call: C): RateLimitRule[];
  /** What the approval gate shows a human and stores. */
  approvalSubject(call: C): Pick<GatedCall, 'definition' | 'args'>;
  /** The call an approval's stored arguments make: what runs is what the human approved. */
  approved(call: C, args: Record<string, unknown>): C;
  /** Makes the call upstream; throws a KeygateError for every failure. */
  execute(deps: PipelineDeps, call: C, context: CallContext): Promise<CallResult>;
}

/** How a call ended, before any protocol shapes it; every decision in it is already audited. */
export type CallOutcome =
  /** The request names nothing keygate offers. */
  | { readonly kind: 'unknown' }
  /** The upstream answered; whatever is returned from `result` is scrubbed last with `scrubber`. */
  | { readonly kind: 'done'; readonly result: CallResult; readonly scrubber: Scrubber }
  /** Refused, stopped or failed; `scrubber` is the call's once it reached a credential. */
  | { readonly kind: 'failed'; readonly error: unknown; readonly scrubber: Scrubber }
  /** A question for the client (an approval) before the call can go on. */
  | Extract<GateOutcome, { kind: 'ask' }>;

/** What the pipeline runs every call with. */
export interface PipelineDeps {
  readonly catalog: Catalog;
  /** The policy in force now (it may be reloaded between calls). */
  readonly policy: () => PolicyEngine;
  readonly rateLimiter: RateLimiter;
  readonly audit: AuditLog;
  readonly executor: Executor;
  /** Sends proxied requests; without it, proxied requests fail closed. */
  readonly forwarder?: HttpForwarder;
  /** Where calls that need a human's approval wait for one. */
  readonly approvals: ApprovalGate;
  /** Scans what every call would send for secrets, before approval (see `src/guard/`). */
  readonly secretScan: SecretScanner;
  /** Spend budgets' ledger and amount look-ups; without it, a budgeted call fails closed. */
  readonly budgets?: BudgetDeps;
}

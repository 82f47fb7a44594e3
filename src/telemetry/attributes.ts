/**
 * The names keygate's spans, attributes and metrics use. Where OpenTelemetry's semantic
 * conventions have a name (MCP, GenAI, HTTP, error), it is theirs; keygate's own are under
 * `keygate.`. No attribute ever holds an argument value, a query string, a header, a body, an
 * error message or a secret: only names, codes, classes, numbers and the route templates an
 * administrator wrote.
 */

/** Attribute keys. */
export const ATTR = {
  /** The MCP method (`tools/call`). */
  MCP_METHOD_NAME: 'mcp.method.name',
  /** The 2025-era session a request belongs to (sessions are bound to a token: the id grants nothing alone). */
  MCP_SESSION_ID: 'mcp.session.id',
  MCP_PROTOCOL_VERSION: 'mcp.protocol.version',
  JSONRPC_REQUEST_ID: 'jsonrpc.request.id',
  GEN_AI_TOOL_NAME: 'gen_ai.tool.name',
  GEN_AI_OPERATION_NAME: 'gen_ai.operation.name',
  /** A keygate error code (`policy.denied`), an HTTP status, or `_OTHER`: never a message. */
  ERROR_TYPE: 'error.type',
  HTTP_REQUEST_METHOD: 'http.request.method',
  /** A proxied request's route as the service's `allow` writes it (`/models/*`), never the raw path. */
  HTTP_ROUTE: 'http.route',
  HTTP_RESPONSE_STATUS_CODE: 'http.response.status_code',
  SERVER_ADDRESS: 'server.address',
  SERVER_PORT: 'server.port',
  /** The upstream operation's path template (`/repos/{owner}/{repo}`): the path itself carries arguments. */
  URL_TEMPLATE: 'url.template',
  /** The calling agent's name. */
  AGENT: 'keygate.agent',
  /** The service a call goes to. */
  SERVICE: 'keygate.service',
  /** The policy version (content hash) a call was decided under. */
  POLICY_VERSION: 'keygate.policy.version',
  /** `allowed` or `denied` (policy span), or how the call ended (calls metric, see `CallDecision`). */
  DECISION: 'keygate.decision',
  /** The approval mode policy asked for: `never`, `required`, … */
  APPROVAL_MODE: 'keygate.approval.mode',
  /** How an approval wait ended: `execute`, `ask` (a question went back to the client), `stop`. */
  APPROVAL_OUTCOME: 'keygate.approval.outcome',
  /** `read`, `write`, `destructive` or `payment`. */
  RISK: 'keygate.risk',
  /** What an audit row records (`allowed`, `completed`, `denied`, …). */
  AUDIT_DECISION: 'keygate.audit.decision',
  /** Why a call was refused, as a class: `policy`, `rate_limit`, `approval`, `invalid`, `unknown`. */
  DENIAL_REASON: 'keygate.denial.reason',
  /** An upstream status as a class: `2xx`, `4xx`, `5xx`, or `none` when no answer came. */
  STATUS_CLASS: 'keygate.upstream.status_class',
} as const;

/** Names of the internal spans that are children of a call's span. */
export const SPAN = {
  POLICY: 'keygate.policy',
  APPROVAL: 'keygate.approval.wait',
  AUDIT: 'keygate.audit.append',
} as const;

/** Metric names. */
export const METRIC = {
  /** Calls that reached the pipeline, by tool, service and how they ended. */
  CALLS: 'keygate.calls',
  /** Calls refused (policy, rate limit, approval, invalid input, unknown tool), by reason class. */
  DENIALS: 'keygate.denials',
  /** Calls of this daemon waiting on the approval gate right now. */
  APPROVALS_PENDING: 'keygate.approvals.pending',
  /** Time from sending an upstream request to its answer's end, by service and status class. */
  UPSTREAM_DURATION: 'keygate.upstream.duration',
  /** MCP's own: a request's time as the server sees it. */
  MCP_OPERATION_DURATION: 'mcp.server.operation.duration',
} as const;

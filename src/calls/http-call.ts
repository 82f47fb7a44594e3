/**
 * Proxied HTTP requests (raw-HTTP proxy mode and `keygate_http_request`): the service's base URL
 * replaces the catalog, the checked route replaces the schema. A request is known — to policy,
 * audit and approvals — by its method, path, query, the SHA-256 of the headers sent upstream and
 * the SHA-256 of its body: an approval binds to exactly those, so a changed body or a changed
 * `Stripe-Account` needs a new one. Neither the body nor a header value is ever in an audit row.
 */
import { createHash } from 'node:crypto';
import { argsHash, REDACTED_VALUE } from '../audit/index.js';
import type { ToolDefinition } from '../catalog/index.js';
import { isKeygateError, KeygateError } from '../errors/index.js';
import { type CallResult, type ForwardedResponse, outgoingHeaders, wholeText } from '../executor/index.js';
import { jsonStringParts, type ScanPart, withDecoded } from '../guard/index.js';
import { matchingRoutePath } from '../policy/index.js';
import { checkProxyPath } from '../proxy/index.js';
import { awsRefusal, checkAwsInput } from './aws-calls.js';
import type { CallKind, HttpCall, HttpCallRequest } from './call.js';

/** Methods a proxied request may use (CONNECT and TRACE never: they are not API calls). */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
/** Body characters an approver is shown in the approval's arguments (the hash binds all of it). */
const BODY_SHOWN = 4000;
/** Text a `keygate_http_request` result shows at most. */
export const MAX_HTTP_TEXT = 50_000;
const SENSITIVE_PARAM =
  /(token|secret|passw(or)?d|api[_-]?key|key|authorization|credential|signature|sig|auth)/i;

/**
 * Headers left out of the approval's binding: SDKs change them between two sends of the same
 * call (a retry after a 428 must still match its approval), and none of them changes what the
 * upstream does. Every other header sent upstream is bound (`Stripe-Account`,
 * `OpenAI-Organization`, `Notion-Version`, `Content-Type` all change what a call does).
 */
const VOLATILE_HEADERS = new Set([
  // Always `identity` upstream (the forwarder sets it); what the client asked for is transport.
  'accept-encoding',
  // Stainless SDKs (openai, anthropic): the attempt number and the client's timeout per attempt.
  'x-stainless-retry-count',
  'x-stainless-timeout',
  // A fresh key per attempt in some SDKs; it asks the upstream to deduplicate, never to act otherwise.
  'idempotency-key',
  // Tracing context (W3C, Sentry): new per attempt, read only by observability tools.
  'traceparent',
  'tracestate',
  'baggage',
  'sentry-trace',
  // A correlation id for logs, new per attempt.
  'x-request-id',
  // The time of sending.
  'date',
  // The SDK's name and version (and runtime): an upgrade between two tries is the same call.
  'user-agent',
  // The AWS SDKs: an id per call and the attempt number, and their user agent.
  'amz-sdk-invocation-id',
  'amz-sdk-request',
  'x-amz-user-agent',
]);

/** The name audit rows and rate limits give calls to `service`'s proxy. */
export function proxyToolName(service: string): string {
  return `proxy:${service}`;
}

/**
 * What an approver is shown, and what approvals and audit rows are bound to: a ToolDefinition
 * naming the route, so the approval summary says "service: METHOD /path (risk)".
 */
function routeDefinition(service: string, method: string, path: string): ToolDefinition {
  const read = method === 'GET' || method === 'HEAD';
  return {
    name: proxyToolName(service),
    aliases: [],
    service,
    description: `${method} ${path} through keygate's proxy`,
    risk: read ? 'read' : 'write',
    annotations: {
      readOnlyHint: read,
      destructiveHint: method === 'DELETE',
      idempotentHint: read,
      openWorldHint: true,
    },
    operation: { method: method.toLowerCase(), path, operationId: `${method} ${path}` },
    inputSchema: { type: 'object', properties: {} },
    bindings: [],
    headers: {},
    bodyEncoding: 'none',
    sensitiveArguments: [],
    unions: new Map(),
  };
}

/**
 * The arguments an approval of `call` stores and binds to, and whose hash is its identity:
 * method, path, query and the body's SHA-256, plus the body as an approver reads it (a function
 * of the body, so it adds nothing to bind to, but the human sees what is sent).
 */
function bound(call: HttpCall): Record<string, unknown> {
  const shown = bodyShown(call.body);
  return {
    method: call.method,
    path: call.path,
    query: call.query,
    headers_sha256: call.headersSha256,
    headers: headersShown(call.boundHeaders),
    body_sha256: call.bodySha256,
    ...(shown === undefined ? {} : { body: shown }),
  };
}

/**
 * The headers an approval binds: those the forwarder sends upstream (so the agent's credentials
 * are already gone), names lower-cased and sorted, without the volatile ones.
 */
function boundHeaders(
  headers: HttpCallRequest['headers'],
  dropValues: readonly string[],
  signed: boolean,
): Record<string, string> {
  const sent = outgoingHeaders(headers, dropValues, signed);
  const out: Record<string, string> = {};
  for (const name of Object.keys(sent).sort()) if (!VOLATILE_HEADERS.has(name)) out[name] = sent[name]!;
  return out;
}

/** SHA-256 of the bound headers as `name: value` lines (names are unique and sorted). */
function headersSha256(headers: Readonly<Record<string, string>>): string {
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\n`);
  return createHash('sha256').update(lines.join('')).digest('hex');
}

/** The bound headers as an approver reads them: values of secret-looking names redacted. */
function headersShown(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [
      name,
      // An id names a key (`x-amz-server-side-encryption-aws-kms-key-id`): the approver must see it.
      SENSITIVE_PARAM.test(name) && !name.endsWith('key-id') ? REDACTED_VALUE : value,
    ]),
  );
}

/**
 * Refuses a body in a content coding (gzip, aws-chunked, …): the body is what an approver is
 * shown, what its hash binds and what audit describes, so keygate must read it as it is. The
 * proxy route asks before reading the body; resolving a call asks again, for
 * `keygate_http_request`'s `headers`.
 */
export function refuseEncodedBody(headers: HttpCallRequest['headers']): void {
  const value = headers['content-encoding'];
  const codings = (Array.isArray(value) ? value.join(',') : ((value as string | undefined) ?? ''))
    .split(',')
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== '' && coding !== 'identity');
  if (codings.length > 0)
    throw new KeygateError(
      'request.unsupported_encoding',
      `a request body in Content-Encoding ${codings.join(', ')} is refused: keygate must read what it asks a human to approve and what it audits; send it uncompressed`,
    );
}

/** `query` without the parameters that carried the agent's token (by name or by value). */
function withoutToken(query: string, names: readonly string[], values: readonly string[]): string {
  if (names.length === 0 && values.length === 0) return query;
  return query
    .split('&')
    .filter((pair) => {
      if (pair.length === 0) return false;
      const at = pair.indexOf('=');
      const name = at < 0 ? pair : pair.slice(0, at);
      if (names.includes(name)) return false;
      let value = at < 0 ? '' : pair.slice(at + 1);
      try {
        value = decodeURIComponent(value.replace(/\+/g, ' '));
      } catch {}
      return !values.some((token) => token.length > 0 && (value.includes(token) || pair.includes(token)));
    })
    .join('&');
}

/** The query with the values of parameters whose names look secret replaced. */
function redactedQuery(query: string): string {
  return query
    .split('&')
    .filter((pair) => pair.length > 0)
    .map((pair) => {
      const at = pair.indexOf('=');
      const name = at < 0 ? pair : pair.slice(0, at);
      return at >= 0 && SENSITIVE_PARAM.test(name) ? `${name}=${REDACTED_VALUE}` : pair;
    })
    .join('&');
}

/** The body as an approver reads it: text up to BODY_SHOWN characters, else a note. */
function bodyShown(body: Uint8Array): string | undefined {
  if (body.length === 0) return undefined;
  const text = new TextDecoder('utf-8', { fatal: false }).decode(body);
  if (text.includes('\uFFFD')) return `(${body.length} bytes of binary data)`;
  return text.length <= BODY_SHOWN ? text : `${text.slice(0, BODY_SHOWN)}… [cut: ${text.length} characters]`;
}

export const httpCalls: CallKind<HttpCallRequest, HttpCall> = {
  nameOf: (request) => proxyToolName(request.service),
  resolve(deps, request) {
    const name = proxyToolName(request.service);
    const service = deps.policy().proxyService(request.service);
    if (!service) return { kind: 'unknown', name, reason: `no proxy service ${request.service}` };
    try {
      const method = request.method.toUpperCase();
      if (!METHODS.has(method))
        throw new KeygateError('request.invalid', `method ${request.method} cannot be proxied`);
      const checked = checkProxyPath(request.path);
      const { path } = checked;
      // The agent's own token never becomes part of what approvals store and audit rows keep.
      const query = withoutToken(checked.query, request.dropParams ?? [], request.dropValues ?? []);
      const body = request.body ?? new Uint8Array();
      refuseEncodedBody(request.headers);
      if (service.aws) checkAwsInput(query, request.headers);
      const headers = boundHeaders(request.headers, request.dropValues ?? [], service.aws !== undefined);
      const call: HttpCall = {
        kind: 'http',
        service,
        method,
        path,
        query,
        headers: request.headers,
        boundHeaders: headers,
        headersSha256: headersSha256(headers),
        body,
        bodySha256: createHash('sha256').update(body).digest('hex'),
        mode: request.mode,
        proxyPrefix: `/proxy/${request.service}`,
        dropParams: request.dropParams ?? [],
        dropValues: request.dropValues ?? [],
        ...(request.signal ? { signal: request.signal } : {}),
      };
      return { kind: 'call', name, route: `${method} ${path}`, call };
    } catch (error) {
      if (!isKeygateError(error)) throw error;
      return { kind: 'invalid', name, error };
    }
  },
  identify: (call) => ({
    argsHash: argsHash(bound(call)),
    argsRedacted: {
      method: call.method,
      path: call.path,
      query: redactedQuery(call.query),
      // The hash only: a header value (an account id, a session) is never in an audit row.
      headers_sha256: call.headersSha256,
      body_sha256: call.bodySha256,
      body_bytes: call.body.length,
    },
  }),
  decide: (policy, caller, call) => {
    const decision = policy.decideProxy(caller, call.service.name, call.method, call.path);
    return decision.allowed ? (awsRefusal(policy, caller, call) ?? decision) : decision;
  },
  outbound: (call) => ({ destination: call.service.name, parts: outboundParts(call) }),
  rateLimits: (policy, caller, call) => policy.rateLimitsFor(caller.agent, proxyToolName(call.service.name)),
  approvalSubject: (call) => ({
    definition: routeDefinition(call.service.name, call.method, call.path),
    args: bound(call),
  }),
  // The approval is bound to this call's hash (method, path, query, headers and body hashes): the call in hand
  // is the one approved, byte for byte, so it runs as it is.
  approved: (call) => call,
  async execute(deps, call, context) {
    // A gateway without a forwarder (tests of tool calls only) proxies nothing: fail closed.
    if (!deps.forwarder) throw new KeygateError('internal', 'this gateway has no proxy forwarder');
    const response = await deps.forwarder.send(
      {
        method: call.method,
        baseUrl: call.service.baseUrl,
        path: call.path,
        query: call.query,
        headers: call.headers,
        body: call.body,
        proxyPrefix: call.proxyPrefix,
        dropParams: call.dropParams,
        dropValues: call.dropValues,
      },
      {
        service: call.service.name,
        tool: proxyToolName(call.service.name),
        privateOk: call.service.privateOk,
        ...(call.service.aws ? { aws: call.service.aws } : {}),
        route: matchingRoutePath(call.service.allow, call.method, call.path),
        ...(context.agent ? { agent: context.agent } : {}),
        ...(context.onScrubber ? { onScrubber: context.onScrubber } : {}),
        ...(context.onCredentialUse ? { onCredentialUse: context.onCredentialUse } : {}),
        ...(call.signal ? { signal: call.signal } : {}),
      },
    );
    return call.mode === 'stream' ? streamed(response) : await asText(response);
  },
};

/**
 * What a proxied request carries upstream, for the outbound secret scan: its path and query (as
 * written and decoded), the headers the forwarder sends (so neither the agent's keygate token nor
 * the credentials it strips), and its body (and a JSON body's decoded strings).
 */
function outboundParts(call: HttpCall): ScanPart[] {
  const parts: ScanPart[] = [...withDecoded('path', call.path), ...withDecoded('query', call.query)];
  for (const [name, value] of Object.entries(
    outgoingHeaders(call.headers, call.dropValues, call.service.aws !== undefined),
  ))
    parts.push({ place: `header ${name}`, text: value });
  if (call.body.length > 0) {
    const text = Buffer.from(call.body).toString('utf8');
    parts.push({ place: 'body', text }, ...jsonStringParts('body', text));
    if (/^application\/x-www-form-urlencoded/i.test(String(call.boundHeaders['content-type'] ?? '')))
      parts.push(...withDecoded('body', text).slice(1));
  }
  return parts;
}

/** A streaming result: the pipeline records its outcome once the body has passed. */
function streamed(response: ForwardedResponse): CallResult {
  return {
    status: response.status,
    text: '',
    bytes: 0,
    truncated: false,
    stream: response,
  };
}

/** The whole answer as text for a tool result, bounded; an upstream error status is a failure. */
async function asText(response: ForwardedResponse): Promise<CallResult> {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  const iterator = response.body[Symbol.asyncIterator]();
  try {
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      chunks.push(next.value);
      size += next.value.length;
      if (size > MAX_HTTP_TEXT * 4) {
        truncated = true;
        break;
      }
    }
  } finally {
    await iterator.return?.(undefined);
  }
  const { bytes } = await response.finished;
  let text = Buffer.concat(chunks).toString('utf8');
  let note = '';
  if (truncated || text.length > MAX_HTTP_TEXT) {
    truncated = true;
    text = text.slice(0, MAX_HTTP_TEXT);
    note = `\n\n[keygate: response truncated at ${MAX_HTTP_TEXT} characters]`;
  }
  if (response.status >= 400) {
    throw new KeygateError(
      'upstream.error',
      `the upstream answered HTTP ${response.status}: ${`${text}${note}`.slice(0, 500)}`,
      {
        details: { status: response.status },
      },
    );
  }
  const type = response.headers['content-type'];
  // A proxied body is third-party text as a whole: keygate knows nothing of its fields.
  const body = wholeText(text);
  return {
    status: response.status,
    text: `HTTP ${response.status}${type ? ` (${type})` : ''}\n\n${body.text}${note}`,
    bytes,
    truncated,
    ...(body.untrusted ? { untrusted: body.untrusted } : {}),
  };
}

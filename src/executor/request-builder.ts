/** Turns validated tool arguments into the exact HTTP request the upstream API expects. */
import type { ArgumentBinding, ServiceProfile, ToolDefinition } from '../catalog/index.js';
import { KeygateError } from '../errors/index.js';
import { encodeComponent, encodePairs, type FormPair, flattenFormValue } from './form-encoder.js';
import { encodeMultipart, type MultipartPart } from './multipart-encoder.js';
import type { OutgoingRequest } from './outgoing-request.js';

export interface BuildOptions {
  /** Overrides the service's own base URL (GitHub Enterprise, a regional endpoint, a test fake). */
  readonly baseUrl?: string;
  /** Stable per call (or per approval): becomes the `Idempotency-Key` on services that use one. */
  readonly idempotencyKey?: string;
  readonly userAgent: string;
}

/** Builds the request for `tool` from `args` (already validated against the tool's schema). */
export function buildRequest(
  tool: ToolDefinition,
  service: ServiceProfile,
  args: Readonly<Record<string, unknown>>,
  options: BuildOptions,
): OutgoingRequest {
  const method = tool.operation.method;
  const path = tool.operation.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const binding = tool.bindings.find((b) => b.in === 'path' && b.name === name);
    return serializePathValue(binding, args[binding?.arg ?? name], name);
  });

  const query: FormPair[] = [];
  const body: Record<string, unknown> = {};
  const parts: MultipartPart[] = [];
  let wholeBody: unknown;
  for (const binding of tool.bindings) {
    const value = args[binding.arg];
    if (value === undefined || binding.in === 'path') continue;
    if (binding.in === 'query') query.push(...serializeQueryValue(binding, value));
    else if (binding.name === null) wholeBody = value;
    else body[binding.name] = value;
    if (binding.in === 'body' && binding.name !== null)
      parts.push({ name: binding.name, value, file: binding.style === 'multipart-file' });
  }

  const headers: Record<string, string> = {
    'user-agent': options.userAgent,
    accept: 'application/json',
    ...lowerCaseKeys(service.headers),
    ...lowerCaseKeys(tool.headers),
  };
  let payload: string | Buffer | undefined;
  const hasBody = wholeBody !== undefined || Object.keys(body).length > 0;
  if (tool.bodyEncoding === 'form') {
    // Stripe reads the parameters of GET and DELETE from the query string, never from a body.
    if (method === 'GET' || method === 'DELETE') {
      for (const [key, value] of Object.entries(body)) query.push(...flattenFormValue(key, value));
    } else {
      payload = encodePairs(Object.entries(body).flatMap(([key, value]) => flattenFormValue(key, value)));
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
  } else if (tool.bodyEncoding === 'multipart') {
    const multipart = encodeMultipart(parts);
    payload = multipart.body;
    headers['content-type'] = multipart.contentType;
  } else if (tool.bodyEncoding === 'json' && (hasBody || ['POST', 'PUT', 'PATCH'].includes(method))) {
    payload = JSON.stringify(wholeBody ?? body);
    headers['content-type'] = 'application/json';
  }
  if (service.idempotencyKey && method !== 'GET' && options.idempotencyKey) {
    headers['idempotency-key'] = options.idempotencyKey;
  }

  const base = (options.baseUrl ?? service.baseUrl).replace(/\/+$/, '');
  const url = new URL(`${base}${path}`);
  if (query.length > 0) url.search = encodePairs(query);
  return payload === undefined ? { method, url, headers } : { method, url, headers, body: payload };
}

/**
 * OpenAPI `simple` style for a path parameter. A value that would leave its segment (`/`, `\`,
 * `.` or `..`) is refused rather than encoded: an upstream or proxy that decodes it again would
 * otherwise reach another resource.
 */
function serializePathValue(binding: ArgumentBinding | undefined, value: unknown, name: string): string {
  if (value === undefined || value === null || value === '') {
    throw new KeygateError('executor.bad_request', `path parameter ${name} is required`, {
      details: { field: name },
    });
  }
  const text = Array.isArray(value) ? value.map(String).join(',') : String(value);
  const segments = binding?.multiSegment ? text.split('/') : [text];
  for (const segment of segments) {
    // Segments of a multi-segment value were split on "/", so any "/" left is in a single segment.
    if (segment === '' || segment === '.' || segment === '..' || /[/\\]/.test(segment)) {
      // Say exactly what is refused: a "." inside a value (next.js) is fine, only "." or ".." alone is not.
      const refused = binding?.multiSegment
        ? 'must not have an empty, "." or ".." segment, nor contain "\\"'
        : 'must not be "." or "..", nor contain "/" or "\\"';
      throw new KeygateError('executor.bad_request', `path parameter ${name} ${refused}`, {
        details: { field: name },
      });
    }
  }
  return segments.map(encodeComponent).join('/');
}

/** OpenAPI query serialisation: `form` (exploded or not), `deepObject`, space/pipe-delimited. */
function serializeQueryValue(binding: ArgumentBinding, value: unknown): FormPair[] {
  const name = binding.name ?? binding.arg;
  if (value === null) return [];
  if (binding.style === 'deepObject') return flattenFormValue(name, value);
  if (Array.isArray(value)) {
    const items = value.map(String);
    if (binding.style === 'spaceDelimited') return [[name, items.join(' ')]];
    if (binding.style === 'pipeDelimited') return [[name, items.join('|')]];
    return binding.explode ? items.map((item) => [name, item] as const) : [[name, items.join(',')]];
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, String(v)] as const);
    return binding.explode ? entries : [[name, entries.flat().join(',')]];
  }
  return [[name, String(value)]];
}

function lowerCaseKeys(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([key, value]) => [key.toLowerCase(), value]));
}

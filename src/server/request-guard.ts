/**
 * DNS-rebinding defence for every endpoint: the Host header must name this daemon, and a
 * browser's Origin (when sent) must be this daemon too. A page on evil.example that resolves
 * to 127.0.0.1 therefore cannot talk to keygate.
 */
import type { IncomingMessage } from 'node:http';
import { KeygateError } from '../errors/index.js';
import { jsonNestsDeeperThan, MAX_JSON_DEPTH } from '../mcp/index.js';

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]', '::1'];

export function allowedHostnames(boundHost: string): Set<string> {
  const names = new Set(LOOPBACK_NAMES);
  if (boundHost !== '0.0.0.0' && boundHost !== '::') names.add(boundHost.toLowerCase());
  return names;
}

function hostnameOf(value: string): string | undefined {
  try {
    return new URL(`http://${value}`).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

/** Why the request is refused, or `undefined` when its Host and Origin are acceptable. */
export function guardRequest(req: IncomingMessage, allowed: Set<string>): string | undefined {
  const host = req.headers.host;
  const hostname = host ? hostnameOf(host) : undefined;
  if (!hostname || !allowed.has(hostname)) return 'Host header does not name this daemon';
  const origin = req.headers.origin;
  if (origin !== undefined) {
    let originHost: string | undefined;
    try {
      originHost = new URL(origin).hostname.toLowerCase();
    } catch {
      originHost = undefined;
    }
    if (!originHost || !allowed.has(originHost)) return 'Origin is not this daemon';
  }
  return undefined;
}

/** The bearer token of a request (`Authorization: Bearer …`), if any. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match?.[1];
}

/**
 * Reads a JSON object body of at most `limit` bytes. A parse error is reported without its
 * message: V8 quotes the offending input, and the input may be a secret on its way into the vault.
 */
/** The whole request body, refused past `limit` bytes (nothing past the limit is kept). */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit)
      throw new KeygateError('request.too_large', `the request body is larger than ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export async function readJsonBody(
  req: IncomingMessage,
  limit = 1024 * 1024,
): Promise<Record<string, unknown>> {
  const text = (await readBody(req, limit)).toString('utf8');
  if (jsonNestsDeeperThan(text))
    throw new KeygateError('request.invalid', `the request body nests deeper than ${MAX_JSON_DEPTH} levels`);
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    throw new KeygateError('request.invalid', 'the request body is not valid JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new KeygateError('request.invalid', 'the request body must be a JSON object');
  return body as Record<string, unknown>;
}

/**
 * AWS Signature Version 4 for proxied requests: keygate signs the request it is about to send,
 * with the vault's keys, for the region and service its policy names (never the client's Host).
 * The signing itself is `@smithy/signature-v4`, the AWS SDK's own signer, so the canonical
 * request follows AWS's rules as AWS maintains them; this module decides what goes into it:
 *
 * - the client's signature and everything tied to it (Authorization, X-Amz-Date,
 *   X-Amz-Security-Token, X-Amz-Content-Sha256, and a presigned URL's X-Amz-* parameters) are
 *   dropped: they were made with whatever key the client holds, never the vault's;
 * - only `host`, `content-type` and `x-amz-*` headers are signed: the ones AWS needs, and none a
 *   hop between keygate and AWS may rewrite (a signed `user-agent` or `accept` would fail there);
 * - the path and query are written in AWS's canonical encoding (RFC 3986, each character encoded
 *   once) and sent exactly so, so what AWS recomputes is what was signed, whatever escapes the
 *   client chose; S3 signs that path as it is (no second encoding, no dot or slash
 *   normalisation: a key may hold `//`) and its payload as UNSIGNED-PAYLOAD, every other
 *   service its normalised path encoded again and the body's SHA-256.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { KeygateError } from '../errors/index.js';

/** Where a signature is valid: the policy's `aws: { region, service }` of a proxy service. */
export interface AwsSigningTarget {
  readonly region: string;
  readonly service: string;
}

/** The keys a request is signed with (a session token for temporary credentials). */
export interface AwsKeys {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** The request to sign, changed in place into the one that is sent. */
export interface SignableRequest {
  method: string;
  url: URL;
  /** Lower-case names. */
  headers: Record<string, string>;
  body?: string | Uint8Array;
}

export interface SigningOptions {
  /** The signing time (default: now). */
  readonly now?: Date;
  /** Which headers are signed (default: `host`, `content-type` and `x-amz-*`). */
  readonly signs?: (name: string) => boolean;
}

/** The headers a signature consists of: the client's are never sent on to AWS. */
export const AWS_SIGNATURE_HEADERS: readonly string[] = [
  'authorization',
  'x-amz-date',
  'x-amz-security-token',
  'x-amz-content-sha256',
];

/** A presigned URL's parameters (compared in lower case): the client's signature, never sent on. */
const PRESIGNED_PARAMS = new Set([
  'x-amz-algorithm',
  'x-amz-credential',
  'x-amz-date',
  'x-amz-expires',
  'x-amz-signedheaders',
  'x-amz-signature',
  'x-amz-security-token',
]);

/** What an S3 request's payload hash is: S3 accepts an unsigned payload over TLS. */
const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

/** keygate's rule: the headers AWS needs signed, and none a proxy on the way may rewrite. */
export function isSignedHeader(name: string): boolean {
  return name === 'host' || name === 'content-type' || name.startsWith('x-amz-');
}

/**
 * Signs `request` in place for `target` with `keys`: rewrites its path and query into AWS's
 * canonical encoding, replaces any signature the client sent, and adds Authorization,
 * X-Amz-Date, X-Amz-Content-Sha256 (S3) and X-Amz-Security-Token (temporary keys). Returns the
 * signature, for the caller's scrubber.
 */
export async function signAwsRequest(
  request: SignableRequest,
  keys: AwsKeys,
  target: AwsSigningTarget,
  options: SigningOptions = {},
): Promise<string> {
  const s3 = target.service === 's3';
  for (const name of AWS_SIGNATURE_HEADERS) delete request.headers[name];
  const path = awsEncodedPath(request.url.pathname);
  const query = awsEncodedQuery(request.url.search.slice(1));
  request.url.pathname = path;
  request.url.search = query.wire;
  request.headers.host = request.url.host;
  if (s3) request.headers['x-amz-content-sha256'] = UNSIGNED_PAYLOAD;
  const added = await signWireRequest(
    {
      method: request.method,
      path,
      query: query.signed,
      headers: request.headers,
      ...(request.body === undefined ? {} : { body: request.body }),
    },
    keys,
    target,
    { ...options, normalizePath: !s3, encodePath: !s3 },
  );
  Object.assign(request.headers, added);
  const signature = /Signature=([0-9a-f]{64})$/.exec(request.headers.authorization ?? '')?.[1];
  if (!signature) throw new KeygateError('internal', 'the AWS signer made no signature');
  return signature;
}

/** A request as it goes on the wire, for `signWireRequest`. */
export interface WireRequest {
  readonly method: string;
  /** The path exactly as on the request line. */
  readonly path: string;
  /** The query's parameters, decoded (a repeated one as a list). */
  readonly query: Readonly<Record<string, string | string[]>>;
  /** Lower-case names, `host` among them. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array;
}

/**
 * The signature headers (Authorization, X-Amz-Date, and X-Amz-Security-Token for temporary keys)
 * of `wire`, as it stands: its canonical URI is its path, normalised (`normalizePath`: empty and
 * dot segments resolved) and URI-encoded once more (`encodePath`) as every service but S3 wants;
 * its payload hash is its X-Amz-Content-Sha256 header, else its body's SHA-256.
 */
export async function signWireRequest(
  wire: WireRequest,
  keys: AwsKeys,
  target: AwsSigningTarget,
  options: SigningOptions & { readonly normalizePath: boolean; readonly encodePath: boolean },
): Promise<Record<string, string>> {
  const signs = options.signs ?? isSignedHeader;
  const signer = new SignatureV4({
    credentials: {
      accessKeyId: keys.accessKeyId,
      secretAccessKey: keys.secretAccessKey,
      ...(keys.sessionToken ? { sessionToken: keys.sessionToken } : {}),
    },
    region: target.region,
    service: target.service,
    sha256: Sha256,
    // The canonical URI is computed here, so the signer takes the path as it is given.
    uriEscapePath: false,
    applyChecksum: false,
  });
  const signed = await signer.sign(
    {
      method: wire.method,
      protocol: 'https:',
      hostname: String(wire.headers.host),
      path: canonicalUri(wire.path, options),
      query: { ...wire.query },
      headers: { ...wire.headers },
      ...(wire.body === undefined ? {} : { body: wire.body }),
    },
    {
      signingDate: options.now ?? new Date(),
      unsignableHeaders: new Set(Object.keys(wire.headers).filter((name) => !signs(name))),
    },
  );
  const added: Record<string, string> = {};
  for (const name of ['authorization', 'x-amz-date', 'x-amz-security-token']) {
    const value = signed.headers[name];
    if (value !== undefined) added[name] = value;
  }
  return added;
}

/**
 * SigV4's canonical URI of a path as it is on the wire: empty, `.` and `..` segments resolved
 * when `normalizePath` (the leading and a trailing slash kept), each segment URI-encoded when
 * `encodePath` (so an escape on the wire is encoded again, `%20` → `%2520`, as AWS does).
 */
function canonicalUri(path: string, how: { normalizePath: boolean; encodePath: boolean }): string {
  let segments = path.split('/').slice(1);
  if (how.normalizePath) {
    const kept: string[] = [];
    for (const segment of segments) {
      if (segment === '..') kept.pop();
      else if (segment !== '' && segment !== '.') kept.push(segment);
    }
    segments = kept.length > 0 && path.endsWith('/') ? [...kept, ''] : kept;
  }
  return `/${segments.map((segment) => (how.encodePath ? awsUriEncode(segment) : segment)).join('/')}`;
}

/** AWS's URI encoding: every byte but RFC 3986's unreserved characters, as %XX in upper case. */
export function awsUriEncode(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * Decodes one path segment or query component; a malformed escape is the client's error. In a
 * query `+` is a space, as form encoding (and keygate's own `keygate_http_request`) writes it and
 * the approver reads it; AWS SDKs write a plus as `%2B`.
 */
function decoded(text: string, where: 'path' | 'query'): string {
  try {
    return decodeURIComponent(where === 'query' ? text.replaceAll('+', ' ') : text);
  } catch {
    throw new KeygateError('executor.bad_request', `the ${where} has a malformed percent-escape`);
  }
}

/** The path with each segment in AWS's encoding (a `/` inside a segment stays `%2F`). */
function awsEncodedPath(pathname: string): string {
  return pathname
    .split('/')
    .map((segment) => awsUriEncode(decoded(segment, 'path')))
    .join('/');
}

/**
 * The query as sent (the client's order, each part in AWS's encoding, presigned parameters
 * dropped) and as signed (name → values; a bare `name` is an empty value).
 */
export function awsEncodedQuery(search: string): {
  wire: string;
  signed: Record<string, string | string[]>;
} {
  const wire: string[] = [];
  const signed: Record<string, string | string[]> = {};
  for (const pair of search.split('&')) {
    if (pair.length === 0) continue;
    const equals = pair.indexOf('=');
    const name = decoded(equals < 0 ? pair : pair.slice(0, equals), 'query');
    const value = equals < 0 ? '' : decoded(pair.slice(equals + 1), 'query');
    if (PRESIGNED_PARAMS.has(name.toLowerCase())) continue;
    wire.push(equals < 0 ? awsUriEncode(name) : `${awsUriEncode(name)}=${awsUriEncode(value)}`);
    const before = Object.hasOwn(signed, name) ? signed[name] : undefined;
    signed[name] = before === undefined ? value : [...(Array.isArray(before) ? before : [before]), value];
  }
  return { wire: wire.join('&'), signed };
}

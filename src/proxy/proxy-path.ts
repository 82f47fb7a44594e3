/**
 * The check of a proxied request's path before anything is resolved or sent. The upstream host
 * comes only from the service's `base_url`; the path the agent sends is appended to it, so it
 * must not be able to name another host (`//host`, `@host`, `/http://…`, a backslash that some
 * parser reads as a slash) nor climb out of the base path (`..`, encoded or not). Anything a
 * server, proxy or framework on the way might decode into one of those is refused too, rather
 * than reasoned about: no legitimate API path needs it.
 */
import { KeygateError } from '../errors/index.js';

/** A checked path and query, as they will be sent upstream (relative to the base URL). */
export interface ProxyPath {
  /** Starts with `/`, no query; percent-encoded unreserved characters decoded, other escapes upper-cased. */
  readonly path: string;
  /** Without the leading `?`; empty when there is none. */
  readonly query: string;
}

const MAX_LENGTH = 8192;
/** Characters a path may carry raw: RFC 3986 pchar and `/`, minus `@` (userinfo tricks). */
const PATH_CHARS = /^[A-Za-z0-9\-._~!$&'()*+,;=:%/]*$/;
/** A query may carry any printable ASCII but `#` (a fragment) and `\`. */
const QUERY_CHARS = /^[\x21-\x22\x24-\x5b\x5d-\x7e]*$/;
const UNRESERVED = /[A-Za-z0-9\-._~]/;
/** Decoded characters refused inside a path segment: separators, and what decodes to them. */
const SEPARATORS = /[/\\@#?%]/;

/** True for a separator or a control character (C0 or DEL) anywhere in `text`. */
function forbidden(text: string): boolean {
  return SEPARATORS.test(text) || [...text].some((char) => char.charCodeAt(0) < 0x20 || char === '\x7f');
}

function refuse(reason: string): never {
  throw new KeygateError('proxy.refused', `the proxied path is refused: ${reason}`, { details: { reason } });
}

/**
 * Checks the part of a proxied request's target after `/proxy/<service>` (raw, as received: never
 * decoded first) and splits it into path and query. Throws `proxy.refused` for anything that could
 * change the upstream host or escape the base path.
 */
export function checkProxyPath(rawPathAndQuery: string): ProxyPath {
  if (rawPathAndQuery.length > MAX_LENGTH) refuse(`longer than ${MAX_LENGTH} characters`);
  const cut = rawPathAndQuery.indexOf('?');
  const rawPath = cut === -1 ? rawPathAndQuery : rawPathAndQuery.slice(0, cut);
  const query = cut === -1 ? '' : rawPathAndQuery.slice(cut + 1);
  if (rawPathAndQuery.includes('#')) refuse('a fragment (#) is never sent upstream');
  if (!QUERY_CHARS.test(query)) refuse('the query holds a character that must be percent-encoded');
  if (rawPath !== '' && !rawPath.startsWith('/')) refuse('the path must start with /');
  if (rawPath.includes('\\')) refuse('a backslash');
  if (!PATH_CHARS.test(rawPath)) {
    refuse(rawPath.includes('@') ? 'an @ (userinfo)' : 'a character that must be percent-encoded');
  }
  const segments = rawPath === '' ? [''] : rawPath.slice(1).split('/');
  const checked = segments.map((segment, i) => {
    if (segment === '' && i < segments.length - 1) refuse('an empty segment (//)');
    return checkSegment(segment);
  });
  return { path: `/${checked.join('/')}`, query };
}

/** One segment: valid escapes, valid UTF-8, and nothing that decodes to a separator or a dot segment. */
function checkSegment(segment: string): string {
  const bytes: number[] = [];
  let normalized = '';
  for (let i = 0; i < segment.length; i++) {
    const char = segment[i]!;
    if (char !== '%') {
      bytes.push(char.charCodeAt(0));
      normalized += char;
      continue;
    }
    const hex = segment.slice(i + 1, i + 3);
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) refuse('a malformed percent-encoding');
    const byte = Number.parseInt(hex, 16);
    const decoded = String.fromCharCode(byte);
    if (byte === 0x2e) refuse('an encoded dot (%2e)');
    if (byte < 0x80 && forbidden(decoded)) refuse(`an encoded ${describe(byte)}`);
    bytes.push(byte);
    normalized += UNRESERVED.test(decoded) ? decoded : `%${hex.toUpperCase()}`;
    i += 2;
  }
  let text: string;
  try {
    // fatal: an overlong form (%c0%ae for ".") or any invalid sequence is an error, not U+FFFD.
    text = new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes));
  } catch {
    refuse('an invalid or overlong UTF-8 encoding');
  }
  // Compatibility forms (fullwidth ．／＼＠) that some servers fold into their ASCII look-alikes.
  const folded = text.normalize('NFKC');
  if (/^\.{1,2}(;.*)?$/.test(folded)) refuse('a dot segment (. or ..)');
  // Windows and IIS strip trailing dots and spaces from a segment, so `...`, `.. ` and `. .`
  // become `..` or `.` there; a segment of nothing but dots and blanks, or `..` followed by
  // anything ending in one, is a dot segment to them (`;…` parameters are cut first, as Tomcat does).
  const name = folded.replace(/;.*$/s, '');
  if (/^[. \t]+$/.test(name) || (name.startsWith('..') && /[. \t]$/.test(name)))
    refuse('a segment a server may read as a dot segment (dots and blanks)');
  if (folded !== text && forbidden(folded)) refuse('a character that folds into a separator');
  return normalized;
}

function describe(byte: number): string {
  const names: Record<number, string> = {
    47: 'slash (%2f)',
    92: 'backslash (%5c)',
    64: '@ (%40)',
    35: '# (%23)',
    63: '? (%3f)',
    37: 'percent sign (%25, double encoding)',
  };
  return names[byte] ?? `control character (%${byte.toString(16).padStart(2, '0')})`;
}

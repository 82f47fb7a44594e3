/**
 * `multipart/form-data` bodies (RFC 7578) built from tool arguments: text parts, and file parts
 * whose content the model gives as text or base64. Nothing here opens a file: the bytes sent are
 * only ever bytes that were in the call's arguments.
 */
import { randomBytes } from 'node:crypto';
import { KeygateError } from '../errors/index.js';

/**
 * Bytes of one file part at most. A file travels base64-encoded inside an MCP message (4/3 of its
 * size, under the 4 MB messages clients and servers commonly accept), so 2 MiB is what fits.
 */
export const MAX_FILE_PART_BYTES = 2 * 1024 * 1024;

export interface MultipartPart {
  readonly name: string;
  readonly value: unknown;
  /** A file part: `value` is `{filename, content_type, text | base64}`. */
  readonly file: boolean;
}

export interface MultipartBody {
  readonly contentType: string;
  readonly body: Buffer;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** type/subtype, each an RFC 7230 token; no parameters (nothing to smuggle into the header). */
const MIME_TYPE = /^[A-Za-z0-9!#$&^_.+-]{1,63}\/[A-Za-z0-9!#$&^_.+-]{1,63}$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses.
const UNSAFE_FILENAME = /["\\\u0000-\u001f\u007f]/;

/** Encodes `parts`; a bad file argument is refused with a clear `executor.bad_request`. */
export function encodeMultipart(parts: readonly MultipartPart[]): MultipartBody {
  const encoded = parts.map((part) =>
    part.file ? filePart(part.name, part.value) : textPart(part.name, part.value),
  );
  let boundary = newBoundary();
  // A random 128-bit boundary never occurs by chance; checked anyway, since the content is the caller's.
  while (encoded.some((part) => part.content.includes(boundary))) boundary = newBoundary();
  const chunks: Buffer[] = [];
  for (const part of encoded) {
    chunks.push(
      Buffer.from(`--${boundary}\r\n${part.headers}\r\n`, 'utf8'),
      part.content,
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { contentType: `multipart/form-data; boundary=${boundary}`, body: Buffer.concat(chunks) };
}

function newBoundary(): string {
  return `keygate-${randomBytes(16).toString('hex')}`;
}

interface EncodedPart {
  readonly headers: string;
  readonly content: Buffer;
}

function textPart(name: string, value: unknown): EncodedPart {
  if (value !== null && typeof value === 'object') {
    throw new KeygateError('executor.bad_request', `${name} must be a string, number or boolean`, {
      details: { field: name },
    });
  }
  return {
    headers: `Content-Disposition: form-data; name="${name}"\r\n`,
    content: Buffer.from(String(value), 'utf8'),
  };
}

function filePart(name: string, value: unknown): EncodedPart {
  const bad = (message: string) =>
    new KeygateError('executor.bad_request', `${name}: ${message}`, { details: { field: name } });
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw bad('give an object {filename, content_type, text or base64}');
  const { filename, content_type: contentType, text, base64 } = value as Record<string, unknown>;
  if (typeof filename !== 'string' || filename.length === 0 || UNSAFE_FILENAME.test(filename))
    throw bad('filename must be a non-empty name without quotes, backslashes or control characters');
  if (typeof contentType !== 'string' || !MIME_TYPE.test(contentType))
    throw bad('content_type must be a MIME type such as text/plain or image/png');
  if (text !== undefined && typeof text !== 'string') throw bad('text and base64 are strings');
  if ((text === undefined) === (base64 === undefined))
    throw bad('give the content as exactly one of text or base64');
  const tooLarge = (bytes: number) =>
    bad(`the file is ${bytes} bytes; keygate sends at most ${MAX_FILE_PART_BYTES} bytes per file`);
  let content: Buffer;
  if (typeof text === 'string') {
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > MAX_FILE_PART_BYTES) throw tooLarge(bytes);
    content = Buffer.from(text, 'utf8');
  } else {
    const compact = typeof base64 === 'string' ? base64.replace(/\s+/g, '') : undefined;
    if (compact === undefined) throw bad('text and base64 are strings');
    // Sized before decoding: an oversized file is refused without being decoded.
    const bytes = Math.floor((compact.length * 3) / 4) - (compact.match(/=+$/)?.[0].length ?? 0);
    if (bytes > MAX_FILE_PART_BYTES) throw tooLarge(bytes);
    if (!BASE64.test(compact)) throw bad('base64 is not valid base64');
    content = Buffer.from(compact, 'base64');
  }
  return {
    headers: `Content-Disposition: form-data; name="${name}"; filename="${filename}"\r\nContent-Type: ${contentType}\r\n`,
    content,
  };
}

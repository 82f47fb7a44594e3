/**
 * Removes known secret values from text before it leaves keygate, in whatever form a server
 * wrote them back. The text is searched twice, both in linear time: as it is, and as a decoded
 * view in which every escape a server may use for a character — JSON `\uXXXX` and short escapes,
 * percent-encoding in either case, `+` for a space, HTML named and numeric references — stands
 * for the character it encodes, in any mix. Each secret is also looked for in hex (either case)
 * and base64 (standard or URL-safe, padded or not, at any byte offset inside a longer encoded
 * string such as `Bearer <token>` or `user:<password>`).
 */
import { inspect } from 'node:util';

export const REDACTED = '[REDACTED]';

/** The longest text one character of the decoded view can come from (`&#x0010FFFF;`, `\uD83D`). */
const MAX_CHAR_FORM = 12;
/** Base64 fragments shorter than this are not looked for on their own: too likely in any text. */
const MIN_BASE64_CORE = 8;
/** JSON documents nested in strings are decoded this many levels deep at most. */
const MAX_JSON_DEPTH = 3;

/** One escape a server may write for one character; the groups say which kind matched. */
const ESCAPE =
  /\\u([0-9a-fA-F]{4})|\\(["\\/bfnrt'])|%([0-9a-fA-F]{2})|&#(?:([0-9]{1,8})|[xX]([0-9a-fA-F]{1,7}));|&(amp|lt|gt|quot|apos);/g;
const MAY_ESCAPE = /[\\%&+]/;
const JSON_SHORT: Readonly<Record<string, string>> = {
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};
const HTML_NAMED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** A scrubber for a fixed set of secrets, prepared once per call. Its redacted form shows none. */
export class Scrubber {
  /** A scrubber that knows no secret (calls that never reached a credential). */
  static readonly NONE = new Scrubber([]);

  /** Forms looked for in the text as it is. */
  readonly #raw: readonly string[];
  /** Forms looked for in the decoded view (normalised as the view is). */
  readonly #decoded: readonly string[];
  readonly #longest: number;

  /**
   * `secrets` are looked for in every form; `envelopes` are strings that carry a secret as it
   * was put on the wire (a header value such as `Bearer …`, a query parameter as encoded in the
   * URL), whose base64 is looked for as well.
   */
  constructor(secrets: readonly string[], envelopes: readonly string[] = []) {
    const values = [...new Set(secrets.filter((secret) => secret.length > 0))];
    const wrapped = [...new Set([...values, ...envelopes.filter((envelope) => envelope.length > 0)])];
    const forms = new Set<string>();
    for (const value of wrapped) for (const form of base64Forms(value)) forms.add(form);
    for (const value of values) for (const form of secretForms(value)) forms.add(form);
    const longestFirst = (a: string, b: string) => b.length - a.length;
    this.#raw = [...forms].sort(longestFirst);
    this.#decoded = [...new Set([...forms].map(normalise))].sort(longestFirst);
    this.#longest = MAX_CHAR_FORM * Math.max(0, ...this.#raw.map((form) => form.length));
  }

  /** Longest text a secret form can span, so callers can keep enough around a cut to scrub across it. */
  get longest(): number {
    return this.#longest;
  }

  /** `text` with every form of every secret replaced by `[REDACTED]`. */
  scrub(text: string): string {
    return redact(text, this.#ranges(text));
  }

  /** Whether `text` holds a form of a secret. */
  finds(text: string): boolean {
    return this.#ranges(text).length > 0;
  }

  #ranges(text: string): [number, number][] {
    const ranges: [number, number][] = [];
    if (this.#raw.length === 0 || text.length === 0) return ranges;
    for (const form of this.#raw) collect(text, form, ranges, undefined);
    // Without an escape character the view would be the text itself.
    if (MAY_ESCAPE.test(text)) {
      const view = new DecodedView(text);
      for (const form of this.#decoded) collect(view.text, form, ranges, view);
    }
    return ranges;
  }

  /**
   * Scrubs a text that may be a JSON document after decoding it as well: if a decoded string (or
   * key) still holds a secret — written with an escape the view does not know — the document is
   * re-serialised from its scrubbed decoded values. JSON found inside strings is decoded too.
   */
  scrubText(text: string): string {
    return this.#text(text, 0);
  }

  /** A copy of `value` with every string and key scrubbed (strings holding JSON decoded first). */
  scrubValue<T>(value: T): T {
    if (this.#raw.length === 0) return value;
    return this.#walk(value, 0, { changed: false }) as T;
  }

  #text(text: string, depth: number): string {
    const scrubbed = this.scrub(text);
    if (this.#raw.length === 0 || depth > MAX_JSON_DEPTH || !looksLikeJson(scrubbed)) return scrubbed;
    let document: unknown;
    try {
      document = JSON.parse(scrubbed);
    } catch {
      return scrubbed;
    }
    // One search over every decoded string first; the document is rebuilt only when it leaks.
    const strings: string[] = [];
    collectStrings(document, depth + 1, strings);
    if (!this.finds(strings.join('\0'))) return scrubbed;
    const walked = { changed: false };
    const clean = this.#walk(document, depth + 1, walked);
    if (!walked.changed) return scrubbed;
    return JSON.stringify(clean, null, scrubbed.includes('\n') ? 2 : undefined);
  }

  #walk(value: unknown, depth: number, walked: { changed: boolean }): unknown {
    if (typeof value === 'string') {
      const clean = this.#text(value, depth);
      if (clean !== value) walked.changed = true;
      return clean;
    }
    if (Array.isArray(value)) return value.map((item) => this.#walk(item, depth, walked));
    if (typeof value === 'object' && value !== null) {
      // fromEntries defines own properties: a `__proto__` key stays a key.
      return Object.fromEntries(
        Object.entries(value).map(([key, item]) => {
          const cleanKey = this.scrub(key);
          if (cleanKey !== key) walked.changed = true;
          return [cleanKey, this.#walk(item, depth, walked)];
        }),
      );
    }
    return value;
  }

  toJSON(): string {
    return '[scrubber]';
  }

  toString(): string {
    return '[scrubber]';
  }

  [inspect.custom](): string {
    return '[scrubber]';
  }
}

/** The forms of one secret looked for: itself, its UTF-8 bytes as percent-decoding yields them, hex, base64. */
function secretForms(secret: string): string[] {
  const bytes = Buffer.from(secret);
  const hex = bytes.toString('hex');
  return [secret, bytes.toString('latin1'), hex, hex.toUpperCase()];
}

/** `value` in base64, standard and URL-safe: whole (unpadded forms are prefixes), and inside longer text. */
function base64Forms(value: string): string[] {
  const bytes = Buffer.from(value);
  return [bytes.toString('base64'), bytes.toString('base64url'), ...base64Cores(bytes)];
}

/**
 * The parts of base64 that depend on the secret's bytes alone, at each of the three byte offsets
 * they can have inside a longer encoded string.
 */
function base64Cores(bytes: Buffer): string[] {
  const cores: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    const core = encoded.slice(Math.ceil((8 * offset) / 6), Math.floor((8 * (offset + bytes.length)) / 6));
    if (core.length < MIN_BASE64_CORE) continue;
    cores.push(core, core.replaceAll('+', '-').replaceAll('/', '_'));
  }
  return cores;
}

/** The view compares `+` and space as one character (form encoding writes one for the other). */
function normalise(text: string): string {
  return text.replaceAll('+', ' ');
}

/**
 * `text` with every escape replaced by the character it stands for. Each segment — a stretch of
 * plain text, or one escape — records where it starts in the view and in the original.
 */
class DecodedView {
  readonly text: string;
  readonly #viewStarts: number[] = [];
  readonly #starts: number[] = [];
  readonly #ends: number[] = [];
  readonly #plain: boolean[] = [];

  constructor(original: string) {
    const parts: string[] = [];
    let length = 0;
    const add = (part: string, start: number, end: number, plain: boolean) => {
      parts.push(part);
      this.#viewStarts.push(length);
      this.#starts.push(start);
      this.#ends.push(end);
      this.#plain.push(plain);
      length += part.length;
    };
    let last = 0;
    ESCAPE.lastIndex = 0;
    for (let match = ESCAPE.exec(original); match; match = ESCAPE.exec(original)) {
      if (match.index > last) add(original.slice(last, match.index), last, match.index, true);
      const end = match.index + match[0].length;
      const char = escapedChar(match);
      // An escape for no valid character stays as written.
      if (char === undefined) add(match[0], match.index, end, true);
      else add(char, match.index, end, false);
      last = end;
    }
    if (last < original.length) add(original.slice(last), last, original.length, true);
    this.text = normalise(parts.join(''));
  }

  /** The range of the original text that view characters `from` to `to` (exclusive) came from. */
  original(from: number, to: number): [number, number] {
    return [this.#at(from)[0], this.#at(to - 1)[1]];
  }

  #at(index: number): [number, number] {
    let low = 0;
    let high = this.#viewStarts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (this.#viewStarts[mid]! <= index) low = mid;
      else high = mid - 1;
    }
    if (!this.#plain[low]) return [this.#starts[low]!, this.#ends[low]!];
    const at = this.#starts[low]! + index - this.#viewStarts[low]!;
    return [at, at + 1];
  }
}

function escapedChar(match: RegExpExecArray): string | undefined {
  const [, unit, short, byte, decimal, hex, named] = match;
  if (unit !== undefined) return String.fromCharCode(Number.parseInt(unit, 16));
  if (short !== undefined) return JSON_SHORT[short] ?? short;
  // A byte: multi-byte UTF-8 is matched against the secret's bytes read as Latin-1.
  if (byte !== undefined) return String.fromCharCode(Number.parseInt(byte, 16));
  if (named !== undefined) return HTML_NAMED[named];
  const code = decimal !== undefined ? Number(decimal) : Number.parseInt(hex ?? '', 16);
  return code <= 0x10ffff ? String.fromCodePoint(code) : undefined;
}

/** Adds the original ranges where `form` occurs in `text` (mapped back through `view` when given). */
function collect(
  text: string,
  form: string,
  ranges: [number, number][],
  view: DecodedView | undefined,
): void {
  for (let at = text.indexOf(form); at !== -1; at = text.indexOf(form, at + form.length)) {
    ranges.push(view ? view.original(at, at + form.length) : [at, at + form.length]);
  }
}

function redact(text: string, ranges: [number, number][]): string {
  if (ranges.length === 0) return text;
  ranges.sort((a, b) => a[0] - b[0]);
  let out = '';
  let last = 0;
  let openEnd = -1;
  for (const [start, end] of ranges) {
    if (start >= openEnd) {
      out += `${text.slice(last, start)}${REDACTED}`;
      openEnd = end;
    } else openEnd = Math.max(openEnd, end);
    last = openEnd;
  }
  return out + text.slice(last);
}

/** Every string and key in a decoded JSON value, and in JSON documents held by its strings. */
function collectStrings(value: unknown, depth: number, into: string[]): void {
  if (typeof value === 'string') {
    into.push(value);
    if (depth > MAX_JSON_DEPTH || !looksLikeJson(value)) return;
    try {
      collectStrings(JSON.parse(value), depth + 1, into);
    } catch {
      // Not JSON after all: the string itself is searched.
    }
  } else if (Array.isArray(value)) {
    for (const item of value) collectStrings(item, depth, into);
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      into.push(key);
      collectStrings(item, depth, into);
    }
  }
}

function looksLikeJson(text: string): boolean {
  const first = text.trimStart()[0];
  return first === '{' || first === '[' || first === '"';
}

/**
 * Removes known secret values from text before it leaves keygate, in whatever form a server
 * wrote them back. The text is searched as it is and as up to three decoded layers, each built
 * from the one before in linear time until nothing is left to decode: in a layer every escape a
 * server may use for a character — JSON and JavaScript `\uXXXX`, `\u{…}`, `\xNN` and short
 * escapes, percent-encoding in either case and `%uXXXX`, `+` for a space, HTML numeric references
 * (with or without the semicolon, any number of leading zeros) and named references for every
 * ASCII punctuation character — stands for the character it encodes, in any mix, so `%252F`,
 * `&amp;#47;`, `&#37;2F` and `%26%2347%3B` all end up as `/`. Each secret is also looked for in
 * hex (any mix of case, and as bytes separated by spaces, as S3's errors dump a request) and
 * base64 (standard or URL-safe, padded or not, at any byte offset inside a longer encoded string
 * such as `Bearer <token>` or `user:<password>`, and across the line breaks of wrapped base64). Matches in any layer map back to the original characters.
 */
import { inspect } from 'node:util';

export const REDACTED = '[REDACTED]';

/** How many decoded layers are built at most (`%25252F` is three layers deep). */
const DECODE_LAYERS = 3;
/**
 * The longest text one character of a form is usually written as, through every layer
 * (`&DiacriticalGrave;`; `%26%23103%3B` and `&amp;#x0067;` are 12). Contrived escapes (thousands
 * of leading zeros) are still decoded, but the cut tail of a truncated answer is not made as long.
 */
const MAX_CHAR_FORM = 18;
/** Base64 fragments shorter than this are not looked for on their own: too likely in any text. */
const MIN_BASE64_CORE = 8;
/** The shortest line of wrapped base64 joined to the next (MIME wraps at 76, PEM at 64, GitHub at 60). */
const MIN_WRAPPED_LINE = 16;
/** Decoded variants of a secret shorter than this are not looked for: too likely in any text. */
const MIN_DECODED_FORM = 8;
/** JSON documents nested in strings are decoded this many levels deep at most. */
const MAX_JSON_DEPTH = 3;

/**
 * One escape a server may write for one character; the groups say which kind matched. Every
 * repetition is bounded or anchored on a character that starts the next try, so a scan is linear.
 */
const ESCAPE = new RegExp(
  [
    /\\u([0-9a-fA-F]{4})/.source, // 1: JSON / JavaScript UTF-16 unit
    /\\u\{0*([0-9a-fA-F]{1,6})\}/.source, // 2: ES6 code point
    /\\x([0-9a-fA-F]{2})/.source, // 3: \xNN
    /\\(["\\/bfnrt'])/.source, // 4: JSON short escape
    /%u([0-9a-fA-F]{4})/.source, // 5: %uXXXX
    /%([0-9a-fA-F]{2})/.source, // 6: percent-encoded byte
    /&#0*([0-9]{1,7});?/.source, // 7: decimal reference
    /&#[xX]0*([0-9a-fA-F]{1,6});?/.source, // 8: hex reference
    /&([A-Za-z]{2,31});/.source, // 9: named reference
    /&(amp|AMP|lt|LT|gt|GT|quot|QUOT)/.source, // 10: the named references browsers read without `;`
  ].join('|'),
  'g',
);
/** A character that starts an escape (`+` only differs from a space once decoded). */
const MAY_ESCAPE = /[\\%&]/;
const JSON_SHORT: Readonly<Record<string, string>> = {
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};
/**
 * HTML5 named references for every printable ASCII punctuation character. `&hyphen;`, `&dash;`
 * and `&tilde;` stand for U+2010 and U+02DC in HTML5, but encoders write them for `-` and `~`.
 */
const HTML_NAMED: ReadonlyMap<string, string> = new Map(
  Object.entries({
    excl: '!',
    quot: '"',
    QUOT: '"',
    num: '#',
    dollar: '$',
    percnt: '%',
    amp: '&',
    AMP: '&',
    apos: "'",
    lpar: '(',
    rpar: ')',
    ast: '*',
    midast: '*',
    plus: '+',
    comma: ',',
    hyphen: '-',
    dash: '-',
    period: '.',
    sol: '/',
    colon: ':',
    semi: ';',
    lt: '<',
    LT: '<',
    equals: '=',
    gt: '>',
    GT: '>',
    quest: '?',
    commat: '@',
    lsqb: '[',
    lbrack: '[',
    bsol: '\\',
    rsqb: ']',
    rbrack: ']',
    Hat: '^',
    lowbar: '_',
    UnderBar: '_',
    grave: '`',
    DiacriticalGrave: '`',
    lcub: '{',
    lbrace: '{',
    verbar: '|',
    vert: '|',
    VerticalLine: '|',
    rcub: '}',
    rbrace: '}',
    tilde: '~',
    DiacriticalTilde: '~',
    Tab: '\t',
    NewLine: '\n',
  }),
);

/** The forms of a set of secrets a scrubber looks for (see the module comment). */
interface Forms {
  /** Forms looked for as they are: the secrets, their UTF-8 bytes, what their escapes decode to. */
  readonly plain: readonly string[];
  /** Lower-case hex forms, looked for in a case-folded copy of each layer. */
  readonly hex: readonly string[];
  /** Base64 forms, looked for in each layer and in it with the line breaks of base64 removed. */
  readonly base64: readonly string[];
  /** The plain and base64 forms as decoded layers compare them (see `normalise`). */
  readonly decoded: readonly string[];
  /** Every code unit of every form, and ASCII: what a form cut short can be made of. */
  readonly units: ReadonlySet<number>;
  /** Longest text a form can span, written with escapes of usual length (see MAX_CHAR_FORM). */
  readonly longest: number;
  /** Whether there is nothing to look for. */
  readonly none: boolean;
}

function formsOf(secrets: readonly string[], envelopes: readonly string[]): Forms {
  const values = [...new Set(secrets.filter((secret) => secret.length > 0))];
  const wrapped = [...new Set([...values, ...envelopes.filter((envelope) => envelope.length > 0)])];
  const plain = new Set<string>();
  const hex = new Set<string>();
  const base64 = new Set<string>();
  for (const value of wrapped) for (const form of base64Forms(value)) base64.add(form);
  for (const value of values) {
    const bytes = Buffer.from(value);
    hex.add(bytes.toString('hex'));
    // Bytes in hex separated by spaces: how S3 dumps a canonical request in its errors.
    hex.add(bytes.toString('hex').replace(/(..)(?=.)/g, '$1 '));
    for (const form of [value, bytes.toString('latin1')]) {
      plain.add(form);
      // A secret that looks like escapes itself (`a&lt1`) is found next to real escapes too.
      for (const decoded of decodedLayers(form)) if (decoded.length >= MIN_DECODED_FORM) plain.add(decoded);
    }
  }
  const all = [...plain, ...hex, ...base64];
  const units = new Set<number>();
  for (const form of all) for (let i = 0; i < form.length; i++) units.add(form.charCodeAt(i));
  return {
    plain: [...plain],
    hex: [...hex],
    base64: [...base64],
    decoded: [...new Set([...plain, ...base64].map(normalise))],
    units,
    longest: Math.max(0, ...all.map((form) => form.length)) * MAX_CHAR_FORM,
    none: all.length === 0,
  };
}

/** The forms of both sets: what `formsOf` gives for their union (a form twice is harmless). */
function mergedForms(a: Forms, b: Forms): Forms {
  return {
    plain: [...a.plain, ...b.plain],
    hex: [...a.hex, ...b.hex],
    base64: [...a.base64, ...b.base64],
    decoded: [...a.decoded, ...b.decoded],
    units: new Set([...a.units, ...b.units]),
    longest: Math.max(a.longest, b.longest),
    none: a.none && b.none,
  };
}

/** A scrubber for a fixed set of secrets, prepared once per call. Its redacted form shows none. */
export class Scrubber {
  /** A scrubber that knows no secret (calls that never reached a credential). */
  static readonly NONE = new Scrubber([]);

  /** What is looked for; set once (by the constructor, or by `with` on a new scrubber). */
  #forms: Forms;

  /**
   * `secrets` are looked for in every form; `envelopes` are strings that carry a secret as it
   * was put on the wire (a header value such as `Bearer …`, a query parameter as encoded in the
   * URL), whose base64 is looked for as well.
   */
  constructor(secrets: readonly string[], envelopes: readonly string[] = []) {
    this.#forms = formsOf(secrets, envelopes);
  }

  /**
   * A scrubber for this one's secrets and envelopes and the given ones, preparing only the new
   * ones' forms: a credential's fixed values are prepared once, a signature per request on top.
   */
  with(secrets: readonly string[], envelopes: readonly string[] = []): Scrubber {
    const next = new Scrubber([]);
    next.#forms = mergedForms(this.#forms, formsOf(secrets, envelopes));
    return next;
  }

  /** Longest text a secret form can span (written with escapes of usual length, see MAX_CHAR_FORM). */
  get longest(): number {
    return this.#forms.longest;
  }

  /** `text` with every form of every secret replaced by `[REDACTED]`. */
  scrub(text: string): string {
    return redact(text, this.#ranges(text));
  }

  /**
   * Where forms of a secret occur in `text`, as sorted and merged `[start, end)` ranges of its
   * characters (what `scrub` replaces): the streaming scrubber decides from them what is safe to send.
   */
  matches(text: string): [number, number][] {
    return merge(this.#ranges(text));
  }

  /** Whether `text` holds a form of a secret. */
  finds(text: string): boolean {
    return this.#ranges(text).length > 0;
  }

  /**
   * Scrubbed `text` that a size limit cut short, without the tail that may be the start of a
   * secret form cut by the limit: the characters at its end that a form can be made of, up to
   * `longest` of them. Scrub first, then cut: cutting first could cut a whole form into a part.
   */
  withoutPartialTail(text: string): string {
    const stop = Math.max(0, text.length - this.#forms.longest);
    let end = text.length;
    while (end > stop && this.#mayBeForm(text.charCodeAt(end - 1))) end--;
    return text.slice(0, end);
  }

  /**
   * `text`, which was cut at its start (the end of a long log), without what may be the end of a
   * secret form cut there: the characters at its start that a form can be made of, up to
   * `longest` of them. Scrub first, then cut, as for `withoutPartialTail`.
   */
  withoutPartialHead(text: string): string {
    const stop = Math.min(text.length, this.#forms.longest);
    let start = 0;
    while (start < stop && this.#mayBeForm(text.charCodeAt(start))) start++;
    return text.slice(start);
  }

  #mayBeForm(unit: number): boolean {
    return unit < 0x80 || this.#forms.units.has(unit);
  }

  #ranges(text: string): [number, number][] {
    const ranges: [number, number][] = [];
    if (this.#forms.none || text.length === 0) return ranges;
    this.#search(text, [], false, ranges);
    let layer = text;
    let chain: readonly View[] = [];
    while (chain.length < DECODE_LAYERS) {
      const view = MAY_ESCAPE.test(layer) ? decodeView(layer) : undefined;
      if (view === undefined) {
        // Nothing to decode: the first layer would differ from the text only by its `+`.
        if (chain.length === 0 && layer.includes('+')) {
          const text = normalise(layer);
          for (const form of this.#forms.decoded) collect(text, form, ranges, chain);
        }
        break;
      }
      chain = [...chain, view];
      layer = view.text;
      this.#search(layer, chain, true, ranges);
    }
    return ranges;
  }

  /** Adds where the forms occur in `layer`, one of the texts `chain` decoded, as original ranges. */
  #search(layer: string, chain: readonly View[], decoded: boolean, ranges: [number, number][]): void {
    const text = decoded ? normalise(layer) : layer;
    for (const form of decoded ? this.#forms.decoded : [...this.#forms.plain, ...this.#forms.base64])
      collect(text, form, ranges, chain);
    const folded = foldCase(layer);
    for (const form of this.#forms.hex) collect(folded, form, ranges, chain);
    const unwrapped = unwrapBase64(layer);
    if (unwrapped !== undefined) {
      const through = [...chain, unwrapped];
      for (const form of this.#forms.base64) collect(unwrapped.text, form, ranges, through);
    }
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
    if (this.#forms.none) return value;
    return this.#walk(value, 0, { changed: false }) as T;
  }

  #text(text: string, depth: number): string {
    const scrubbed = this.scrub(text);
    if (this.#forms.none || depth > MAX_JSON_DEPTH || !looksLikeJson(scrubbed)) return scrubbed;
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

/** The texts `text` decodes to, layer by layer (none when it holds no escape). */
function decodedLayers(text: string): string[] {
  const layers: string[] = [];
  let layer = text;
  for (let view = decodeView(layer); view && layers.length < DECODE_LAYERS; view = decodeView(layer)) {
    layer = view.text;
    layers.push(layer);
  }
  return layers;
}

/** Decoded layers compare `+` and space as one character (form encoding writes one for the other). */
function normalise(text: string): string {
  return text.replaceAll('+', ' ');
}

/** `text` with ASCII letters in lower case, at the same positions (hex is matched in any case). */
function foldCase(text: string): string {
  const lower = text.toLowerCase();
  // Lower-casing can only lengthen a text (`İ`); when it did not, no position moved.
  return lower.length === text.length ? lower : text.replace(/[A-Z]+/g, (upper) => upper.toLowerCase());
}

/**
 * A text and where each of its characters came from in the text it was derived from. Each
 * segment — a stretch of characters copied as they were, or the characters one escape stands
 * for — records where it starts in this text and the range it came from in the other. A copied
 * segment is as long as its range; an escape is always longer than what it stands for.
 */
class View {
  constructor(
    readonly text: string,
    private readonly segments: number,
    private readonly viewStarts: Int32Array,
    private readonly starts: Int32Array,
    private readonly ends: Int32Array,
  ) {}

  /** The range of the other text that characters `from` to `to` (exclusive) came from. */
  original(from: number, to: number): [number, number] {
    return [this.#at(from)[0], this.#at(to - 1)[1]];
  }

  #at(index: number): [number, number] {
    let low = 0;
    let high = this.segments - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (this.viewStarts[mid]! <= index) low = mid;
      else high = mid - 1;
    }
    const start = this.starts[low]!;
    const end = this.ends[low]!;
    const length =
      (low + 1 < this.segments ? this.viewStarts[low + 1]! : this.text.length) - this.viewStarts[low]!;
    if (end - start !== length) return [start, end];
    const at = start + index - this.viewStarts[low]!;
    return [at, at + 1];
  }
}

/** Builds a view segment by segment (flat typed arrays: a view may have one segment per character). */
class ViewBuilder {
  #parts: string[] = [];
  #length = 0;
  #count = 0;
  #viewStarts = new Int32Array(64);
  #starts = new Int32Array(64);
  #ends = new Int32Array(64);

  /** Adds `part`, which came from `start` to `end` of the other text. */
  add(part: string, start: number, end: number): void {
    if (this.#count === this.#starts.length) {
      const grow = (array: Int32Array) => {
        const grown = new Int32Array(array.length * 2);
        grown.set(array);
        return grown;
      };
      this.#viewStarts = grow(this.#viewStarts);
      this.#starts = grow(this.#starts);
      this.#ends = grow(this.#ends);
    }
    this.#parts.push(part);
    this.#viewStarts[this.#count] = this.#length;
    this.#starts[this.#count] = start;
    this.#ends[this.#count] = end;
    this.#count++;
    this.#length += part.length;
  }

  build(): View {
    return new View(this.#parts.join(''), this.#count, this.#viewStarts, this.#starts, this.#ends);
  }
}

/** `text` with every escape replaced by the characters it stands for; undefined if it has none. */
function decodeView(text: string): View | undefined {
  const view = new ViewBuilder();
  let decoded = false;
  let last = 0;
  ESCAPE.lastIndex = 0;
  for (let match = ESCAPE.exec(text); match; match = ESCAPE.exec(text)) {
    const char = escapedChar(match);
    // An escape for no valid character stays as written.
    if (char === undefined) continue;
    if (match.index > last) view.add(text.slice(last, match.index), last, match.index);
    const end = match.index + match[0].length;
    view.add(char, match.index, end);
    last = end;
    decoded = true;
  }
  if (!decoded) return undefined;
  if (last < text.length) view.add(text.slice(last), last, text.length);
  return view.build();
}

function escapedChar(match: RegExpExecArray): string | undefined {
  const [, unit, point, xByte, short, percentUnit, byte, decimal, hex, named, legacy] = match;
  if (unit !== undefined) return String.fromCharCode(Number.parseInt(unit, 16));
  if (percentUnit !== undefined) return String.fromCharCode(Number.parseInt(percentUnit, 16));
  if (short !== undefined) return JSON_SHORT[short] ?? short;
  // A byte: multi-byte UTF-8 is matched against the secret's bytes read as Latin-1.
  if (byte !== undefined) return String.fromCharCode(Number.parseInt(byte, 16));
  if (xByte !== undefined) return String.fromCharCode(Number.parseInt(xByte, 16));
  if (named !== undefined) return HTML_NAMED.get(named);
  if (legacy !== undefined) return HTML_NAMED.get(legacy);
  const code = decimal !== undefined ? Number(decimal) : Number.parseInt(hex ?? point ?? '', 16);
  return code <= 0x10ffff ? String.fromCodePoint(code) : undefined;
}

const isBase64 = (unit: number) =>
  (unit >= 0x41 && unit <= 0x5a) || // A-Z
  (unit >= 0x61 && unit <= 0x7a) || // a-z
  (unit >= 0x30 && unit <= 0x39) || // 0-9
  unit === 0x2b || // +
  unit === 0x2f || // /
  unit === 0x3d || // =
  unit === 0x2d || // -
  unit === 0x5f; // _

/** How long the line break or space at `at` is: whitespace, or JSON's `\n`, `\r`, `\t` as written. */
function breakAt(text: string, at: number): number {
  const unit = text.charCodeAt(at);
  if (unit === 0x20 || unit === 0x09 || unit === 0x0a || unit === 0x0d) return 1;
  if (unit !== 0x5c) return 0;
  const next = text[at + 1];
  return next === 'n' || next === 'r' || next === 't' ? 2 : 0;
}

/**
 * `text` without the line breaks and spaces between base64 characters (MIME wraps base64 at 76
 * characters, GitHub's contents API at 60), so wrapped base64 reads as one run; undefined if
 * there are none. One pass: every break is looked at once.
 */
function unwrapBase64(text: string): View | undefined {
  const view = new ViewBuilder();
  let removed = false;
  let kept = 0;
  let run = 0;
  let at = 0;
  while (at < text.length) {
    const length = breakAt(text, at);
    if (length === 0) {
      if (!isBase64(text.charCodeAt(at))) run = at + 1;
      at++;
      continue;
    }
    // Only a break after a line of base64 can be a wrap: words in prose are not taken apart.
    let end = at;
    for (let next = length; next > 0; next = breakAt(text, end)) end += next;
    if (at - run >= MIN_WRAPPED_LINE && end < text.length && isBase64(text.charCodeAt(end))) {
      if (at > kept) view.add(text.slice(kept, at), kept, at);
      kept = end;
      removed = true;
    }
    at = end;
    run = end;
  }
  if (!removed) return undefined;
  if (kept < text.length) view.add(text.slice(kept), kept, text.length);
  return view.build();
}

/** Adds the original ranges where `form` occurs in `text`, mapped back through every view of `chain`. */
function collect(text: string, form: string, ranges: [number, number][], chain: readonly View[]): void {
  for (let at = text.indexOf(form); at !== -1; at = text.indexOf(form, at + form.length)) {
    let range: [number, number] = [at, at + form.length];
    for (let i = chain.length - 1; i >= 0; i--) range = chain[i]!.original(range[0], range[1]);
    ranges.push(range);
  }
}

/** `ranges` sorted, with overlapping ones joined. */
function merge(ranges: [number, number][]): [number, number][] {
  ranges.sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const [start, end] of ranges) {
    const last = merged[merged.length - 1];
    if (last && start < last[1]) last[1] = Math.max(last[1], end);
    else merged.push([start, end]);
  }
  return merged;
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

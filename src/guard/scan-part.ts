/**
 * What the outbound secret scan reads: the parts of a request that will leave keygate, each
 * with the place it goes (`argument body`, `header x-foo`, `query`, `path`, `body`), so that a
 * hit can be named without quoting it.
 */

/** One piece of text that leaves with a request, and where in the request it goes. */
export interface ScanPart {
  readonly place: string;
  readonly text: string;
}

/** A request about to leave: where it goes, and what it carries. */
export interface Outbound {
  /** The service the request is sent to (a catalog or a proxy service). */
  readonly destination: string;
  readonly parts: readonly ScanPart[];
}

/**
 * Every string of a tool call's arguments, keys included (Stripe `metadata` and Notion
 * `properties` take keys from the agent), each placed at its argument path (`argument
 * parent.page_id`, `argument items[0].price`).
 */
export function argumentParts(args: Readonly<Record<string, unknown>>): ScanPart[] {
  const parts: ScanPart[] = [];
  const walk = (value: unknown, path: string): void => {
    if (typeof value === 'string') {
      parts.push({ place: `argument ${path}`, text: value });
      // A file's base64 content (Notion uploads) leaves decoded: its bytes are what is sent, and
      // whitespace the encoder drops could otherwise split a secret the text scan looks for.
      if (path === 'base64' || path.endsWith('.base64'))
        parts.push({ place: `argument ${path} (decoded)`, text: decodedBase64(value) });
    } else if (Array.isArray(value))
      for (const [index, item] of value.entries()) walk(item, `${path}[${index}]`);
    else if (typeof value === 'object' && value !== null)
      for (const [key, item] of Object.entries(value)) {
        parts.push({ place: `argument ${path} (a key)`, text: key });
        walk(item, `${path}.${key}`);
      }
  };
  for (const [name, value] of Object.entries(args)) walk(value, name);
  return parts;
}

/** Base64 `text` decoded as the multipart encoder decodes it, one character per byte. */
function decodedBase64(text: string): string {
  return Buffer.from(text.replace(/\s+/g, ''), 'base64').toString('latin1');
}

/**
 * `text` as it is and, when it holds percent-encoding or `+`, as decoded once: credential
 * shapes are matched on characters, and a URL or a form body writes some of them encoded.
 * (Vault secrets are found in every encoding by the scrubber's own decoding.)
 */
export function withDecoded(place: string, text: string): ScanPart[] {
  if (!/[%+]/.test(text)) return [{ place, text }];
  let decoded: string;
  try {
    decoded = decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    // Broken escapes: decoded pair by pair, each broken one left as it is.
    decoded = text.replace(/\+/g, ' ').replace(/(%[0-9a-fA-F]{2})+/g, (run) => {
      try {
        return decodeURIComponent(run);
      } catch {
        return run;
      }
    });
  }
  return decoded === text
    ? [{ place, text }]
    : [
        { place, text },
        { place, text: decoded },
      ];
}

/**
 * The strings of a JSON body, keys included, all placed at `place`: JSON may write any character
 * as `\uXXXX`, which a credential shape would not match as written.
 */
export function jsonStringParts(place: string, text: string): ScanPart[] {
  const first = text.trimStart()[0];
  if (first !== '{' && first !== '[' && first !== '"') return [];
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    return [];
  }
  const parts: ScanPart[] = [];
  const walk = (value: unknown): void => {
    if (typeof value === 'string') parts.push({ place, text: value });
    else if (Array.isArray(value)) for (const item of value) walk(item);
    else if (typeof value === 'object' && value !== null)
      for (const [key, item] of Object.entries(value)) {
        parts.push({ place, text: key });
        walk(item);
      }
  };
  walk(document);
  return parts;
}

/**
 * The parts joined into one text (one search instead of one per part), and where each part
 * starts in it. NUL separates them: it is no base64, hex or escape character, so no encoded
 * form of a secret can run from one part into the next.
 */
export function joinParts(parts: readonly ScanPart[]): { text: string; starts: number[] } {
  const starts: number[] = [];
  let at = 0;
  for (const part of parts) {
    starts.push(at);
    at += part.text.length + 1;
  }
  return { text: parts.map((part) => part.text).join('\0'), starts };
}

/** The index of the part of a joined text that character `offset` belongs to. */
export function partAt(starts: readonly number[], offset: number): number {
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (starts[mid]! <= offset) low = mid;
    else high = mid - 1;
  }
  return low;
}

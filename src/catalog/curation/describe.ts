/** Description trimming: upstream prose is written for humans browsing docs, tools need one line. */

const MARKDOWN_LINK = /\[([^\]]*)\]\([^)]*\)/g;
const HTML_TAG = /<[^>]+>/g;
/** Abbreviations whose full stop never ends a sentence. */
const ABBREVIATIONS = new Set(['e.g.', 'i.e.', 'vs.', 'cf.', 'a.k.a.', 'approx.', 'incl.', 'esp.']);
/** `etc.` ends a sentence only when a capitalised word follows it. */
const ETC = 'etc.';
/** Items of at most this many words, three or more in a row between commas, make a list. */
const LIST_ITEM_WORDS = 3;

/**
 * Returns the first sentence of `text` without markdown links, HTML or emphasis, at most `max`
 * characters; `undefined` when nothing useful is left.
 */
export function shortenDescription(text: unknown, max = 160): string | undefined {
  if (typeof text !== 'string') return undefined;
  let plain = text
    .replace(MARKDOWN_LINK, '$1')
    .replace(HTML_TAG, '')
    .replace(/\*\*|`/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  plain = firstSentence(plain);
  if (plain.length > max) plain = `${cutAtBoundary(plain, max - 1)}…`;
  return plain.length > 0 ? plain : undefined;
}

/**
 * The text up to the first full stop, `!` or `?` that ends a sentence: followed by a space or
 * the end, outside parentheses, and not the stop of an abbreviation (`e.g.`, `i.e.`, `vs.`,
 * initials such as `U.S.`) or of `etc.` running on in lower case. A decimal point is never
 * followed by a space, so `1.5` never ends one.
 */
function firstSentence(text: string): string {
  const depths = nestingDepths(text);
  for (const match of text.matchAll(/[.!?](?=\s|$)/g)) {
    const end = match.index;
    if (depths[end]! > 0) continue;
    if (match[0] === '.' && isAbbreviation(text, end)) continue;
    return text.slice(0, end + 1);
  }
  return text;
}

function isAbbreviation(text: string, stop: number): boolean {
  const word = (/[^\s(["']*$/.exec(text.slice(0, stop + 1))?.[0] ?? '').toLowerCase();
  if (ABBREVIATIONS.has(word) || /^([a-z]\.){2,}$/.test(word)) return true;
  return word === ETC && !/^\s+[A-Z]/.test(text.slice(stop + 1));
}

/**
 * `text` cut to at most `limit` characters at a word boundary that is neither inside parentheses
 * nor between the items of a list, where one exists; among those, the last one after a clause's
 * punctuation (`,` `;` `:` `)`) unless that loses much more than the last plain word boundary.
 * Trailing punctuation is dropped so that the caller's `…` reads as "and more".
 */
function cutAtBoundary(text: string, limit: number): string {
  const depths = nestingDepths(text);
  const lists = listSpans(text, depths);
  const boundaries: number[] = [];
  for (let i = 1; i <= Math.min(limit, text.length - 1); i++) if (text[i] === ' ') boundaries.push(i);
  const clean = boundaries.filter(
    (at) => depths[at] === 0 && !lists.some(([start, end]) => at > start && at < end),
  );
  const pool = clean.length > 0 ? clean : boundaries;
  if (pool.length === 0) return text.slice(0, limit);
  const last = pool.at(-1)!;
  const clause = pool.filter((at) => /[,;:)]$/.test(text.slice(0, at))).at(-1);
  const at = clause !== undefined && clause >= last * 0.6 ? clause : last;
  return text.slice(0, at).replace(/[\s,;:–—-]+$/, '');
}

/** How deep in parentheses or brackets each character of `text` is (a closing one counts inside). */
function nestingDepths(text: string): number[] {
  const depths: number[] = [];
  let depth = 0;
  for (const char of text) {
    if (char === '(' || char === '[' || char === '{') depth++;
    depths.push(depth);
    if ((char === ')' || char === ']' || char === '}') && depth > 0) depth--;
  }
  return depths;
}

/**
 * Where `text` enumerates: three or more short items in a row between commas at the top level
 * (`comments, reactions, reactions-+1, …, or interactions`), from the first item (the last word
 * before the first comma) to the end of the last item.
 */
function listSpans(text: string, depths: readonly number[]): [number, number][] {
  const topLevel = (pattern: RegExp) =>
    [...text.matchAll(pattern)].map((match) => match.index).filter((at) => depths[at] === 0);
  const commas = topLevel(/,/g);
  const stops = topLevel(/[;:.!?](?=\s|$)/g);
  const spans: [number, number][] = [];
  let run: { start: number; end: number; items: number } | undefined;
  const flush = () => {
    if (run && run.items >= 3) spans.push([run.start, run.end]);
    run = undefined;
  };
  for (const comma of commas) {
    const end = Math.min(...[...commas, ...stops].filter((at) => at > comma), text.length);
    const item = text
      .slice(comma + 1, end)
      .trim()
      .replace(/^(or|and) /, '');
    if (item.length === 0 || item.split(' ').length > LIST_ITEM_WORDS) {
      flush();
    } else if (run && run.end === comma) {
      run.end = end;
      run.items++;
    } else {
      flush();
      run = { start: text.lastIndexOf(' ', comma - 1) + 1, end, items: 2 };
    }
  }
  flush();
  return spans;
}

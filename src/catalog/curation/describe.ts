/** Description trimming: upstream prose is written for humans browsing docs, tools need one line. */

const MARKDOWN_LINK = /\[([^\]]*)\]\([^)]*\)/g;
const HTML_TAG = /<[^>]+>/g;

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
  const sentenceEnd = plain.search(/[.!?](\s|$)/);
  if (sentenceEnd >= 0) plain = plain.slice(0, sentenceEnd + 1);
  if (plain.length > max) plain = `${plain.slice(0, max - 1).trimEnd()}…`;
  return plain.length > 0 ? plain : undefined;
}

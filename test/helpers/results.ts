/**
 * Reading tool results that may carry untrusted-content labels: the answer is the last text block
 * (a labelled result starts with a block saying what its markers mean), and `unlabelled` takes the
 * markers out, for tests about something else than labels (projection, paging, scrubbing).
 */

/** The markers of any result: `⟦nonce⟧` and `⟦/nonce⟧`, six hex digits. */
export const MARKER = /⟦\/?[0-9a-f]{6}⟧/g;

/** The answer's text: the last block of the result's content. */
export function dataText(result: { content?: unknown }): string {
  const blocks = result.content as { type: string; text: string }[];
  return blocks.at(-1)!.text;
}

/** `text` without the untrusted-content markers. */
export function unlabelled(text: string): string {
  return text.replace(MARKER, '');
}

/** The answer's text without markers. */
export function plainText(result: { content?: unknown }): string {
  return unlabelled(dataText(result));
}

/** `value` with every marker's nonce replaced by `n`: two calls' results compare equal. */
export function withoutNonces<T>(value: T): T {
  return JSON.parse(JSON.stringify(value).replace(/⟦(\/?)[0-9a-f]{6}⟧/g, '⟦$1n⟧')) as T;
}

/**
 * A bound on how deeply JSON may nest: a request body, and an argument sent as a JSON string. The
 * SDK and the argument validator copy and check values recursively, so a few thousand `[`
 * overflow the stack; the bound is checked on the text, before anything recursive sees it.
 */

/** Deepest nesting of objects and arrays accepted in a request body (tool arguments included). */
export const MAX_JSON_DEPTH = 64;

/** True when JSON `text` nests objects and arrays deeper than `limit`. Linear, no recursion. */
export function jsonNestsDeeperThan(text: string, limit = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // a backslash escapes the next character, a quote included
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

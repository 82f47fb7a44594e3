/** Tool patterns of the policy file: `*` any run of characters, `?` one character; `!` in front excludes. */

/**
 * Whether `glob` (without its `!`) matches the whole of `name`. A direct matcher rather than a
 * regular expression: `a*a*a*…b` as `^a.*a.*a.*…b$` backtracks polynomially in V8, while this
 * retries only from the last `*`, so a match costs at most glob length × name length steps.
 */
export function globMatches(glob: string, name: string): boolean {
  return wildcardMatches(
    glob,
    name,
    (c) => c === '*',
    (c, char) => c === '?' || c === char,
  );
}

/**
 * Whether `glob` matches all of `items`, where a star absorbs any run of items (none included)
 * and every other element matches one item by `one`. Retries only from the last star seen, so
 * a match costs at most glob length × items length steps. Tool globs match characters with it;
 * proxy routes match path segments.
 */
export function wildcardMatches<G, T>(
  glob: ArrayLike<G>,
  items: ArrayLike<T>,
  isStar: (element: G) => boolean,
  one: (element: G, item: T) => boolean,
): boolean {
  let g = 0;
  let n = 0;
  let star = -1; // position in glob just after the last star seen
  let resume = 0; // position in items that the star will absorb up to on the next retry
  while (n < items.length) {
    if (g < glob.length && isStar(glob[g]!)) {
      star = ++g;
      resume = n;
    } else if (g < glob.length && one(glob[g]!, items[n]!)) {
      g++;
      n++;
    } else if (star >= 0) {
      g = star;
      n = ++resume;
    } else {
      return false;
    }
  }
  while (g < glob.length && isStar(glob[g]!)) g++;
  return g === glob.length;
}

/** Allowed when some positive pattern matches and no `!` pattern does. Deny by default. */
export function allowedBy(patterns: readonly string[], name: string): boolean {
  let allowed = false;
  for (const pattern of patterns) {
    if (pattern.startsWith('!')) {
      if (globMatches(pattern.slice(1), name)) return false;
    } else if (!allowed && globMatches(pattern, name)) {
      allowed = true;
    }
  }
  return allowed;
}

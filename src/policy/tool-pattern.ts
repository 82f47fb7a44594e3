/** Tool patterns of the policy file: `*` any run of characters, `?` one character; `!` in front excludes. */

/**
 * Whether `glob` (without its `!`) matches the whole of `name`. A direct matcher rather than a
 * regular expression: `a*a*a*…b` as `^a.*a.*a.*…b$` backtracks polynomially in V8, while this
 * retries only from the last `*`, so a match costs at most glob length × name length steps.
 */
export function globMatches(glob: string, name: string): boolean {
  let g = 0;
  let n = 0;
  let star = -1; // position in glob just after the last `*` seen
  let resume = 0; // position in name that `*` will absorb up to on the next retry
  while (n < name.length) {
    const c = glob[g];
    if (c === '*') {
      star = ++g;
      resume = n;
    } else if (c !== undefined && (c === '?' || c === name[n])) {
      g++;
      n++;
    } else if (star >= 0) {
      g = star;
      n = ++resume;
    } else {
      return false;
    }
  }
  while (glob[g] === '*') g++;
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

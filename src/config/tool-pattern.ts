/** Tool patterns of the policy file: `*` any run of characters, `?` one character; `!` in front excludes. */

const cache = new Map<string, RegExp>();

/** The regular expression for one glob (without its `!`). */
export function globRegExp(glob: string): RegExp {
  let re = cache.get(glob);
  if (!re) {
    const body = glob
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.');
    re = new RegExp(`^${body}$`);
    cache.set(glob, re);
  }
  return re;
}

export function globMatches(glob: string, name: string): boolean {
  return globRegExp(glob).test(name);
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

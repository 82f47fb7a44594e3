/** "Did you mean …": the closest known word to a mistyped one, for commands, subcommands and flags. */

/** Edit distance counting a swap of two neighbours as one edit (`agnet` → `agent` is 1). */
export function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = best;
    }
  }
  return rows[a.length]![b.length]!;
}

/**
 * The candidate closest to `word`, if it is close enough to be a typo (at most 2 edits, and
 * fewer than half its letters), or if its letters appear in order in exactly one candidate that
 * starts with the same letter (`ls` → `list`, `rot` → `rotate-key`).
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  const list = [...new Set(candidates)];
  for (const candidate of list) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  if (best !== undefined && bestDistance <= 2 && bestDistance * 2 < Math.max(word.length, 2)) return best;
  const abbreviated = word.length >= 2 ? list.filter((candidate) => isAbbreviation(word, candidate)) : [];
  return abbreviated.length === 1 ? abbreviated[0] : undefined;
}

function isAbbreviation(word: string, candidate: string): boolean {
  if (word[0] !== candidate[0]) return false;
  let at = 0;
  for (const char of candidate) if (char === word[at]) at++;
  return at === word.length;
}

/** ` (did you mean X?)`, or nothing when no candidate is close. */
export function didYouMean(word: string, candidates: Iterable<string>, format = (s: string) => s): string {
  const match = closest(word, candidates);
  return match === undefined ? '' : ` (did you mean ${format(match)}?)`;
}

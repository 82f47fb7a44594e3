/**
 * What a search query says beyond its words' meaning, read from its shape: whether it asks
 * something (a question reads, it changes nothing) or orders a change, whether it wants many
 * things or one, and which service its references belong to. Tool search turns this into
 * factors on the text score (tool-search.ts); none of it ever hides a tool, it only reorders.
 */
import { stemmer } from 'stemmer';
import { STRIPE_ID } from './search-synonyms.js';

export type Mood = 'read' | 'change' | 'unknown';

export interface QueryIntent {
  /** `read` for a question or a read verb first, `change` for an order to change something. */
  readonly mood: Mood;
  /** The query asks for several things ("all", "which", "every", a plural noun of the catalog). */
  readonly many: boolean;
  /** The query points at one thing by its number or id (`#12`, `PR 381`, `cus_…`). */
  readonly one: boolean;
  /** Services the query's own references or names belong to (`acme/api` → github). */
  readonly services: ReadonlySet<string>;
}

/** First words that make a query a question. */
const QUESTION_WORDS = new Set(
  'what whats which who whos whom whose when where why how is isnt are arent was were did didnt does doesnt do has hasnt have had any anything anyone anybody'.split(
    ' ',
  ),
);

/** "can"/"could" open a question ("can octocat push…") unless they ask someone to act ("can you…"). */
const POLITE_ASK = new Set(['can', 'could', 'would', 'will']);
const ASKED_TO_ACT = new Set(['you', 'u', 'we', 'ya']);

/** Words that open a query without saying what it wants. */
const OPENERS = new Set(
  'please pls hey hi ok okay so now then just quickly also kindly i id we lets let want wants wanna need needs like help'.split(
    ' ',
  ),
);

/** Verbs, in the form an order uses, that ask to read. */
const READ_VERBS = new Set(
  'show list get fetch read view see resolve find search look lookup check display count tell give inspect grep browse query retrieve print dump describe explain summarize summarise compare diff download'.split(
    ' ',
  ),
);

/** Verbs, in the form an order uses, that ask to change something. */
const CHANGE_VERBS = new Set(
  'create add make new file post write start open submit leave comment reply respond fix correct reword rewrite freeze unfreeze send put assign unassign label tag update edit change modify rename retitle set move replace close reopen shut merge land squash rebase lock unlock delete remove drop erase trash archive destroy kill cancel abort stop void refund charge pay bill invoice finalize confirm approve reject dismiss request ask invite fork star unstar react thumbs rerun retry restart trigger run dispatch enable disable mark publish release upload append insert transfer subscribe unsubscribe capture grant revoke protect mute hide'.split(
    ' ',
  ),
);

/** Words users put before a number that the catalog calls otherwise ("PR 17", "build 4444"). */
const NUMBERED = new Set('pr mr ticket bug build request number no'.split(' '));

/** Words that ask for many things. */
const MANY_WORDS = new Set('all every each which list lists many few several any recent recently'.split(' '));

const NOTION_ID = /\b[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\b/i;
/** `owner/repo`, not `and/or` nor a fraction or date (`1/2`, `12/31`). */
const OWNER_REPO = /(^|[\s(])(?!and\/or\b)(?![\d.]+\/[\d.]+\b)[\w.-]+\/[\w.-]+(#\d+)?(?=[\s,.;:?!)']|$)/;
const ISSUE_NUMBER = /(^|\s)#\d+\b/;
const SERVICE_NAMES: Readonly<Record<string, string>> = {
  github: 'github',
  gh: 'github',
  stripe: 'stripe',
  notion: 'notion',
};

/** The query's words, lower case, apostrophes folded in ("what's" → "whats"). */
function rawWords(query: string): string[] {
  return query
    .toLowerCase()
    .replace(/['’]/g, '')
    .split(/[^a-z0-9_#]+/)
    .filter((word) => word.length > 0);
}

/** Words of an order that also describe things ("open PRs", "new issues this week"). */
const DESCRIBING = new Set(['open', 'new', 'draft']);
const NOT_PLURAL = new Set('its was has does this thus yes plus always across news series'.split(' '));

/** Whether `word` looks like a plural noun ("prs", "issues", "invoices"; not "status"). */
function looksPlural(word: string): boolean {
  return word.length >= 3 && word.endsWith('s') && !/(ss|us|is)$/.test(word) && !NOT_PLURAL.has(word);
}

/**
 * Whether `word`, before `next`, describes things rather than orders a change: "open" in "open
 * PRs" (a list of open ones), not in "open a PR".
 */
export function describes(word: string, next: string | undefined): boolean {
  return DESCRIBING.has(word.toLowerCase()) && next !== undefined && looksPlural(next.toLowerCase());
}

function moodOf(words: readonly string[]): Mood {
  let at = 0;
  while (at < words.length && OPENERS.has(words[at]!)) at++;
  const first = words[at];
  if (first === undefined) return 'unknown';
  if (QUESTION_WORDS.has(first)) return 'read';
  if (POLITE_ASK.has(first)) {
    const next = words[at + 1];
    if (next !== undefined && ASKED_TO_ACT.has(next)) return moodOf(words.slice(at + 2));
    return 'read';
  }
  if (first === 'me' || first === 'to') return moodOf(words.slice(at + 1));
  if (describes(first, words[at + 1])) return 'read';
  if (CHANGE_VERBS.has(first)) return 'change';
  if (READ_VERBS.has(first)) return 'read';
  return 'unknown';
}

/**
 * The intent of `query`. `nouns` are the stems of the words tool names use (issue, pull, label…):
 * one of them in a plural form asks for a list.
 */
export function readIntent(query: string, nouns: ReadonlySet<string>): QueryIntent {
  const words = rawWords(query);
  const mood = moodOf(words);
  const plural = words.some((word) => {
    if (!looksPlural(word)) return false;
    const stem = stemmer(word);
    return stem !== word && (nouns.has(stem) || NUMBERED.has(stem));
  });
  const many = plural || words.some((word) => MANY_WORDS.has(word)) || /\bhow many\b/i.test(query);
  const one =
    STRIPE_ID.test(query) ||
    NOTION_ID.test(query) ||
    /[\w.-]+\/[\w.-]+#\d+/.test(query) ||
    ISSUE_NUMBER.test(query) ||
    words.some(
      (word, at) => /^#?\d+$/.test(words[at + 1] ?? '') && (NUMBERED.has(word) || nouns.has(stemmer(word))),
    );
  const services = new Set<string>();
  for (const word of words) {
    const service = SERVICE_NAMES[word];
    if (service) services.add(service);
  }
  if (STRIPE_ID.test(query)) services.add('stripe');
  if (NOTION_ID.test(query) || /notion\.(so|site)\//i.test(query)) services.add('notion');
  if (OWNER_REPO.test(query) || ISSUE_NUMBER.test(query)) services.add('github');
  return { mood, many, one, services };
}

/**
 * How tool search reads words: folded to lower case and stemmed (Porter's algorithm, the
 * `stemmer` package: "closing", "closed" and "close" are one word), common filler dropped, and a
 * query's words widened with curated synonyms: the words users and models use for what the
 * catalog names otherwise ("PR" for pull request, "ticket" for issue, "bill" for invoice).
 */
import { stemmer } from 'stemmer';

/** Words that say nothing about which tool is meant. */
const FILLER = new Set(
  'a an the of in on for to from by with and or my our your its it this that these those me us please can could would you i we is are be all some any at as into via using'.split(
    ' ',
  ),
);

/**
 * A word a user might say → the catalog's words for it. Curated by hand from the three
 * services' vocabularies; each entry widens a query, it never narrows one.
 */
const SYNONYMS: Readonly<Record<string, string>> = {
  // GitHub
  pr: 'pull request',
  prs: 'pull request',
  mr: 'pull request',
  ticket: 'issue',
  bug: 'issue',
  repo: 'repository',
  repos: 'repository',
  repository: 'repo',
  reference: 'ref',
  emoji: 'reaction',
  react: 'reaction',
  access: 'permission collaborator',
  project: 'repository',
  codebase: 'repository',
  sha: 'commit',
  changeset: 'commit',
  tag: 'release label ref',
  version: 'release',
  ci: 'workflow run action',
  pipeline: 'workflow run',
  build: 'workflow run',
  job: 'workflow run',
  star: 'starred',
  organization: 'org',
  organisation: 'org',
  org: 'organization',
  hash: 'sha commit',
  current: 'latest',
  newest: 'latest',
  stable: 'latest',
  // A programming language's name asks about a repository's languages.
  typescript: 'language',
  javascript: 'language',
  python: 'language',
  css: 'language',
  html: 'language',
  java: 'language',
  ruby: 'language',
  rust: 'language',
  golang: 'language',
  php: 'language',
  kotlin: 'language',
  swift: 'language',
  again: 'rerun',
  retry: 'rerun',
  restart: 'rerun',
  collaborator: 'member',
  reviewer: 'review',
  approve: 'review',
  diff: 'file compare commit',
  readme: 'content file',
  fork: 'fork',
  gist: 'gist',
  log: 'commit list',
  history: 'commit list event activity',
  timeline: 'event',
  happened: 'event activity',
  branch: 'ref',
  ship: 'release merge',
  shipped: 'release',
  folder: 'content',
  directory: 'content',
  bank: 'payout',
  done: 'update state',
  assign: 'assignee',
  // Stripe
  charge: 'payment intent charge',
  payment: 'payment intent',
  pay: 'payment intent',
  bill: 'invoice',
  client: 'customer',
  buyer: 'customer',
  plan: 'price subscription',
  sub: 'subscription',
  recurring: 'subscription',
  money: 'balance',
  funds: 'balance',
  coupon: 'discount coupon',
  chargeback: 'dispute',
  transaction: 'balance transaction',
  webhook: 'event',
  card: 'payment method',
  sku: 'product price',
  // "Refund a charge" asks for a new refund, not the list of them.
  refund: 'refund create',
  // Notion
  doc: 'page',
  document: 'page',
  note: 'comment page',
  discussion: 'comment',
  feedback: 'comment',
  said: 'comment',
  replied: 'comment',
  wiki: 'page',
  attachment: 'file upload',
  table: 'database data source',
  spreadsheet: 'database data source',
  column: 'property schema',
  db: 'database',
  // A database's schema and rows live in its data sources (Notion's API since 2025-09).
  database: 'data source',
  filter: 'query',
  row: 'page',
  entry: 'page',
  paragraph: 'block',
  content: 'block',
  person: 'user',
  people: 'user',
  teammate: 'user',
  workspace: 'user search',
  // Verbs
  close: 'update state',
  reopen: 'update state',
  shut: 'update state',
  open: 'create',
  add: 'create',
  new: 'create',
  make: 'create',
  start: 'create',
  write: 'create',
  post: 'create',
  file: 'create',
  edit: 'update',
  change: 'update',
  modify: 'update',
  rename: 'update',
  set: 'update',
  put: 'add set',
  archive: 'update delete',
  remove: 'delete',
  cancel: 'cancel delete',
  abandon: 'cancel',
  void: 'cancel',
  // "Propose a change" is what a pull request is.
  propose: 'create pull request',
  leave: 'create',
  stop: 'cancel disable',
  halt: 'cancel',
  pause: 'disable',
  resume: 'enable',
  retitle: 'update',
  fix: 'update',
  correct: 'update',
  reword: 'update',
  rewrite: 'update replace',
  freeze: 'lock',
  unfreeze: 'unlock',
  erase: 'delete',
  show: 'get list',
  fetch: 'get',
  read: 'get',
  view: 'get',
  see: 'get list',
  retrieve: 'get',
  find: 'search list',
  lookup: 'search get',
  look: 'search get',
  query: 'search query',
  grep: 'search code',
  all: 'list',
  every: 'list',
  browse: 'list',
  enumerate: 'list',
  reply: 'comment',
  respond: 'comment',
  mention: 'comment',
  who: 'user member',
  whoami: 'user me',
  // First person: the tools about the credential's own user ("my repositories", "assigned to me").
  my: 'my me',
  me: 'me my',
  mine: 'my me',
};

/**
 * Idioms of several words → the catalog's words for them, read before the query is split into
 * words (and before its mood is read: "get rid of" orders a deletion, it does not ask to read).
 */
const PHRASES: readonly (readonly [RegExp, string])[] = [
  [/\bget rid of\b/g, 'delete'],
  [/\bthrow (out|away)\b/g, 'dismiss delete'],
  [/\btake\b((?:\s+[^\s]+){1,6}?)\s+off\b/g, 'remove$1 from'],
  [/\b(turn|switch) off\b/g, 'disable'],
  [/\b(turn|switch) on\b/g, 'enable'],
  [/\bkick off\b/g, 'start'],
  [/\b(give|gave|given|giving|pay|paid|paying|send|sent) (\w+ )?back\b/g, 'refund'],
  [/\bmoney back\b/g, 'refund'],
  [/\bthumbs?[ -](up|down)\b/g, 'react reaction'],
  [/\b(who am i|logged in|signed in|this (token|credential|key) (is )?for)\b/g, 'whoami'],
  // "Who changed X", "when was X modified": a question about the past asks for history.
  [/\b(who|when)\b(.*?)\b(changed|modified|edited|touched|updated|rewrote)\b/g, '$1$2$3 history'],
  [/\b(request|requested|requesting) changes\b|\bchanges? requests?\b/g, '$& review'],
];

/** `query` with its idioms read (PHRASES), in lower case. */
export function readPhrases(query: string): string {
  let text = query.toLowerCase().replace(/’/g, "'");
  for (const [pattern, meaning] of PHRASES) text = text.replace(pattern, meaning);
  return text;
}

/**
 * Stripe's object id prefixes (documented per object: `cus_…` is a customer): an id in a query
 * says which object the task is about, whatever its other words are.
 */
const STRIPE_ID_PREFIXES: Readonly<Record<string, string>> = {
  cus: 'customer',
  pi: 'payment intent',
  ch: 'charge',
  py: 'charge',
  re: 'refund',
  sub: 'subscription',
  sub_sched: 'subscription schedule',
  in: 'invoice',
  ii: 'invoice item',
  prod: 'product',
  price: 'price',
  pm: 'payment method',
  seti: 'setup intent',
  po: 'payout',
  dp: 'dispute',
  du: 'dispute',
  evt: 'event',
  txn: 'balance transaction',
  cs: 'checkout session',
  si: 'subscription item',
  il: 'invoice line item',
  cn: 'credit note',
  tr: 'transfer',
  acct: 'account',
  promo: 'promotion code',
  plink: 'payment link',
  file: 'file',
};

/** A Stripe object id (`cus_Q3x…`, `sub_sched_1N…`) of one of the prefixes above. */
export const STRIPE_ID = new RegExp(`\\b(${Object.keys(STRIPE_ID_PREFIXES).join('|')})_[A-Za-z0-9]{3,}\\b`);

/**
 * A query with the references in it read for what they say about the task, before its words are
 * searched: an id names an object (`cus_Q3x…` → customer), `owner/repo#12` or `#12` an issue or
 * pull request, a path a file; the names themselves (`acme/api`, numbers, Notion's hex ids) say
 * nothing about which tool is meant, and would only match examples in descriptions.
 */
export function readReferences(query: string): string {
  return query
    .replace(/\brefs\/(heads|tags)\/[\w./-]+/g, ' git ref ')
    .replace(/\b([a-z]+(?:_sched)?)_[A-Za-z0-9]{3,}\b/g, (whole, prefix: string) =>
      Object.hasOwn(STRIPE_ID_PREFIXES, prefix) ? ` ${STRIPE_ID_PREFIXES[prefix]} ` : whole,
    )
    .replace(/[\w.-]+\/[\w.-]+#\d+/g, ' issue ')
    .replace(/(^|\s)#\d+\b/g, ' issue ')
    .replace(/(^|\s)[\w.-]+(\/[\w.-]+)*\/[\w-]+\.[a-z0-9]{1,8}\b/gi, ' file path ')
    .replace(/(^|\s)[\w.-]+\/[\w.-]+(?=\s|$|[,.;:?!])/g, ' ')
    .replace(/\b[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\b/gi, ' ')
    .replace(/\b\d+\b/g, ' ');
}

/** One word folded and stemmed; `null` when nothing of it is left. */
export function normalizeTerm(term: string): string | null {
  const word = term.toLowerCase().replace(/[^a-z0-9]/g, '');
  return word.length === 0 ? null : stemmer(word);
}

/** The synonyms by stem, so that every form of a word finds them ("closing", "closed", "close"). */
const EXPANSIONS: ReadonlyMap<string, readonly string[]> = (() => {
  const byStem = new Map<string, Set<string>>();
  for (const [word, meaning] of Object.entries(SYNONYMS)) {
    const stem = normalizeTerm(word)!;
    const into = byStem.get(stem) ?? new Set<string>();
    for (const part of meaning.split(' ')) into.add(normalizeTerm(part)!);
    byStem.set(stem, into);
  }
  return new Map([...byStem].map(([stem, parts]) => [stem, [...parts]]));
})();

/** A query's word read for search: its own stem (none for filler) and the catalog's words for it. */
export interface QueryWord {
  readonly own: string | null;
  readonly synonyms: readonly string[];
}

/** One query word as `QueryWord`; `null` when it says nothing (filler without synonyms, punctuation). */
export function readWord(term: string): QueryWord | null {
  const word = term.toLowerCase().replace(/[^a-z0-9]/g, '');
  const stem = normalizeTerm(word);
  if (!stem) return null;
  const own = FILLER.has(word) ? null : stem;
  const synonyms = (EXPANSIONS.get(stem) ?? []).filter((synonym) => synonym !== own);
  return own === null && synonyms.length === 0 ? null : { own, synonyms };
}

/**
 * A query's word with the catalog's words for it (`pr` → `pr`, `pull`, `request`); filler is
 * dropped from queries only (a tool's own text keeps every word: `notion_user_me_get`).
 */
export function expandTerm(term: string): string[] | null {
  const word = term.toLowerCase().replace(/[^a-z0-9]/g, '');
  const stem = normalizeTerm(word);
  if (!stem) return null;
  const all = [...(FILLER.has(word) ? [] : [stem]), ...(EXPANSIONS.get(stem) ?? [])];
  return all.length > 0 ? [...new Set(all)] : null;
}

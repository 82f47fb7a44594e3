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
  collaborator: 'member',
  reviewer: 'review',
  approve: 'review',
  diff: 'file compare commit',
  readme: 'content file',
  fork: 'fork',
  gist: 'gist',
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
  card: 'payment method',
  sku: 'product price',
  // Notion
  doc: 'page',
  document: 'page',
  note: 'page',
  wiki: 'page',
  table: 'database data source',
  spreadsheet: 'database data source',
  db: 'database',
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
  archive: 'update delete',
  remove: 'delete',
  cancel: 'cancel delete',
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
  all: 'list',
  every: 'list',
  browse: 'list',
  enumerate: 'list',
  reply: 'comment',
  respond: 'comment',
  mention: 'comment',
  who: 'user',
  whoami: 'user me',
};

/** One word folded and stemmed; `null` when nothing of it is left. */
export function normalizeTerm(term: string): string | null {
  const word = term.toLowerCase().replace(/[^a-z0-9]/g, '');
  return word.length === 0 ? null : stemmer(word);
}

const EXPANSIONS: ReadonlyMap<string, readonly string[]> = new Map(
  Object.entries(SYNONYMS).map(([word, meaning]) => [
    word,
    meaning.split(' ').flatMap((part) => normalizeTerm(part) ?? []),
  ]),
);

/**
 * A query's word with the catalog's words for it (`pr` → `pr`, `pull`, `request`); filler is
 * dropped from queries only (a tool's own text keeps every word: `notion_user_me_get`).
 */
export function expandTerm(term: string): string[] | null {
  const word = term.toLowerCase().replace(/[^a-z0-9]/g, '');
  const own = FILLER.has(word) ? null : normalizeTerm(word);
  const all = [...(own ? [own] : []), ...(EXPANSIONS.get(word) ?? [])];
  return all.length > 0 ? [...new Set(all)] : null;
}

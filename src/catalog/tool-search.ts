/**
 * Ranked search over the catalog's tools, for discovery mode's `keygate_search_tools`: a small,
 * deterministic, in-process full-text index (MiniSearch: BM25+ scoring, no dependencies, no
 * network) over each tool's name, one-line summary, description and argument names, with
 * curated synonyms (search-synonyms.ts) so that "PR", "ticket" or "bill" find what the catalog
 * calls a pull request, an issue or an invoice. Each query word is scored on its own (a synonym
 * below the word itself), and the sum is weighed by what the query's shape says
 * (search-intent.ts: question or order, many or one, which service) and by how much of a tool's
 * name the query names. The index covers the whole catalog once; each search sees only the
 * tools the caller may use.
 */
import MiniSearch from 'minisearch';
import { describedSchemaOf } from './compact-schema.js';
import { describes, type QueryIntent, readIntent } from './search-intent.js';
import { normalizeTerm, type QueryWord, readPhrases, readReferences, readWord } from './search-synonyms.js';
import type { Risk, ToolDefinition } from './types.js';

export interface ToolMatch {
  readonly name: string;
  readonly service: string;
  readonly risk: Risk;
  readonly summary: string;
  readonly score: number;
}

export interface ToolSearchOptions {
  /** Only tools for which this says yes are found (the caller's policy); default all. */
  readonly allowed?: (name: string) => boolean;
  /** Only this service's tools. */
  readonly service?: string;
  /** At most this many matches (default 10, at most 50). */
  readonly limit?: number;
}

export const DEFAULT_SEARCH_LIMIT = 10;
export const MAX_SEARCH_LIMIT = 50;

interface IndexedTool {
  readonly id: string;
  readonly name: string;
  readonly summary: string;
  readonly description: string;
  readonly args: string;
  readonly service: string;
}

/** The first line of a tool's description: what a list of matches shows. */
export function summaryOf(tool: Pick<ToolDefinition, 'description'>): string {
  return tool.description.split('\n', 1)[0]!.trim();
}

/** Every argument name of a schema, nested ones included (`pull_number`, `metadata`, …). */
function argumentNames(schema: unknown, into: Set<string> = new Set(), depth = 0): Set<string> {
  if (depth > 4 || typeof schema !== 'object' || schema === null) return into;
  const properties = (schema as { properties?: Record<string, unknown> }).properties;
  if (properties) {
    for (const [name, child] of Object.entries(properties)) {
      into.add(name);
      argumentNames(child, into, depth + 1);
    }
  }
  return into;
}

/** Words of an identifier or sentence: `pull_number` → `pull number`. */
function words(text: string): string {
  return text.replace(/[_./-]+/g, ' ');
}

/**
 * How the text score is weighed. A synonym counts for less than the word the user said; each
 * query word a tool matches multiplies its score (a tool matching three of the words beats one
 * matching a single word three times); the query's intent (search-intent.ts) scales the result.
 * The factors were tuned on the even-numbered phrasings of bench/catalog/tool-phrasings.json
 * only (the odd ones are the held-out check), and kept away from the extremes the tuning
 * reached for no gain on the held-out half: each is a lean, never a filter.
 */
const RANKING = {
  /** Per field: a word in a tool's name says most about it, one in its long description least. */
  fields: { name: 3, summary: 2, service: 1.5, args: 1, description: 1 },
  /** A synonym's weight, against 1 for the word the user said. */
  synonymWeight: 0.6,
  /** The score is multiplied by (query words matched) to this power. */
  coordination: 0.5,
  /** A question or read verb: tools that change something. */
  changeWhenReading: 0.3,
  /** An order to change something: tools that only read. */
  readWhenChanging: 0.4,
  /** Many things asked for: a list or search. */
  listWhenMany: 1.35,
  /** One thing by number or id, nothing plural: a get. */
  getWhenOne: 1.25,
  /** The query's references or names say which service: the others'. */
  otherService: 0.35,
  /** The query's own words name things of one service only (page, invoice…): the others'. */
  otherServiceNamed: 0.6,
  /** Per noun of a tool's name (issue, label…) that no query word or synonym names. */
  nounMissing: 0.8,
};

/** Words of tool names that say what a tool does rather than what it does it to. */
const ACTION_WORDS = new Set(
  'get list create update delete set add remove merge fork star lock unlock submit dismiss request cancel confirm finalize pay rerun failed rerequest enable disable dispatch move append query compare search mark read for or by latest me my'.split(
    ' ',
  ),
);

/** Verbs that end a tool's name but, elsewhere in one, may be a noun (`github_release_list`). */
const FINAL_ACTION_WORDS = new Set(
  'attach detach close reopen send complete void capture verify reverse release resume pause preview upcoming retrieve apply accept reject archive restore'.split(
    ' ',
  ),
);

/** The stems of what a tool's name says it acts on: `github_issue_label_add` → issu, label. */
function nameNouns(name: string): string[] {
  const parts = name.split('_').slice(1);
  return parts
    .filter(
      (part, at) => !ACTION_WORDS.has(part) && !(at === parts.length - 1 && FINAL_ACTION_WORDS.has(part)),
    )
    .map((part) => normalizeTerm(part) ?? part);
}

/** What a tool does, from the last words of its name: read one, read many, or something else. */
type Shape = 'get' | 'list' | 'other';

function shapeOf(name: string): Shape {
  if (/_get$/.test(name)) return 'get';
  if (/_(list|search|query)(_|$)/.test(name)) return 'list';
  return 'other';
}

/** The query's words, each once, with their synonyms; as MiniSearch tokenizes (space, punctuation). */
function queryWords(text: string): QueryWord[] {
  const seen = new Set<string>();
  const out: QueryWord[] = [];
  const tokens = text.split(/[\n\r\p{Z}\p{P}]+/u);
  for (const [at, token] of tokens.entries()) {
    const read = readWord(token);
    if (!read) continue;
    // "open" in "open PRs" is a state, not an order to create one: no synonyms.
    const word = describes(token, tokens[at + 1]) ? { own: read.own, synonyms: [] } : read;
    const key = `${word.own ?? ''}:${word.synonyms.join(' ')}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(word);
  }
  return out;
}

export class ToolSearch {
  private readonly index: MiniSearch<IndexedTool>;
  private readonly tools: ReadonlyMap<string, ToolDefinition>;
  /** Stems of the words tool names are made of (issue, pull, label…), to tell a plural noun. */
  private readonly nouns: ReadonlySet<string>;
  /** Per tool, the nouns of its name (nameNouns). */
  private readonly toolNouns: ReadonlyMap<string, readonly string[]>;
  /** Per noun of any tool's name, the services whose tool names have it. */
  private readonly nounServices: ReadonlyMap<string, ReadonlySet<string>>;

  constructor(tools: readonly ToolDefinition[]) {
    this.tools = new Map(tools.map((tool) => [tool.name, tool]));
    this.nouns = new Set(
      tools.flatMap((tool) => tool.name.split('_').map((part) => normalizeTerm(part) ?? part)),
    );
    this.toolNouns = new Map(tools.map((tool) => [tool.name, nameNouns(tool.name)]));
    const nounServices = new Map<string, Set<string>>();
    for (const tool of tools) {
      for (const noun of this.toolNouns.get(tool.name)!) {
        nounServices.set(noun, (nounServices.get(noun) ?? new Set()).add(tool.service));
      }
    }
    this.nounServices = nounServices;
    this.index = new MiniSearch<IndexedTool>({
      fields: ['name', 'summary', 'description', 'args', 'service'],
      storeFields: [],
      // Documents are stemmed and folded the same way as queries; only queries get synonyms, so
      // a synonym never inflates a document's own term counts.
      processTerm: (term) => normalizeTerm(term),
      searchOptions: {
        boost: RANKING.fields,
        // Query words arrive stemmed, with their synonyms (queryWords).
        processTerm: (term) => term,
        // A typo or a longer form of a word still finds its tool, weighted below an exact word.
        prefix: (term) => term.length >= 4,
        fuzzy: (term) => (term.length >= 6 ? 0.2 : false),
        combineWith: 'OR',
      },
    });
    this.index.addAll(
      tools.map((tool) => ({
        id: tool.name,
        name: words(tool.name),
        summary: summaryOf(tool),
        description: tool.description,
        args: words([...argumentNames(describedSchemaOf(tool))].join(' ')),
        service: tool.service,
      })),
    );
  }

  /**
   * The one service whose tool names have nouns the query's own words say (page → notion,
   * invoice → stripe), when no other service's nouns are said; otherwise none.
   */
  private serviceNamed(asked: readonly QueryWord[]): string | undefined {
    const named = new Set<string>();
    for (const word of asked) {
      const services = word.own ? this.nounServices.get(word.own) : undefined;
      if (services?.size === 1) named.add([...services][0]!);
    }
    return named.size === 1 ? [...named][0] : undefined;
  }

  /** The best matches for `query` among the allowed tools, best first; ties in name order. */
  search(query: string, options: ToolSearchOptions = {}): ToolMatch[] {
    const limit = Math.min(Math.max(1, Math.trunc(options.limit ?? DEFAULT_SEARCH_LIMIT)), MAX_SEARCH_LIMIT);
    const allowed = options.allowed ?? (() => true);
    const text = readPhrases(query);
    const asked = queryWords(words(readReferences(text)));
    const named = new Set(asked.flatMap((word) => [...(word.own ? [word.own] : []), ...word.synonyms]));
    const intent = readIntent(text, this.nouns);
    const spoken = intent.services.size === 0 ? this.serviceNamed(asked) : undefined;
    const ranked: { tool: ToolDefinition; score: number }[] = [];
    for (const [id, entry] of this.wordScores(asked)) {
      const tool = this.tools.get(id)!;
      if (!allowed(tool.name) || (options.service && tool.service !== options.service)) continue;
      const missing = this.toolNouns.get(id)!.filter((noun) => !named.has(noun)).length;
      const score =
        entry.score *
        entry.words ** RANKING.coordination *
        intentFactor(tool, intent) *
        (spoken !== undefined && spoken !== tool.service ? RANKING.otherServiceNamed : 1) *
        RANKING.nounMissing ** missing;
      ranked.push({ tool, score });
    }
    return ranked
      .sort((a, b) => b.score - a.score || (a.tool.name < b.tool.name ? -1 : 1))
      .slice(0, limit)
      .map(({ tool, score }) => ({
        name: tool.name,
        service: tool.service,
        risk: tool.risk,
        summary: summaryOf(tool),
        score: Math.round(score * 1000) / 1000,
      }));
  }

  /**
   * Per tool, the sum of its text scores for each query word and how many words it matched. Each
   * word is searched on its own (its stem, and its synonyms at a lower weight), so that a word
   * with many synonyms counts once, not once per synonym.
   */
  private wordScores(asked: readonly QueryWord[]): Map<string, { score: number; words: number }> {
    const scores = new Map<string, { score: number; words: number }>();
    for (const word of asked) {
      const terms = [...(word.own ? [word.own] : []), ...word.synonyms];
      const found = this.index.search(terms.join(' '), {
        boostTerm: (term) => (term === word.own ? 1 : RANKING.synonymWeight),
      });
      for (const result of found) {
        const entry = scores.get(result.id as string);
        // MiniSearch multiplies by the number of terms matched; here that is counted per word.
        const score = result.score / Math.max(1, result.queryTerms.length);
        if (entry) {
          entry.score += score;
          entry.words += 1;
        } else scores.set(result.id as string, { score, words: 1 });
      }
    }
    return scores;
  }
}

/** How much the query's intent favours `tool` (1 when it says nothing either way). */
function intentFactor(tool: ToolDefinition, intent: QueryIntent): number {
  let factor = 1;
  const reads = tool.risk === 'read';
  const shape = shapeOf(tool.name);
  if (intent.mood === 'read' && !reads) factor *= RANKING.changeWhenReading;
  if (intent.mood === 'change' && reads) factor *= RANKING.readWhenChanging;
  if (intent.mood !== 'change') {
    if (intent.many && shape === 'list') factor *= RANKING.listWhenMany;
    else if (intent.one && !intent.many && shape === 'get') factor *= RANKING.getWhenOne;
  }
  if (intent.services.size > 0 && !intent.services.has(tool.service)) factor *= RANKING.otherService;
  return factor;
}

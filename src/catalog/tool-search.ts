/**
 * Ranked search over the catalog's tools, for discovery mode's `keygate_search_tools`: a small,
 * deterministic, in-process full-text index (MiniSearch: BM25+ scoring, no dependencies, no
 * network) over each tool's name, one-line summary, description and argument names, with
 * curated synonyms (search-synonyms.ts) so that "PR", "ticket" or "bill" find what the catalog
 * calls a pull request, an issue or an invoice. The index covers the whole catalog once; each
 * search sees only the tools the caller may use.
 */
import MiniSearch from 'minisearch';
import { describedSchemaOf } from './compact-schema.js';
import { expandTerm, normalizeTerm, readReferences } from './search-synonyms.js';
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

export class ToolSearch {
  private readonly index: MiniSearch<IndexedTool>;
  private readonly tools: ReadonlyMap<string, ToolDefinition>;

  constructor(tools: readonly ToolDefinition[]) {
    this.tools = new Map(tools.map((tool) => [tool.name, tool]));
    this.index = new MiniSearch<IndexedTool>({
      fields: ['name', 'summary', 'description', 'args', 'service'],
      storeFields: [],
      // Documents are stemmed and folded the same way as queries; only queries get synonyms, so
      // a synonym never inflates a document's own term counts.
      processTerm: (term) => normalizeTerm(term),
      searchOptions: {
        boost: { name: 3, summary: 2, service: 1.5, args: 1, description: 1 },
        processTerm: (term) => expandTerm(term),
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

  /** The best matches for `query` among the allowed tools, best first; ties in name order. */
  search(query: string, options: ToolSearchOptions = {}): ToolMatch[] {
    const limit = Math.min(Math.max(1, Math.trunc(options.limit ?? DEFAULT_SEARCH_LIMIT)), MAX_SEARCH_LIMIT);
    const allowed = options.allowed ?? (() => true);
    const results = this.index.search(words(readReferences(query)), {
      filter: (result) => {
        const tool = this.tools.get(result.id as string);
        return (
          tool !== undefined && allowed(tool.name) && (!options.service || tool.service === options.service)
        );
      },
    });
    return results
      .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1))
      .slice(0, limit)
      .map((result) => {
        const tool = this.tools.get(result.id as string)!;
        return {
          name: tool.name,
          service: tool.service,
          risk: tool.risk,
          summary: summaryOf(tool),
          score: Math.round(result.score * 1000) / 1000,
        };
      });
  }
}

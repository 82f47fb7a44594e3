/**
 * Response content rules (issue 16, untrusted-content labels): which fields of a tool's answer are
 * third-party text (an issue body, a page's rich text, a customer's description) and which are the
 * service's own (ids, states, dates). Written per service in a curation file, checked there against
 * every response schema, copied into the curated spec, and applied by the executor to each answer.
 */

/** The rules of one tool: field-name patterns (`body`, `*_url`), each `*` any run of characters. */
export interface ContentRules {
  /** A field matching one of these is third-party text, and so is everything under it. */
  readonly thirdParty: readonly string[];
  /** A string field matching one of these (and no `thirdParty` pattern) is the service's own. */
  readonly service: readonly string[];
}

/** How a field is classified by its name: a string under a name matching neither is third-party. */
export type FieldClass = 'third_party' | 'service' | undefined;

/** A field name or `*`-glob, as a curation file may write one. */
export const FIELD_PATTERN = /^[A-Za-z0-9_*.$@-]{1,80}$/;

/** Compiled `ContentRules`: one regular expression per list. */
export class ContentClassifier {
  private readonly thirdParty: RegExp | undefined;
  private readonly service: RegExp | undefined;

  constructor(readonly rules: ContentRules) {
    this.thirdParty = compile(rules.thirdParty);
    this.service = compile(rules.service);
  }

  /** The class of a field called `name`; third-party text wins over the service's own. */
  classify(name: string): FieldClass {
    if (this.thirdParty?.test(name)) return 'third_party';
    if (this.service?.test(name)) return 'service';
    return undefined;
  }
}

/** One anchored alternation of the patterns, `*` matching any run of characters. */
function compile(patterns: readonly string[]): RegExp | undefined {
  if (patterns.length === 0) return undefined;
  const parts = patterns.map((pattern) =>
    pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*'),
  );
  return new RegExp(`^(?:${parts.join('|')})$`, 's');
}

/**
 * The rules a tool answers by: the operation's own lists over the service's. A name the operation
 * lists in one list is taken out of the service's other list, so an operation can say the
 * opposite of its service about one field.
 */
export function mergeContentRules(service: ContentRules, operation: ContentRules | undefined): ContentRules {
  if (!operation) return service;
  const own = new Set([...operation.thirdParty, ...operation.service]);
  return {
    thirdParty: [...operation.thirdParty, ...service.thirdParty.filter((name) => !own.has(name))],
    service: [...operation.service, ...service.service.filter((name) => !own.has(name))],
  };
}

/** No rule at all: every string of the answer is third-party text (fail closed). */
export const NO_CONTENT_RULES: ContentRules = { thirdParty: [], service: [] };

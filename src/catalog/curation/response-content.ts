/**
 * The curation side of untrusted-content labels: a curation file's `response_content` block, and
 * the check that it classifies every string-valued field of every curated operation's answer, as
 * the upstream description documents it. What is not classified is an error naming the tool and
 * the field's path, so a new operation or a new upstream field cannot slip through as trusted.
 */
import { z } from 'zod';
import { KeygateError } from '../../errors/index.js';
import { ContentClassifier, type ContentRules, FIELD_PATTERN, mergeContentRules } from '../content-rules.js';
import { deref, isObject, type Json, type JsonObject } from '../openapi-walk.js';

const patterns = z.array(z.string().regex(FIELD_PATTERN, 'a field name, `*` for any characters')).default([]);
const listsSchema = z.object({ third_party: patterns, service: patterns }).strict();

/** `response_content` in a curation file: the service's field-name rules, and per-tool overrides. */
export const responseContentSchema = listsSchema
  .extend({ operations: z.record(z.string(), listsSchema).default({}) })
  .strict();
export type ResponseContentBlock = z.infer<typeof responseContentSchema>;

/** Formats whose values the service writes itself (a date is never prose). */
const SERVICE_FORMATS = new Set(['date-time', 'date', 'unix-time', 'time']);
/** Deeper than any answer documents: a schema that nests further is cut (and said so). */
const MAX_DEPTH = 40;

/** One string-valued (or untyped) place in an answer that the rules must classify. */
interface Leaf {
  readonly tool: string;
  /** Where it is, `items[].body`, `metadata.*`. */
  readonly path: string;
  /** The key it is read under at run time: its own, an array's, or `<map>.*` in a map. */
  readonly name: string;
  /** An enum, a date or an expandable id: the service wrote it, whatever its name. */
  readonly shaped: boolean;
}

/** What the check gives the curated spec: the rules, as lists for `x-keygate.response_content`. */
export interface CheckedContent {
  /** The service's lists, names of service-shaped fields (enums, dates, ids) added to `service`. */
  readonly service: { third_party: string[]; service: string[] };
  /** Per tool: its own lists, for the tools that have any. */
  readonly operations: ReadonlyMap<string, { third_party: string[]; service: string[] }>;
}

/** An operation as the check sees it: its tool, and its upstream 2xx JSON schema (if documented). */
export interface OperationAnswer {
  readonly tool: string;
  readonly schema: Json | undefined;
}

/**
 * Classifies every operation's answer by `block`; throws `catalog.curation_invalid` listing each
 * field no rule covers. A name every documented occurrence of which is service-shaped (an enum, a
 * date, an expandable id) is the service's without being listed.
 */
export function checkResponseContent(
  doc: JsonObject,
  block: ResponseContentBlock | undefined,
  answers: readonly OperationAnswer[],
): CheckedContent {
  const serviceRules: ContentRules = {
    thirdParty: block?.third_party ?? [],
    service: block?.service ?? [],
  };
  const tools = new Set(answers.map((answer) => answer.tool));
  const problems = Object.keys(block?.operations ?? {})
    .filter((tool) => !tools.has(tool))
    .map((tool) => `response_content.operations.${tool}: no such tool`);
  const uncovered: Leaf[] = [];
  for (const answer of answers) {
    const own = block?.operations[answer.tool];
    const rules = mergeContentRules(
      serviceRules,
      own && { thirdParty: own.third_party, service: own.service },
    );
    const classifier = new ContentClassifier(rules);
    const leaves: Leaf[] = [];
    if (answer.schema === undefined) continue;
    walk(doc, answer.schema, { tool: answer.tool, path: '', name: '$', shaped: false }, classifier, leaves);
    uncovered.push(...leaves.filter((leaf) => classifier.classify(leaf.name) !== 'service'));
  }
  // A name is the service's by shape only when no uncovered use of it is free text.
  const free = new Set(uncovered.filter((leaf) => !leaf.shaped).map((leaf) => leaf.name));
  const shapedNames = new Set(
    uncovered.filter((leaf) => leaf.shaped && !free.has(leaf.name)).map((leaf) => leaf.name),
  );
  for (const leaf of uncovered) {
    if (leaf.shaped && shapedNames.has(leaf.name)) continue;
    const what = leaf.name.endsWith('.*')
      ? ` (a map: ${leaf.name} in service, or the map in third_party)`
      : '';
    problems.push(`${leaf.tool}: response field ${leaf.path || '(root)'} is not classified${what}`);
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 40);
    const more = problems.length > shown.length ? `; and ${problems.length - shown.length} more` : '';
    throw new KeygateError(
      'catalog.curation_invalid',
      `response_content: ${shown.join('; ')}${more} (each string field of an answer is third_party or service)`,
    );
  }
  const operations = new Map(
    Object.entries(block?.operations ?? {}).map(([tool, lists]) => [
      tool,
      { third_party: [...lists.third_party], service: [...lists.service] },
    ]),
  );
  return {
    service: {
      third_party: [...serviceRules.thirdParty],
      service: [...serviceRules.service, ...[...shapedNames].sort()],
    },
    operations,
  };
}

/**
 * Collects the leaves under `node` that no `third_party` rule covers. Under a third-party field
 * everything is covered, so the walk stops there; a component schema is walked once per answer
 * (its fields are classified by name, wherever it is reached from).
 */
function walk(
  doc: JsonObject,
  node: Json | undefined,
  at: Leaf,
  classifier: ContentClassifier,
  out: Leaf[],
  seen = new Set<string>(),
  depth = 0,
): void {
  if (classifier.classify(at.name) === 'third_party' || depth > MAX_DEPTH) return;
  if (isObject(node) && typeof node.$ref === 'string') {
    if (seen.has(node.$ref)) return;
    seen.add(node.$ref);
  }
  const schema = deref(doc, node);
  if (!isObject(schema)) {
    // `true` or an absent schema: anything may come.
    out.push(at);
    return;
  }
  // Stripe's expandable fields: an id string, or the object it names when expanded.
  const expandable = isObject(schema['x-expansionResources'] ?? null);
  let structured = false;
  for (const key of ['oneOf', 'anyOf', 'allOf'] as const) {
    const branches = schema[key];
    if (!Array.isArray(branches)) continue;
    structured = true;
    for (const branch of branches)
      walk(doc, branch, expandable ? { ...at, shaped: true } : at, classifier, out, seen, depth + 1);
  }
  const types = typesOf(schema);
  if (isObject(schema.properties ?? null)) {
    structured = true;
    for (const [name, field] of Object.entries(schema.properties as JsonObject)) {
      const path = at.path ? `${at.path}.${name}` : name;
      walk(doc, field, { tool: at.tool, path, name, shaped: false }, classifier, out, seen, depth + 1);
    }
  }
  const extra = schema.additionalProperties;
  if (isObject(extra ?? null) || (extra === true && !isObject(schema.properties ?? null))) {
    structured = true;
    const path = `${at.path || '$'}.*`;
    // A map's keys are anyone's: its strings are classified as `<map>.*` (or by a third-party parent).
    const name = `${at.name}.*`;
    walk(doc, extra, { tool: at.tool, path, name, shaped: false }, classifier, out, seen, depth + 1);
  }
  if (schema.items !== undefined) {
    structured = true;
    walk(doc, schema.items as Json, { ...at, path: `${at.path}[]` }, classifier, out, seen, depth + 1);
  }
  const shaped =
    at.shaped ||
    Array.isArray(schema.enum) ||
    'const' in schema ||
    (typeof schema.format === 'string' && SERVICE_FORMATS.has(schema.format));
  if (types.has('string')) out.push({ ...at, shaped });
  // No type, or an object of any members: strings may come under names nothing declares.
  else if (!structured && (types.size === 0 || types.has('object')) && !Array.isArray(schema.enum)) {
    // An answer documented only as "an object" (most of Notion's) documents no field to classify:
    // the names the rules list decide, and any other string is third-party at run time.
    if (at.path === '' && types.has('object')) return;
    out.push(at);
  }
}

function typesOf(schema: JsonObject): Set<string> {
  const type = schema.type;
  if (Array.isArray(type)) return new Set(type.filter((item): item is string => typeof item === 'string'));
  return typeof type === 'string' ? new Set([type]) : new Set();
}

/** The schema of an operation's first documented 2xx JSON answer, if it documents one. */
export function answerSchema(doc: JsonObject, operation: JsonObject): Json | undefined {
  const responses = isObject(operation.responses ?? null) ? (operation.responses as JsonObject) : {};
  const status = Object.keys(responses)
    .filter((code) => /^2/.test(code))
    .sort()[0];
  if (!status) return undefined;
  const response = deref(doc, responses[status]);
  if (!isObject(response) || !isObject(response.content ?? null)) return undefined;
  const content = response.content as JsonObject;
  const type = Object.keys(content).find((name) => /\bjson\b/i.test(name));
  const media = type ? content[type] : undefined;
  return isObject(media ?? null) ? ((media as JsonObject).schema as Json | undefined) : undefined;
}

/**
 * The advertised schema as tools/list sends it: every tool there is paid for in every
 * conversation, so what the schema already says is not said twice. A property description that
 * only restates the argument's name (`owner`: "The account owner of the repository."), its
 * required siblings, its tool or its enum goes, keeping any note in parentheses ("(max 100)"); so do a
 * flag's `false` default (an absent flag is off) and the top level's `additionalProperties:
 * false` (an unknown argument is refused by name anyway); Stripe's `send "" to unset` stays on
 * the tool's own arguments only; a shape several sibling arguments share is shown once, naming
 * the others. Nothing a call is checked against changes: calls are validated against the
 * precise `argumentSchema`, and keygate_describe_tool shows the schema before this pass.
 */
import { stemmer } from 'stemmer';
import type { JsonSchema, ToolDefinition } from './types.js';

/** What the words of a description may be covered by: the tool's name and service. */
export interface CompactContext {
  readonly tool: string;
  readonly service: string;
}

/**
 * Words that say nothing about an argument beyond its name: grammar, and the generic nouns and
 * verbs API references use around a name ("the unique identifier of", "the number of results to
 * fetch", "indicates the … to return"). Kept narrow on purpose: a word here that carried meaning
 * would silently drop a description an agent needs.
 */
const GENERIC = new Set(
  (
    'a an the of in on for to from by with and or its it this that which is are be you your as at ' +
    'unique id number result object property value indicates specifies specify specified given ' +
    'fetch return name account use parameter only associated filter show want what sort order either new'
  )
    .split(' ')
    .map((word) => stemmer(word)),
);

/** Words API references spell out that argument names abbreviate, read as the abbreviation. */
const SPELLED_OUT: Readonly<Record<string, string>> = {
  repository: 'repo',
  repositories: 'repo',
  organization: 'org',
  organizations: 'org',
  identifier: 'id',
  identifies: 'id',
  identify: 'id',
  reference: 'ref',
};

/** The note `modelSchema` adds where Stripe takes `""` to unset a field. */
const UNSET_NOTE = ' (send "" to unset)';

/** The compact form of a tool's advertised (model-compatible) schema; `schema` is left as it is. */
export function compactSchema(schema: JsonSchema, context: CompactContext): JsonSchema {
  const covered = new Set([...words(context.tool.replace(/_/g, ' ')), ...words(context.service)]);
  const out = compactNode(schema, covered, 0);
  // The arguments are the properties: a call with another is refused, naming it ("unknown
  // argument x"), whether or not the list says `additionalProperties: false` at the top.
  if (out.additionalProperties === false) delete out.additionalProperties;
  return out;
}

function compactNode(node: JsonSchema, covered: ReadonlySet<string>, depth: number): JsonSchema {
  const out: JsonSchema = { ...node };
  const properties = node.properties as Record<string, JsonSchema> | undefined;
  if (properties) {
    // Required siblings name each other: `owner` is "the account owner of the repository" beside
    // `repo`. An optional one does not: `body` as "the release notes" beside
    // `generate_release_notes` says which argument the notes are.
    const required = (node.required as string[] | undefined) ?? [];
    const siblings = new Set([...covered, ...required.flatMap((name) => words(name))]);
    out.properties = sharedShapesOnce(
      Object.fromEntries(
        Object.entries(properties).map(([name, field]) => [
          name,
          compactProperty(name, field, siblings, depth + 1),
        ]),
      ),
    );
  }
  if (isSchema(node.items)) out.items = compactNode(node.items, covered, depth + 1);
  if (isSchema(node.additionalProperties))
    out.additionalProperties = compactNode(node.additionalProperties, covered, depth + 1);
  return out;
}

function compactProperty(
  name: string,
  field: JsonSchema,
  covered: ReadonlySet<string>,
  depth: number,
): JsonSchema {
  const out = compactNode(field, covered, depth);
  if (out.type === 'boolean' && out.default === false) delete out.default;
  if (typeof out.description !== 'string') return out;
  let description = out.description;
  if (depth > 1) description = description.replace(UNSET_NOTE, '');
  const own = new Set([
    ...covered,
    ...words(name),
    ...(Array.isArray(out.enum) ? out.enum.flatMap((value) => words(String(value))) : []),
  ]);
  description = withoutRestatement(description, own);
  if (description === '') delete out.description;
  else out.description = description;
  return out;
}

/** Below this many characters a shape is cheaper to repeat than to refer to. */
const SHARED_SHAPE_MIN = 80;

/**
 * Properties where an object shape shared by several siblings is shown once: the first shows it
 * and names the others ("(heading_1, quote take the same fields)"), which are then plain objects
 * with their own descriptions. Notion's block types, GitHub's author and committer.
 */
function sharedShapesOnce(properties: Record<string, JsonSchema>): Record<string, JsonSchema> {
  const byShape = new Map<string, string[]>();
  for (const [name, field] of Object.entries(properties)) {
    const { description: _, ...shape } = field;
    const key = JSON.stringify(shape);
    if (shape.type !== 'object' || key.length < SHARED_SHAPE_MIN) continue;
    byShape.set(key, [...(byShape.get(key) ?? []), name]);
  }
  const out = { ...properties };
  for (const [first, ...others] of byShape.values()) {
    if (others.length === 0) continue;
    const note = `(${others.join(', ')} ${others.length === 1 ? 'takes' : 'take'} the same fields)`;
    const shown = out[first!]!;
    out[first!] = {
      ...shown,
      description: typeof shown.description === 'string' ? `${shown.description} ${note}` : note,
    };
    for (const name of others) {
      const { description } = out[name]!;
      out[name] = typeof description === 'string' ? { type: 'object', description } : { type: 'object' };
    }
  }
  return out;
}

/**
 * `description` without its prose when that prose only names what `covered` names; its notes in
 * parentheses stay (`The number of results per page (max 100).` → `(max 100)`).
 */
export function withoutRestatement(description: string, covered: ReadonlySet<string>): string {
  const notes = parentheticals(description);
  const prose = notes.reduce((text, note) => text.replace(note, ' '), description);
  const content = words(prose).filter((word) => !GENERIC.has(word));
  if (content.some((word) => !covered.has(word))) return description;
  return notes.join(' ');
}

/** The top-level `(…)` spans of `text`, in order. */
function parentheticals(text: string): string[] {
  const spans: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') {
      if (depth === 0) start = i;
      depth++;
    } else if (text[i] === ')' && depth > 0) {
      depth--;
      if (depth === 0) spans.push(text.slice(start, i + 1));
    }
  }
  return spans;
}

/** The stemmed words of `text` (an identifier or prose), abbreviations read as the name's. */
function words(text: string): string[] {
  return text
    .replace(/\bpull requests?\b/gi, 'pull')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word.length > 0)
    .map((word) => stemmer(SPELLED_OUT[word] ?? word));
}

function isSchema(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The schema keygate_describe_tool shows for `tool`: the advertised one before compaction. */
export function describedSchemaOf(tool: Pick<ToolDefinition, 'inputSchema' | 'fullInputSchema'>): JsonSchema {
  return tool.fullInputSchema ?? tool.inputSchema;
}

/** A collapse that saves fewer characters than this is not worth the shape it hides. */
const MIN_SAVING = 24;
/** An enum of more values than this may be named by a few of them when the tool is over budget. */
const LONG_ENUM = 8;
/** How many values a summarised enum still names. */
const ENUM_SAMPLE = 5;

/**
 * The last resort for a tool whose compact schema is still over its share of tools/list, in two
 * steps taken only as far as needed: a long enum named by a few of its values (the largest
 * first), then nested object arguments shown as plain objects whose description names their
 * fields (the deepest, then the largest, first). Where both cannot get the schema within `budget`
 * characters it is left whole: its curation has to make it smaller. Only the advertised form
 * changes: a call is still checked against the precise schema, whose errors name the allowed
 * values and the exact shape, and keygate_describe_tool shows it in full.
 */
export function fitSchema(schema: JsonSchema, budget: number): JsonSchema {
  const fits = (candidate: JsonSchema) => JSON.stringify(candidate).length <= budget;
  let out = schema;
  const enums = longEnums(out).sort((a, b) => b.size - a.size);
  for (const target of enums) {
    if (fits(out)) return out;
    const summary = summarisedEnum(target.node);
    if (JSON.stringify(summary).length <= JSON.stringify(target.node).length - MIN_SAVING)
      out = replaceAt(out, target.path, summary);
  }
  const tried = new Set<string>();
  while (!fits(out)) {
    const target = nestedObjects(out)
      .filter(({ path }) => !tried.has(path.join('/')))
      .sort((a, b) => b.path.length - a.path.length || b.size - a.size)[0];
    if (!target) break;
    tried.add(target.path.join('/'));
    const folded = foldedObject(target.node);
    if (JSON.stringify(folded).length <= target.size - MIN_SAVING) out = replaceAt(out, target.path, folded);
  }
  return fits(out) ? out : schema;
}

/** Every node (root included) listing more than `LONG_ENUM` values. */
function longEnums(node: JsonSchema, path: readonly string[] = []): NestedObject[] {
  const found: NestedObject[] = [];
  if (Array.isArray(node.enum) && node.enum.length > LONG_ENUM)
    found.push({ path, node, size: JSON.stringify(node.enum).length });
  for (const [name, field] of Object.entries((node.properties as Record<string, JsonSchema>) ?? {}))
    found.push(...longEnums(field, [...path, 'properties', name]));
  if (isSchema(node.items)) found.push(...longEnums(node.items, [...path, 'items']));
  return found;
}

/** `node` without its enum, the description naming a few of the values and how many there are. */
function summarisedEnum(node: JsonSchema): JsonSchema {
  const { enum: values, ...rest } = node as JsonSchema & { enum: unknown[] };
  const sample = values.slice(0, ENUM_SAMPLE).map(String).join(', ');
  const note = `(one of ${values.length} values: ${sample}, …)`;
  rest.description = typeof rest.description === 'string' ? `${rest.description} ${note}` : note;
  return rest;
}

interface NestedObject {
  readonly path: readonly string[];
  readonly node: JsonSchema;
  readonly size: number;
}

/** Every object node below the root that has fields of its own or a shape for its values. */
function nestedObjects(node: JsonSchema, path: readonly string[] = []): NestedObject[] {
  const found: NestedObject[] = [];
  if (
    path.length > 0 &&
    node.type === 'object' &&
    (isSchema(node.properties) || isSchema(node.additionalProperties))
  )
    found.push({ path, node, size: JSON.stringify(node).length });
  for (const [name, field] of Object.entries((node.properties as Record<string, JsonSchema>) ?? {}))
    found.push(...nestedObjects(field, [...path, 'properties', name]));
  if (isSchema(node.items)) found.push(...nestedObjects(node.items, [...path, 'items']));
  if (isSchema(node.additionalProperties))
    found.push(...nestedObjects(node.additionalProperties, [...path, 'additionalProperties']));
  return found;
}

/** `node` as a plain object, its description naming the fields it takes (`recurring*`: required). */
function foldedObject(node: JsonSchema): JsonSchema {
  const fields = (of: JsonSchema): string => {
    const required = new Set((of.required as string[] | undefined) ?? []);
    const names = Object.keys((of.properties as object | undefined) ?? {});
    return names.map((name) => (required.has(name) ? `${name}*` : name)).join(', ');
  };
  let note: string;
  if (isSchema(node.properties)) note = `{${fields(node)}}`;
  else {
    const values = node.additionalProperties as JsonSchema;
    note = isSchema(values.properties)
      ? `each value {${fields(values)}}`
      : `each value a ${String(values.type ?? 'value')}`;
  }
  const description = typeof node.description === 'string' ? node.description : '';
  // A description that already names every field (Notion's "An emoji {type: emoji, emoji} or …")
  // says the shape: the list would only repeat it.
  const named = Object.keys((node.properties as object | undefined) ?? {});
  if (named.length > 0 && named.every((name) => new RegExp(`\\b${name}\\b`).test(description)))
    return { type: 'object', description };
  const legend = note.includes('*') ? '; * required' : '';
  const fieldsNote = `(fields ${note}${legend})`;
  return { type: 'object', description: description ? `${description} ${fieldsNote}` : fieldsNote };
}

function replaceAt(node: JsonSchema, path: readonly string[], value: JsonSchema): JsonSchema {
  if (path.length === 0) return value;
  const [key, ...rest] = path as [string, ...string[]];
  const child = node[key] as JsonSchema;
  return { ...node, [key]: replaceAt(child, rest, value) };
}

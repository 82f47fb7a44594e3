/**
 * The form of a tool's input schema that every model API accepts: Anthropic's `input_schema`,
 * OpenAI function `parameters` (non-strict), Gemini's `parametersJsonSchema` and its older
 * OpenAPI-subset `parameters`. Each node has one `type`; there is no `const`, no
 * `oneOf`/`anyOf`/`allOf`, no `null` in an enum and no format outside the common four. What those
 * cannot say is said in the description instead. This is what tools/list advertises; calls are
 * still validated, coerced and bound against the precise schema it is derived from.
 */
import type { JsonSchema } from './types.js';

/** Formats every API above takes; any other moves into the description. */
const PORTABLE_FORMATS = new Set(['date-time', 'date', 'email', 'uri']);
/** Keys every API above takes on a schema node (Gemini's older `Schema` message is the narrowest). */
const PORTABLE_KEYS = new Set([
  'type',
  'description',
  'enum',
  'default',
  'format',
  'properties',
  'required',
  'items',
  'additionalProperties',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
]);
const UNION_KEYS = ['oneOf', 'anyOf', 'allOf'] as const;

/** The model-compatible form of `schema` (a flattened tool schema); `schema` is left as it is. */
export function modelSchema(schema: JsonSchema): JsonSchema {
  const notes = new Notes();
  const node = collapseUnions(schema, notes);
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'const' && node.enum === undefined) {
      if (typeof value === 'string') out.enum = [value];
      else notes.add(`always ${JSON.stringify(value)}`);
    }
    if (!PORTABLE_KEYS.has(key)) {
      if (key === 'exclusiveMinimum' && typeof value === 'number') notes.add(`greater than ${value}`);
      if (key === 'exclusiveMaximum' && typeof value === 'number') notes.add(`less than ${value}`);
      continue;
    }
    switch (key) {
      case 'type':
        out.type = singleType(value, notes);
        break;
      case 'enum': {
        // Gemini's enum is a list of strings: other listed values are named in prose instead.
        const values = enumWithoutNull(value as unknown[], notes);
        if (values.every((item) => typeof item === 'string')) out.enum = values;
        else notes.add(`one of ${values.map((item) => JSON.stringify(item)).join(', ')}`);
        break;
      }
      case 'format':
        if (PORTABLE_FORMATS.has(String(value))) out.format = value;
        else notes.add(`format: ${String(value)}`);
        break;
      case 'properties':
        out.properties = Object.fromEntries(
          Object.entries(value as Record<string, JsonSchema>).map(([name, field]) => [
            name,
            modelSchema(field),
          ]),
        );
        break;
      case 'items':
        out.items = modelSchema(value as JsonSchema);
        break;
      case 'additionalProperties':
        out.additionalProperties = typeof value === 'boolean' ? value : modelSchema(value as JsonSchema);
        break;
      default:
        out[key] = value;
    }
  }
  if (out.type === undefined) {
    const inferred = typeOfValues(node.enum ?? ('const' in node ? [node.const] : undefined));
    if (inferred) out.type = inferred;
  }
  return notes.describe(out);
}

/** Prose notes for what the schema no longer says in keywords, appended to the description once. */
class Notes {
  private readonly list: string[] = [];

  add(note: string): void {
    if (!this.list.includes(note)) this.list.push(note);
  }

  describe(out: JsonSchema): JsonSchema {
    if (this.list.length === 0) return out;
    const note = `(${this.list.join('; ')})`;
    out.description = typeof out.description === 'string' ? `${out.description} ${note}` : note;
    return out;
  }
}

/**
 * A node without `oneOf`/`anyOf`/`allOf`: the node's own keys (its description first) over the one
 * shape that stands for the union, with the choices left out named in `notes`.
 */
function collapseUnions(node: JsonSchema, notes: Notes): JsonSchema {
  if (!UNION_KEYS.some((key) => Array.isArray(node[key]))) return node;
  const own: JsonSchema = {};
  for (const [key, value] of Object.entries(node))
    if (!(UNION_KEYS as readonly string[]).includes(key)) own[key] = value;
  let merged: JsonSchema = { ...own };
  // allOf: every branch applies, so their keys add up (the flattener already merged object ones).
  for (const branch of (node.allOf as JsonSchema[] | undefined) ?? []) merged = { ...branch, ...merged };
  const choices = [...((node.oneOf as JsonSchema[]) ?? []), ...((node.anyOf as JsonSchema[]) ?? [])];
  if (choices.length === 0) return merged;
  const shape = oneShape(choices.map(modelSchema), notes);
  // The union's own description, then the chosen shape's; else any choice's (GitHub puts the
  // meaning of `milestone` on its integer choice only).
  const descriptions = [...new Set([own.description, shape.description].filter(isText))];
  const out: JsonSchema = { ...shape, ...merged };
  const description = descriptions.length > 0 ? descriptions.join(' ') : firstDescription(choices);
  if (description !== undefined) out.description = description;
  return out;
}

/** The one shape that stands for a choice of (already model-compatible) schemas. */
function oneShape(choices: JsonSchema[], notes: Notes): JsonSchema {
  let rest = choices.filter((choice) => choice.type !== 'null');
  const nullable = rest.length < choices.length;
  // Stripe's `"" to unset`: a string choice that takes only "" beside a real choice.
  const unset = rest.filter(isEmptyStringOnly);
  if (unset.length > 0 && unset.length < rest.length)
    rest = rest.filter((choice) => !isEmptyStringOnly(choice));
  let shape: JsonSchema;
  if (rest.length === 0) shape = { type: 'string' };
  else if (rest.length === 1) shape = { ...rest[0] };
  else if (rest.every((choice) => choice.type === 'object')) shape = widestObject(rest, notes);
  else if (rest.every((choice) => choice.type === rest[0]!.type && Array.isArray(choice.enum))) {
    shape = { ...rest[0], enum: [...new Set(rest.flatMap((choice) => choice.enum as unknown[]))] };
  } else {
    // A mix of types: the one that takes the most, the others named.
    const chosen = [...rest].sort((a, b) => permissiveness(a) - permissiveness(b))[0]!;
    notes.add(
      `or ${rest
        .filter((choice) => choice !== chosen)
        .map(nameOf)
        .join(' or ')}`,
    );
    shape = { ...chosen };
  }
  if (rest.length < choices.length - (nullable ? 1 : 0)) notes.add('send "" to unset');
  if (nullable) notes.add('may be null');
  return shape;
}

/**
 * A choice of object shapes as one object: every shape's members, required only where every shape
 * requires them, and the shapes named in the description so that the model picks one.
 */
function widestObject(shapes: JsonSchema[], notes: Notes): JsonSchema {
  const members = new Map<string, JsonSchema[]>();
  for (const shape of shapes) {
    for (const [name, field] of Object.entries(propertiesOf(shape))) {
      members.set(name, [...(members.get(name) ?? []), field]);
    }
  }
  const properties: Record<string, JsonSchema> = {};
  for (const [name, fields] of members) {
    const distinct = [...new Map(fields.map((field) => [JSON.stringify(field), field])).values()];
    properties[name] = distinct.length === 1 ? distinct[0]! : modelSchema({ anyOf: distinct });
  }
  const required = shapes
    .map((shape) => (shape.required as string[] | undefined) ?? [])
    .reduce((all, names) => all.filter((name) => names.includes(name)));
  const out: JsonSchema = { type: 'object', properties };
  if (required.length > 0) out.required = required;
  const closed = shapes.map((shape) => JSON.stringify(shape.additionalProperties));
  if (closed.every((value) => value === closed[0]) && shapes[0]!.additionalProperties !== undefined) {
    out.additionalProperties = shapes[0]!.additionalProperties;
  }
  notes.add(`one of: ${shapes.map(shapeName).join(' | ')}`);
  return out;
}

/** `{type: "database_id", database_id}`: a shape's members, with the value that names it. */
function shapeName(shape: JsonSchema): string {
  const members = Object.entries(propertiesOf(shape)).map(([name, field]) => {
    const values = field.enum;
    return Array.isArray(values) && values.length === 1 ? `${name}: ${JSON.stringify(values[0])}` : name;
  });
  return `{${members.join(', ')}}`;
}

/** A left-out choice, briefly: `integer`, `"inf"`, `an object {login, rationale}`. */
function nameOf(choice: JsonSchema): string {
  if (Array.isArray(choice.enum)) return choice.enum.map((value) => JSON.stringify(value)).join(' or ');
  if (choice.type === 'object' && choice.properties) return `an object ${shapeName(choice)}`;
  const type = String(choice.type ?? 'any value');
  return `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;
}

/** Lower takes more: any text first, then structures, then narrower scalars, then listed values. */
function permissiveness(choice: JsonSchema): number {
  if (Array.isArray(choice.enum)) return 7;
  const order = ['string', 'object', 'array', 'number', 'integer', 'boolean'];
  const rank = order.indexOf(String(choice.type));
  return rank < 0 ? 6 : rank;
}

/** One type out of a JSON Schema type list: `null` becomes prose, several types the widest plus prose. */
function singleType(type: unknown, notes: Notes): unknown {
  if (!Array.isArray(type)) return type;
  const types = type.map(String);
  const rest = types.filter((name) => name !== 'null');
  const [chosen = 'string', ...others] = [...rest].sort(
    (a, b) => permissiveness({ type: a }) - permissiveness({ type: b }),
  );
  if (others.length > 0) notes.add(`or ${others.map((name) => nameOf({ type: name })).join(' or ')}`);
  if (types.includes('null')) notes.add('may be null');
  return chosen;
}

function enumWithoutNull(values: unknown[], notes: Notes): unknown[] {
  if (!values.includes(null)) return values;
  notes.add('may be null');
  return values.filter((value) => value !== null);
}

function typeOfValues(values: unknown): string | undefined {
  if (!Array.isArray(values) || values.length === 0) return undefined;
  const types = new Set(
    values
      .filter((value) => value !== null)
      .map((value) => (Number.isInteger(value) ? 'integer' : typeof value)),
  );
  return types.size === 1 ? [...types][0] : undefined;
}

function isEmptyStringOnly(choice: JsonSchema): boolean {
  return Array.isArray(choice.enum) && choice.enum.length === 1 && choice.enum[0] === '';
}

function isText(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

function firstDescription(choices: readonly JsonSchema[]): unknown {
  return choices.find((choice) => typeof choice.description === 'string')?.description;
}

function propertiesOf(schema: JsonSchema): Record<string, JsonSchema> {
  const properties = schema.properties;
  return typeof properties === 'object' && properties !== null
    ? (properties as Record<string, JsonSchema>)
    : {};
}

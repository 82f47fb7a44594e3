/**
 * Turns an OpenAPI schema (with `$ref`s, 3.0 `nullable`, vendor formats) into the plain JSON
 * Schema MCP clients and model APIs accept: refs inlined, cycles and deep nesting cut at a fixed
 * depth, no `$defs`, arrays always with `items`, non-standard formats moved into descriptions.
 */
import { deref, isObject, type Json, type JsonObject } from './openapi-walk.js';
import type { JsonSchema } from './types.js';

/** Formats JSON Schema validators and model APIs understand; others become prose. */
const STANDARD_FORMATS = new Set([
  'date-time',
  'date',
  'time',
  'duration',
  'email',
  'hostname',
  'ipv4',
  'ipv6',
  'uri',
  'uri-reference',
  'uuid',
]);
/** Keys kept from OpenAPI schemas; everything else is documentation or vendor noise. */
const KEPT_KEYS = new Set([
  'type',
  'description',
  'enum',
  'const',
  'default',
  'format',
  'properties',
  'required',
  'items',
  'additionalProperties',
  'anyOf',
  'oneOf',
  'allOf',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'uniqueItems',
  'nullable',
  'writeOnly',
]);

export interface FlattenOptions {
  /** Nesting below this depth is cut to a typed stub. */
  readonly maxDepth: number;
  /** Descriptions below this depth are dropped to keep tools/list small. */
  readonly describeDepth: number;
}

export const DEFAULT_FLATTEN: FlattenOptions = { maxDepth: 6, describeDepth: 2 };

/** Flattens `schema` found in `doc`; `depth` 1 is a top-level tool argument. */
export function flattenSchema(
  doc: JsonObject,
  schema: Json | undefined,
  depth = 1,
  options: FlattenOptions = DEFAULT_FLATTEN,
  refStack: readonly string[] = [],
): JsonSchema {
  let stack = refStack;
  let node: Json | undefined = schema;
  while (isObject(node) && typeof node.$ref === 'string') {
    if (stack.includes(node.$ref)) return cutStub(deref(doc, node), 'recursive');
    stack = [...stack, node.$ref];
    node = deref(doc, { $ref: node.$ref });
  }
  if (!isObject(node)) return {};
  if (depth > options.maxDepth) return cutStub(node, 'nested too deep');

  const out: JsonSchema = {};
  const notes: string[] = [];
  for (const [key, value] of Object.entries(node)) {
    if (!KEPT_KEYS.has(key)) continue;
    switch (key) {
      case 'properties': {
        if (!isObject(value)) break;
        out.properties = Object.fromEntries(
          Object.entries(value)
            .filter(([, field]) => !isReadOnly(doc, field))
            .map(([name, field]) => [name, flattenSchema(doc, field, depth + 1, options, stack)]),
        );
        break;
      }
      case 'items':
        out.items = flattenSchema(doc, value, depth + 1, options, stack);
        break;
      case 'additionalProperties':
        out.additionalProperties =
          typeof value === 'boolean' ? value : flattenSchema(doc, value, depth + 1, options, stack);
        break;
      case 'anyOf':
      case 'oneOf':
      case 'allOf':
        if (Array.isArray(value))
          out[key] = value.map((branch) => flattenSchema(doc, branch, depth, options, stack));
        break;
      case 'format':
        if (typeof value === 'string' && STANDARD_FORMATS.has(value)) out.format = value;
        else if (typeof value === 'string' && value !== 'password' && !restatesType(value, node.type))
          notes.push(`format: ${value}`);
        else if (value === 'password') out.writeOnly = true;
        break;
      case 'nullable':
        break;
      case 'maxLength':
        // Stripe puts maxLength 5000 on nearly every string: a catch-all, not a constraint worth the context.
        if (typeof value === 'number' && value < 5000) out.maxLength = value;
        break;
      case 'description':
        if (depth <= options.describeDepth && typeof value === 'string') out.description = value;
        break;
      default:
        out[key] = value as unknown;
    }
  }
  applyNullable(node, out);
  mergeAllOf(out);
  if (isArrayType(out.type) && out.items === undefined) out.items = {};
  if (notes.length > 0 && depth <= options.describeDepth) {
    out.description = [out.description, `(${notes.join(', ')})`].filter(Boolean).join(' ');
  }
  return out;
}

/** OpenAPI's number formats say no more than the type does: `int64` of an `integer` goes unsaid. */
function restatesType(format: string, type: Json | undefined): boolean {
  if (type === 'integer') return format === 'int32' || format === 'int64';
  if (type === 'number') return format === 'float' || format === 'double';
  return false;
}

/** True when a schema (or the ref it points to) is marked readOnly: never sent in a request. */
function isReadOnly(doc: JsonObject, field: Json): boolean {
  const resolved = deref(doc, field);
  return isObject(resolved) && resolved.readOnly === true;
}

/** OpenAPI 3.0 `nullable: true` becomes a JSON Schema type union with `null`. */
function applyNullable(source: JsonObject, out: JsonSchema): void {
  if (source.nullable !== true) return;
  if (typeof out.type === 'string') out.type = [out.type, 'null'];
  if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
  for (const key of ['oneOf', 'anyOf'] as const) {
    const branches = out[key];
    if (Array.isArray(branches) && out.type === undefined) out[key] = [...branches, { type: 'null' }];
  }
}

/** `allOf` of plain objects merges into one object, which models read far more easily. */
function mergeAllOf(out: JsonSchema): void {
  const branches = out.allOf;
  if (!Array.isArray(branches)) return;
  const objects = branches as JsonSchema[];
  if (!objects.every((branch) => branch.properties !== undefined && branch.anyOf === undefined)) return;
  const properties: Record<string, unknown> = { ...((out.properties as object) ?? {}) };
  const required = new Set<string>((out.required as string[]) ?? []);
  for (const branch of objects) {
    Object.assign(properties, branch.properties);
    for (const name of (branch.required as string[]) ?? []) required.add(name);
  }
  delete out.allOf;
  out.type = 'object';
  out.properties = properties;
  if (required.size > 0) out.required = [...required];
}

function isArrayType(type: unknown): boolean {
  return type === 'array' || (Array.isArray(type) && type.includes('array'));
}

/** The stub that replaces a subtree cut for recursion or depth: its type, and a note why. */
function cutStub(node: Json | undefined, why: string): JsonSchema {
  const type = isObject(node) && typeof node.type === 'string' ? node.type : undefined;
  if (type === 'array') return { type: 'array', items: {}, description: `(${why}: items not described)` };
  if (type && type !== 'object') return { type };
  return { type: 'object', description: `(${why}: fields not described)` };
}

/**
 * Where a tool's input schema offers a choice of object shapes (Notion's `parent`: a page, a data
 * source or a database), which members belong to which shape and which discriminator value names
 * each. Computed once when the catalog loads, so that policy can tell that a pinned
 * `parent.page_id` also pins the page shape.
 */
import type { ArgumentUnion, JsonSchema, UnionBranch } from './types.js';

/** Every union of two or more object shapes in `schema`, by dotted argument path. */
export function argumentUnions(schema: JsonSchema): Map<string, ArgumentUnion> {
  const unions = new Map<string, ArgumentUnion>();
  for (const [name, field] of Object.entries(propertiesOf(schema))) walk(field, name, unions);
  return unions;
}

/** The union of a root body offered as one flat set of arguments; `shared` are the others. */
export function rootUnion(branches: readonly JsonSchema[], shared: readonly string[]): ArgumentUnion {
  return { ...unionOf(branches), shared };
}

/** The object shapes among `oneOf`/`anyOf` branches, when there are two or more. */
export function objectBranches(schema: JsonSchema): JsonSchema[] {
  const branches = (schema.oneOf ?? schema.anyOf) as JsonSchema[] | undefined;
  return (branches ?? []).filter((branch) => isRecord(branch.properties));
}

function walk(schema: JsonSchema, path: string, unions: Map<string, ArgumentUnion>): void {
  const branches = objectBranches(schema);
  if (branches.length >= 2) unions.set(path, { ...unionOf(branches), shared: [] });
  for (const container of [schema, ...branches]) {
    for (const [name, field] of Object.entries(propertiesOf(container)))
      walk(field, `${path}.${name}`, unions);
  }
}

function unionOf(branches: readonly JsonSchema[]): Omit<ArgumentUnion, 'shared'> {
  const discriminator = discriminatorOf(branches);
  const keys = branches.map((branch) => Object.keys(propertiesOf(branch)));
  if (discriminator === undefined) return { branches: keys.map((k) => ({ keys: k })) };
  const tags = branches.map((branch) => tagOf(branch, discriminator));
  // Where every declared tag names a member of its own shape (`type: "database_id"` beside
  // `database_id`), a shape that leaves its tag out is named by its one other member (`page_id`).
  const tagNamesMember = tags.every((tag, i) => tag === undefined || keys[i]?.includes(tag));
  const out: UnionBranch[] = branches.map((_, i) => {
    const own = keys[i] ?? [];
    const members = own.filter((key) => key !== discriminator);
    const tag = tags[i] ?? (tagNamesMember && members.length === 1 ? members[0] : undefined);
    return tag === undefined ? { keys: own } : { keys: own, tag };
  });
  return { discriminator, branches: out };
}

/** A member that, wherever a shape declares it, holds one fixed string naming that shape. */
function discriminatorOf(branches: readonly JsonSchema[]): string | undefined {
  const candidates = new Set(branches.flatMap((branch) => Object.keys(propertiesOf(branch))));
  for (const key of candidates) {
    const declaring = branches.filter((branch) => Object.hasOwn(propertiesOf(branch), key));
    if (declaring.every((branch) => tagOf(branch, key) !== undefined)) return key;
  }
  return undefined;
}

function tagOf(branch: JsonSchema, key: string): string | undefined {
  const properties = propertiesOf(branch);
  const field = Object.hasOwn(properties, key) ? properties[key] : undefined;
  if (!field) return undefined;
  if (typeof field.const === 'string') return field.const;
  const values = field.enum;
  return Array.isArray(values) && values.length === 1 && typeof values[0] === 'string'
    ? values[0]
    : undefined;
}

function propertiesOf(schema: JsonSchema): Record<string, JsonSchema> {
  return isRecord(schema.properties) ? (schema.properties as Record<string, JsonSchema>) : {};
}

function isRecord(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether a dotted argument path (`parent.page_id`) names something a tool's input schema has. */
import { argumentSchemaOf } from './argument-validator.js';
import type { JsonSchema, ToolDefinition } from './types.js';

/**
 * True when `path` reaches a member the schema declares, through nested objects and any shape of
 * a union. An object whose members are not described (open, or cut for depth) may hold anything.
 */
export function hasArgumentPath(tool: ToolDefinition, path: string): boolean {
  return reaches(argumentSchemaOf(tool), path.split('.'));
}

function reaches(schema: JsonSchema, parts: readonly string[]): boolean {
  const [head, ...rest] = parts;
  if (head === undefined) return true;
  const containers = [schema, ...branchesOf(schema)];
  let described = false;
  for (const container of containers) {
    const properties = container.properties as Record<string, JsonSchema> | undefined;
    if (properties && typeof properties === 'object') {
      described = true;
      if (Object.hasOwn(properties, head) && reaches(properties[head] as JsonSchema, rest)) return true;
    }
    const extra = container.additionalProperties;
    if (extra === true) return true;
    if (extra && typeof extra === 'object' && reaches(extra as JsonSchema, rest)) return true;
  }
  // A stub cut for depth or recursion says only "object": it may hold anything.
  return !described && schema.type === 'object';
}

function branchesOf(schema: JsonSchema): JsonSchema[] {
  return ['oneOf', 'anyOf', 'allOf'].flatMap((key) =>
    Array.isArray(schema[key]) ? (schema[key] as JsonSchema[]) : [],
  );
}

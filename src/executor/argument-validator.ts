/** Checks tool arguments against the tool's input schema before anything is sent. */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { JsonSchema, ToolDefinition } from '../catalog/index.js';
import { KeygateError } from '../errors/index.js';

/** Compiles each tool's schema once and validates calls against it. */
export class ArgumentValidator {
  // Formats are documentation here: the upstream API is the authority on what a valid id is.
  private readonly ajv = new Ajv({ allErrors: false, strict: false, validateFormats: false, logger: false });
  private readonly compiled = new WeakMap<ToolDefinition, ValidateFunction>();

  /**
   * Returns the arguments to send: a copy in which JSON strings given where the schema wants an
   * object or array are parsed. Throws `executor.invalid_arguments` naming the first bad field.
   */
  validate(tool: ToolDefinition, args: unknown): Record<string, unknown> {
    const input = args === undefined || args === null ? {} : args;
    if (typeof input !== 'object' || Array.isArray(input)) {
      throw new KeygateError('executor.invalid_arguments', 'arguments must be a JSON object');
    }
    const coerced = coerceJsonStrings(tool.inputSchema, structuredClone(input)) as Record<string, unknown>;
    const validate = this.compile(tool);
    if (!validate(coerced)) {
      const error = validate.errors?.[0];
      throw new KeygateError('executor.invalid_arguments', describeError(error), {
        details: { field: fieldOf(error) },
      });
    }
    return coerced;
  }

  private compile(tool: ToolDefinition): ValidateFunction {
    let validate = this.compiled.get(tool);
    if (!validate) {
      validate = this.ajv.compile(tool.inputSchema);
      this.compiled.set(tool, validate);
    }
    return validate;
  }
}

function fieldOf(error: ErrorObject | undefined): string {
  if (!error) return '';
  const path = error.instancePath.slice(1).replace(/\//g, '.');
  const extra = (error.params as { additionalProperty?: string; missingProperty?: string }) ?? {};
  const leaf = extra.additionalProperty ?? extra.missingProperty;
  return [path, leaf].filter(Boolean).join('.');
}

function describeError(error: ErrorObject | undefined): string {
  if (!error) return 'invalid arguments';
  const field = fieldOf(error);
  switch (error.keyword) {
    case 'additionalProperties':
      return `unknown argument ${field}`;
    case 'required':
      return `missing required argument ${field}`;
    case 'enum':
      return `${field} must be one of ${((error.params as { allowedValues: unknown[] }).allowedValues ?? []).map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return `${field || 'arguments'} ${error.message ?? 'is invalid'}`;
  }
}

/** Types a schema accepts, looking through `anyOf`/`oneOf` branches. */
function acceptedTypes(schema: JsonSchema): Set<string> {
  const types = new Set<string>();
  const type = schema.type;
  if (typeof type === 'string') types.add(type);
  else if (Array.isArray(type)) for (const t of type) types.add(String(t));
  if (schema.properties) types.add('object');
  if (schema.items) types.add('array');
  for (const key of ['anyOf', 'oneOf'] as const) {
    for (const branch of (schema[key] as JsonSchema[] | undefined) ?? []) {
      for (const t of acceptedTypes(branch)) types.add(t);
    }
  }
  return types;
}

/**
 * Models often send an object or array as a JSON string. Where the schema wants an object or an
 * array and cannot take a string, such a string is parsed; everything else is left alone.
 */
export function coerceJsonStrings(schema: JsonSchema, value: unknown): unknown {
  if (typeof value === 'string') {
    const types = acceptedTypes(schema);
    if ((types.has('object') || types.has('array')) && !types.has('string')) {
      try {
        const parsed: unknown = JSON.parse(value);
        if (typeof parsed === 'object' && parsed !== null) return coerceJsonStrings(schema, parsed);
      } catch {
        // Not JSON: leave the string for the validator to reject with a clear message.
      }
    }
    return value;
  }
  if (Array.isArray(value)) {
    const items = schema.items as JsonSchema | undefined;
    return items ? value.map((item) => coerceJsonStrings(items, item)) : value;
  }
  if (typeof value === 'object' && value !== null) {
    const properties = (schema.properties as Record<string, JsonSchema> | undefined) ?? {};
    const record = value as Record<string, unknown>;
    for (const [key, item] of Object.entries(record)) {
      // Keys are the agent's: `__proto__` or `constructor` must not find Object.prototype's.
      const fieldSchema = Object.hasOwn(properties, key) ? properties[key] : undefined;
      if (fieldSchema) record[key] = coerceJsonStrings(fieldSchema, item);
    }
  }
  return value;
}

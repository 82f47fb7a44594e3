/**
 * Checks tool arguments against the tool's input schema: the one validation a call gets, before
 * policy sees its arguments. The error code keeps its documented name, `executor.invalid_arguments`.
 */
import { createRequire } from 'node:module';
import type { Ajv, ErrorObject, ValidateFunction } from 'ajv';
import { KeygateError } from '../errors/index.js';
import { jsonNestsDeeperThan } from './json-depth.js';
import type { JsonSchema, ToolDefinition } from './types.js';

/** The schema a call to `tool` is checked against: the precise one, not the advertised one. */
export function argumentSchemaOf(tool: ToolDefinition): JsonSchema {
  return tool.argumentSchema ?? tool.inputSchema;
}

// Every command loads the catalog, few validate a call: ajv (≈40 ms to import) is loaded on the
// first compile, so `keygate tools` and a cold catalog load do not pay for it.
const require = createRequire(import.meta.url);

/** Compiles each tool's schema once and validates calls against it. */
export class ArgumentValidator {
  private ajv: Ajv | undefined;
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
    const coerced = coerceJsonStrings(argumentSchemaOf(tool), structuredClone(input)) as Record<
      string,
      unknown
    >;
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
      this.ajv ??= newAjv();
      validate = this.ajv.compile(argumentSchemaOf(tool));
      this.compiled.set(tool, validate);
    }
    return validate;
  }
}

function newAjv(): Ajv {
  const { Ajv } = require('ajv') as typeof import('ajv');
  // Formats are documentation here: the upstream API is the authority on what a valid id is.
  return new Ajv({ allErrors: false, strict: false, validateFormats: false, logger: false });
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

/** The schema and, recursively, its `anyOf`/`oneOf` branches: the choices a value may match. */
function choicesOf(schema: JsonSchema): JsonSchema[] {
  const choices = [schema];
  for (const key of ['anyOf', 'oneOf'] as const) {
    for (const branch of (schema[key] as JsonSchema[] | undefined) ?? []) choices.push(...choicesOf(branch));
  }
  return choices;
}

/** Types one choice accepts by itself (not looking into its branches). */
function typesOf(choice: JsonSchema): string[] {
  const types: string[] = [];
  if (typeof choice.type === 'string') types.push(choice.type);
  else if (Array.isArray(choice.type)) types.push(...choice.type.map(String));
  if (choice.properties || choice.additionalProperties) types.push('object');
  if (choice.items) types.push('array');
  return types;
}

/**
 * Whether some string choice takes `value` as it is. A choice limited to listed values (Stripe's
 * `enum: [""]`, which unsets a field) takes only those; any other string choice takes any string.
 */
function takesString(choices: readonly JsonSchema[], value: string): boolean {
  return choices.some((choice) => {
    if (!typesOf(choice).includes('string')) return false;
    if (Array.isArray(choice.enum)) return choice.enum.includes(value);
    if ('const' in choice) return choice.const === value;
    return true;
  });
}

/**
 * The JSON value `text` holds, or undefined (the validator then rejects the string as it is).
 * Nested no deeper than a request body may be: what is parsed here is then checked recursively.
 */
function parseJson(text: string): unknown {
  if (jsonNestsDeeperThan(text)) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Whether `value` is an object whose keys an object choice declares, with all it requires. */
function fitsDeclaredShape(choices: readonly JsonSchema[], value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return choices.some((choice) => {
    const properties = choice.properties as Record<string, unknown> | undefined;
    if (!properties || typeof properties !== 'object' || keys.length === 0) return false;
    const required = (choice.required as string[] | undefined) ?? [];
    return keys.every((key) => Object.hasOwn(properties, key)) && required.every((key) => keys.includes(key));
  });
}

/** The schema an object member or array item is checked against, looked for through every choice. */
function memberSchema(choices: readonly JsonSchema[], key: string): JsonSchema | undefined {
  for (const choice of choices) {
    const properties = choice.properties as Record<string, JsonSchema> | undefined;
    if (properties && Object.hasOwn(properties, key)) return properties[key];
  }
  for (const choice of choices) {
    if (typeof choice.additionalProperties === 'object') return choice.additionalProperties as JsonSchema;
  }
  return undefined;
}

/**
 * Models often send an object or array as a JSON string (and a model held to an advertised
 * `type: string` can send an object no other way). A string is parsed where the schema's choices
 * include an object or array and it parses to one of the accepted shapes, when either
 * - no string choice takes the string as it is (Stripe's `metadata` is an object or `""`: only
 *   `""` is a string it takes), or
 * - it parses to an object that fits an object choice with declared members: every key declared,
 *   every required one present (GitHub's issue `type` is a name or `{value, rationale, …}`).
 * Anything else stays a string: a field that only takes text keeps `{"a":1}` as text, and a
 * string choice beside an open map or an array is never second-guessed.
 */
export function coerceJsonStrings(schema: JsonSchema, value: unknown): unknown {
  const choices = choicesOf(schema);
  if (typeof value === 'string') {
    const types = new Set(choices.flatMap(typesOf));
    if (!types.has('object') && !types.has('array')) return value;
    const parsed = parseJson(value);
    const shape = Array.isArray(parsed) ? 'array' : typeof parsed === 'object' && parsed ? 'object' : '';
    if (!types.has(shape)) return value;
    if (!takesString(choices, value) || fitsDeclaredShape(choices, parsed)) {
      return coerceJsonStrings(schema, parsed);
    }
    return value;
  }
  if (Array.isArray(value)) {
    const items = choices.find((choice) => typeof choice.items === 'object')?.items as JsonSchema | undefined;
    return items ? value.map((item) => coerceJsonStrings(items, item)) : value;
  }
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    for (const [key, item] of Object.entries(record)) {
      // Keys are the agent's: memberSchema looks them up as own properties only.
      const fieldSchema = memberSchema(choices, key);
      if (fieldSchema) record[key] = coerceJsonStrings(fieldSchema, item);
    }
  }
  return value;
}

/** Builds MCP tool definitions from a curated OpenAPI document. */
import { KeygateError } from '../errors/index.js';
import { amountBindingArguments, amountBindingOf } from './amount-binding.js';
import { compactSchema, fitSchema } from './compact-schema.js';
import { type ContentRules, FIELD_PATTERN, mergeContentRules } from './content-rules.js';
import { modelSchema } from './model-schema.js';
import { deref, HTTP_METHODS, isObject, type Json, type JsonObject } from './openapi-walk.js';
import { flattenSchema } from './schema-flattener.js';
import type {
  ArgumentBinding,
  ArgumentLocation,
  ArgumentUnion,
  JsonSchema,
  LeanPaging,
  LeanResults,
  LeanRule,
  Risk,
  ServiceProfile,
  ToolAnnotations,
  ToolDefinition,
} from './types.js';
import {
  FULL_RESULT_ARGUMENT,
  LEAN_PAGING,
  LEAN_RULES,
  REDIRECT_HOST_PATTERN,
  RISKS,
  TOOL_LIST_BUDGET,
} from './types.js';
import { argumentUnions, objectBranches, rootUnion } from './union-shapes.js';

/** Reads the service profile from a curated document's `x-keygate` block. */
export function serviceProfile(doc: JsonObject): ServiceProfile {
  const meta = doc['x-keygate'];
  const server = Array.isArray(doc.servers) && isObject(doc.servers[0]) ? doc.servers[0].url : undefined;
  if (!isObject(meta) || typeof meta.service !== 'string' || typeof server !== 'string') {
    throw new KeygateError(
      'catalog.spec_invalid',
      'a curated spec needs x-keygate.service and servers[0].url',
    );
  }
  return {
    name: meta.service,
    title: isObject(doc.info) ? String(doc.info.title) : meta.service,
    baseUrl: server,
    headers: isObject(meta.headers) ? (meta.headers as Record<string, string>) : {},
    idempotencyKey: meta.idempotency_key === true,
  };
}

/** Every tool of a curated document, in document order. */
export function buildTools(doc: JsonObject): ToolDefinition[] {
  const service = serviceProfile(doc).name;
  const meta = doc['x-keygate'];
  const content = isObject(meta) ? contentRulesOf(meta.response_content, 'x-keygate') : undefined;
  const tools: ToolDefinition[] = [];
  for (const [path, item] of Object.entries(isObject(doc.paths) ? doc.paths : {})) {
    if (!isObject(item)) continue;
    for (const method of HTTP_METHODS) {
      const operation = item[method];
      if (isObject(operation)) tools.push(buildTool(doc, service, method, path, operation, content));
    }
  }
  return tools;
}

function buildTool(
  doc: JsonObject,
  service: string,
  method: string,
  path: string,
  op: JsonObject,
  serviceContent: ContentRules | undefined,
): ToolDefinition {
  const meta = op['x-keygate'];
  if (!isObject(meta) || typeof meta.tool !== 'string' || !RISKS.includes(meta.risk as Risk)) {
    throw new KeygateError(
      'catalog.spec_invalid',
      `${method.toUpperCase()} ${path}: missing x-keygate tool or risk`,
    );
  }
  const risk = meta.risk as Risk;
  const args = new ArgumentCollector(`${meta.tool}`);

  for (const raw of Array.isArray(op.parameters) ? op.parameters : []) {
    const parameter = deref(doc, raw);
    if (!isObject(parameter) || !['path', 'query'].includes(String(parameter.in))) continue;
    const location = parameter.in as ArgumentLocation;
    const schema = flattenSchema(doc, parameter.schema);
    if (typeof parameter.description === 'string' && !schema.description)
      schema.description = parameter.description;
    args.add(String(parameter.name), location, schema, location === 'path' || parameter.required === true, {
      style: typeof parameter.style === 'string' ? parameter.style : location === 'path' ? 'simple' : 'form',
      explode: typeof parameter.explode === 'boolean' ? parameter.explode : location === 'query',
      multiSegment: parameter['x-multi-segment'] === true,
    });
  }

  const { encoding, schema: body, required: bodyRequired } = requestBodyOf(doc, op);
  const root = body ? addBody(doc, args, body, bodyRequired, encoding) : undefined;
  const leanResults = leanResultsOf(meta.results, meta.tool);
  const redirectHosts = redirectHostsOf(meta.redirect_hosts, meta.tool, method);
  const ownContent = contentRulesOf(meta.response_content, meta.tool);
  const responseContent = serviceContent
    ? mergeContentRules(serviceContent, ownContent)
    : ownContent && mergeContentRules({ thirdParty: [], service: [] }, ownContent);
  if (leanResults) args.addOption(FULL_RESULT_ARGUMENT, FULL_RESULT_SCHEMA);
  const argumentSchema = args.schema();
  const amount = amountBindingOf(meta.amount, meta.tool);
  if (amount) amountArgumentsExist(amount, argumentSchema, meta.tool);
  const unions = argumentUnions(argumentSchema);
  if (root) unions.set('', root);
  const description = typeof op.description === 'string' ? op.description : String(op.summary ?? meta.tool);
  const annotations = annotationsFor(risk);
  // What the tool takes in tools/list besides its schema: the schema gets the rest of the budget.
  const listed =
    JSON.stringify({
      name: meta.tool,
      description,
      inputSchema: {},
      annotations: listedAnnotations(annotations),
    }).length - 2;

  // The schemas models see are derived on first use, not at load: a daemon starts without
  // paying for 300 tools' worth (a third of the catalog's build), and most agents list a few.
  const name = meta.tool;
  const fullInputSchema = once(() => modelSchema(argumentSchema));
  const inputSchema = once(() =>
    fitSchema(compactSchema(fullInputSchema(), { tool: name, service }), TOOL_LIST_BUDGET - listed),
  );
  return {
    name: meta.tool,
    aliases: Array.isArray(meta.aliases) ? meta.aliases.map(String) : [],
    service,
    description,
    risk,
    annotations,
    operation: { method: method.toUpperCase(), path, operationId: String(op.operationId) },
    // Derived from the curated spec alone, once: the spec stays the one source of every form.
    get inputSchema() {
      return inputSchema();
    },
    get fullInputSchema() {
      return fullInputSchema();
    },
    argumentSchema,
    bindings: args.bindings,
    headers: isObject(meta.headers) ? (meta.headers as Record<string, string>) : {},
    bodyEncoding: encoding,
    sensitiveArguments: args.sensitive,
    unions,
    ...(leanResults ? { leanResults } : {}),
    ...(redirectHosts ? { redirectHosts } : {}),
    ...(amount ? { amount } : {}),
    ...(responseContent ? { responseContent } : {}),
  };
}

/** Every argument an amount binding reads is one of the tool's: a typo would leave a budget blind. */
function amountArgumentsExist(
  amount: NonNullable<ToolDefinition['amount']>,
  schema: JsonSchema,
  tool: string,
): void {
  const properties = isObject(schema.properties as Json) ? (schema.properties as JsonObject) : {};
  const missing = amountBindingArguments(amount).filter((name) => !Object.hasOwn(properties, name));
  if (missing.length > 0)
    throw new KeygateError(
      'catalog.spec_invalid',
      `${tool}: x-keygate.amount reads arguments the tool does not have: ${missing.join(', ')}`,
    );
}

/**
 * A `response_content` block (`{third_party, service}` lists of field names), checked again at
 * load: a spec is a file anyone can edit, and a wrong list must not pass as an empty one.
 */
function contentRulesOf(raw: unknown, where: string): ContentRules | undefined {
  if (raw === undefined) return undefined;
  const list = (value: unknown) =>
    Array.isArray(value) && value.every((item) => typeof item === 'string' && FIELD_PATTERN.test(item))
      ? (value as string[])
      : undefined;
  const thirdParty = isObject(raw) ? list(raw.third_party ?? []) : undefined;
  const service = isObject(raw) ? list(raw.service ?? []) : undefined;
  if (!thirdParty || !service)
    throw new KeygateError(
      'catalog.spec_invalid',
      `${where}: response_content needs third_party and service lists of field names`,
    );
  return { thirdParty, service };
}

/** `make()`'s value, made the first time it is asked for. */
function once<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => {
    made ??= { value: make() };
    return made.value;
  };
}

/**
 * The operation's `x-keygate.redirect_hosts`, checked again at load (a spec is a file anyone can
 * edit): host patterns only, on a GET only; anything else refuses the spec.
 */
function redirectHostsOf(raw: unknown, tool: string, method: string): readonly string[] | undefined {
  if (raw === undefined) return undefined;
  if (
    method !== 'get' ||
    !Array.isArray(raw) ||
    raw.length === 0 ||
    !raw.every((host) => typeof host === 'string' && REDIRECT_HOST_PATTERN.test(host))
  ) {
    throw new KeygateError(
      'catalog.spec_invalid',
      `${tool}: x-keygate.redirect_hosts needs host names or *.names, on a GET operation`,
    );
  }
  return raw as string[];
}

const FULL_RESULT_SCHEMA: JsonSchema = {
  type: 'boolean',
  description: 'true: untrimmed.',
};

/** The operation's `x-keygate.results` block, checked: a spec naming an unknown rule is refused. */
function leanResultsOf(raw: unknown, tool: string): LeanResults | undefined {
  if (raw === undefined) return undefined;
  const rules = isObject(raw as Json) ? (raw as JsonObject).rules : undefined;
  const paging = isObject(raw as Json) ? (raw as JsonObject).paging : undefined;
  const known = (rule: unknown) => LEAN_RULES.includes(rule as LeanRule);
  if (
    !Array.isArray(rules) ||
    !rules.every(known) ||
    (paging !== undefined && !LEAN_PAGING.includes(paging as LeanPaging))
  ) {
    throw new KeygateError(
      'catalog.spec_invalid',
      `${tool}: x-keygate.results needs rules among ${LEAN_RULES.join(', ')} and paging among ${LEAN_PAGING.join(', ')}`,
    );
  }
  return { rules: rules as LeanRule[], ...(paging ? { paging: paging as LeanPaging } : {}) };
}

function requestBodyOf(doc: JsonObject, op: JsonObject) {
  const body = deref(doc, op.requestBody);
  const content = isObject(body) && isObject(body.content) ? body.content : {};
  for (const [type, encoding] of [
    ['application/json', 'json'],
    ['application/x-www-form-urlencoded', 'form'],
    ['multipart/form-data', 'multipart'],
  ] as const) {
    const media = content[type];
    if (isObject(media))
      return { encoding, schema: media.schema, required: isObject(body) && body.required === true };
  }
  return { encoding: 'none' as const, schema: undefined, required: false };
}

/**
 * Object bodies contribute one argument per field; any other body is one `body` argument. A root
 * union of object shapes is offered as the union of their fields, and returned so that policy
 * can still tell the shapes apart.
 */
function addBody(
  doc: JsonObject,
  args: ArgumentCollector,
  raw: Json,
  bodyRequired: boolean,
  encoding: 'json' | 'form' | 'multipart',
): ArgumentUnion | undefined {
  if (encoding === 'multipart') {
    addMultipartBody(doc, args, raw);
    return undefined;
  }
  const schema = flattenSchema(doc, raw, 0);
  const branches = objectBranches(schema);
  const bindingStyle = {
    style: encoding === 'form' ? 'deepObject' : 'json',
    explode: true,
    multiSegment: false,
  };
  if (isObject(schema.properties as Json)) {
    const required = new Set((schema.required as string[]) ?? []);
    for (const [name, field] of Object.entries(schema.properties as Record<string, JsonSchema>)) {
      args.add(name, 'body', field, required.has(name), bindingStyle);
    }
  } else if (branches.length > 0) {
    // A root union of object shapes: offer the union of their fields, require only what all require.
    const shared = args.bindings.map((binding) => binding.arg);
    const requiredSets = branches.map((branch) => new Set((branch.required as string[]) ?? []));
    const requiredByAll = new Set(
      [...(requiredSets[0] ?? [])].filter((name) => requiredSets.every((s) => s.has(name))),
    );
    for (const branch of branches) {
      for (const [name, field] of Object.entries(branch.properties as Record<string, JsonSchema>)) {
        if (!args.has(name, 'body')) args.add(name, 'body', field, requiredByAll.has(name), bindingStyle);
      }
    }
    // The shapes' members under the argument names they were given (`owner_body` on a collision).
    const named = branches.map((branch) => ({
      ...branch,
      properties: Object.fromEntries(
        Object.entries(branch.properties as Record<string, JsonSchema>).map(([name, field]) => [
          args.argFor(name, 'body') ?? name,
          field,
        ]),
      ),
    }));
    return branches.length >= 2 ? rootUnion(named, shared) : undefined;
  } else {
    args.add('body', 'body', schema, bodyRequired, { ...bindingStyle, wholeBody: true });
  }
  return undefined;
}

/**
 * The argument a model gives for a file part: its bytes as text or base64, with a name and a
 * type. Only ever content in the call: nothing names a local file, so keygate never reads one.
 */
export const FILE_PART_SCHEMA: JsonSchema = {
  type: 'object',
  description: 'filename, content_type, and the content as text or base64 (one of the two).',
  properties: {
    filename: { type: 'string', minLength: 1, maxLength: 255 },
    content_type: { type: 'string', description: 'Its MIME type.' },
    text: { type: 'string', description: 'Content as UTF-8 text.' },
    base64: { type: 'string', description: 'Content as base64.' },
  },
  required: ['filename', 'content_type'],
  additionalProperties: false,
};

/**
 * A multipart/form-data body: one argument per part. A part whose schema is a binary string
 * (`format: binary`) is a file and takes FILE_PART_SCHEMA; the others are text parts.
 */
function addMultipartBody(doc: JsonObject, args: ArgumentCollector, raw: Json): void {
  const source = deref(doc, raw);
  const properties = isObject(source) && isObject(source.properties) ? source.properties : undefined;
  if (!properties) {
    throw new KeygateError(
      'catalog.spec_invalid',
      'a multipart/form-data body must be an object with properties',
    );
  }
  const schema = flattenSchema(doc, raw, 0);
  const flat = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required as string[]) ?? []);
  for (const [name, field] of Object.entries(properties)) {
    const part = deref(doc, field);
    const isFile = isObject(part) && part.type === 'string' && part.format === 'binary';
    const description = isObject(part) && typeof part.description === 'string' ? part.description : undefined;
    const argument = isFile
      ? {
          ...FILE_PART_SCHEMA,
          ...(description ? { description: `${description} ${FILE_PART_SCHEMA.description}` } : {}),
        }
      : (flat[name] ?? {});
    args.add(name, 'body', argument, required.has(name), {
      style: isFile ? 'multipart-file' : 'multipart',
      explode: false,
      multiSegment: false,
    });
  }
}

/** Annotations are hints for clients; keygate itself enforces risk, never these. */
export function annotationsFor(risk: Risk): ToolAnnotations {
  return {
    readOnlyHint: risk === 'read',
    destructiveHint: risk === 'destructive' || risk === 'payment',
    idempotentHint: risk === 'read',
    openWorldHint: true,
  };
}

/**
 * The annotations as tools/list sends them: only the hints that differ from MCP's defaults
 * (readOnlyHint false, destructiveHint true, idempotentHint false, openWorldHint true) and mean
 * something (destructive and idempotent only for a tool that writes). destructiveHint is always
 * sent for a tool that writes: it is the hint a client warns on. Every tool saves the rest.
 */
export function listedAnnotations(annotations: ToolAnnotations): Partial<ToolAnnotations> {
  const out: { -readonly [K in keyof ToolAnnotations]?: boolean } = {};
  if (annotations.readOnlyHint) out.readOnlyHint = true;
  else {
    out.destructiveHint = annotations.destructiveHint;
    if (annotations.idempotentHint) out.idempotentHint = true;
  }
  if (!annotations.openWorldHint) out.openWorldHint = false;
  return out;
}

interface BindingStyle {
  style: string;
  explode: boolean;
  multiSegment: boolean;
  wholeBody?: boolean;
}

/** Collects arguments from all locations, suffixing names that collide (`owner_body`). */
class ArgumentCollector {
  readonly bindings: ArgumentBinding[] = [];
  readonly sensitive: string[] = [];
  private readonly properties: Record<string, JsonSchema> = {};
  private readonly required: string[] = [];

  constructor(private readonly tool: string) {}

  has(name: string, location: ArgumentLocation): boolean {
    return this.argFor(name, location) !== undefined;
  }

  /** The argument name given to field `name` of `location`, if it was added. */
  argFor(name: string, location: ArgumentLocation): string | undefined {
    return this.bindings.find((binding) => binding.name === name && binding.in === location)?.arg;
  }

  add(
    name: string,
    location: ArgumentLocation,
    schema: JsonSchema,
    required: boolean,
    style: BindingStyle,
  ): void {
    let arg = name;
    if (arg in this.properties) arg = `${name}_${location}`;
    if (arg in this.properties) {
      throw new KeygateError(
        'catalog.spec_invalid',
        `${this.tool}: argument ${name} appears twice in ${location}`,
      );
    }
    this.properties[arg] = schema;
    if (required) this.required.push(arg);
    if (schema.writeOnly === true) this.sensitive.push(arg);
    this.bindings.push({
      arg,
      in: location,
      name: style.wholeBody ? null : name,
      style: style.style,
      explode: style.explode,
      multiSegment: style.multiSegment,
    });
  }

  /** An argument that changes what keygate does with the answer, never sent upstream (no binding). */
  addOption(name: string, schema: JsonSchema): void {
    if (name in this.properties) {
      throw new KeygateError('catalog.spec_invalid', `${this.tool}: argument ${name} is keygate's own`);
    }
    this.properties[name] = schema;
  }

  schema(): JsonSchema {
    const schema: JsonSchema = { type: 'object', properties: this.properties, additionalProperties: false };
    if (this.required.length > 0) schema.required = this.required;
    return schema;
  }
}

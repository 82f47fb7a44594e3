/**
 * Every tool schema tools/list advertises (and keygate_describe_tool shows) is one that each model
 * API accepts. Each API's
 * documented rules are small named predicates below; the whole catalog is listed through a real
 * MCP client and every node of every schema is checked against each rule set.
 */
import { Client, InMemoryTransport } from '@modelcontextprotocol/client';
import { beforeAll, describe, expect, it } from 'vitest';
import { describedSchemaOf, loadCatalog } from '../../src/catalog/index.js';
import { createMcpServer } from '../../src/mcp/index.js';

type Node = Record<string, unknown>;
/** A rule on one schema node: the reason it is broken, or undefined. `root` is the tool's schema. */
type Rule = (node: Node, root: boolean) => string | undefined;
/** A rule on a tool's name. */
type NameRule = (name: string) => string | undefined;

const isNode = (value: unknown): value is Node =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

// --- Rules every API shares, as issue 14 states them (the portable subset) ----------------------

/** A JSON Schema type list (`["string", "null"]`) is refused by Gemini's `Schema.type`, an enum. */
const noTypeArray: Rule = (node) =>
  Array.isArray(node.type) ? `type is a list ${JSON.stringify(node.type)}` : undefined;
/** `const` is no field of Gemini's `Schema` message ("Unknown name"), and older validators lack it. */
const noConst: Rule = (node) => ('const' in node ? 'has const' : undefined);
/** Composition: Anthropic and OpenAI refuse it at the root; Gemini's `Schema` has no oneOf/allOf. */
const noComposition: Rule = (node) => {
  const found = ['oneOf', 'anyOf', 'allOf'].filter((key) => key in node);
  return found.length > 0 ? `has ${found.join(', ')}` : undefined;
};
/** Gemini's `Schema.enum` is `repeated string`: a null (or a number) does not parse. */
const enumOfStrings: Rule = (node) => {
  if (!Array.isArray(node.enum)) return undefined;
  const odd = node.enum.filter((value) => typeof value !== 'string');
  return odd.length > 0 ? `enum holds ${JSON.stringify(odd)}` : undefined;
};
/** The formats the issue names as common to all; others go into the description. */
const COMMON_FORMATS = ['date-time', 'date', 'email', 'uri'];
const commonFormat: Rule = (node) =>
  node.format === undefined || COMMON_FORMATS.includes(String(node.format))
    ? undefined
    : `format ${String(node.format)}`;

// --- Anthropic Messages API, tool `input_schema` ----------------------------------------------------
// docs.anthropic.com, "Tool use": input_schema is a JSON Schema object for the tool's parameters;
// the API answers 400 "input_schema does not support oneOf, allOf, or anyOf at the top level".

/** The tool's parameters are an object: `type: "object"` at the root. */
const rootIsObject: Rule = (node, root) =>
  root && node.type !== 'object' ? `root type is ${JSON.stringify(node.type)}, not "object"` : undefined;
/** "input_schema does not support oneOf, allOf, or anyOf at the top level". */
const noRootComposition: Rule = (node, root) => (root ? noComposition(node, root) : undefined);
/** Anthropic and OpenAI: a tool name matches ^[a-zA-Z0-9_-]{1,64}$. */
const nameWithin64: NameRule = (name) =>
  /^[a-zA-Z0-9_-]{1,64}$/.test(name) ? undefined : `name ${name} outside ^[a-zA-Z0-9_-]{1,64}$`;

// --- OpenAI function calling, non-strict `parameters` -----------------------------------------------
// platform.openai.com, "Function calling": parameters is a JSON Schema object. The API refuses a
// schema "must be a JSON Schema of 'type: \"object\"'", one with oneOf/anyOf/allOf/enum/not at the
// top level, and "array schema missing items".

/** "schema must have type 'object' and not have 'oneOf'/'anyOf'/'allOf'/'enum'/'not' at the top level". */
const noRootEnumOrNot: Rule = (node, root) =>
  root && ('enum' in node || 'not' in node) ? 'enum or not at the root' : undefined;
/** "array schema missing items". */
const arrayHasItems: Rule = (node) =>
  node.type === 'array' && !isNode(node.items) ? 'array without items' : undefined;

// --- Gemini `FunctionDeclaration.parametersJsonSchema` ----------------------------------------------
// ai.google.dev/api, FunctionDeclaration: "The schema must describe an object where the properties
// are the parameters to the function"; arrays are described by `items` (an array without one is
// refused as a missing field); no $ref to outside the document.

/** No reference that would need resolving: keygate inlines every `$ref`. */
const noRef: Rule = (node) => ('$ref' in node || '$defs' in node ? 'has $ref or $defs' : undefined);

// --- Gemini `FunctionDeclaration.parameters`: the OpenAPI-subset `Schema` message -----------------
// ai.google.dev/api, Schema: "a select subset of an OpenAPI 3.0 schema object". Proto JSON refuses
// any other field ("Invalid JSON payload received. Unknown name ..."); clients that use this form
// drop `additionalProperties` first, so the checks run on the schema without it.

/** The fields of Gemini's `Schema` message. */
const GEMINI_SCHEMA_FIELDS = new Set([
  'type',
  'format',
  'title',
  'description',
  'nullable',
  'enum',
  'maxItems',
  'minItems',
  'properties',
  'required',
  'minProperties',
  'maxProperties',
  'minLength',
  'maxLength',
  'pattern',
  'example',
  'anyOf',
  'propertyOrdering',
  'default',
  'items',
  'minimum',
  'maximum',
]);
/** `Schema.type` is one `Type`: STRING, NUMBER, INTEGER, BOOLEAN, ARRAY or OBJECT (lower case in JSON). */
const GEMINI_TYPES = ['string', 'number', 'integer', 'boolean', 'array', 'object'];
const geminiFieldsOnly: Rule = (node) => {
  const unknown = Object.keys(node).filter((key) => !GEMINI_SCHEMA_FIELDS.has(key));
  return unknown.length > 0 ? `fields Gemini's Schema lacks: ${unknown.join(', ')}` : undefined;
};
/** Every node names its `Type` ("Invalid value at ...type (Type)" otherwise). */
const geminiTyped: Rule = (node) =>
  GEMINI_TYPES.includes(node.type as string)
    ? undefined
    : `type ${JSON.stringify(node.type)} is no Gemini Type`;

const PORTABLE: Rule[] = [noTypeArray, noConst, noComposition, enumOfStrings, commonFormat];
const RULES: Record<string, { node: Rule[]; name?: NameRule; dropAdditionalProperties?: boolean }> = {
  'the portable subset (issue 14)': { node: PORTABLE },
  "Anthropic's input_schema": { node: [rootIsObject, noRootComposition], name: nameWithin64 },
  'OpenAI function parameters (non-strict)': {
    node: [rootIsObject, noRootComposition, noRootEnumOrNot, arrayHasItems],
    name: nameWithin64,
  },
  "Gemini's parametersJsonSchema": { node: [rootIsObject, noRef, arrayHasItems] },
  "Gemini's parameters (OpenAPI subset)": {
    node: [rootIsObject, geminiFieldsOnly, geminiTyped, enumOfStrings, noTypeArray],
    dropAdditionalProperties: true,
  },
};

/** Every schema node under `schema`, with its path; `additionalProperties` left out when asked. */
function* nodes(schema: unknown, dropAdditional: boolean, path = '$'): Generator<[string, Node]> {
  if (!isNode(schema)) return;
  const node = { ...schema };
  if (dropAdditional) delete node.additionalProperties;
  yield [path, node];
  for (const [name, child] of Object.entries(isNode(node.properties) ? node.properties : {}))
    yield* nodes(child, dropAdditional, `${path}.${name}`);
  if (node.items !== undefined) yield* nodes(node.items, dropAdditional, `${path}[]`);
  if (isNode(node.additionalProperties)) yield* nodes(node.additionalProperties, dropAdditional, `${path}{}`);
  for (const key of ['anyOf', 'oneOf', 'allOf'])
    for (const [i, branch] of ((node[key] as unknown[]) ?? []).entries())
      yield* nodes(branch, dropAdditional, `${path}.${key}[${i}]`);
}

describe('advertised tool schemas every model API accepts', () => {
  let tools: { name: string; inputSchema: unknown }[];
  beforeAll(async () => {
    const catalog = await loadCatalog();
    const server = createMcpServer({ list: () => catalog.tools, call: async () => undefined });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    const client = new Client({ name: 'model-schema-rules', version: '1' });
    await client.connect(clientSide);
    tools = (await client.listTools()).tools;
    await client.close();
    expect(tools.length).toBe(catalog.tools.length);
    // keygate_describe_tool's full schema of each tool is checked alike.
    tools = [
      ...tools,
      ...catalog.tools.map((tool) => ({ name: tool.name, inputSchema: describedSchemaOf(tool) })),
    ];
  });

  it.each(Object.keys(RULES))('meets %s across the whole catalog', (api) => {
    const rules = RULES[api]!;
    const broken: string[] = [];
    for (const tool of tools) {
      const nameProblem = rules.name?.(tool.name);
      if (nameProblem) broken.push(`${tool.name}: ${nameProblem}`);
      for (const [path, node] of nodes(tool.inputSchema, rules.dropAdditionalProperties === true)) {
        for (const rule of rules.node) {
          const problem = rule(node, path === '$');
          if (problem) broken.push(`${tool.name} ${path}: ${problem}`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  // The predicates themselves must be able to fail: each catches the construct it is about.
  it.each([
    ['a type list', noTypeArray, { type: ['string', 'null'] }],
    ['const', noConst, { type: 'string', const: 'page' }],
    ['anyOf', noComposition, { anyOf: [{ type: 'string' }] }],
    ['null in an enum', enumOfStrings, { type: 'string', enum: ['a', null] }],
    ['format uuid', commonFormat, { type: 'string', format: 'uuid' }],
    ['a non-object root', rootIsObject, { type: 'string' }],
    ['an array without items', arrayHasItems, { type: 'array' }],
    ['writeOnly', geminiFieldsOnly, { type: 'string', writeOnly: true }],
    ['an untyped node', geminiTyped, { description: 'anything' }],
  ])('catches %s', (_case, rule, node) => {
    expect(rule(node as Node, true)).toBeDefined();
  });
});

/**
 * Curation: cuts a self-contained, lean OpenAPI document out of a vendor's description, keeping
 * only the operations a curation file lists and the component schemas they reach.
 */
import SwaggerParser from '@apidevtools/swagger-parser';
import type { OpenAPI } from 'openapi-types';
import { KeygateError } from '../../errors/index.js';
import {
  cloneJson,
  deref,
  forEachRef,
  HTTP_METHODS,
  isObject,
  type Json,
  type JsonObject,
  resolvePointer,
} from '../openapi-walk.js';
import {
  BODY_CONTENT_TYPES,
  type CuratedOperation,
  type CurationFile,
  type DescribedOperation,
  describedTarget,
} from './curation-file.js';
import { shortenDescription } from './describe.js';
import { answerSchema, checkResponseContent, type OperationAnswer } from './response-content.js';

const SCHEMA_PREFIX = '#/components/schemas/';
/** Schema keys that help humans read docs but cost an agent context and change nothing on the wire. */
const DROPPED_SCHEMA_KEYS = new Set(['example', 'examples', 'xml', 'externalDocs', 'discriminator', 'title']);

/** Reads an upstream OpenAPI file, checking it is a parseable OpenAPI document. */
export async function readUpstream(file: string): Promise<JsonObject> {
  try {
    const api = (await SwaggerParser.parse(file)) as unknown;
    if (!isObject(api) || !isObject(api.paths)) throw new Error('no paths');
    return api;
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new KeygateError(
      'catalog.upstream_invalid',
      `cannot read upstream description ${file}: ${reason}`,
      {
        cause,
      },
    );
  }
}

/** Builds the curated document for `curation` from the upstream document. */
export function curate(curation: CurationFile, upstream: JsonObject): JsonObject {
  const source = cloneJson(upstream);
  const components = isObject(source.components) ? source.components : {};
  const schemas = isObject(components.schemas) ? components.schemas : {};
  for (const [name, schema] of Object.entries(curation.components)) schemas[name] = schema as Json;
  components.schemas = schemas;
  source.components = components;

  const index = indexOperations(source);
  const paths: JsonObject = {};
  const answers: OperationAnswer[] = [];
  const built: { curated: CuratedOperation; operation: JsonObject }[] = [];
  for (const curated of curation.operations) {
    const found = curated.described
      ? describedOperation(curated, curated.described, index)
      : index.get(curated.op);
    if (!found) {
      throw new KeygateError(
        'catalog.upstream_invalid',
        `operation ${curated.op} is not in the upstream description (an operation keygate writes itself says so with \`described\`)`,
      );
    }
    const pathItem = (paths[found.path] ?? {}) as JsonObject;
    paths[found.path] = pathItem;
    if (pathItem[found.method]) {
      throw new KeygateError('catalog.curation_invalid', `${curated.op}: curated twice (${curated.tool})`);
    }
    const operation = curateOperation(source, found, curated, curation);
    // A described operation documents no answer: its fields are classified by the service's names
    // alone, and at run time a string under a name no rule knows is third-party text.
    answers.push({
      tool: curated.tool,
      schema: curated.described ? undefined : answerSchema(source, found.operation),
    });
    built.push({ curated, operation });
    if (curated.described) {
      // Marked where a reader of the curated spec sees it: keygate wrote this, not the vendor.
      operation['x-keygate-described'] = true;
      operation['x-keygate-source'] = curated.described.source;
    }
    pathItem[found.method] = operation;
  }

  // Without a response_content block nothing is classified: at run time every string is third-party.
  const content = curation.response_content
    ? checkResponseContent(source, curation.response_content, answers)
    : undefined;
  for (const { curated, operation } of built) {
    const own = content?.operations.get(curated.tool);
    if (own) (operation['x-keygate'] as JsonObject).response_content = own;
  }

  const kept = reachableSchemas(source, paths);
  const keptSchemas: JsonObject = {};
  for (const name of [...kept].sort()) keptSchemas[name] = leanSchema(schemas[name] as Json);
  return {
    openapi: String(source.openapi ?? '3.0.3'),
    info: {
      title: curation.title,
      version: String((isObject(source.info) && source.info.version) || 'unversioned'),
      description: `Curated by keygate from the upstream description; regenerate with \`keygate spec curate ${curation.service}\`.${
        curation.operations.some((op) => op.described)
          ? ' Operations marked x-keygate-described were written by keygate from the reference named in their x-keygate-source, not taken from the upstream file.'
          : ''
      }`,
    },
    servers: [{ url: curation.server }],
    'x-keygate': {
      service: curation.service,
      headers: curation.headers,
      idempotency_key: curation.idempotency_key,
      ...(content ? { response_content: content.service } : {}),
    },
    paths,
    components: { schemas: keptSchemas },
  };
}

/** Validates a curated document as OpenAPI; throws `catalog.spec_invalid` with the reason. */
export async function validateCurated(doc: JsonObject): Promise<void> {
  try {
    await SwaggerParser.validate(cloneJson(doc) as unknown as OpenAPI.Document);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new KeygateError('catalog.spec_invalid', `the curated document is not valid OpenAPI: ${reason}`, {
      cause,
    });
  }
}

interface FoundOperation {
  path: string;
  method: string;
  operation: JsonObject;
  pathParameters: Json[];
}

/**
 * The operation a curation file describes itself, as if the upstream had it. One the upstream
 * does have (by METHOD /path or operationId) is refused: it is curated, never written over.
 */
function describedOperation(
  curated: CuratedOperation,
  described: DescribedOperation,
  index: Map<string, FoundOperation>,
): FoundOperation {
  const target = describedTarget(curated.op);
  if (!target) throw new KeygateError('catalog.curation_invalid', `${curated.tool}: op must be METHOD /path`);
  const operationId = described.operation_id ?? `${target.method}_${target.path}`;
  const clash = index.get(curated.op) ?? index.get(operationId);
  if (clash) {
    throw new KeygateError(
      'catalog.curation_invalid',
      `${curated.tool}: ${curated.op} is described by keygate but the upstream has ${clash.method.toUpperCase()} ${clash.path}; curate the upstream operation instead`,
    );
  }
  const operation: JsonObject = {
    operationId,
    summary: described.summary,
    parameters: described.parameters.map((parameter) => cloneJson(parameter as Json)),
    responses: { 200: { description: 'OK' } },
  };
  if (described.request_body) {
    operation.requestBody = {
      required: described.request_body.required,
      content: {
        [described.request_body.content_type]: { schema: cloneJson(described.request_body.schema as Json) },
      },
    };
  }
  return { path: target.path, method: target.method, operation, pathParameters: [] };
}

function indexOperations(doc: JsonObject): Map<string, FoundOperation> {
  const index = new Map<string, FoundOperation>();
  for (const [path, item] of Object.entries(doc.paths as JsonObject)) {
    if (!isObject(item)) continue;
    const pathParameters = Array.isArray(item.parameters) ? item.parameters : [];
    for (const method of HTTP_METHODS) {
      const operation = item[method];
      if (!isObject(operation)) continue;
      const found = { path, method, operation, pathParameters };
      if (typeof operation.operationId === 'string') index.set(operation.operationId, found);
      index.set(`${method.toUpperCase()} ${path}`, found);
    }
  }
  return index;
}

function curateOperation(
  doc: JsonObject,
  found: FoundOperation,
  curated: CuratedOperation,
  curation: Pick<CurationFile, 'lean_results' | 'argument_descriptions'>,
): JsonObject {
  const leanResults = curation.lean_results;
  const wanted = curated.fields ? new Set(curated.fields) : undefined;
  const seen = new Set<string>();
  const parameters: Json[] = [];
  for (const raw of [...found.pathParameters, ...((found.operation.parameters as Json[]) ?? [])]) {
    const parameter = cloneJson(deref(doc, raw) as JsonObject);
    const name = String(parameter.name);
    // Headers are the server's business (auth, API versions): the model never supplies one.
    if (parameter.in === 'header' || parameter.in === 'cookie') continue;
    // Path parameters are always kept: the request cannot be built without them.
    if (wanted && parameter.in !== 'path' && !wanted.has(name)) continue;
    const patch = curated.parameters?.[name];
    if (patch) parameter.schema = patch as Json;
    // A patch's description is the parameter's (an empty one drops upstream's); else a shared one.
    const own = patch && typeof patch.description === 'string' ? patch.description : undefined;
    const shortened = shortenDescription(
      own ?? curation.argument_descriptions[name] ?? parameter.description,
    );
    if (shortened) parameter.description = shortened;
    else delete parameter.description;
    parameter.schema = leanSchema(parameter.schema);
    delete parameter.example;
    delete parameter.examples;
    parameters.push(parameter);
    seen.add(name);
  }

  const operation: JsonObject = {
    operationId: String(found.operation.operationId ?? `${found.method}_${found.path}`),
    summary: shortenDescription(found.operation.summary, 120) ?? curated.tool,
    description: curated.description,
  };
  if (parameters.length > 0) operation.parameters = parameters;
  const requestBody = curateRequestBody(doc, found, curated, wanted, seen, curation.argument_descriptions);
  if (requestBody) operation.requestBody = requestBody;
  operation.responses = curateResponses(found.operation.responses);
  operation['x-keygate'] = {
    tool: curated.tool,
    risk: curated.risk,
    ...(curated.aliases.length > 0 ? { aliases: curated.aliases } : {}),
    ...(curated.headers ? { headers: curated.headers } : {}),
    // The profile is copied into each operation: the curated spec alone says how to build the tool.
    ...(curated.lean && leanResults ? { results: cloneJson(leanResults as Json) } : {}),
    ...(curated.redirect_hosts ? { redirect_hosts: [...curated.redirect_hosts] } : {}),
    ...(curated.amount ? { amount: cloneJson(curated.amount as Json) } : {}),
  };
  // Only a read may leave the service's host, and then without its credential (http-client.ts).
  if (curated.redirect_hosts && found.method !== 'get') {
    throw new KeygateError(
      'catalog.curation_invalid',
      `${curated.op}: redirect_hosts is for GET operations only`,
    );
  }

  const unknown = [...(wanted ?? [])].filter((field) => !seen.has(field));
  if (unknown.length > 0) {
    throw new KeygateError(
      'catalog.curation_invalid',
      `${curated.op}: fields not in the operation: ${unknown.join(', ')}`,
    );
  }
  return operation;
}

function curateRequestBody(
  doc: JsonObject,
  found: FoundOperation,
  curated: CuratedOperation,
  wanted: Set<string> | undefined,
  seen: Set<string>,
  sharedDescriptions: Readonly<Record<string, string>>,
): JsonObject | undefined {
  const body = deref(doc, found.operation.requestBody);
  const content = isObject(body) && isObject(body.content) ? body.content : {};
  const mediaType = BODY_CONTENT_TYPES.find((type) => isObject(content[type]));
  if (!mediaType && !curated.body) return undefined;
  const media = (mediaType ? content[mediaType] : {}) as JsonObject;
  const schema = cloneJson((curated.body ?? deref(doc, media.schema) ?? {}) as JsonObject);
  // A root union body keeps its branches; fields are filtered in each object branch alike.
  const containers = [schema, ...unionBranches(doc, schema)].filter((node) => isObject(node.properties));
  for (const container of containers) {
    const properties = container.properties as JsonObject;
    if (container === schema) {
      for (const [name, patch] of Object.entries(curated.properties ?? {})) properties[name] = patch as Json;
    }
    for (const [name, description] of Object.entries(sharedDescriptions)) {
      const field = properties[name];
      // A `$ref`'s siblings are ignored: only an inline field takes the shared description, and
      // an operation's own patch of the field wins.
      if (!isObject(field) || '$ref' in field || Object.hasOwn(curated.properties ?? {}, name)) continue;
      properties[name] = { ...field, description };
      if (description === '') delete (properties[name] as JsonObject).description;
    }
    for (const name of Object.keys(properties)) {
      if (wanted && !wanted.has(name)) delete properties[name];
      else seen.add(name);
    }
    if (Array.isArray(container.required)) {
      container.required = container.required.filter(
        (name) => typeof name === 'string' && name in properties,
      );
      if (container.required.length === 0) delete container.required;
    }
  }
  // Stripe declares an empty optional body on GET and DELETE: there is nothing to send.
  if (
    containers.length > 0 &&
    containers.every((node) => Object.keys(node.properties as JsonObject).length === 0)
  ) {
    if (schema.additionalProperties === undefined) return undefined;
  }
  const out: JsonObject = { content: { [mediaType ?? 'application/json']: { schema: leanSchema(schema) } } };
  if (isObject(body) && body.required === true) out.required = true;
  return out;
}

/** The branches of a root `oneOf`/`anyOf`, inlined in place so that they can be filtered. */
function unionBranches(doc: JsonObject, schema: JsonObject): JsonObject[] {
  const out: JsonObject[] = [];
  for (const key of ['oneOf', 'anyOf'] as const) {
    const list = schema[key];
    if (!Array.isArray(list)) continue;
    schema[key] = list.map((branch) => cloneJson((deref(doc, branch) ?? {}) as JsonObject));
    out.push(...(schema[key] as JsonObject[]));
  }
  return out;
}

function curateResponses(responses: Json | undefined): JsonObject {
  const out: JsonObject = {};
  for (const [status, response] of Object.entries(isObject(responses) ? responses : {})) {
    const description = isObject(response) ? shortenDescription(response.description) : undefined;
    out[status] = { description: description ?? status };
  }
  return Object.keys(out).length > 0 ? out : { default: { description: 'response' } };
}

/** Names of every component schema reachable from `paths`, following refs transitively. */
function reachableSchemas(doc: JsonObject, paths: JsonObject): Set<string> {
  const kept = new Set<string>();
  const queue: string[] = [];
  const visit = (ref: string) => {
    if (!ref.startsWith(SCHEMA_PREFIX)) {
      throw new KeygateError('catalog.upstream_invalid', `unsupported $ref ${ref} inside a kept operation`);
    }
    const name = ref.slice(SCHEMA_PREFIX.length);
    if (kept.has(name)) return;
    kept.add(name);
    queue.push(ref);
  };
  forEachRef(paths, visit);
  for (let ref = queue.pop(); ref !== undefined; ref = queue.pop())
    forEachRef(resolvePointer(doc, ref), visit);
  return kept;
}

/** Drops documentation-only keys and trims descriptions, recursively. */
function leanSchema(node: Json | undefined): Json {
  if (Array.isArray(node)) return node.map((item) => leanSchema(item));
  if (node === undefined) return {};
  if (!isObject(node)) return node;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (DROPPED_SCHEMA_KEYS.has(key) || key.startsWith('x-')) continue;
    if (key === 'description') {
      const shortened = shortenDescription(value);
      if (shortened) out.description = shortened;
    } else if (key === 'properties' && isObject(value)) {
      // Keys under `properties` are field names, never schema keywords: keep every one.
      out.properties = Object.fromEntries(
        Object.entries(value).map(([name, field]) => [name, leanSchema(field)]),
      );
    } else {
      out[key] = typeof value === 'object' && value !== null ? leanSchema(value) : value;
    }
  }
  return out;
}

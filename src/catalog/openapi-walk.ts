/** Small helpers for walking OpenAPI documents as plain JSON. */
import { KeygateError } from '../errors/index.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

/** True for a plain JSON object. */
export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Resolves a local `#/a/b` pointer in `doc`; throws when it points nowhere. */
export function resolvePointer(doc: JsonObject, ref: string): Json {
  if (!ref.startsWith('#/')) {
    throw new KeygateError('catalog.upstream_invalid', `only local $refs are supported, got ${ref}`);
  }
  let node: Json = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isObject(node) || !(key in node)) {
      throw new KeygateError('catalog.upstream_invalid', `$ref ${ref} points nowhere`);
    }
    node = node[key] as Json;
  }
  return node;
}

/** Follows `$ref`s at the top of `node` until a concrete object is reached. */
export function deref(doc: JsonObject, node: Json | undefined): Json | undefined {
  let current = node;
  for (let hops = 0; isObject(current) && typeof current.$ref === 'string'; hops++) {
    if (hops > 32) throw new KeygateError('catalog.upstream_invalid', 'a $ref chain does not end');
    current = resolvePointer(doc, current.$ref);
  }
  return current;
}

/** Calls `visit` for every `$ref` string found anywhere below `node`. */
export function forEachRef(node: Json | undefined, visit: (ref: string) => void): void {
  if (Array.isArray(node)) {
    for (const item of node) forEachRef(item, visit);
  } else if (isObject(node)) {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') visit(value);
      else forEachRef(value, visit);
    }
  }
}

/** Deep copy of plain JSON. */
export function cloneJson<T extends Json>(value: T): T {
  return structuredClone(value);
}

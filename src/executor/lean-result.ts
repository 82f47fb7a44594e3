/**
 * Lean results: a 2xx JSON answer cut to the fields a model uses, by the named rules its tool's
 * curation gives (`LeanResults`), and a list's next page said in words. Pure functions on parsed
 * JSON: the executor serialises the outcome, then scrubs it.
 */
import { jsonNestsDeeperThan, type LeanResults, type LeanRule, MAX_JSON_DEPTH } from '../catalog/index.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/**
 * Links a person opens rather than API addresses a model would have to call through keygate
 * anyway (and cannot: keygate calls only curated operations). Every other `url`/`*_url` goes.
 */
const KEPT_URLS = new Set(['html_url', 'download_url', 'browser_download_url']);

/**
 * Fields that say nothing a model acts on: Gravatar's legacy id (always empty), the web UI's
 * view flags, and HAL `_links` (API addresses again, already in html_url for people).
 */
const NOISE_FIELDS = new Set(['gravatar_id', 'user_view_type', 'site_admin', '_links']);
/** Fields that are noise when null (GitHub sends them on every issue and comment). */
const NOISE_WHEN_NULL = new Set(['performed_via_github_app', 'active_lock_reason', 'auto_merge']);

/** Projects `document` by `rules`; the input is not modified. */
export function projectResult(document: unknown, rules: readonly LeanRule[]): unknown {
  const on = new Set(rules);
  return projectTop(document as Json, on);
}

/**
 * The top level holds the entities asked for: the object itself, a root list's items, or the
 * items of a list wrapper (`{total_count, items: […]}`, `{total_count, workflow_runs: […]}`).
 * Those are kept whole; only what they point at (users, repositories) is cut to a reference.
 */
function projectTop(document: Json, on: Set<LeanRule>): Json {
  if (Array.isArray(document)) return document.map((item) => projectNode(item, on, 'entity'));
  if (!isObject(document)) return document;
  const wrapped = listWrapperKey(document);
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(document)) {
    if (dropField(key, value, on)) continue;
    out[key] =
      key === wrapped && Array.isArray(value)
        ? value.map((item) => projectNode(item, on, 'entity'))
        : projectNode(value, on, wrapped ? 'entity' : 'nested', key);
  }
  return out;
}

/** `'entity'`: a thing the caller asked for; `'nested'`: something an entity points at. */
function projectNode(node: Json, on: Set<LeanRule>, level: 'entity' | 'nested', key?: string): Json {
  if (Array.isArray(node))
    return node.map((item) => projectNode(item, on, level === 'entity' ? 'nested' : level, key));
  if (!isObject(node)) return node;
  const nested = level === 'nested';
  if (nested && on.has('user_refs') && typeof node.login === 'string' && 'id' in node) {
    return { login: node.login, id: node.id ?? null };
  }
  if (nested && on.has('repo_refs') && typeof node.full_name === 'string' && isObject(node.owner ?? null)) {
    return { id: node.id ?? null, full_name: node.full_name };
  }
  if (on.has('reactions') && key === 'reactions' && typeof node.total_count === 'number') {
    return reactionSummary(node);
  }
  const out: JsonObject = {};
  for (const [name, value] of Object.entries(node)) {
    if (dropField(name, value, on)) continue;
    out[name] = projectNode(value, on, 'nested', name);
  }
  return out;
}

/**
 * Reactions as a model reads them: how many, and which ones were given. Zero counts (most of the
 * eight) and the API address add characters on every issue and comment and say nothing.
 */
function reactionSummary(reactions: JsonObject): JsonObject {
  const out: JsonObject = { total_count: reactions.total_count ?? 0 };
  for (const [name, value] of Object.entries(reactions)) {
    if (name !== 'total_count' && name !== 'url' && typeof value === 'number' && value !== 0)
      out[name] = value;
  }
  return out;
}

function dropField(name: string, value: Json, on: Set<LeanRule>): boolean {
  if (on.has('api_urls') && (name === 'url' || name.endsWith('_url')) && !KEPT_URLS.has(name)) {
    return typeof value === 'string' || value === null;
  }
  if (on.has('node_ids') && name === 'node_id') return true;
  if (on.has('noise')) return NOISE_FIELDS.has(name) || (value === null && NOISE_WHEN_NULL.has(name));
  return false;
}

/**
 * The member holding the list when `document` is a list wrapper: a count and one array of objects
 * (`items` where there are several; search answers also carry arrays of strings).
 */
function listWrapperKey(document: JsonObject): string | undefined {
  if (typeof document.total_count !== 'number') return undefined;
  const lists = Object.keys(document).filter((key) => {
    const value = document[key];
    return Array.isArray(value) && value.every((item) => isObject(item));
  });
  if (lists.length === 1) return lists[0];
  return lists.includes('items') ? 'items' : undefined;
}

/** The `page` of the `rel="next"` link of a `Link` header (RFC 8288), if it has one. */
export function nextPageFromLink(link: string | undefined): number | undefined {
  if (!link) return undefined;
  for (const part of link.split(',')) {
    const match = /^\s*<([^>]*)>\s*;(.*)$/.exec(part);
    if (!match || !/(^|;)\s*rel\s*=\s*"?([^";]*\s)?next(\s[^";]*)?"?\s*(;|$)/i.test(match[2] ?? '')) continue;
    try {
      // Only digits come out: the header is upstream text and must not reach the model as such.
      const page = new URL(match[1] ?? '', 'https://upstream.invalid').searchParams.get('page');
      return page && /^\d{1,9}$/.test(page) ? Number(page) : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * Adds the next page to a list: a root array becomes `{items, next_page, note}`, an object (a
 * list wrapper) gets `next_page` and `note` after its own members. Without a next page the
 * document is returned as it is.
 */
export function withNextPage(document: unknown, nextPage: number | undefined): unknown {
  if (nextPage === undefined) return document;
  const paging = { next_page: nextPage, note: `more results: call again with page=${nextPage}` };
  if (Array.isArray(document)) return { items: document, ...paging };
  if (isObject(document as Json)) return { ...(document as JsonObject), ...paging };
  return document;
}

/**
 * The lean text of a JSON answer, or undefined when `body` is not JSON, or nests deeper than any
 * answer a model reads (the rules recurse; an upstream must not be able to overflow the stack):
 * it is then left as sent.
 */
export function leanText(body: string, lean: LeanResults, link: string | undefined): string | undefined {
  if (jsonNestsDeeperThan(body, MAX_JSON_DEPTH)) return undefined;
  let document: unknown;
  try {
    document = JSON.parse(body);
  } catch {
    return undefined;
  }
  const projected = projectResult(document, lean.rules);
  const paged = lean.paging === 'link_header' ? withNextPage(projected, nextPageFromLink(link)) : projected;
  return JSON.stringify(paged);
}

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

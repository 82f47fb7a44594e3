/**
 * Lean results: a 2xx JSON answer cut to the fields a model uses, by the named rules its tool's
 * curation gives (`LeanResults`), and a list's next page said in words. Pure functions on parsed
 * JSON: the executor serialises the outcome, then scrubs it.
 */
import {
  jsonNestsDeeperThan,
  type LeanPaging,
  type LeanResults,
  type LeanRule,
  MAX_JSON_DEPTH,
} from '../catalog/index.js';

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
 * items of a list wrapper (`{total_count, items: […]}`, Notion's `{object: "list", results}`,
 * Stripe's `{object: "list", data}`). Those are kept whole; only what they point at (users,
 * repositories) is cut to a reference.
 */
function projectTop(document: Json, on: Set<LeanRule>): Json {
  if (Array.isArray(document)) return document.map((item) => projectNode(item, on, 'entity'));
  if (!isObject(document)) return document;
  const wrapped = listWrapperKey(document);
  return projectMembers(document, on, (key, value) =>
    key === wrapped && Array.isArray(value)
      ? value.map((item) => projectNode(item, on, 'entity'))
      : projectNode(value, on, wrapped ? 'entity' : 'nested', key),
  );
}

/** `'entity'`: a thing the caller asked for; `'nested'`: something an entity points at. */
function projectNode(node: Json, on: Set<LeanRule>, level: 'entity' | 'nested', key?: string): Json {
  if (Array.isArray(node))
    return node.map((item) => projectNode(item, on, level === 'entity' ? 'nested' : level, key));
  if (!isObject(node)) return node;
  // In an array (a title, a paragraph) or alone (a page property item of a long text).
  if (on.has('rich_text') && isRichTextRun(node)) return richTextRun(node, on);
  const nested = level === 'nested';
  if (nested && on.has('user_refs') && typeof node.login === 'string' && 'id' in node) {
    return { login: node.login, id: node.id ?? null };
  }
  // Notion's user reference: `{object: "user", id}` on every page, block and comment (twice).
  if (nested && on.has('user_refs') && node.object === 'user' && typeof node.id === 'string') {
    return typeof node.name === 'string' ? { id: node.id, name: node.name } : { id: node.id };
  }
  if (nested && on.has('repo_refs') && typeof node.full_name === 'string' && isObject(node.owner ?? null)) {
    return { id: node.id ?? null, full_name: node.full_name };
  }
  if (on.has('reactions') && key === 'reactions' && typeof node.total_count === 'number') {
    return reactionSummary(node);
  }
  // A Notion-hosted icon or cover is a presigned S3 link of several hundred characters that
  // expires within the hour: nothing a model can use later, and `full: true` still has it.
  if (on.has('signed_files') && (key === 'icon' || key === 'cover') && node.type === 'file') {
    return { type: 'file' };
  }
  return projectMembers(node, on, (name, value) => projectNode(value, on, 'nested', name));
}

/** The members of `node` that no rule drops, each projected by `project`. */
function projectMembers(node: JsonObject, on: Set<LeanRule>, project: (key: string, value: Json) => Json) {
  const out: JsonObject = {};
  for (const [name, value] of Object.entries(node)) {
    if (dropField(name, value, on) || dropInContext(node, name, value, on)) continue;
    out[name] = project(name, value);
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

/**
 * Notion's flags that are false on nearly every object: their absence says the same. (Property
 * values such as a `checkbox: false` are not in this set and stay.)
 */
const NOTION_FALSE_FLAGS = new Set(['archived', 'in_trash', 'is_archived', 'is_locked', 'is_inline']);
/** Notion's per-answer bookkeeping: a request id for its support, and an invitation to a survey. */
const NOTION_NOISE_FIELDS = new Set(['request_id', 'developer_survey']);

function dropField(name: string, value: Json, on: Set<LeanRule>): boolean {
  if (on.has('api_urls') && (name === 'url' || name.endsWith('_url')) && !KEPT_URLS.has(name)) {
    if (typeof value === 'string' || value === null) return true;
  }
  if (on.has('node_ids') && name === 'node_id') return true;
  if (on.has('noise') && (NOISE_FIELDS.has(name) || (value === null && NOISE_WHEN_NULL.has(name))))
    return true;
  // A null says "not set", as the field's absence does; `next_cursor: null` is the end of a list,
  // which a model reads, so it stays.
  if (on.has('nulls') && value === null && name !== 'next_cursor') return true;
  // Stripe sends `metadata: {}` on every object that has none.
  if (on.has('empty_metadata') && name === 'metadata' && isObject(value) && Object.keys(value).length === 0)
    return true;
  if (on.has('notion_noise'))
    return NOTION_NOISE_FIELDS.has(name) || (value === false && NOTION_FALSE_FLAGS.has(name));
  return false;
}

/** Rules that look at the object a field is in. */
function dropInContext(parent: JsonObject, name: string, value: Json, on: Set<LeanRule>): boolean {
  // A list's own API address (Stripe's `{object: "list", url: "/v1/charges"}`): the tool is the way in.
  if (on.has('list_urls') && name === 'url' && isListObject(parent)) return true;
  // Notion's list wrapper names its item type twice: `type: "block", block: {}`.
  if (
    on.has('notion_noise') &&
    parent.object === 'list' &&
    parent.type === name &&
    isObject(value) &&
    Object.keys(value).length === 0
  )
    return true;
  return false;
}

const isListObject = (node: JsonObject) => node.object === 'list' || node.object === 'search_result';

/** A Notion rich text run: its text, and the full `annotations` block every run repeats. */
function isRichTextRun(node: JsonObject): boolean {
  return typeof node.plain_text === 'string' && isObject(node.annotations ?? null);
}

/** Notion's default annotations: a run repeats all six even when it is plain text. */
const DEFAULT_ANNOTATIONS: JsonObject = {
  bold: false,
  italic: false,
  strikethrough: false,
  underline: false,
  code: false,
  color: 'default',
};

/**
 * A rich text run as a model reads it: its text, its link when it has one, the annotations that
 * differ from the defaults, and what a mention points at (a page, a user, a date).
 */
function richTextRun(run: JsonObject, on: Set<LeanRule>): JsonObject {
  const out: JsonObject = { plain_text: run.plain_text ?? '' };
  if (typeof run.href === 'string') out.href = run.href;
  const annotations: JsonObject = {};
  for (const [name, value] of Object.entries(
    isObject(run.annotations ?? null) ? (run.annotations as JsonObject) : {},
  ))
    if (DEFAULT_ANNOTATIONS[name] !== value) annotations[name] = value;
  if (Object.keys(annotations).length > 0) out.annotations = annotations;
  if (run.type === 'mention' && isObject(run.mention ?? null))
    out.mention = projectNode(run.mention as JsonObject, on, 'nested', 'mention');
  return out;
}

/**
 * The member holding the list when `document` is a list wrapper: Notion's `results` or Stripe's
 * `data` of an `object: "list"`, or a count and one array of objects (`items` where there are
 * several; search answers also carry arrays of strings).
 */
function listWrapperKey(document: JsonObject): string | undefined {
  if (isListObject(document)) {
    if (Array.isArray(document.results)) return 'results';
    if (Array.isArray(document.data)) return 'data';
  }
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

/** A cursor or id safe to repeat in a note: what Notion's cursors and Stripe's ids look like. */
const CURSOR = /^[A-Za-z0-9_-]{1,255}$/;

/**
 * Adds how to ask for the next page of a list whose answer carries its own cursor: Notion's
 * `has_more` + `next_cursor` (`start_cursor=`) or Stripe's `has_more` + the last item's id
 * (`starting_after=`). Without more results, or with a cursor of an unexpected shape, the
 * document is returned as it is.
 */
export function withNextCursor(document: unknown, paging: 'next_cursor' | 'starting_after'): unknown {
  if (!isObject(document as Json)) return document;
  const list = document as JsonObject;
  if (list.has_more !== true) return document;
  let cursor: Json | undefined;
  if (paging === 'next_cursor') cursor = list.next_cursor;
  else if (Array.isArray(list.data)) {
    const last = list.data.at(-1);
    cursor = isObject(last ?? null) ? (last as JsonObject).id : undefined;
  }
  if (typeof cursor !== 'string' || !CURSOR.test(cursor)) return document;
  const argument = paging === 'next_cursor' ? 'start_cursor' : 'starting_after';
  return { ...list, note: `more results: call again with ${argument}=${cursor}` };
}

/** The tool argument that asks for the next page of a list announced by `paging`. */
export function pagingArgument(paging: LeanPaging): string {
  if (paging === 'next_cursor') return 'start_cursor';
  if (paging === 'starting_after') return 'starting_after';
  return 'page';
}

/**
 * The lean text of a JSON answer, or undefined when `body` is not JSON, or nests deeper than any
 * answer a model reads (the rules recurse; an upstream must not be able to overflow the stack):
 * it is then left as sent. `lean.paging` is given only for a tool that can ask for the next page.
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
  if (lean.paging === 'link_header') return JSON.stringify(withNextPage(projected, nextPageFromLink(link)));
  if (lean.paging) return JSON.stringify(withNextCursor(projected, lean.paging));
  return JSON.stringify(projected);
}

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

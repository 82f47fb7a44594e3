/**
 * Routes of the raw-HTTP proxy: `"METHOD /path-glob"`, as a service's `allow` and an agent's
 * `proxy:` grant write them.
 *
 * - METHOD is `*` (any method) or an HTTP method in upper case: a letter, then letters, digits,
 *   `-` or `_`, at most 20 characters. Methods are case-sensitive (RFC 9110): `get` is not `GET`.
 * - The path starts with `/` and is split on `/` into segments. A segment is `*` (exactly one
 *   non-empty segment), `**` (any number of segments, none included) or a literal compared
 *   exactly. A literal is made of `A-Z a-z 0-9 - . _ ~ ! $ & ' ( ) + , ; = : @`; it is never
 *   `.` or `..`, and never mixes `*` with other characters (`v1*` is malformed). Empty segments
 *   are refused except the last one: a trailing slash is significant (`/models/` is not
 *   `/models`), as it is to most upstreams.
 *
 * Matching compares segments, never a regular expression built from policy text, and costs at
 * most (route segments × path segments) steps.
 */

import { wildcardMatches } from './tool-pattern.js';

/** One route, split: its method and its path's segments (the path without its leading `/`). */
export interface ParsedRoute {
  readonly method: string;
  readonly segments: readonly string[];
}

const METHOD = /^[A-Z][A-Z0-9_-]{0,19}$/;
const LITERAL = /^[A-Za-z0-9\-._~!$&'()+,;=:@]+$/;
/** The longest route the policy accepts; a path longer than this is not a route anyone writes. */
export const MAX_ROUTE_LENGTH = 512;

/** Why `route` is not a well-formed route, or undefined when it is. */
export function routeProblem(route: string): string | undefined {
  if (route.length > MAX_ROUTE_LENGTH) return `a route is at most ${MAX_ROUTE_LENGTH} characters`;
  const space = route.indexOf(' ');
  if (space < 0) return 'a route is "METHOD /path", e.g. "GET /models" or "POST /chat/**"';
  const method = route.slice(0, space);
  const path = route.slice(space + 1);
  if (method !== '*' && !METHOD.test(method)) {
    return `${JSON.stringify(method)} is not a method: write it in upper case (GET, POST, …) or * for any`;
  }
  if (!path.startsWith('/')) return `the path ${JSON.stringify(path)} must start with /`;
  const segments = path.slice(1).split('/');
  for (const [i, segment] of segments.entries()) {
    if (segment === '') {
      if (i === segments.length - 1) continue; // "/" itself, or a significant trailing slash
      return `the path ${JSON.stringify(path)} has an empty segment (//)`;
    }
    if (segment === '*' || segment === '**') continue;
    if (segment === '.' || segment === '..')
      return `the path ${JSON.stringify(path)} has a ${segment} segment`;
    if (segment.includes('*')) {
      return `${JSON.stringify(segment)}: * and ** stand for whole segments only (/v1/*, /files/**)`;
    }
    if (!LITERAL.test(segment)) {
      return `${JSON.stringify(segment)} has a character a route cannot hold (allowed: letters, digits and - . _ ~ ! $ & ' ( ) + , ; = : @)`;
    }
  }
  return undefined;
}

/** `route` split into method and segments; call only on a route `routeProblem` accepts. */
export function parseRoute(route: string): ParsedRoute {
  const space = route.indexOf(' ');
  return { method: route.slice(0, space), segments: route.slice(space + 2).split('/') };
}

/** The segments of a request path (`/a/b` → `a`, `b`); the path starts with `/`. */
function pathSegments(path: string): string[] {
  return path.slice(1).split('/');
}

/** Whether the segment glob `glob` matches all of `items`: `**` absorbs any run of items. */
function segmentsMatch<T>(
  glob: readonly string[],
  items: readonly T[],
  one: (segment: string, item: T) => boolean,
): boolean {
  return wildcardMatches(glob, items, (segment) => segment === '**', one);
}

/** Whether `route` matches a request: `method` exactly (or `*`), and `path` segment by segment. */
export function routeMatches(route: ParsedRoute, method: string, path: string): boolean {
  if (route.method !== '*' && route.method !== method) return false;
  if (!path.startsWith('/')) return false;
  return segmentsMatch(route.segments, pathSegments(path), (segment, item) =>
    segment === '*' ? item !== '' : segment === item,
  );
}

/**
 * Why a request path cannot be judged by routes at all, or undefined. The SSRF guard refuses
 * these before policy is asked; refusing them here too means a decision never rests on that:
 * `**` would otherwise absorb a `..` segment (`/files/**` matching `/files/../admin`).
 */
export function requestPathProblem(path: string): string | undefined {
  if (!path.startsWith('/')) return 'it must start with /';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
  if (/[\u0000-\u001f\u007f?#\\]/.test(path)) return 'it holds a control character, ?, # or \\';
  if (/%(2e|2f|5c|00)/i.test(path)) return 'it holds an encoded ., / or \\';
  const segments = path.slice(1).split('/');
  for (const [i, segment] of segments.entries()) {
    if (segment === '.' || segment === '..') return `it has a ${segment} segment`;
    if (segment === '' && i < segments.length - 1) return 'it has an empty segment (//)';
  }
  return undefined;
}

/**
 * The path glob of the first route of `routes` (well-formed) that matches the request: a name
 * for the request that holds no value of its own path (`/models/*`, not `/models/gpt-4`).
 */
export function matchingRoutePath(
  routes: readonly string[],
  method: string,
  path: string,
): string | undefined {
  const route = routes.find((candidate) => routeMatches(parseRoute(candidate), method, path));
  return route?.slice(route.indexOf(' ') + 1);
}

/** Whether some route of `routes` (well-formed) matches the request. */
export function anyRouteMatches(routes: readonly string[], method: string, path: string): boolean {
  return routes.some((route) => routeMatches(parseRoute(route), method, path));
}

/**
 * Whether every request `inner` matches, `outer` matches too: its method is `*` or the same, and
 * its path glob matches `inner`'s segments taken as symbols (`*` covers a literal or `*`; `**`
 * covers anything; a literal covers only itself). Sound, so a grant it accepts never reaches
 * past `allow`; a grant covered only by several `allow` routes together is refused.
 */
export function routeCovers(outer: ParsedRoute, inner: ParsedRoute): boolean {
  if (outer.method !== '*' && outer.method !== inner.method) return false;
  return segmentsMatch(outer.segments, inner.segments, (segment, item) => {
    if (item === '**') return false; // only ** (handled by the matcher) covers **
    if (segment === '*') return item !== '';
    return segment === item;
  });
}

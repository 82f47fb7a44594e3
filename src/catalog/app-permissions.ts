/**
 * The curated map from each tool of a service to the app permissions it needs
 * (`specs/<service>.permissions.yaml`): what a GitHub App installation token minted for an agent
 * is narrowed to. Kept beside the curation, and checked against the catalog for completeness.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { KeygateError } from '../errors/index.js';
import { SPECS_DIR } from './catalog.js';
import type { ToolDefinition } from './types.js';

/** Permission levels, weakest first. */
export const PERMISSION_LEVELS = ['read', 'write', 'admin'] as const;
export type PermissionLevel = (typeof PERMISSION_LEVELS)[number];

/**
 * What one tool needs: permission → level (`{}` for `none`), or `unavailable` when an
 * installation token cannot call it at all.
 */
export type ToolPermissions = Readonly<Record<string, PermissionLevel>> | 'unavailable';

/** Tool name → what it needs. */
export type AppPermissionMap = ReadonlyMap<string, ToolPermissions>;

const PERMISSION_NAME = /^[a-z][a-z_]{0,63}$/;
const cache = new Map<string, AppPermissionMap | null>();

/**
 * The permission map of `service`, read once from `dir`; `undefined` when the service has none
 * (a kind that needs one then refuses to mint). Throws `catalog.spec_invalid` for a malformed file.
 */
export function appPermissions(service: string, dir: string = SPECS_DIR): AppPermissionMap | undefined {
  const file = `${dir.replace(/\/$/, '')}/${service}.permissions.yaml`;
  let map = cache.get(file);
  if (map === undefined) {
    let text: string | undefined;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      text = undefined;
    }
    map = text === undefined ? null : parsePermissionMap(text, file);
    cache.set(file, map);
  }
  return map ?? undefined;
}

/** Parses a permission map file; every problem is reported with the tool it is on. */
export function parsePermissionMap(text: string, file = 'the permission map'): AppPermissionMap {
  const doc = parseYaml(text) as { permissions?: unknown } | null;
  const entries = doc?.permissions;
  if (typeof entries !== 'object' || entries === null || Array.isArray(entries))
    throw new KeygateError('catalog.spec_invalid', `${file}: no permissions: map`);
  const map = new Map<string, ToolPermissions>();
  const problems: string[] = [];
  for (const [tool, value] of Object.entries(entries)) {
    if (value === 'unavailable') map.set(tool, 'unavailable');
    else if (value === 'none') map.set(tool, {});
    else if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const needs: Record<string, PermissionLevel> = {};
      for (const [permission, level] of Object.entries(value)) {
        if (!PERMISSION_NAME.test(permission))
          problems.push(`${tool}: ${permission} is not a permission name`);
        else if (!PERMISSION_LEVELS.includes(level as PermissionLevel))
          problems.push(`${tool}: ${permission} must be read, write or admin`);
        else needs[permission] = level as PermissionLevel;
      }
      map.set(tool, Object.freeze(needs));
    } else problems.push(`${tool}: expected { permission: level }, none or unavailable`);
  }
  if (problems.length > 0) throw new KeygateError('catalog.spec_invalid', `${file}: ${problems.join('; ')}`);
  return map;
}

/**
 * Why `map` cannot serve `tools` (every tool of its service): a tool missing, a name no tool has,
 * or a read tool asking for more than read (an agent allowed only reads must get only reads).
 */
export function permissionMapProblems(map: AppPermissionMap, tools: readonly ToolDefinition[]): string[] {
  const problems: string[] = [];
  const names = new Set(tools.map((tool) => tool.name));
  for (const tool of tools) {
    const needs = map.get(tool.name);
    if (needs === undefined) problems.push(`${tool.name} is not in the permission map`);
    else if (tool.risk === 'read' && needs !== 'unavailable')
      for (const [permission, level] of Object.entries(needs))
        if (level !== 'read')
          problems.push(`${tool.name} is a read but asks for ${permission}: ${level} (reads get read only)`);
  }
  for (const name of map.keys()) if (!names.has(name)) problems.push(`${name} is not a tool of the catalog`);
  return problems;
}

/** The stronger of two levels. */
export function strongerLevel(a: PermissionLevel, b: PermissionLevel): PermissionLevel {
  return PERMISSION_LEVELS.indexOf(a) >= PERMISSION_LEVELS.indexOf(b) ? a : b;
}

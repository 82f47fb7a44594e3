/**
 * Public surface of the catalog: curated OpenAPI operations as MCP tool definitions, and the check
 * of a call's arguments against its tool's schema.
 */

export { type AmountBinding, type AmountLookup, amountBindingOf } from './amount-binding.js';
export {
  type AppPermissionMap,
  appPermissions,
  PERMISSION_LEVELS,
  type PermissionLevel,
  parsePermissionMap,
  permissionMapProblems,
  strongerLevel,
  type ToolPermissions,
} from './app-permissions.js';
export { hasArgumentPath } from './argument-path.js';
export { argumentSchemaOf, coerceJsonStrings } from './argument-validator.js';
export {
  BUILTIN_SERVICES,
  Catalog,
  catalogFromDocuments,
  loadCatalog,
  loadCuratedSpec,
  SPECS_DIR,
} from './catalog.js';
export { type CompactContext, compactSchema, describedSchemaOf, fitSchema } from './compact-schema.js';
export {
  ContentClassifier,
  type ContentRules,
  type FieldClass,
  mergeContentRules,
  NO_CONTENT_RULES,
} from './content-rules.js';
export { jsonNestsDeeperThan, MAX_JSON_DEPTH } from './json-depth.js';
export { modelSchema } from './model-schema.js';
export type { Json, JsonObject } from './openapi-walk.js';
export { annotationsFor, buildTools, listedAnnotations, serviceProfile } from './tool-builder.js';
export {
  DEFAULT_SEARCH_LIMIT,
  MAX_SEARCH_LIMIT,
  summaryOf,
  type ToolMatch,
  ToolSearch,
  type ToolSearchOptions,
} from './tool-search.js';
export type * from './types.js';
export { FULL_RESULT_ARGUMENT, LEAN_PAGING, LEAN_RULES, RISKS, TOOL_LIST_BUDGET } from './types.js';

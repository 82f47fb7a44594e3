/** Public surface of the catalog: curated OpenAPI operations as MCP tool definitions. */

export { hasArgumentPath } from './argument-path.js';
export {
  BUILTIN_SERVICES,
  Catalog,
  catalogFromDocuments,
  loadCatalog,
  loadCuratedSpec,
  SPECS_DIR,
} from './catalog.js';
export type { Json, JsonObject } from './openapi-walk.js';
export { annotationsFor, buildTools, serviceProfile } from './tool-builder.js';
export type * from './types.js';
export { RISKS } from './types.js';

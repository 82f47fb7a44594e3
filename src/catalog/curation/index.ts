/**
 * Curation: cutting lean, self-contained specs out of vendors' OpenAPI descriptions. Kept apart
 * from the runtime catalog so that loading the catalog never pays for YAML, zod or the parser.
 */
export { curate, readUpstream, validateCurated } from './curate.js';
export { type CurationFile, loadCurationFile, MANAGED_HEADERS, parseCuration } from './curation-file.js';

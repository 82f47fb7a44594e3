/** Public surface of the store: kysely over PGlite or PostgreSQL, one schema and migration set. */
export type * from './schema.js';
export { openStore, PGLITE_SETTINGS, pgliteConf, type Store, type StoreOptions, safeUrl } from './store.js';

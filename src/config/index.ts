/** Public surface of config: environment and paths. */
export { ENVIRONMENT, PACKAGE_ROOT, upstreamDir } from './env.js';

/** Public surface of config: environment, home folder and paths. */
export {
  ENVIRONMENT,
  type EnvironmentName,
  envValue,
  PACKAGE_ROOT,
  resolveHome,
  upstreamDir,
} from './env.js';
export { type HomePaths, homePaths } from './home.js';
export { STARTER_POLICY } from './starter-policy.js';

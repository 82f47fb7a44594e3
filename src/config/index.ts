/** Public surface of config: environment, home folder and paths, durations. */

export { isDuration, parseDuration } from './duration.js';
export {
  currentEnvironment,
  ENVIRONMENT,
  type EnvironmentName,
  envValue,
  type KeygateCommand,
  keygateCommand,
  PACKAGE_ROOT,
  resolveHome,
  upstreamDir,
  withEnvironment,
} from './env.js';
export { DEFAULT_PORT, type HomePaths, homePaths } from './home.js';
export { VERSION } from './version.js';

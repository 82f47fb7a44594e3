/** Public surface of config: environment, home folder and paths. */

export { isDuration, parseDuration } from './duration.js';
export {
  ENVIRONMENT,
  type EnvironmentName,
  envValue,
  type KeygateCommand,
  keygateCommand,
  PACKAGE_ROOT,
  resolveHome,
  upstreamDir,
} from './env.js';
export { type HomePaths, homePaths } from './home.js';
export {
  agentTools,
  formatProblems,
  type LoadedPolicy,
  loadPolicyFile,
  type PolicyProblem,
  type PolicyResult,
  parsePolicy,
  policyVersion,
} from './policy-loader.js';
export type { AgentPolicy, ApprovalMode, Constraint, PolicyFile } from './policy-schema.js';
export { STARTER_POLICY } from './starter-policy.js';
export { allowedBy, globMatches } from './tool-pattern.js';

/**
 * Public surface of policy: the policy file (schema, staged loader, starter policy, tool and
 * constraint patterns, proxy routes), the engine that decides under one loaded policy (visible tools,
 * constraints, approval modes, rate limits), and the holder that keeps it in force and reloads it.
 */
export { credentialScope, MAX_TOKEN_REPOSITORIES } from './app-scope.js';
export { constraintViolation } from './constraints.js';
export {
  type CallerIdentity,
  type Decision,
  DISCOVERY_AUTO_TOOLS,
  PolicyEngine,
  type ProxyServiceConfig,
  proxyApproval,
  proxyToolName,
  type RateLimitRule,
} from './engine.js';
export { loadPolicy } from './load.js';
export { PolicyHolder, type PolicyState, type ReloadResult } from './policy-holder.js';
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
export type {
  AgentPolicy,
  ApprovalMode,
  BudgetPeriod,
  BudgetRule,
  Constraint,
  PolicyFile,
  SecretScanMode,
} from './policy-schema.js';
export { BUDGET_PERIODS } from './policy-schema.js';
export { anyRouteMatches, matchingRoutePath, routeProblem } from './proxy-route.js';
export { RateLimiter, type RateVerdict } from './rate-limiter.js';
export { STARTER_POLICY } from './starter-policy.js';
export { allowedBy, globMatches } from './tool-pattern.js';

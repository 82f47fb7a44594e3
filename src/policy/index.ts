/** Public surface of policy: tool visibility, constraints, approval modes and rate limits → decisions. */
export { constraintViolation } from './constraints.js';
export { type CallerIdentity, type Decision, PolicyEngine, type RateLimitRule } from './engine.js';
export { RateLimiter, type RateVerdict } from './rate-limiter.js';

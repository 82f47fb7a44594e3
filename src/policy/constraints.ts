/** Argument constraints: equals (a plain value), oneOf, min, max, pattern, prefix. */
import { compileConstraintPattern, PATTERN_VALUE_LIMIT } from './constraint-pattern.js';
import type { Constraint } from './policy-schema.js';

/**
 * Why `value` breaks `constraint` on argument `name`, phrased so a model can act on it
 * ("owner must be acme"); `undefined` when it passes. A missing argument breaks every
 * constraint: a constraint means the argument must be given and must match.
 */
export function constraintViolation(
  name: string,
  constraint: Constraint,
  value: unknown,
): string | undefined {
  const rule = typeof constraint === 'object' ? constraint : { equals: constraint };
  if (value === undefined || value === null) return `${name} is required by policy${describe(rule)}`;
  if (rule.equals !== undefined && value !== rule.equals)
    return `${name} must be ${JSON.stringify(rule.equals)}`;
  if (rule.oneOf !== undefined && !rule.oneOf.includes(value as string | number | boolean)) {
    return `${name} must be one of ${rule.oneOf.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  if (rule.min !== undefined || rule.max !== undefined) {
    if (typeof value !== 'number') return `${name} must be a number`;
    if (rule.min !== undefined && value < rule.min) return `${name} must be at least ${rule.min}`;
    if (rule.max !== undefined && value > rule.max) return `${name} must be at most ${rule.max}`;
  }
  if (rule.prefix !== undefined && (typeof value !== 'string' || !value.startsWith(rule.prefix))) {
    return `${name} must start with ${JSON.stringify(rule.prefix)}`;
  }
  if (rule.pattern !== undefined) return patternViolation(name, rule.pattern, value);
  return undefined;
}

/** Whether the whole of `value` matches `pattern`, in time linear in the value's length. */
function patternViolation(name: string, pattern: string, value: unknown): string | undefined {
  if (typeof value !== 'string') return `${name} must match /${pattern}/`;
  if (value.length > PATTERN_VALUE_LIMIT) {
    return `${name} is longer than the ${PATTERN_VALUE_LIMIT} characters policy checks against /${pattern}/`;
  }
  const compiled = compileConstraintPattern(pattern);
  // The loader refuses such a pattern; should one get here anyway, it fails closed.
  if (!compiled.ok) return `${name} cannot be checked: policy's pattern is not usable`;
  return compiled.pattern.matches(value) ? undefined : `${name} must match /${pattern}/`;
}

function describe(rule: Exclude<Constraint, string | number | boolean>): string {
  if (rule.equals !== undefined) return ` and must be ${JSON.stringify(rule.equals)}`;
  if (rule.oneOf !== undefined)
    return ` and must be one of ${rule.oneOf.map((v) => JSON.stringify(v)).join(', ')}`;
  return '';
}

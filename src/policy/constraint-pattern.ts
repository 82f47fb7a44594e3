/**
 * Constraint `pattern`s: written by the admin, matched against values an agent chooses. They run
 * on RE2JS, a linear-time engine, so no pattern can hold the event loop however the value is
 * crafted (`(a+)+b` against `aaa…c` backtracks exponentially in V8's own engine). What RE2
 * cannot run in linear time (backreferences, lookaround) is refused when the policy loads.
 */
import { RE2JS } from 're2js';

/**
 * Values longer than this are refused before any pattern runs on them. Linear is not free: a
 * pattern like `.*[a-z0-9]{1,1000}x` costs about 8 ms per KiB of value on this engine, and the
 * values come from agents.
 */
export const PATTERN_VALUE_LIMIT = 8_192;

/** A compiled pattern, matched against the whole value. */
export interface ConstraintPattern {
  matches(value: string): boolean;
}

export type CompiledPattern =
  | { readonly ok: true; readonly pattern: ConstraintPattern }
  | { readonly ok: false; readonly message: string };

const cache = new Map<string, CompiledPattern>();

/** Compiles `source` once; `ok: false` says, for the policy file, why it cannot be used. */
export function compileConstraintPattern(source: string): CompiledPattern {
  let compiled = cache.get(source);
  if (!compiled) {
    compiled = compile(source);
    cache.set(source, compiled);
  }
  return compiled;
}

function compile(source: string): CompiledPattern {
  try {
    const re = RE2JS.compile(source);
    return { ok: true, pattern: { matches: (value) => re.matches(value) } };
  } catch (error) {
    return { ok: false, message: refusal(source, error) };
  }
}

/** Why RE2 refused `source`, naming the unsupported construct where it is a known one. */
function refusal(source: string, error: unknown): string {
  const quoted = JSON.stringify(source);
  const engine = 'patterns run on a linear-time engine (RE2 syntax)';
  if (/\\[1-9k]/.test(source)) {
    return `${quoted} is not a valid regular expression here: backreferences are not supported; ${engine}`;
  }
  if (/\(\?<?[=!]/.test(source)) {
    return `${quoted} is not a valid regular expression here: lookahead and lookbehind are not supported; ${engine}`;
  }
  const reason = error instanceof Error ? error.message.replace(/^error parsing regexp: /, '') : 'invalid';
  return `${quoted} is not a valid regular expression (${reason}); ${engine}`;
}

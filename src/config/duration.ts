/** Durations as policy files and flags write them: `30s`, `5m`, `1h`, `2d`. */
import { KeygateError } from '../errors/index.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** The longest duration accepted anywhere (token lifetimes, timeouts, `--since`): ten years. */
export const MAX_DURATION_MS = 3650 * 86_400_000;

/** Milliseconds in `text`, or why it is not an acceptable duration. */
function measure(text: string): number | 'malformed' | 'too long' {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(text.trim());
  if (!match || Number(match[1]) <= 0) return 'malformed';
  const ms = Number(match[1]) * UNITS[match[2]!]!;
  // A long run of digits is Infinity or loses precision; either way it is no sane duration.
  return Number.isSafeInteger(ms) && ms <= MAX_DURATION_MS ? ms : 'too long';
}

/** Milliseconds in `text`; throws `cli.usage` naming `what` when it is not a duration. */
export function parseDuration(text: string, what = 'duration'): number {
  const ms = measure(text);
  if (ms === 'malformed')
    throw new KeygateError('cli.usage', `${what} must look like 30s, 5m, 1h or 2d (got "${text}")`);
  if (ms === 'too long')
    throw new KeygateError('cli.usage', `${what} must be at most 3650d (ten years) (got "${text}")`);
  return ms;
}

/** True when `text` is an acceptable duration (well formed, at most ten years). */
export function isDuration(text: string): boolean {
  return typeof measure(text) === 'number';
}

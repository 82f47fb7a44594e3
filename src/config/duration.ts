/** Durations as policy files and flags write them: `30s`, `5m`, `1h`, `2d`. */
import { KeygateError } from '../errors/index.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds in `text`; throws `cli.usage` naming `what` when it is not a duration. */
export function parseDuration(text: string, what = 'duration'): number {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(text.trim());
  if (!match || Number(match[1]) <= 0) {
    throw new KeygateError('cli.usage', `${what} must look like 30s, 5m, 1h or 2d (got "${text}")`);
  }
  return Number(match[1]) * UNITS[match[2]!]!;
}

/** True when `text` is a duration. */
export function isDuration(text: string): boolean {
  return /^(\d+)(ms|s|m|h|d)$/.test(text.trim()) && Number.parseInt(text, 10) > 0;
}

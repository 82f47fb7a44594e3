/**
 * How arguments are recorded: canonical JSON (sorted keys, no spaces), its SHA-256, and the value
 * that stands in for a redacted one. They live at audit's layer because the hash chain hashes
 * canonical rows and approvals, below the call pipeline, store arguments canonically and check
 * them against their hash; which values a call redacts is decided in calls/ (`call-identity.ts`).
 */
import { createHash } from 'node:crypto';

/** What audit rows and approval summaries show in place of a secret value. */
export const REDACTED_VALUE = '[REDACTED]';

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The hash of a call's arguments, independent of key order. */
export function argsHash(args: unknown): string {
  return sha256Hex(canonicalJson(args));
}

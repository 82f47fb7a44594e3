/**
 * The pipeline's secret-scan step: the policy's mode for the agent turns a hit into a refusal
 * (`refuse`, the default), into a question for a human (`approve`), or nothing is scanned (`off`).
 */
import { KeygateError } from '../errors/index.js';
import type { SecretScanMode } from '../policy/index.js';
import type { Outbound } from './scan-part.js';
import type { ScanHit, SecretScanner } from './secret-scanner.js';

export type ScanVerdict =
  | { readonly kind: 'pass' }
  /** Refuse with `error` (code `policy.secret_detected`). */
  | { readonly kind: 'refuse'; readonly error: KeygateError; readonly hit: ScanHit }
  /** Ask a human, showing `notice`, before the request leaves. */
  | { readonly kind: 'approve'; readonly notice: string; readonly hit: ScanHit };

/** What a hit is, in words that name its rule and place and never its value. */
export function describeHit(hit: ScanHit): string {
  const what =
    hit.kind === 'vault'
      ? "a secret from keygate's vault, which goes only to its own service"
      : `a credential shaped like a ${hit.rule.split('/')[0]} credential`;
  return `the ${hit.place} carries ${what} (rule ${hit.rule})`;
}

/** Scans `outbound` under `mode`; `ownSecret` is the destination's own secret (exempt there). */
export async function checkOutbound(
  scanner: SecretScanner,
  mode: SecretScanMode,
  outbound: Outbound,
  ownSecret: string | undefined,
): Promise<ScanVerdict> {
  if (mode === 'off') return { kind: 'pass' };
  const hit = await scanner.scan(outbound, ownSecret);
  if (!hit) return { kind: 'pass' };
  const said = describeHit(hit);
  if (mode === 'approve')
    return {
      kind: 'approve',
      hit,
      notice: `SECRET SCAN: ${said}. Approving sends it to ${outbound.destination}.`,
    };
  return {
    kind: 'refuse',
    hit,
    error: new KeygateError('policy.secret_detected', `refused: ${said}`, {
      details: { rule: hit.rule, place: hit.place },
    }),
  };
}

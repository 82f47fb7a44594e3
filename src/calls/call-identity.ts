/**
 * A call's identity, computed once beside the call and handed to audit and approvals as values:
 * the hash of its validated arguments (independent of key order) and their redacted form, the
 * only form audit rows keep and people are shown. Values of fields the catalog marks secret
 * (`format: password`, `writeOnly`) and of fields whose names say so are replaced, at any depth;
 * a string longer than LONG_STRING (a file upload's base64, a long document) is kept as its
 * length and hash, not whole: the hash of the arguments binds it, and a row stays small.
 */
import { argsHash, REDACTED_VALUE, sha256Hex } from '../audit/index.js';
import type { ToolDefinition } from '../catalog/index.js';

/** What audit rows and approval records know a call's arguments by. */
export interface ArgumentsIdentity {
  readonly argsHash: string;
  readonly argsRedacted: unknown;
}

/** Characters of one string the redacted arguments keep whole (an approver sees the full `args`). */
export const LONG_STRING = 4096;

const SENSITIVE_NAME =
  /(token|secret|passw(or)?d|api[_-]?key|authorization|credential|private[_-]?key|client[_-]?secret)/i;

/** The identity of a call to `tool` with `args` (the arguments that run, after validation). */
export function toolCallIdentity(
  tool: ToolDefinition,
  args: Readonly<Record<string, unknown>>,
): ArgumentsIdentity {
  return { argsHash: argsHash(args), argsRedacted: redactArguments(tool, args) };
}

/** `args` with every sensitive value replaced by `REDACTED_VALUE`; `tool` adds the catalog's marks. */
export function redactArguments(tool: ToolDefinition | undefined, args: unknown): unknown {
  const sensitive = new Set(tool?.sensitiveArguments ?? []);
  return redact(args, (name, depth) => SENSITIVE_NAME.test(name) || (depth === 0 && sensitive.has(name)));
}

function redact(value: unknown, isSensitive: (name: string, depth: number) => boolean, depth = 0): unknown {
  if (typeof value === 'string' && value.length > LONG_STRING)
    return `[${value.length} characters, sha256 ${sha256Hex(value).slice(0, 16)}…]`;
  if (Array.isArray(value)) return value.map((item) => redact(item, isSensitive, depth + 1));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([key, item]) => [
      key,
      isSensitive(key, depth) ? REDACTED_VALUE : redact(item, isSensitive, depth + 1),
    ]),
  );
}

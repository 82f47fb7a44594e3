/**
 * What of a call's arguments may be kept in the audit log and shown to people: values of fields
 * the catalog marks secret (`format: password`, `writeOnly`) and of fields whose names say so
 * are replaced, at any depth.
 */
import type { ToolDefinition } from '../catalog/index.js';

export const REDACTED_VALUE = '[REDACTED]';
const SENSITIVE_NAME =
  /(token|secret|passw(or)?d|api[_-]?key|authorization|credential|private[_-]?key|client[_-]?secret)/i;

export function redactArguments(tool: ToolDefinition | undefined, args: unknown): unknown {
  const sensitive = new Set(tool?.sensitiveArguments ?? []);
  return redact(args, (name, depth) => SENSITIVE_NAME.test(name) || (depth === 0 && sensitive.has(name)));
}

function redact(value: unknown, isSensitive: (name: string, depth: number) => boolean, depth = 0): unknown {
  if (Array.isArray(value)) return value.map((item) => redact(item, isSensitive, depth + 1));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([key, item]) => [
      key,
      isSensitive(key, depth) ? REDACTED_VALUE : redact(item, isSensitive, depth + 1),
    ]),
  );
}

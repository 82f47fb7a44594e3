/** Public surface of audit: the hash-chained decision log and argument redaction. */
export {
  type AuditDecision,
  type AuditEvent,
  AuditLog,
  type AuditQuery,
  type AuditRecord,
} from './audit-log.js';
export { argsHash, canonicalJson, sha256Hex } from './canonical.js';
export { REDACTED_VALUE, redactArguments } from './redaction.js';

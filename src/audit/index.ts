/**
 * Public surface of audit: the hash-chained decision log, and how arguments are recorded
 * (canonical JSON, hashes, the redaction marker). Rows arrive with their arguments already
 * redacted and hashed by the call pipeline (`src/calls/`).
 */
export {
  type AuditDecision,
  type AuditEvent,
  AuditLog,
  type AuditQuery,
  type AuditRecord,
} from './audit-log.js';
export { argsHash, canonicalJson, REDACTED_VALUE, sha256Hex } from './canonical.js';

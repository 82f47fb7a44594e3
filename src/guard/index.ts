/**
 * Public surface of guard: the outbound secret scan (vault secrets in every encoding, known
 * credential shapes) that every request passes before it leaves keygate.
 */
export {
  argumentParts,
  jsonStringParts,
  type Outbound,
  type ScanPart,
  withDecoded,
} from './scan-part.js';
export { checkOutbound, describeHit, type ScanVerdict } from './scan-verdict.js';
export { MIN_SCANNED_LENGTH, type ScanHit, SecretScanner, VAULT_RULE } from './secret-scanner.js';
export { fixedSecrets, type ScanSecret, type SecretSource, vaultSecrets } from './secret-source.js';
export { findShapes, SHAPE_RULES, type ShapeMatch } from './shape-rules.js';

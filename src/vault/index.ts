/** Public surface of the vault: master key, envelope encryption, secrets and their credentials. */
export { decryptValue, encryptSecret, FORMAT, open as openSealed, seal, unwrapDataKey } from './envelope.js';
export {
  appJwt,
  GithubAppMinter,
  JWT_CLOCK_SKEW_S,
  JWT_LIFETIME_S,
  type MintedCredential,
  type Minter,
  privateKeyProblems,
  REMINT_BEFORE_MS,
} from './github-app.js';
export { type RotationInput, type RotationResult, rotateMasterKey } from './key-rotation.js';
export {
  checkNewPassphrase,
  DEFAULT_KDF,
  MasterKey,
  MIN_PASSPHRASE_LENGTH,
  readMasterKeyFile,
} from './master-key.js';
export type { OAuth2Options, OAuth2Status } from './oauth2-broker.js';
export { checkSecretShape, SECRET_KINDS, type SecretKind, secretKind } from './secret-kinds.js';
export { discardStaleNextKey, type KeySource, type Unsealed, type UnsealOptions, unseal } from './unseal.js';
export { type SecretMetadata, type SetSecretInput, Vault, type VaultOptions } from './vault.js';

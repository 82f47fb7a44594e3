/**
 * Envelope encryption with AES-256-GCM: a fresh 256-bit data key per secret version encrypts
 * the value; the master key wraps the data key. Every encryption takes a fresh 96-bit random
 * nonce, and associated data binds each ciphertext to its secret's id, name and version (and
 * the wrap to the master key's id), so a ciphertext moved to another row does not decrypt.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { KeygateError } from '../errors/index.js';

export const FORMAT = 1;
const ALGORITHM = 'aes-256-gcm';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** One AES-GCM output. */
export interface Sealed {
  readonly nonce: Buffer;
  readonly ciphertext: Buffer;
  readonly tag: Buffer;
}

/** Encrypts `plaintext` under `key` with a fresh random nonce, binding `aad`. */
export function seal(key: Buffer, plaintext: Buffer, aad: string): Sealed {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv(ALGORITHM, key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { nonce, ciphertext, tag: cipher.getAuthTag() };
}

/** Decrypts; any change to key, nonce, ciphertext, tag or aad throws `vault.integrity`. */
export function open(key: Buffer, sealed: Sealed, aad: string, what: string): Buffer {
  if (sealed.nonce.length !== NONCE_BYTES || sealed.tag.length !== TAG_BYTES) {
    throw new KeygateError('vault.integrity', `${what} failed its integrity check (malformed nonce or tag)`);
  }
  try {
    const decipher = createDecipheriv(ALGORITHM, key, sealed.nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(sealed.tag);
    return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]);
  } catch (cause) {
    throw new KeygateError(
      'vault.integrity',
      `${what} failed its integrity check: corrupt or tampered data`,
      { cause },
    );
  }
}

/** Packs a sealed value as nonce ‖ ciphertext ‖ tag (for single-column storage). */
export function pack(sealed: Sealed): Buffer {
  return Buffer.concat([sealed.nonce, sealed.ciphertext, sealed.tag]);
}

export function unpack(packed: Buffer): Sealed {
  return {
    nonce: packed.subarray(0, NONCE_BYTES),
    ciphertext: packed.subarray(NONCE_BYTES, packed.length - TAG_BYTES),
    tag: packed.subarray(packed.length - TAG_BYTES),
  };
}

/** Identity of one secret version, bound into its ciphertexts. */
export interface SecretIdentity {
  readonly id: string;
  readonly name: string;
  readonly version: number;
}

export function valueAad(secret: SecretIdentity): string {
  return `keygate/v${FORMAT}/value/${secret.id}/${secret.version}/${secret.name}`;
}

export function wrapAad(secret: SecretIdentity, keyId: string): string {
  return `keygate/v${FORMAT}/wrap/${secret.id}/${secret.version}/${keyId}/${secret.name}`;
}

/** The stored form of one encrypted secret version. */
export interface EncryptedSecret {
  readonly keyId: string;
  readonly wrap: Sealed;
  readonly value: Sealed;
}

/** Encrypts `value` under a new data key wrapped by `masterKey`. */
export function encryptSecret(
  masterKey: Buffer,
  keyId: string,
  secret: SecretIdentity,
  value: Buffer,
): EncryptedSecret {
  const dataKey = randomBytes(32);
  try {
    return {
      keyId,
      wrap: seal(masterKey, dataKey, wrapAad(secret, keyId)),
      value: seal(dataKey, value, valueAad(secret)),
    };
  } finally {
    dataKey.fill(0);
  }
}

/** Unwraps the data key of a stored secret version. */
export function unwrapDataKey(masterKey: Buffer, secret: SecretIdentity, stored: EncryptedSecret): Buffer {
  return open(masterKey, stored.wrap, wrapAad(secret, stored.keyId), `the data key of secret ${secret.name}`);
}

/** Decrypts a stored secret's value with its (already unwrapped) data key. */
export function decryptValue(dataKey: Buffer, secret: SecretIdentity, stored: EncryptedSecret): Buffer {
  return open(dataKey, stored.value, valueAad(secret), `secret ${secret.name}`);
}

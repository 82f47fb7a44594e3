/** The master key: where it comes from, how it is checked, and its redacted form. */
import { createHmac, randomBytes, scrypt as scryptCallback, timingSafeEqual } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { inspect, promisify } from 'node:util';
import { KeygateError } from '../errors/index.js';
import type { KdfParams } from '../store/index.js';

const scrypt = promisify(scryptCallback) as (
  password: string,
  salt: Buffer,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

/** The shortest passphrase accepted for a new vault or a rotation. */
export const MIN_PASSPHRASE_LENGTH = 12;

/** Refuses a new passphrase that is too short, before anyone types it twice. */
export function checkNewPassphrase(passphrase: string): string {
  if (passphrase.length < MIN_PASSPHRASE_LENGTH) {
    throw new KeygateError(
      'vault.master_key_invalid',
      `use a passphrase of at least ${MIN_PASSPHRASE_LENGTH} characters (this one has ${passphrase.length})`,
    );
  }
  return passphrase;
}

/** scrypt cost for passphrase-derived keys (~0.3 s and 64 MiB on a current core). */
export const DEFAULT_KDF = { N: 2 ** 16, r: 8, p: 1 } as const;

/** 32 bytes of key material. Never printed: JSON, inspect and strings show only its id. */
export class MasterKey {
  readonly id: string;
  readonly #bytes: Buffer;

  constructor(bytes: Buffer) {
    if (bytes.length !== 32)
      throw new KeygateError('vault.master_key_invalid', 'the master key must be 32 bytes');
    this.#bytes = Buffer.from(bytes);
    this.id = createHmac('sha256', this.#bytes).update('keygate key id v1').digest('hex').slice(0, 16);
  }

  /** A key for another purpose (`label` names it), derived so that it changes with the master key. */
  derive(label: string): Buffer {
    return createHmac('sha256', this.#bytes).update(`keygate derived key v1\n${label}`).digest();
  }

  /** Fresh random key material. */
  static generate(): MasterKey {
    return new MasterKey(randomBytes(32));
  }

  /** Parses base64 (standard or URL-safe) text holding exactly 32 bytes. */
  static fromBase64(text: string, source: string): MasterKey {
    const trimmed = text.trim();
    const bytes = Buffer.from(trimmed, 'base64');
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed) || bytes.length !== 32) {
      throw new KeygateError('vault.master_key_invalid', `${source} must be base64 of exactly 32 bytes`);
    }
    return new MasterKey(bytes);
  }

  /** Derives a key from a passphrase with scrypt and the stored parameters. */
  static async fromPassphrase(passphrase: string, kdf: KdfParams): Promise<MasterKey> {
    if (passphrase.length === 0)
      throw new KeygateError('vault.master_key_invalid', 'the passphrase is empty');
    const bytes = await scrypt(passphrase.normalize('NFKC'), Buffer.from(kdf.salt, 'base64'), 32, {
      N: kdf.N,
      r: kdf.r,
      p: kdf.p,
      maxmem: 256 * kdf.N * kdf.r + 1024 * 1024,
    });
    return new MasterKey(bytes);
  }

  /** New scrypt parameters with a fresh salt. */
  static newKdf(): KdfParams {
    return { algorithm: 'scrypt', salt: randomBytes(16).toString('base64'), ...DEFAULT_KDF };
  }

  /** The raw bytes, for the cipher only. */
  bytes(): Buffer {
    return this.#bytes;
  }

  /** The key as base64, for writing master.key once. */
  toBase64(): string {
    return this.#bytes.toString('base64');
  }

  /** A keyed constant stored beside the data: a different key gives a different check value. */
  checkValue(): Buffer {
    return createHmac('sha256', this.#bytes).update('keygate key check v1').digest();
  }

  /** True when `stored` is this key's check value (constant-time). */
  matches(stored: Buffer): boolean {
    const mine = this.checkValue();
    return stored.length === mine.length && timingSafeEqual(stored, mine);
  }

  toJSON(): string {
    return `[master key ${this.id}]`;
  }

  toString(): string {
    return this.toJSON();
  }

  [inspect.custom](): string {
    return this.toJSON();
  }
}

/** Reads `master.key`, refusing a file that group or others can read. */
export async function readMasterKeyFile(file: string): Promise<MasterKey | undefined> {
  let mode: number;
  try {
    mode = (await stat(file)).mode;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if ((mode & 0o077) !== 0) {
    throw new KeygateError(
      'vault.master_key_permissions',
      `${file} is readable by group or others (mode ${(mode & 0o777).toString(8)}); run chmod 600 on it`,
    );
  }
  return MasterKey.fromBase64(await readFile(file, 'utf8'), file);
}

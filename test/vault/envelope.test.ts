import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decryptValue, encryptSecret, openSealed, seal, unwrapDataKey } from '../../src/vault/index.js';

const identity = { id: 'id-1', name: 'github', version: 1 };

describe('envelope encryption', () => {
  it('never repeats a nonce in 100,000 encryptions', () => {
    const key = randomBytes(32);
    const seen = new Set<string>();
    for (let i = 0; i < 100_000; i++) seen.add(seal(key, Buffer.from('x'), 'aad').nonce.toString('hex'));
    expect(seen.size).toBe(100_000);
  });

  it('round-trips a value through a wrapped data key', () => {
    const master = randomBytes(32);
    const stored = encryptSecret(master, 'k1', identity, Buffer.from('s3cret'));
    const dataKey = unwrapDataKey(master, identity, stored);
    expect(decryptValue(dataKey, identity, stored).toString()).toBe('s3cret');
  });

  it.each([
    ['another id', { ...identity, id: 'id-2' }],
    ['another name', { ...identity, name: 'stripe' }],
    ['another version', { ...identity, version: 2 }],
  ])('binds the ciphertext to its secret: %s does not decrypt', (_case, other) => {
    const master = randomBytes(32);
    const stored = encryptSecret(master, 'k1', identity, Buffer.from('s3cret'));
    expect(() => unwrapDataKey(master, other, stored)).toThrow(/integrity/);
    const dataKey = unwrapDataKey(master, identity, stored);
    expect(() => decryptValue(dataKey, other, stored)).toThrow(/integrity/);
  });

  it('binds the wrapped key to the master key id', () => {
    const master = randomBytes(32);
    const stored = encryptSecret(master, 'k1', identity, Buffer.from('s3cret'));
    expect(() => unwrapDataKey(master, identity, { ...stored, keyId: 'k2' })).toThrow(/integrity/);
  });

  it('uses a different data key for every encryption of the same value', () => {
    const master = randomBytes(32);
    const a = encryptSecret(master, 'k1', identity, Buffer.from('same'));
    const b = encryptSecret(master, 'k1', identity, Buffer.from('same'));
    expect(unwrapDataKey(master, identity, a).equals(unwrapDataKey(master, identity, b))).toBe(false);
    expect(a.value.ciphertext.equals(b.value.ciphertext)).toBe(false);
  });

  it('refuses a truncated tag or nonce', () => {
    const key = randomBytes(32);
    const sealed = seal(key, Buffer.from('v'), 'a');
    expect(() => openSealed(key, { ...sealed, tag: sealed.tag.subarray(0, 12) }, 'a', 'x')).toThrow(
      /integrity/,
    );
    expect(() => openSealed(key, { ...sealed, nonce: sealed.nonce.subarray(0, 8) }, 'a', 'x')).toThrow(
      /integrity/,
    );
  });
});

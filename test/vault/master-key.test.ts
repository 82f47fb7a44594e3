import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { MasterKey, readMasterKeyFile } from '../../src/vault/index.js';

describe('master key', () => {
  it('has a redacted form in JSON, inspect and strings', () => {
    const key = MasterKey.generate();
    const secret = key.toBase64();
    for (const form of [JSON.stringify({ key }), inspect(key), String(key), `${key}`]) {
      expect(form).toBe(form.includes('{') ? `{"key":"[master key ${key.id}]"}` : `[master key ${key.id}]`);
      expect(form).not.toContain(secret);
    }
  });

  it.each([
    ['not base64', 'not base64 at all!'],
    ['16 bytes', Buffer.alloc(16).toString('base64')],
    ['33 bytes', Buffer.alloc(33).toString('base64')],
    ['empty', ''],
  ])('refuses a key that is %s', (_case, text) => {
    expect(() => MasterKey.fromBase64(text, 'KEYGATE_MASTER_KEY')).toThrow(/base64 of exactly 32 bytes/);
  });

  it('accepts standard and URL-safe base64 with a trailing newline', () => {
    const bytes = Buffer.from('fb'.repeat(32), 'hex');
    expect(MasterKey.fromBase64(`${bytes.toString('base64')}\n`, 'x').id).toBe(new MasterKey(bytes).id);
    expect(MasterKey.fromBase64(bytes.toString('base64url'), 'x').id).toBe(new MasterKey(bytes).id);
  });

  it('derives the same key from the same passphrase and salt, another with another salt', async () => {
    const kdf = { ...MasterKey.newKdf(), N: 2 ** 10 };
    const a = await MasterKey.fromPassphrase('correct horse battery staple', kdf);
    const b = await MasterKey.fromPassphrase('correct horse battery staple', kdf);
    const c = await MasterKey.fromPassphrase('correct horse battery staple', {
      ...kdf,
      salt: MasterKey.newKdf().salt,
    });
    expect(a.id).toBe(b.id);
    expect(c.id).not.toBe(a.id);
  });

  it('tells its own check value from another key', () => {
    const key = MasterKey.generate();
    expect(key.matches(key.checkValue())).toBe(true);
    expect(MasterKey.generate().matches(key.checkValue())).toBe(false);
  });

  it.each([0o644, 0o640, 0o604])('refuses master.key with mode %o', async (mode) => {
    const dir = await mkdtemp(join(tmpdir(), 'keygate-key-'));
    const file = join(dir, 'master.key');
    await writeFile(file, MasterKey.generate().toBase64());
    await chmod(file, mode);
    await expect(readMasterKeyFile(file)).rejects.toMatchObject({ code: 'vault.master_key_permissions' });
  });

  it('reads master.key with mode 600', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'keygate-key-'));
    const file = join(dir, 'master.key');
    const key = MasterKey.generate();
    await writeFile(file, `${key.toBase64()}\n`, { mode: 0o600 });
    expect((await readMasterKeyFile(file))?.id).toBe(key.id);
    expect(await readMasterKeyFile(join(dir, 'missing.key'))).toBeUndefined();
  });
});

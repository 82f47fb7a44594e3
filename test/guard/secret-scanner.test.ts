/**
 * The scanner's parts that the matrix does not reach: the vault as its source (rebuilt when a
 * secret is set or removed, reading no use), places that never quote a value, short values, and
 * the policy's mode (`defaults.secret_scan`, its alias `policy.secret_scan`, per agent).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Catalog, loadCatalog } from '../../src/catalog/index.js';
import {
  argumentParts,
  checkOutbound,
  fixedSecrets,
  SecretScanner,
  vaultSecrets,
} from '../../src/guard/index.js';
import { PolicyEngine, parsePolicy } from '../../src/policy/index.js';
import type { Vault } from '../../src/vault/index.js';
import { freshVault, PGLITE_BACKEND, type TestStore } from '../helpers/stores.js';

const A = 'alpha-CANARY-7f3e9b2d41c8a6e0';
const B = 'bravo-CANARY-19d0c4e7b2a85f36';

const to = (destination: string, body: string) => ({
  destination,
  parts: argumentParts({ body }),
});

describe('the vault as the scan source', () => {
  let t: TestStore;
  let vault: Vault;
  beforeAll(async () => {
    t = await PGLITE_BACKEND.fresh();
    vault = await freshVault(t.store);
  });
  afterAll(async () => t.dispose());

  it('looks for every secret, picks up a new one at once, and forgets a removed one', async () => {
    const scanner = new SecretScanner(vaultSecrets(vault), { shapes: false });
    await vault.set({ name: 'alpha', kind: 'bearer', value: A });
    expect((await scanner.scan(to('github', `x ${A} y`), undefined))?.rule).toBe('vault-secret');
    expect(await scanner.scan(to('github', `x ${B} y`), undefined)).toBeUndefined();
    await vault.set({ name: 'bravo', kind: 'basic', params: { username: 'ops' }, value: B });
    const pair = Buffer.from(`ops:${B}`).toString('base64');
    expect((await scanner.scan(to('github', `Basic ${pair}`), undefined))?.rule).toBe('vault-secret');
    await vault.remove('alpha');
    expect(await scanner.scan(to('github', `x ${A} y`), undefined)).toBeUndefined();
  });

  it('exempts the destination own secret only', async () => {
    const scanner = new SecretScanner(vaultSecrets(vault), { shapes: false });
    expect(await scanner.scan(to('ops', B), 'bravo')).toBeUndefined();
    expect((await scanner.scan(to('ops', B), 'alpha'))?.rule).toBe('vault-secret');
  });

  it('reading the values for the scan is no use of a secret', async () => {
    await vault.set({ name: 'charlie', kind: 'bearer', value: `charlie-${A}` });
    await new SecretScanner(vaultSecrets(vault)).scan(to('github', 'hello'), undefined);
    expect((await vault.describe('charlie')).lastUsedAt).toBeNull();
  });

  it('prints no value', () => {
    const source = fixedSecrets([{ name: 'alpha', values: [A] }]);
    const scanner = new SecretScanner(source);
    expect(JSON.stringify({ scanner, source })).not.toContain('CANARY');
  });
});

describe('what a hit says', () => {
  const scanner = new SecretScanner(fixedSecrets([{ name: 'alpha', values: [A, 'short'] }]));

  it('reads a file upload decoded: base64 split by whitespace (which the encoder drops) still hits', async () => {
    const spaced = Buffer.from(`key: ${A}\n`)
      .toString('base64')
      .replace(/(.{4})/g, '$1 ');
    const hit = await scanner.scan(
      { destination: 'notion', parts: argumentParts({ file: { filename: 'a.txt', base64: spaced } }) },
      undefined,
    );
    expect(hit?.place).toBe('argument file.base64 (decoded)');
    const token = `ghp_${'A1b2C3d4'.repeat(4)}Zz99`;
    const shaped = await scanner.scan(
      {
        destination: 'notion',
        parts: argumentParts({ file: { base64: Buffer.from(token).toString('base64') } }),
      },
      undefined,
    );
    expect(shaped?.place).toBe('argument file.base64 (decoded)');
  });

  it('never quotes the value, even when a key of the arguments is the secret', async () => {
    const hit = await scanner.scan(
      { destination: 'stripe', parts: argumentParts({ metadata: { [A]: 'x' } }) },
      undefined,
    );
    expect(hit?.place).toBe('argument metadata (a key)');
    // Under a key that is a secret (its own service's, so no hit itself), a hit's path is redacted.
    const token = `ghp_${'A1b2C3d4'.repeat(4)}Zz99`;
    const under = await scanner.scan(
      { destination: 'stripe', parts: argumentParts({ metadata: { [A]: token } }) },
      'alpha',
    );
    expect(under?.place).toBe('argument metadata.[REDACTED]');
    const verdict = await checkOutbound(
      scanner,
      'refuse',
      { destination: 'stripe', parts: argumentParts({ metadata: { [A]: 'x' } }) },
      undefined,
    );
    expect(verdict.kind).toBe('refuse');
    expect(JSON.stringify(verdict)).not.toContain('alpha-CANARY');
    expect(verdict.kind === 'refuse' && verdict.error.message).toBe(
      "refused: the argument metadata (a key) carries a secret from keygate's vault, which goes only to its own service (rule vault-secret)",
    );
  });

  it('leaves values shorter than 8 characters alone: they would match ordinary text', async () => {
    expect(await scanner.scan(to('github', 'a short note'), undefined)).toBeUndefined();
  });

  it('redacts hits and vault secrets from what is recorded', async () => {
    const token = `ghp_${'A1b2C3d4'.repeat(4)}Zz99`;
    const hit = await scanner.scan(to('github', `token ${token}`), undefined);
    expect(hit?.rule).toBe('github/GITHUB_TOKEN');
    expect(hit?.redact({ body: `token ${token} and ${A}` })).toEqual({
      body: 'token [REDACTED] and [REDACTED]',
    });
  });
});

describe('the policy mode', () => {
  let catalog: Catalog;
  beforeAll(async () => {
    catalog = await loadCatalog();
  });
  const engine = (yaml: string) => {
    const parsed = parsePolicy(yaml, catalog);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    return new PolicyEngine(parsed.policy, catalog);
  };
  const agents = 'agents:\n  a: { tools: [] }\n  b: { tools: [], secret_scan: off }\n';

  it.each([
    ['', 'refuse', 'off'],
    ['defaults: { secret_scan: approve }\n', 'approve', 'off'],
    ['policy: { secret_scan: approve }\n', 'approve', 'off'],
    ['policy: { secret_scan: off }\ndefaults: { secret_scan: off }\n', 'off', 'off'],
  ])('%j: agent a %s, agent b (its own setting) %s', (head, a, b) => {
    const policy = engine(`${head}${agents}`);
    expect(policy.secretScanFor('a')).toBe(a);
    expect(policy.secretScanFor('b')).toBe(b);
    expect(policy.secretScanFor('nobody')).toBe(a);
  });

  it('refuses the alias and the default set to different modes, naming both', () => {
    const parsed = parsePolicy('policy: { secret_scan: off }\ndefaults: { secret_scan: refuse }\n', catalog);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.problems).toEqual([
      expect.objectContaining({
        path: 'policy.secret_scan',
        message: expect.stringMatching(/policy\.secret_scan \(off\) and defaults\.secret_scan \(refuse\)/),
      }),
    ]);
  });

  it('refuses an unknown mode', () => {
    expect(parsePolicy('defaults: { secret_scan: warn }\n', catalog).ok).toBe(false);
  });
});

/** A call's identity: its arguments' hash and the redacted form audit rows keep. */
import { describe, expect, it } from 'vitest';
import { argsHash, sha256Hex } from '../../src/audit/index.js';
import { LONG_STRING, redactArguments, toolCallIdentity } from '../../src/calls/index.js';
import { loadCatalog } from '../../src/catalog/index.js';

describe('argument redaction', () => {
  it('replaces secret-looking fields at any depth, and fields the catalog marks secret', async () => {
    const catalog = await loadCatalog();
    const tool = { ...catalog.get('github_repo_get'), sensitiveArguments: ['repo'] };
    const args = {
      owner: 'acme',
      repo: 'x',
      nested: { api_key: 'k', list: [{ password: 'p', ok: 1 }] },
      Authorization: 'Bearer t',
      client_secret: 's',
    };
    expect(redactArguments(tool, args)).toEqual({
      owner: 'acme',
      repo: '[REDACTED]',
      nested: { api_key: '[REDACTED]', list: [{ password: '[REDACTED]', ok: 1 }] },
      Authorization: '[REDACTED]',
      client_secret: '[REDACTED]',
    });
  });

  it('keeps a long string (a file upload) as its length and hash, and short ones whole', async () => {
    const catalog = await loadCatalog();
    const upload = 'QUJD'.repeat(50_000);
    const redacted = redactArguments(catalog.get('github_repo_get'), {
      file: { data: upload, name: 'report.pdf' },
      edge: 'x'.repeat(LONG_STRING),
    }) as { file: { data: string; name: string }; edge: string };
    expect(redacted.file.data).toBe(`[200000 characters, sha256 ${sha256Hex(upload).slice(0, 16)}…]`);
    expect(redacted.file.name).toBe('report.pdf');
    expect(redacted.edge).toBe('x'.repeat(LONG_STRING));
  });

  it('hashes arguments independently of key order', () => {
    expect(argsHash({ a: 1, b: { c: 2, d: 3 } })).toBe(argsHash({ b: { d: 3, c: 2 }, a: 1 }));
    expect(argsHash({ a: 1 })).not.toBe(argsHash({ a: 2 }));
  });
});

describe('tool call identity', () => {
  it('is the hash of the arguments that run and their redacted form, never the secret value', async () => {
    const catalog = await loadCatalog();
    const tool = { ...catalog.get('github_repo_get'), sensitiveArguments: ['repo'] };
    const identity = toolCallIdentity(tool, { owner: 'acme', repo: 'hidden-repo' });
    expect(identity).toEqual({
      argsHash: argsHash({ repo: 'hidden-repo', owner: 'acme' }),
      argsRedacted: { owner: 'acme', repo: '[REDACTED]' },
    });
    expect(JSON.stringify(identity)).not.toContain('hidden-repo');
  });
});

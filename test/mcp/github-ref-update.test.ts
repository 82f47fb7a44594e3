/**
 * github_git_ref_update is a write, not destructive, only because `force` is left out of its
 * curation: GitHub then fast-forwards only. A forced update (which can drop commits) must be
 * refused before anything reaches GitHub.
 */
import { describe, expect, it } from 'vitest';
import { useHarnessClient } from '../helpers/harness.js';

describe('github_git_ref_update', () => {
  const ctx = useHarnessClient();

  it('is a write whose arguments do not include force', () => {
    const tool = ctx.harness.catalog.get('github_git_ref_update');
    expect(tool.risk).toBe('write');
    expect(Object.keys(tool.inputSchema.properties ?? {})).not.toContain('force');
  });

  it('refuses force: true and sends nothing to GitHub', async () => {
    const result = (await ctx.client.callTool({
      name: 'github_git_ref_update',
      arguments: { owner: 'acme', repo: 'api', ref: 'heads/main', sha: 'def456', force: true },
    })) as { isError?: boolean; structuredContent?: { error: { code: string } } };

    expect(result.isError).toBe(true);
    expect(result.structuredContent?.error.code).toBe('executor.invalid_arguments');
    expect(ctx.harness.fakes.github.requests).toEqual([]);
    expect(ctx.harness.fakes.github.refused).toEqual([]);
  });
});

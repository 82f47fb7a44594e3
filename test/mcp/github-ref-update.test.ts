/**
 * github_git_ref_update is a write, not destructive, only because `force` is left out of its
 * curation: GitHub then fast-forwards only. A forced update (which can drop commits) must be
 * refused before anything reaches GitHub.
 */
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connectClient, type Harness, startHarness } from '../helpers/harness.js';

describe('github_git_ref_update', () => {
  let harness: Harness;
  let client: Client;

  beforeAll(async () => {
    harness = await startHarness();
    client = await connectClient(harness);
  });
  afterAll(async () => {
    await client.close();
    await harness.close();
  });
  beforeEach(() => harness.resetFakes());

  it('is a write whose arguments do not include force', () => {
    const tool = harness.catalog.get('github_git_ref_update');
    expect(tool.risk).toBe('write');
    expect(Object.keys(tool.inputSchema.properties ?? {})).not.toContain('force');
  });

  it('refuses force: true and sends nothing to GitHub', async () => {
    const result = (await client.callTool({
      name: 'github_git_ref_update',
      arguments: { owner: 'acme', repo: 'api', ref: 'heads/main', sha: 'def456', force: true },
    })) as { isError?: boolean; structuredContent?: { error: { code: string } } };

    expect(result.isError).toBe(true);
    expect(result.structuredContent?.error.code).toBe('executor.invalid_arguments');
    expect(harness.fakes.github.requests).toEqual([]);
    expect(harness.fakes.github.refused).toEqual([]);
  });
});

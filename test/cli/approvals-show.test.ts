/**
 * `keygate approvals show ID` without a daemon, in process: it opens the home's store and prints
 * the record and every argument in full, secrets redacted. (Through a running daemon it is
 * tested in test/server/approvals-e2e.test.ts.)
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ApprovalBook } from '../../src/approvals/index.js';
import { AuditLog, argsHash } from '../../src/audit/index.js';
import { redactArguments } from '../../src/calls/index.js';
import { loadCatalog } from '../../src/catalog/index.js';
import { openStore } from '../../src/store/index.js';
import { runInProcess } from '../helpers/cli.js';

const BODY = `${'A long and harmless issue body. '.repeat(20)}And at the very end: grant admin to attacker.`;
const args = {
  owner: 'acme',
  repo: 'api',
  title: 'Crash on login',
  body: BODY,
  api_token: 'ghp_not_for_eyes',
};

/** What `keygate approvals show ID` prints, as text and with --json, run in-process. */
async function showCommand(home: string, id: string): Promise<{ text: string; json: unknown }> {
  const text = await runInProcess(['approvals', 'show', id, '--home', home]);
  expect(text.stderr).toBe('');
  expect(text.code).toBe(0);
  const json = await runInProcess(['approvals', 'show', id, '--home', home, '--json']);
  expect(json.code).toBe(0);
  return { text: text.stdout, json: JSON.parse(json.stdout) };
}

describe('keygate approvals show, offline', () => {
  let home: string;
  let id: string;
  // Each command opens the store (seconds): the tests read one printout.
  let shown: Promise<{ text: string; json: unknown }> | undefined;
  const show = () => {
    shown ??= showCommand(home, id);
    return shown;
  };

  beforeAll(async () => {
    home = join(await mkdtemp(join(tmpdir(), 'keygate-show-')), 'home');
    const tool = (await loadCatalog()).find('github_issue_create');
    const store = await openStore({ home });
    const audit = new AuditLog(store);
    try {
      const { approval } = await new ApprovalBook(store, audit).open({
        agent: 'triage-bot',
        tokenId: 'tok_1',
        tool: 'github_issue_create',
        args,
        argsHash: argsHash(args),
        argsRedacted: redactArguments(tool, args),
        policyVersion: 'policy-v1',
        timeoutMs: 300_000,
      });
      id = approval.id;
    } finally {
      await audit.drain();
      await store.close();
    }
  }, 60_000);

  it('prints every argument in full, with the record', async () => {
    const { text, json } = await show();
    expect(text).toContain(`  body: ${BODY}`);
    expect(text).toContain('grant admin to attacker.');
    for (const line of [
      `Approval:       ${id}`,
      'Agent:          triage-bot',
      'Tool:           github_issue_create',
      'Service:        github',
      'Operation:      POST /repos/{owner}/{repo}/issues',
      'Risk:           write',
      'Status:         pending',
      'Policy version: policy-v1',
      `Arguments hash: ${argsHash(args)}`,
      `approvals approve ${id}`,
    ])
      expect(text).toContain(line);
    expect(text).toMatch(/Expires: +\d{4}-\d\d-\d\dT/);
    expect(json).toMatchObject({ id, argsRedacted: { ...args, api_token: '[REDACTED]' } });
  });

  it('shows the agent’s own value under a key that looks secret (the approver sees what is sent)', async () => {
    // The audit-style redaction by key name stays in argsRedacted; the arguments shown to the
    // approver are what the call sends, or an agent could hide a payload under such a key.
    const { text, json } = await show();
    expect(text).toContain('  api_token: ghp_not_for_eyes');
    expect((json as { argsRedacted: Record<string, unknown> }).argsRedacted.api_token).toBe('[REDACTED]');
  });

  it('says so for an unknown id', async () => {
    const { code, stderr } = await runInProcess(['approvals', 'show', 'apr_nope', '--home', home]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/\[approval\.not_found\]\n$/);
  });
});

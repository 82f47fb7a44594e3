/** The approval card on its own: what an approver reads first. */
import { describe, expect, it } from 'vitest';
import { type Approval, approvalView } from '../../src/approvals/index.js';
import { loadCatalog } from '../../src/catalog/index.js';
import { approvalCard } from '../../src/dashboard/approvals-view.js';

const catalog = await loadCatalog(['github']);

function pending(notice: string | null): Approval {
  return {
    id: 'apr_notice1',
    agent: 'alice',
    tokenId: 'tok-1',
    tool: 'github_issue_list',
    args: { owner: 'acme', repo: 'api', labels: 'bug' },
    argsHash: 'a'.repeat(64),
    argsRedacted: { owner: 'acme', repo: 'api', labels: 'bug' },
    policyVersion: 'v1',
    status: 'pending',
    createdAt: '2026-12-02T10:00:00.000Z',
    expiresAt: '2026-12-02T10:05:00.000Z',
    decidedAt: null,
    decidedBy: null,
    reason: null,
    usedAt: null,
    notice,
  };
}

describe('the approval card', () => {
  it('shows a secret-scan warning before the arguments, escaped', () => {
    const notice = 'SECRET SCAN: the argument labels carries <b>a secret</b> (rule vault-secret).';
    const card = String(
      approvalCard({ view: approvalView(pending(notice), catalog.get('github_issue_list')), rule: 'x' }, 'c'),
    );
    const at = card.indexOf('data-notice');
    expect(at).toBeGreaterThan(0);
    expect(at).toBeLessThan(card.indexOf('data-arguments'));
    expect(card).toContain('carries &lt;b&gt;a secret&lt;/b&gt;');
  });

  it('shows no warning block for a record without one', () => {
    const card = String(
      approvalCard({ view: approvalView(pending(null), catalog.get('github_issue_list')), rule: 'x' }, 'c'),
    );
    expect(card).not.toContain('data-notice');
  });
});

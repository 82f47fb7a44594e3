import { beforeAll, describe, expect, it } from 'vitest';
import { type Catalog, loadCatalog } from '../../src/catalog/index.js';
import { expandTerm, readReferences } from '../../src/catalog/search-synonyms.js';

const words = (text: string) => readReferences(text).replace(/\s+/g, ' ').trim();

describe('reading a query', () => {
  it('reads references for what they say and drops the names', () => {
    expect(words('refund ch_1AbcDef now')).toBe('refund charge now');
    expect(words('cancel sub_sched_123abc')).toBe('cancel subscription schedule');
    expect(words('remove si_1AbcDef from it')).toBe('remove subscription item from it');
    expect(words('void cn_1MxvRq and il_1Nb3')).toBe('void credit note and invoice line');
    expect(words('close acme/web#903')).toBe('close issue');
    expect(words('duplicate of #80')).toBe('duplicate of issue');
    expect(words('show src/auth.ts in acme/web')).toBe('show file in');
    expect(words('git log of acme/api')).toBe('git log of');
    expect(words('page 59833787-aaaa-bbbb-cccc-123456789012')).toBe('page');
    // An unknown prefix is left as it is.
    expect(words('look at zz_12345')).toBe('look at zz_12345');
  });

  it('stems, drops filler and widens with synonyms', () => {
    expect(expandTerm('PRs')).toEqual(['pr', 'pull', 'request']);
    expect(expandTerm('closing')).toEqual(['close', 'updat', 'state']);
    expect(expandTerm('the')).toBeNull();
    expect(expandTerm('issues')).toEqual(['issu']);
  });
});

describe('tool search', () => {
  let catalog: Catalog;
  beforeAll(async () => {
    catalog = await loadCatalog();
  });

  it('ranks the tool a task needs near the top', () => {
    const top = (query: string) => catalog.search.search(query, { limit: 3 }).map((match) => match.name);
    expect(top('merge pull request 381 in acme/api')[0]).toBe('github_pull_merge');
    expect(top('cancel subscription sub_123abc')[0]).toBe('stripe_subscription_cancel');
    expect(top('create a page in the Roadmap doc')).toContain('notion_page_create');
  });

  it('finds only allowed tools of the asked service, at most the limit, in a stable order', () => {
    const allowed = new Set(['github_issue_get', 'github_issue_update', 'stripe_refund_create']);
    const found = catalog.search.search('refund an issue', { allowed: (name) => allowed.has(name) });
    expect(found.map((match) => match.name).every((name) => allowed.has(name))).toBe(true);
    expect(
      catalog.search.search('list', { service: 'notion', limit: 50 }).every((m) => m.service === 'notion'),
    ).toBe(true);
    expect(catalog.search.search('list', { limit: 500 }).length).toBeLessThanOrEqual(50);
    expect(catalog.search.search('list', { limit: 0 })).toHaveLength(1);
    const again = catalog.search.search('update a customer', { limit: 10 });
    expect(catalog.search.search('update a customer', { limit: 10 })).toEqual(again);
    expect(again[0]).toMatchObject({ name: 'stripe_customer_update', service: 'stripe', risk: 'write' });
    expect(again[0]!.summary).not.toContain('\n');
  });
});

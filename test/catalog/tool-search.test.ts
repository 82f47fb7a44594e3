import { beforeAll, describe, expect, it } from 'vitest';
import { type Catalog, loadCatalog } from '../../src/catalog/index.js';
import { readIntent } from '../../src/catalog/search-intent.js';
import { expandTerm, readPhrases, readReferences, readWord } from '../../src/catalog/search-synonyms.js';
import { ToolSearch } from '../../src/catalog/tool-search.js';
import type { ToolDefinition } from '../../src/catalog/types.js';

const words = (text: string) => readReferences(text).replace(/\s+/g, ' ').trim();

describe('reading a query', () => {
  it('reads references for what they say and drops the names', () => {
    expect(words('refund ch_1AbcDef now')).toBe('refund charge now');
    expect(words('cancel sub_sched_123abc')).toBe('cancel subscription schedule');
    expect(words('remove si_1AbcDef from it')).toBe('remove subscription item from it');
    expect(words('void cn_1MxvRq and il_1Nb3')).toBe('void credit note and invoice line item');
    expect(words('close acme/web#903')).toBe('close issue');
    expect(words('duplicate of #80')).toBe('duplicate of issue');
    expect(words('show src/auth.ts in acme/web')).toBe('show file path in');
    expect(words('git log of acme/api')).toBe('git log of');
    expect(words('page 59833787-aaaa-bbbb-cccc-123456789012')).toBe('page');
    expect(words('resolve refs/tags/v3 in octo/site')).toBe('resolve git ref in');
    expect(words('drop si_1Abc from sub_9Xyz')).toBe('drop subscription item from subscription');
    // An unknown prefix is left as it is.
    expect(words('look at zz_12345')).toBe('look at zz_12345');
  });

  it('stems, drops filler and widens with synonyms', () => {
    expect(expandTerm('PRs')).toEqual(['pr', 'pull', 'request']);
    expect(expandTerm('closing')).toEqual(['close', 'updat', 'state']);
    expect(expandTerm('the')).toBeNull();
    expect(expandTerm('issues')).toEqual(['issu']);
  });

  it('keeps a word apart from its synonyms, which count for less', () => {
    expect(readWord('tags')).toEqual({ own: 'tag', synonyms: ['releas', 'label', 'ref'] });
    // Filler says nothing of its own; first person still points at the caller's own tools.
    expect(readWord('the')).toBeNull();
    expect(readWord('my')).toEqual({ own: null, synonyms: ['my', 'me'] });
  });

  it('reads idioms of several words before the words', () => {
    expect(readPhrases('Get rid of the wontfix label')).toBe('delete the wontfix label');
    expect(readPhrases('take bob off the reviewers')).toBe('remove bob from the reviewers');
    expect(readPhrases('turn off the nightly workflow')).toBe('disable the nightly workflow');
    expect(readPhrases('how much did we pay back')).toBe('how much did we refund');
    expect(readPhrases('Who am I on GitHub')).toBe('whoami on github');
    expect(readPhrases('who last modified it')).toBe('who last modified history it');
  });
});

describe('reading what a query wants', () => {
  const nouns = new Set(['label', 'issu', 'invoic', 'comment']);

  it('takes a question or a read verb for reading, an order for a change', () => {
    expect(readIntent('which labels does octo/site have', nouns).mood).toBe('read');
    expect(readIntent('can octocat push to octo/site', nouns).mood).toBe('read');
    expect(readIntent('is octo/site#4 still open?', nouns).mood).toBe('read');
    expect(readIntent('please show the labels', nouns).mood).toBe('read');
    expect(readIntent('can you close octo/site#3', nouns).mood).toBe('change');
    expect(readIntent('drop the wontfix label', nouns).mood).toBe('change');
    // What comes before the verb does not hide it.
    expect(readIntent("I'd like to close octo/site#3", nouns).mood).toBe('change');
    expect(readIntent('help me find the invoices of cus_Ab12', nouns).mood).toBe('read');
    expect(readIntent('closed issues since Monday', nouns).mood).toBe('unknown');
    // "open" and "new" before a plural describe what to list; before anything else they order.
    expect(readIntent('open PRs in octo/site', nouns)).toMatchObject({ mood: 'read', many: true });
    expect(readIntent('new invoices this week', nouns).mood).toBe('read');
    expect(readIntent('open a PR from feature-x', nouns).mood).toBe('change');
  });

  it('tells many from one', () => {
    expect(readIntent('labels of octo/site', nouns)).toMatchObject({ many: true });
    expect(readIntent('every open invoice', nouns)).toMatchObject({ many: true });
    // A plural that is no catalog noun ("thanks") asks for nothing in particular.
    expect(readIntent('say thanks on octo/site#5', nouns)).toMatchObject({ many: false, one: true });
    expect(readIntent('show ticket 12 in octo/site', nouns)).toMatchObject({ many: false, one: true });
    expect(readIntent('show in_1Abc', nouns)).toMatchObject({ one: true });
  });

  it('reads the service from references and names', () => {
    const services = (query: string) => [...readIntent(query, nouns).services].sort();
    expect(services('refund ch_1AbcDef')).toEqual(['stripe']);
    expect(services('close octo/site#3')).toEqual(['github']);
    expect(services('comment on #12')).toEqual(['github']);
    expect(services('open the Notion page 59833787-aaaa-bbbb-cccc-123456789012')).toEqual(['notion']);
    expect(services('list my GitHub stars and the Stripe balance')).toEqual(['github', 'stripe']);
    expect(services('list the users')).toEqual([]);
    // Not every slash is a repository.
    expect(services('refund and/or cancel ch_1AbcDef')).toEqual(['stripe']);
    expect(services('pay out 1/2 of the balance on 12/31')).toEqual([]);
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

  // Each phrasing below was ranked lower (or not at all) before the rule it illustrates; none is
  // taken from bench/catalog/tool-phrasings.json.
  const rank = (query: string, tool: string) => {
    const index = catalog.search.search(query, { limit: 5 }).findIndex((match) => match.name === tool);
    return index === -1 ? null : index + 1;
  };

  it('counts a word with many synonyms once, below the word itself', () => {
    // "tags" widens to release, label and ref: each used to count as a word of its own.
    expect(rank('which tags exist in octo/site', 'github_tag_list')).toBeLessThanOrEqual(3);
  });

  it('ranks reading tools first for a question, changing ones for an order', () => {
    // Before, the tools that add or set labels came first: they say "label" more often.
    expect(rank('which labels does octo/site have', 'github_label_list')).toBe(1);
    expect(
      rank('file a bug in octo/site about the broken search box', 'github_issue_create'),
    ).toBeLessThanOrEqual(3);
  });

  it('ranks a list first for many things, a get for one', () => {
    // Stripe's invoice search (status:'open') is as good an answer: the list must be next to it.
    expect(rank('which invoices are still open', 'stripe_invoice_list')).toBeLessThanOrEqual(2);
    expect(rank('show the comments on ticket 5 of octo/site', 'github_issue_comment_list')).toBe(1);
    expect(rank('what is the head commit of the develop branch in octo/site', 'github_branch_get')).toBe(1);
  });

  it('reads "open" and "new" before a plural as a state, not an order to create', () => {
    expect(rank('open invoices of cus_Ab12', 'stripe_invoice_list')).toBeLessThanOrEqual(2);
    expect(rank('new issues in octo/site this week', 'github_issue_list')).toBe(1);
    expect(rank('open PRs in octo/site', 'github_pull_list')).toBeLessThanOrEqual(2);
    expect(rank('open an issue in octo/site about dark mode', 'github_issue_create')).toBe(1);
  });

  it('prefers tools whose name says only what the query names', () => {
    // github_issue_label_remove used to win on "remove" and the issue reference alone.
    expect(
      rank('remove bob from the reviewers of octo/site#9', 'github_pull_reviewer_remove'),
    ).toBeLessThanOrEqual(2);
  });

  it('reads idioms and everyday words for what the catalog calls them', () => {
    expect(rank('get rid of the wontfix label in octo/site', 'github_label_delete')).toBe(1);
    expect(rank('turn off the nightly workflow in octo/site', 'github_workflow_disable')).toBe(1);
    expect(rank('thumbs down acme/site#4', 'github_issue_reaction_create')).toBe(1);
    expect(rank('stop run 991 in octo/site', 'github_workflow_run_cancel')).toBe(1);
    expect(rank('how much Python is there in octo/site', 'github_language_list')).toBe(1);
    expect(rank('what is the current release of octo/site', 'github_release_latest_get')).toBe(1);
    expect(
      rank('which repositories belong to the octo organization', 'github_org_repo_list'),
    ).toBeLessThanOrEqual(2);
    expect(
      rank('how much have we paid back to customers in total', 'stripe_refund_list'),
    ).toBeLessThanOrEqual(3);
    expect(rank('who am I on GitHub', 'github_me_get')).toBeLessThanOrEqual(3);
    expect(rank('resolve refs/tags/v3 in octo/site', 'github_git_ref_get')).toBeLessThanOrEqual(3);
    expect(rank('grep octo/site for TODO markers', 'github_search_code')).toBe(1);
    expect(rank('put dana on octo/site#5', 'github_issue_assignee_add')).toBeLessThanOrEqual(3);
    // Who changed a file, when it was edited: its history, the commits that touch its path.
    expect(rank('who modified config/app.yml last in octo/site', 'github_commit_list')).toBeLessThanOrEqual(
      3,
    );
    expect(rank('when was docs/setup.md edited in octo/site', 'github_commit_list')).toBeLessThanOrEqual(3);
  });

  it('leans to the one service whose things the query names', () => {
    // "plan" is a Stripe word, "page" a Notion one: a subscription list used to come first.
    expect(catalog.search.search('what is written on the Q3 plan page', { limit: 1 })[0]!.service).toBe(
      'notion',
    );
  });

  it('takes a noun used as a verb first for an order', () => {
    expect(rank('comment on the Launch page that it slipped a week', 'notion_comment_create')).toBe(1);
    expect(rank('freeze the thread of octo/site#8', 'github_issue_lock')).toBe(1);
  });

  it('knows what users call a branch, a database, a filter, history and members', () => {
    expect(
      rank('create a branch called feature-x from sha abc1234 in octo/site', 'github_git_ref_create'),
    ).toBe(1);
    expect(
      rank('what properties does the Tasks database have', 'notion_data_source_get'),
    ).toBeLessThanOrEqual(2);
    expect(rank('filter the Tasks database for items due this week', 'notion_data_source_query')).toBe(1);
    expect(rank('what happened to octo/site#12 over time', 'github_issue_event_list')).toBe(1);
    expect(rank('who is in the octo org', 'github_org_member_list')).toBe(1);
  });

  it('does not count a verb that ends a tool name as something the query must name', () => {
    // Two tools alike but for their last word: "void" is a verb there, "abc" a noun no query
    // names; without the rule the tie goes to the first name in order, stripe_invoice_abc.
    const tool = (name: string) =>
      ({
        name,
        service: 'stripe',
        risk: 'write',
        description: 'Act on an invoice.',
        inputSchema: { type: 'object', properties: { invoice: { type: 'string' } } },
      }) as unknown as ToolDefinition;
    const small = new ToolSearch([tool('stripe_invoice_abc'), tool('stripe_invoice_void')]);
    expect(small.search('that invoice', { limit: 2 }).map((match) => match.name)).toEqual([
      'stripe_invoice_void',
      'stripe_invoice_abc',
    ]);
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

/**
 * For every curated operation: call the tool through a real MCP client and assert the exact
 * request the fake upstream received (method, path, query, body, and the service's headers).
 */
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FakeService } from '../fakes/fake-upstream.js';
import { assertNoSecrets, CANARY, connectClient, type Harness, startHarness } from '../helpers/harness.js';

const P = '59833787-2cf9-4fdf-8782-e53db20768a5';
const P2 = '0c7a0a2c-9d6b-4c43-8d59-2b1f3c1a9e10';
const repo = { owner: 'acme', repo: 'api' };
const R = '/repos/acme/api';

/** [tool, arguments, method, path?query, body (object for JSON, string for form, absent for none)] */
type Case = [string, Record<string, unknown>, string, string, (Record<string, unknown> | string)?];

const CASES: Case[] = [
  // GitHub
  ['github_repo_get', repo, 'GET', R],
  [
    'github_org_repo_list',
    { org: 'acme', type: 'public', per_page: 5 },
    'GET',
    '/orgs/acme/repos?type=public&per_page=5',
  ],
  [
    'github_issue_list',
    { ...repo, state: 'open', labels: 'bug,ui', per_page: 10 },
    'GET',
    `${R}/issues?state=open&labels=bug%2Cui&per_page=10`,
  ],
  ['github_issue_get', { ...repo, issue_number: 7 }, 'GET', `${R}/issues/7`],
  [
    'github_issue_create',
    { ...repo, title: 'Bug', body: 'It broke', labels: ['bug'] },
    'POST',
    `${R}/issues`,
    { title: 'Bug', body: 'It broke', labels: ['bug'] },
  ],
  [
    'github_issue_update',
    { ...repo, issue_number: 7, state: 'closed', state_reason: 'completed', milestone: null },
    'PATCH',
    `${R}/issues/7`,
    { state: 'closed', state_reason: 'completed', milestone: null },
  ],
  [
    'github_issue_comment_list',
    { ...repo, issue_number: 7, per_page: 50 },
    'GET',
    `${R}/issues/7/comments?per_page=50`,
  ],
  [
    'github_issue_comment_create',
    { ...repo, issue_number: 7, body: 'Thanks' },
    'POST',
    `${R}/issues/7/comments`,
    { body: 'Thanks' },
  ],
  [
    'github_issue_comment_update',
    { ...repo, comment_id: 42, body: 'Edited' },
    'PATCH',
    `${R}/issues/comments/42`,
    { body: 'Edited' },
  ],
  ['github_label_list', { ...repo, per_page: 100 }, 'GET', `${R}/labels?per_page=100`],
  [
    'github_issue_label_add',
    { ...repo, issue_number: 7, labels: ['bug', 'p1'] },
    'POST',
    `${R}/issues/7/labels`,
    { labels: ['bug', 'p1'] },
  ],
  [
    'github_issue_label_remove',
    { ...repo, issue_number: 7, name: 'needs triage' },
    'DELETE',
    `${R}/issues/7/labels/needs%20triage`,
  ],
  [
    'github_issue_lock',
    { ...repo, issue_number: 7, lock_reason: 'spam' },
    'PUT',
    `${R}/issues/7/lock`,
    { lock_reason: 'spam' },
  ],
  ['github_pull_list', { ...repo, state: 'open', base: 'main' }, 'GET', `${R}/pulls?state=open&base=main`],
  ['github_pull_get', { ...repo, pull_number: 3 }, 'GET', `${R}/pulls/3`],
  [
    'github_pull_create',
    { ...repo, title: 'Fix', head: 'fix-1', base: 'main', draft: true },
    'POST',
    `${R}/pulls`,
    { title: 'Fix', head: 'fix-1', base: 'main', draft: true },
  ],
  [
    'github_pull_update',
    { ...repo, pull_number: 3, title: 'Fix v2', state: 'closed' },
    'PATCH',
    `${R}/pulls/3`,
    { title: 'Fix v2', state: 'closed' },
  ],
  [
    'github_pull_merge',
    { ...repo, pull_number: 3, merge_method: 'squash', sha: 'abc123' },
    'PUT',
    `${R}/pulls/3/merge`,
    { merge_method: 'squash', sha: 'abc123' },
  ],
  [
    'github_pull_file_list',
    { ...repo, pull_number: 3, per_page: 100 },
    'GET',
    `${R}/pulls/3/files?per_page=100`,
  ],
  ['github_pull_review_list', { ...repo, pull_number: 3 }, 'GET', `${R}/pulls/3/reviews`],
  [
    'github_pull_review_create',
    { ...repo, pull_number: 3, event: 'APPROVE', body: 'LGTM' },
    'POST',
    `${R}/pulls/3/reviews`,
    { event: 'APPROVE', body: 'LGTM' },
  ],
  [
    'github_content_get',
    { ...repo, path: 'src/index.ts', ref: 'main' },
    'GET',
    `${R}/contents/src/index.ts?ref=main`,
  ],
  [
    'github_content_create_or_update',
    { ...repo, path: 'docs/a b.md', message: 'Add doc', content: 'aGk=', branch: 'main' },
    'PUT',
    `${R}/contents/docs/a%20b.md`,
    { message: 'Add doc', content: 'aGk=', branch: 'main' },
  ],
  [
    'github_content_delete',
    { ...repo, path: 'old.txt', message: 'Remove', sha: 'def456' },
    'DELETE',
    `${R}/contents/old.txt`,
    { message: 'Remove', sha: 'def456' },
  ],
  ['github_branch_list', { ...repo, protected: true }, 'GET', `${R}/branches?protected=true`],
  ['github_branch_get', { ...repo, branch: 'main' }, 'GET', `${R}/branches/main`],
  [
    'github_commit_list',
    { ...repo, sha: 'main', path: 'src', since: '2026-01-01T00:00:00Z' },
    'GET',
    `${R}/commits?sha=main&path=src&since=2026-01-01T00%3A00%3A00Z`,
  ],
  ['github_commit_get', { ...repo, ref: 'abc123' }, 'GET', `${R}/commits/abc123`],
  [
    'github_search_issues',
    { q: 'repo:acme/api is:open label:bug', per_page: 5 },
    'GET',
    '/search/issues?q=repo%3Aacme%2Fapi%20is%3Aopen%20label%3Abug&per_page=5',
  ],
  [
    'github_search_code',
    { q: 'addClass repo:acme/web' },
    'GET',
    '/search/code?q=addClass%20repo%3Aacme%2Fweb',
  ],
  ['github_workflow_list', repo, 'GET', `${R}/actions/workflows`],
  [
    'github_workflow_run_list',
    { ...repo, branch: 'main', status: 'failure' },
    'GET',
    `${R}/actions/runs?branch=main&status=failure`,
  ],
  ['github_workflow_run_get', { ...repo, run_id: 99 }, 'GET', `${R}/actions/runs/99`],
  [
    'github_workflow_run_rerun',
    { ...repo, run_id: 99, enable_debug_logging: true },
    'POST',
    `${R}/actions/runs/99/rerun`,
    { enable_debug_logging: true },
  ],
  [
    'github_workflow_run_rerun_failed',
    { ...repo, run_id: 99 },
    'POST',
    `${R}/actions/runs/99/rerun-failed-jobs`,
    {},
  ],
  ['github_release_list', { ...repo, per_page: 3 }, 'GET', `${R}/releases?per_page=3`],
  ['github_release_latest_get', repo, 'GET', `${R}/releases/latest`],
  [
    'github_release_create',
    { ...repo, tag_name: 'v1.0.0', name: 'v1', generate_release_notes: true },
    'POST',
    `${R}/releases`,
    { tag_name: 'v1.0.0', name: 'v1', generate_release_notes: true },
  ],

  // Stripe
  ['stripe_balance_get', {}, 'GET', '/v1/balance'],
  [
    'stripe_customer_list',
    { email: 'a@b.co', limit: 3, created: { gte: 1700000000 } },
    'GET',
    '/v1/customers?created[gte]=1700000000&email=a%40b.co&limit=3',
  ],
  [
    'stripe_customer_search',
    { query: "email:'a@b.co'", limit: 5 },
    'GET',
    '/v1/customers/search?limit=5&query=email%3A%27a%40b.co%27',
  ],
  [
    'stripe_customer_get',
    { customer: 'cus_123', expand: ['default_source'] },
    'GET',
    '/v1/customers/cus_123?expand[]=default_source',
  ],
  [
    'stripe_customer_create',
    { email: 'a@b.co', name: 'Ada', metadata: { plan: 'pro' }, address: { city: 'Paris', country: 'FR' } },
    'POST',
    '/v1/customers',
    'address[city]=Paris&address[country]=FR&email=a%40b.co&metadata[plan]=pro&name=Ada',
  ],
  [
    'stripe_customer_update',
    { customer: 'cus_123', description: '', metadata: { plan: 'team' } },
    'POST',
    '/v1/customers/cus_123',
    'description=&metadata[plan]=team',
  ],
  [
    'stripe_payment_intent_list',
    { customer: 'cus_123', limit: 2 },
    'GET',
    '/v1/payment_intents?customer=cus_123&limit=2',
  ],
  ['stripe_payment_intent_get', { intent: 'pi_1' }, 'GET', '/v1/payment_intents/pi_1'],
  [
    'stripe_payment_intent_create',
    { amount: 2000, currency: 'usd', customer: 'cus_123', payment_method_types: ['card'] },
    'POST',
    '/v1/payment_intents',
    'amount=2000&currency=usd&customer=cus_123&payment_method_types[]=card',
  ],
  [
    'stripe_payment_intent_confirm',
    { intent: 'pi_1', payment_method: 'pm_card_visa' },
    'POST',
    '/v1/payment_intents/pi_1/confirm',
    'payment_method=pm_card_visa',
  ],
  [
    'stripe_payment_intent_cancel',
    { intent: 'pi_1', cancellation_reason: 'duplicate' },
    'POST',
    '/v1/payment_intents/pi_1/cancel',
    'cancellation_reason=duplicate',
  ],
  [
    'stripe_charge_list',
    { customer: 'cus_123', created: { gt: 1, lt: 2 } },
    'GET',
    '/v1/charges?created[gt]=1&created[lt]=2&customer=cus_123',
  ],
  ['stripe_charge_get', { charge: 'ch_1' }, 'GET', '/v1/charges/ch_1'],
  [
    'stripe_refund_create',
    { payment_intent: 'pi_1', amount: 500, reason: 'requested_by_customer' },
    'POST',
    '/v1/refunds',
    'amount=500&payment_intent=pi_1&reason=requested_by_customer',
  ],
  ['stripe_refund_get', { refund: 're_1' }, 'GET', '/v1/refunds/re_1'],
  ['stripe_refund_list', { charge: 'ch_1', limit: 10 }, 'GET', '/v1/refunds?charge=ch_1&limit=10'],
  [
    'stripe_invoice_list',
    { customer: 'cus_123', status: 'open' },
    'GET',
    '/v1/invoices?customer=cus_123&status=open',
  ],
  ['stripe_invoice_get', { invoice: 'in_1' }, 'GET', '/v1/invoices/in_1'],
  [
    'stripe_invoice_create',
    { customer: 'cus_123', auto_advance: false, days_until_due: 30, collection_method: 'send_invoice' },
    'POST',
    '/v1/invoices',
    'auto_advance=false&collection_method=send_invoice&customer=cus_123&days_until_due=30',
  ],
  [
    'stripe_invoice_finalize',
    { invoice: 'in_1', auto_advance: true },
    'POST',
    '/v1/invoices/in_1/finalize',
    'auto_advance=true',
  ],
  [
    'stripe_invoice_pay',
    { invoice: 'in_1', paid_out_of_band: true },
    'POST',
    '/v1/invoices/in_1/pay',
    'paid_out_of_band=true',
  ],
  [
    'stripe_subscription_list',
    { customer: 'cus_123', status: 'active' },
    'GET',
    '/v1/subscriptions?customer=cus_123&status=active',
  ],
  ['stripe_subscription_get', { subscription_exposed_id: 'sub_1' }, 'GET', '/v1/subscriptions/sub_1'],
  [
    'stripe_subscription_update',
    {
      subscription_exposed_id: 'sub_1',
      items: [{ id: 'si_1', price: 'price_2' }],
      proration_behavior: 'none',
    },
    'POST',
    '/v1/subscriptions/sub_1',
    'items[0][id]=si_1&items[0][price]=price_2&proration_behavior=none',
  ],
  [
    'stripe_subscription_cancel',
    { subscription_exposed_id: 'sub_1', invoice_now: true, prorate: false },
    'DELETE',
    '/v1/subscriptions/sub_1?invoice_now=true&prorate=false',
  ],
  [
    'stripe_product_list',
    { active: true, ids: ['prod_1', 'prod_2'] },
    'GET',
    '/v1/products?active=true&ids[]=prod_1&ids[]=prod_2',
  ],
  [
    'stripe_product_create',
    {
      name: 'Pro plan',
      default_price_data: { currency: 'usd', unit_amount: 1500, recurring: { interval: 'month' } },
    },
    'POST',
    '/v1/products',
    'default_price_data[currency]=usd&default_price_data[unit_amount]=1500&default_price_data[recurring][interval]=month&name=Pro%20plan',
  ],
  [
    'stripe_price_list',
    { product: 'prod_1', type: 'recurring' },
    'GET',
    '/v1/prices?product=prod_1&type=recurring',
  ],
  [
    'stripe_price_create',
    { currency: 'eur', product: 'prod_1', unit_amount: 999, recurring: { interval: 'year' } },
    'POST',
    '/v1/prices',
    'currency=eur&product=prod_1&recurring[interval]=year&unit_amount=999',
  ],
  [
    'stripe_payout_create',
    { amount: 10000, currency: 'usd', method: 'standard' },
    'POST',
    '/v1/payouts',
    'amount=10000&currency=usd&method=standard',
  ],
  [
    'stripe_payout_list',
    { status: 'paid', arrival_date: { gte: 1 } },
    'GET',
    '/v1/payouts?arrival_date[gte]=1&status=paid',
  ],
  [
    'stripe_payment_link_create',
    { line_items: [{ price: 'price_1', quantity: 2 }] },
    'POST',
    '/v1/payment_links',
    'line_items[0][price]=price_1&line_items[0][quantity]=2',
  ],

  // Notion
  ['notion_user_get', { user_id: 'u1' }, 'GET', '/v1/users/u1'],
  ['notion_user_list', { page_size: 10 }, 'GET', '/v1/users?page_size=10'],
  ['notion_user_me_get', {}, 'GET', '/v1/users/me'],
  [
    'notion_search',
    { query: 'Roadmap', filter: { property: 'object', value: 'page' } },
    'POST',
    '/v1/search',
    { query: 'Roadmap', filter: { property: 'object', value: 'page' } },
  ],
  [
    'notion_block_children_list',
    { block_id: P, page_size: 50 },
    'GET',
    `/v1/blocks/${P}/children?page_size=50`,
  ],
  [
    'notion_block_children_append',
    {
      block_id: P,
      children: [
        { type: 'paragraph', paragraph: { rich_text: [{ text: { content: 'Hi' } }] } },
        { type: 'to_do', to_do: { rich_text: [{ text: { content: 'Ship' } }], checked: false } },
      ],
    },
    'PATCH',
    `/v1/blocks/${P}/children`,
    {
      children: [
        { type: 'paragraph', paragraph: { rich_text: [{ text: { content: 'Hi' } }] } },
        { type: 'to_do', to_do: { rich_text: [{ text: { content: 'Ship' } }], checked: false } },
      ],
    },
  ],
  ['notion_block_get', { block_id: P }, 'GET', `/v1/blocks/${P}`],
  [
    'notion_block_update',
    { block_id: P, paragraph: { rich_text: [{ text: { content: 'New' } }] } },
    'PATCH',
    `/v1/blocks/${P}`,
    { paragraph: { rich_text: [{ text: { content: 'New' } }] } },
  ],
  ['notion_block_delete', { block_id: P }, 'DELETE', `/v1/blocks/${P}`],
  ['notion_page_get', { page_id: P }, 'GET', `/v1/pages/${P}`],
  [
    'notion_page_create',
    {
      parent: { data_source_id: P },
      properties: { Name: { title: [{ text: { content: 'Plan' } }] } },
      icon: { type: 'emoji', emoji: '🚀' },
    },
    'POST',
    '/v1/pages',
    {
      parent: { data_source_id: P },
      properties: { Name: { title: [{ text: { content: 'Plan' } }] } },
      icon: { type: 'emoji', emoji: '🚀' },
    },
  ],
  ['notion_page_update', { page_id: P, in_trash: true }, 'PATCH', `/v1/pages/${P}`, { in_trash: true }],
  [
    'notion_page_property_get',
    { page_id: P, property_id: 'title', page_size: 5 },
    'GET',
    `/v1/pages/${P}/properties/title?page_size=5`,
  ],
  [
    'notion_page_move',
    { page_id: P, parent: { type: 'page_id', page_id: P2 } },
    'POST',
    `/v1/pages/${P}/move`,
    { parent: { type: 'page_id', page_id: P2 } },
  ],
  ['notion_page_markdown_get', { page_id: P }, 'GET', `/v1/pages/${P}/markdown`],
  [
    'notion_page_markdown_update',
    { page_id: P, type: 'replace_content', replace_content: { new_str: '# Hi' } },
    'PATCH',
    `/v1/pages/${P}/markdown`,
    { type: 'replace_content', replace_content: { new_str: '# Hi' } },
  ],
  ['notion_comment_list', { block_id: P }, 'GET', `/v1/comments?block_id=${P}`],
  [
    'notion_comment_create',
    { parent: { page_id: P }, rich_text: [{ text: { content: 'Looks good' } }] },
    'POST',
    '/v1/comments',
    { parent: { page_id: P }, rich_text: [{ text: { content: 'Looks good' } }] },
  ],
  [
    'notion_data_source_query',
    {
      data_source_id: P,
      filter: { property: 'Status', status: { equals: 'Done' } },
      sorts: [{ property: 'Due', direction: 'ascending' }],
      page_size: 10,
    },
    'POST',
    `/v1/data_sources/${P}/query`,
    {
      filter: { property: 'Status', status: { equals: 'Done' } },
      sorts: [{ property: 'Due', direction: 'ascending' }],
      page_size: 10,
    },
  ],
  ['notion_data_source_get', { data_source_id: P }, 'GET', `/v1/data_sources/${P}`],
  [
    'notion_data_source_update',
    { data_source_id: P, title: [{ text: { content: 'Tasks' } }] },
    'PATCH',
    `/v1/data_sources/${P}`,
    { title: [{ text: { content: 'Tasks' } }] },
  ],
  [
    'notion_data_source_create',
    {
      parent: { type: 'database_id', database_id: P },
      properties: { Name: { title: {} } },
      title: [{ text: { content: 'Archive' } }],
    },
    'POST',
    '/v1/data_sources',
    {
      parent: { type: 'database_id', database_id: P },
      properties: { Name: { title: {} } },
      title: [{ text: { content: 'Archive' } }],
    },
  ],
  ['notion_data_source_template_list', { data_source_id: P }, 'GET', `/v1/data_sources/${P}/templates`],
  ['notion_database_get', { database_id: P }, 'GET', `/v1/databases/${P}`],
];

/** What every request to a service must carry, whatever the operation. */
const SERVICE_HEADERS: Record<FakeService, Record<string, string>> = {
  github: {
    authorization: `Bearer ${CANARY.github}`,
    'x-github-api-version': '2022-11-28',
    accept: 'application/vnd.github+json',
  },
  stripe: { authorization: `Bearer ${CANARY.stripe}`, 'stripe-version': '2024-04-10' },
  notion: { authorization: `Bearer ${CANARY.notion}`, 'notion-version': '2025-09-03' },
};

/** Operations that pin their own header (Notion's markdown endpoints need a newer API version). */
const HEADER_OVERRIDES: Record<string, Record<string, string>> = {
  notion_page_markdown_get: { 'notion-version': '2026-03-11' },
  notion_page_markdown_update: { 'notion-version': '2026-03-11' },
};

describe('every curated operation on the wire', () => {
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

  it('has a case for every tool in the catalog, and no case for a tool that does not exist', () => {
    const covered = CASES.map(([tool]) => tool).sort();
    expect(covered).toEqual(harness.catalog.tools.map((tool) => tool.name).sort());
  });

  it.each(CASES)('%s sends exactly the documented request', async (name, args, method, target, body) => {
    const tool = harness.catalog.get(name);
    const fake = harness.fakes[tool.service as FakeService];
    const result = await client.callTool({ name, arguments: args });

    expect(fake.refused).toEqual([]);
    expect(result.isError).toBeFalsy();
    expect(fake.requests).toHaveLength(1);
    const received = fake.requests[0]!;
    const [path, query = ''] = target.split('?');
    expect(received.method).toBe(method);
    expect(received.path).toBe(path);
    expect(received.query).toBe(query);
    const headers = { ...SERVICE_HEADERS[tool.service as FakeService], ...HEADER_OVERRIDES[name] };
    for (const [header, value] of Object.entries(headers)) {
      expect(received.headers[header], header).toBe(value);
    }
    if (body === undefined) expect(received.body).toBe('');
    else if (typeof body === 'string') expect(received.body).toBe(body);
    else expect(JSON.parse(received.body)).toEqual(body);
    if (tool.service === 'stripe') {
      expect(received.headers['idempotency-key'] !== undefined).toBe(method !== 'GET');
    }
    assertNoSecrets(result, harness.secrets);
  });
});

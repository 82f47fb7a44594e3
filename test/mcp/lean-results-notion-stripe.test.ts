/**
 * Lean results on the wire for Notion and Stripe: tools called through a real MCP client against
 * the fake Notion and Stripe on 127.0.0.1, whose answers each test sets.
 */
import { describe, expect, it } from 'vitest';
import type { FakeReply } from '../fakes/fake-upstream.js';
import { assertNoSecrets, CANARY, useHarnessClient } from '../helpers/harness.js';
import { plainText } from '../helpers/results.js';

const PAGE_ID = '59833787-2cf9-4fdf-8782-e53db20768a5';
const USER_ID = 'ee5f0f84-409a-440f-983a-a5315961c6e4';
const CURSOR = 'fe2cc560-036c-44cd-90e8-294d5a74cebc';

const plain = {
  bold: false,
  italic: false,
  strikethrough: false,
  underline: false,
  code: false,
  color: 'default',
};
const run = (text: string) => ({
  type: 'text',
  text: { content: text, link: null },
  annotations: plain,
  plain_text: text,
  href: null,
});

/** A page as Notion's reference shows one (2025-09-03), with the fields every page repeats. */
const page = (title: string) => ({
  object: 'page',
  id: PAGE_ID,
  created_time: '2025-08-07T10:11:00.000Z',
  last_edited_time: '2025-08-07T10:12:00.000Z',
  created_by: { object: 'user', id: USER_ID },
  last_edited_by: { object: 'user', id: USER_ID },
  cover: null,
  icon: {
    type: 'file',
    file: {
      url: 'https://prod-files-secure.s3.us-west-2.amazonaws.com/x/icon.png?X-Amz-Signature=abc',
      expiry_time: '2025-08-07T11:12:00.000Z',
    },
  },
  parent: { type: 'data_source_id', data_source_id: 'a42a62ed-9b51-4b98-9dea-ea6d091bc508' },
  archived: false,
  in_trash: false,
  is_locked: false,
  properties: {
    Done: { id: 'Bq%3Dz', type: 'checkbox', checkbox: false },
    Name: { id: 'title', type: 'title', title: [run(title)] },
  },
  url: `https://www.notion.so/Plan-${PAGE_ID.replaceAll('-', '')}`,
  public_url: null,
  request_id: 'a1b2c3d4-0000-4000-8000-000000000000',
});

const leanPage = (title: string) => ({
  object: 'page',
  id: PAGE_ID,
  created_time: '2025-08-07T10:11:00.000Z',
  last_edited_time: '2025-08-07T10:12:00.000Z',
  created_by: { id: USER_ID },
  last_edited_by: { id: USER_ID },
  icon: { type: 'file' },
  parent: { type: 'data_source_id', data_source_id: 'a42a62ed-9b51-4b98-9dea-ea6d091bc508' },
  properties: {
    Done: { id: 'Bq%3Dz', type: 'checkbox', checkbox: false },
    Name: { id: 'title', type: 'title', title: [{ plain_text: title }] },
  },
  url: `https://www.notion.so/Plan-${PAGE_ID.replaceAll('-', '')}`,
});

/** A charge with the null fields and empty metadata Stripe sends on most of them. */
const charge = (id: string, description: string | null = null) => ({
  id,
  object: 'charge',
  amount: 2000,
  amount_refunded: 0,
  currency: 'usd',
  customer: 'cus_NffrFeUfNV2Hib',
  description,
  failure_code: null,
  failure_message: null,
  invoice: null,
  livemode: false,
  metadata: {},
  paid: true,
  receipt_url: 'https://pay.stripe.com/receipts/x',
  refunded: false,
  review: null,
  status: 'succeeded',
});

const jsonReply = (body: unknown): FakeReply => ({
  status: 200,
  body: JSON.stringify(body),
  headers: { 'content-type': 'application/json' },
});

// Labels are test/mcp/untrusted-labels.test.ts's business: these tests read the answer without them.
const textOf = plainText;

describe('lean results of Notion and Stripe tools', () => {
  const ctx = useHarnessClient();

  const getPage = (extra: Record<string, unknown> = {}) =>
    ctx.client.callTool({ name: 'notion_page_get', arguments: { page_id: PAGE_ID, ...extra } });
  const listCharges = (extra: Record<string, unknown> = {}) =>
    ctx.client.callTool({ name: 'stripe_charge_list', arguments: { limit: 2, ...extra } });

  it('returns a Notion page without rich text padding, user detail, false flags, nulls or a signed icon link', async () => {
    ctx.harness.fakes.notion.reply = () => jsonReply(page('Plan'));
    const result = await getPage();

    expect(result.isError).toBeFalsy();
    expect(JSON.parse(textOf(result))).toStrictEqual(leanPage('Plan'));
    expect(textOf(result).length).toBeLessThan(JSON.stringify(page('Plan')).length * 0.6);
  });

  it('returns the Notion page exactly as sent with full: true, and never sends full upstream', async () => {
    const sent = jsonReply(page('Plan'));
    ctx.harness.fakes.notion.reply = () => sent;
    const result = await getPage({ full: true });

    expect(textOf(result)).toBe(sent.body);
    expect(ctx.harness.fakes.notion.requests[0]!.query).toBe('');
  });

  it('says how to get the next page of a Notion query, from next_cursor', async () => {
    ctx.harness.fakes.notion.reply = () =>
      jsonReply({
        object: 'list',
        results: [page('One')],
        next_cursor: CURSOR,
        has_more: true,
        type: 'page_or_data_source',
        page_or_data_source: {},
        request_id: 'a1b2c3d4-0000-4000-8000-000000000000',
      });
    const result = await ctx.client.callTool({
      name: 'notion_data_source_query',
      arguments: { data_source_id: 'a42a62ed-9b51-4b98-9dea-ea6d091bc508', page_size: 1 },
    });

    expect(JSON.parse(textOf(result))).toStrictEqual({
      object: 'list',
      results: [leanPage('One')],
      next_cursor: CURSOR,
      has_more: true,
      type: 'page_or_data_source',
      note: `more results: call again with start_cursor=${CURSOR}`,
    });
    expect(JSON.parse(ctx.harness.fakes.notion.requests[0]!.body)).toStrictEqual({ page_size: 1 });
  });

  it('cuts the blocks of a page and passes start_cursor on to Notion for the next page', async () => {
    const paragraph = {
      object: 'block',
      id: 'c02fc1d3-db8b-45c5-a222-27595b15aea7',
      parent: { type: 'page_id', page_id: PAGE_ID },
      created_by: { object: 'user', id: USER_ID },
      has_children: false,
      archived: false,
      in_trash: false,
      type: 'paragraph',
      paragraph: { rich_text: [run('Hello')], color: 'default' },
    };
    ctx.harness.fakes.notion.reply = () =>
      jsonReply({
        object: 'list',
        results: [paragraph],
        next_cursor: null,
        has_more: false,
        type: 'block',
        block: {},
      });
    const result = await ctx.client.callTool({
      name: 'notion_block_children_list',
      arguments: { block_id: PAGE_ID, start_cursor: CURSOR },
    });

    expect(JSON.parse(textOf(result))).toStrictEqual({
      object: 'list',
      results: [
        {
          object: 'block',
          id: 'c02fc1d3-db8b-45c5-a222-27595b15aea7',
          parent: { type: 'page_id', page_id: PAGE_ID },
          created_by: { id: USER_ID },
          has_children: false,
          type: 'paragraph',
          paragraph: { rich_text: [{ plain_text: 'Hello' }], color: 'default' },
        },
      ],
      next_cursor: null,
      has_more: false,
      type: 'block',
    });
    expect(ctx.harness.fakes.notion.requests[0]!.query).toBe(`start_cursor=${CURSOR}`);
  });

  it('still scrubs a secret Notion echoes in a page title the projection keeps', async () => {
    ctx.harness.fakes.notion.reply = () => jsonReply(page(`key ${CANARY.notion}`));
    const result = await getPage();

    assertNoSecrets(result, ctx.harness.secrets);
    expect(JSON.parse(textOf(result)).properties.Name.title[0].plain_text).toMatch(/^key \S+$/);
  });

  it('returns a Stripe list without nulls, empty metadata or its url, and says how to get the next page', async () => {
    ctx.harness.fakes.stripe.reply = () =>
      jsonReply({
        object: 'list',
        data: [charge('ch_1'), charge('ch_2')],
        has_more: true,
        url: '/v1/charges',
      });
    const result = await listCharges();

    expect(JSON.parse(textOf(result))).toStrictEqual({
      object: 'list',
      data: [
        {
          id: 'ch_1',
          object: 'charge',
          amount: 2000,
          amount_refunded: 0,
          currency: 'usd',
          customer: 'cus_NffrFeUfNV2Hib',
          livemode: false,
          paid: true,
          receipt_url: 'https://pay.stripe.com/receipts/x',
          refunded: false,
          status: 'succeeded',
        },
        expect.objectContaining({ id: 'ch_2', amount: 2000 }),
      ],
      has_more: true,
      note: 'more results: call again with starting_after=ch_2',
    });
  });

  it('returns the Stripe list exactly as sent with full: true, and never sends full upstream', async () => {
    const sent = jsonReply({ object: 'list', data: [charge('ch_1')], has_more: true, url: '/v1/charges' });
    ctx.harness.fakes.stripe.reply = () => sent;
    const result = await listCharges({ full: true, starting_after: 'ch_0' });

    expect(textOf(result)).toBe(sent.body);
    expect(ctx.harness.fakes.stripe.requests[0]!.query).toBe('limit=2&starting_after=ch_0');
  });

  it('announces no next page to a Stripe tool without a starting_after argument (search pages by page)', async () => {
    ctx.harness.fakes.stripe.reply = () =>
      jsonReply({
        object: 'search_result',
        data: [{ id: 'cus_1', object: 'customer', email: null, metadata: {} }],
        has_more: true,
        next_page: 'WzE2ODA=',
        url: '/v1/customers/search',
      });
    const result = await ctx.client.callTool({
      name: 'stripe_customer_search',
      arguments: { query: "email:'a@b.test'" },
    });

    expect(JSON.parse(textOf(result))).toStrictEqual({
      object: 'search_result',
      data: [{ id: 'cus_1', object: 'customer' }],
      has_more: true,
      next_page: 'WzE2ODA=',
    });
  });

  it('still scrubs a secret Stripe echoes in a field the projection keeps', async () => {
    ctx.harness.fakes.stripe.reply = () =>
      jsonReply({
        object: 'list',
        data: [charge('ch_1', `paid with ${CANARY.stripe}`)],
        has_more: false,
        url: '/v1/charges',
      });
    const result = await listCharges();

    assertNoSecrets(result, ctx.harness.secrets);
    expect(JSON.parse(textOf(result)).data[0].description).toMatch(/^paid with \S+$/);
  });
});

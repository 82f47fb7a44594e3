import { describe, expect, it } from 'vitest';
import { LEAN_RULES, type LeanRule } from '../../src/catalog/index.js';
import {
  leanText,
  nextPageFromLink,
  pagingArgument,
  projectResult,
  withNextCursor,
  withNextPage,
} from '../../src/executor/lean-result.js';

const ALL = [...LEAN_RULES];
const user = {
  login: 'octocat',
  id: 1,
  node_id: 'MDQ6VXNlcjE=',
  avatar_url: 'https://github.com/images/octocat.gif',
  gravatar_id: '',
  url: 'https://api.github.com/users/octocat',
  html_url: 'https://github.com/octocat',
  type: 'User',
  site_admin: false,
};
const repo = {
  id: 42,
  full_name: 'acme/api',
  name: 'api',
  owner: user,
  private: false,
  html_url: 'https://github.com/acme/api',
  forks_url: 'https://api.github.com/repos/acme/api/forks',
};

describe('lean result rules', () => {
  it.each<[LeanRule, unknown, unknown]>([
    [
      'api_urls',
      { url: 'https://api.github.com/x', comments_url: 'u', html_url: 'h', download_url: 'd', homepage: 'p' },
      { html_url: 'h', download_url: 'd', homepage: 'p' },
    ],
    ['api_urls', { url: null, labels_url: null }, {}],
    ['node_ids', { id: 1, node_id: 'MDU=' }, { id: 1 }],
    ['user_refs', { number: 1, user }, { number: 1, user: { login: 'octocat', id: 1 } }],
    [
      'repo_refs',
      { head: { ref: 'main', repo } },
      { head: { ref: 'main', repo: { id: 42, full_name: 'acme/api' } } },
    ],
    [
      'reactions',
      { reactions: { url: 'u', total_count: 3, '+1': 2, '-1': 0, heart: 1, eyes: 0 } },
      { reactions: { total_count: 3, '+1': 2, heart: 1 } },
    ],
    ['reactions', { reactions: { url: 'u', total_count: 0, '+1': 0 } }, { reactions: { total_count: 0 } }],
    [
      'noise',
      { gravatar_id: '', _links: { self: {} }, performed_via_github_app: null, closed_at: null },
      { closed_at: null },
    ],
    ['noise', { performed_via_github_app: { id: 1 } }, { performed_via_github_app: { id: 1 } }],
  ])('%s: %j becomes %j', (rule, input, expected) => {
    expect(projectResult(input, [rule])).toEqual(expected);
  });

  it('applies only the rules it is given', () => {
    const { node_id: _dropped, ...userWithoutNodeId } = user;
    expect(projectResult({ node_id: 'x', url: 'u', user }, ['node_ids'])).toStrictEqual({
      url: 'u',
      user: userWithoutNodeId,
    });
  });

  it('keeps the entity asked for whole and cuts only what it points at', () => {
    // A list of users (e.g. assignees) and a repository fetched by itself are the entities.
    expect(projectResult([user], ALL)).toEqual([
      { login: 'octocat', id: 1, html_url: 'https://github.com/octocat', type: 'User' },
    ]);
    expect(projectResult(repo, ALL)).toEqual({
      id: 42,
      full_name: 'acme/api',
      name: 'api',
      owner: { login: 'octocat', id: 1 },
      private: false,
      html_url: 'https://github.com/acme/api',
    });
  });

  it('treats the items of a list wrapper as entities and cuts their references', () => {
    const wrapper = { total_count: 1, repositories: [repo] };
    expect(projectResult(wrapper, ALL)).toEqual({
      total_count: 1,
      repositories: [
        expect.objectContaining({ full_name: 'acme/api', name: 'api', owner: { login: 'octocat', id: 1 } }),
      ],
    });
  });

  it('finds the list of a wrapper that also carries arrays of strings', () => {
    const search = { total_count: 1, lexical_fallback_reason: ['quoted_text'], items: [repo] };
    expect(projectResult(search, ALL)).toEqual({
      total_count: 1,
      lexical_fallback_reason: ['quoted_text'],
      items: [expect.objectContaining({ full_name: 'acme/api', name: 'api' })],
    });
  });

  it('leaves scalars and the input itself alone', () => {
    const input = { node_id: 'x', nested: { node_id: 'y' } };
    expect(projectResult('text', ALL)).toBe('text');
    expect(projectResult(null, ALL)).toBeNull();
    projectResult(input, ALL);
    expect(input).toEqual({ node_id: 'x', nested: { node_id: 'y' } });
  });
});

describe('next page', () => {
  it.each<[string | undefined, number | undefined]>([
    [
      '<https://api.github.com/repositories/1/issues?page=3&per_page=2>; rel="next", <https://api.github.com/x?page=9>; rel="last"',
      3,
    ],
    ['<https://api.github.com/x?page=1>; rel="prev", <https://api.github.com/x?page=3>; rel="next"', 3],
    ['<https://api.github.com/x?page=1>; rel="first"', undefined],
    ['<https://api.github.com/x?after=Y3Vyc29y>; rel="next"', undefined],
    ['<https://api.github.com/x?page=2%3Cscript%3E>; rel="next"', undefined],
    ['not a link header', undefined],
    [undefined, undefined],
  ])('reads %j as page %j', (link, page) => {
    expect(nextPageFromLink(link)).toBe(page);
  });

  it('wraps a list in {items, next_page, note} and adds both to an object', () => {
    expect(withNextPage([1], 2)).toEqual({
      items: [1],
      next_page: 2,
      note: 'more results: call again with page=2',
    });
    expect(withNextPage({ total_count: 9, items: [] }, 2)).toEqual({
      total_count: 9,
      items: [],
      next_page: 2,
      note: 'more results: call again with page=2',
    });
    expect(withNextPage([1], undefined)).toEqual([1]);
  });

  it('gives valid JSON text for JSON, and nothing for text that is not JSON', () => {
    const text = leanText(
      '[{"node_id":"x","id":1}]',
      { rules: ALL, paging: 'link_header' },
      '<https://h/x?page=2>; rel="next"',
    );
    expect(JSON.parse(text ?? '')).toEqual({
      items: [{ id: 1 }],
      next_page: 2,
      note: 'more results: call again with page=2',
    });
    expect(leanText('{"id":1', { rules: ALL }, undefined)).toBeUndefined();
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    expect(leanText(deep, { rules: ALL }, undefined)).toBeUndefined();
    expect(leanText('[{"id":1}]', { rules: ALL }, '<https://h/x?page=2>; rel="next"')).toBe('[{"id":1}]');
  });
});

const plain = {
  bold: false,
  italic: false,
  strikethrough: false,
  underline: false,
  code: false,
  color: 'default',
};
const run = (text: string, extra: Record<string, unknown> = {}) => ({
  type: 'text',
  text: { content: text, link: null },
  annotations: plain,
  plain_text: text,
  href: null,
  ...extra,
});
const notionUser = { object: 'user', id: 'b1b2c3d4-0000-4000-8000-000000000001' };

describe('lean result rules for Notion and Stripe', () => {
  it.each<[LeanRule, unknown, unknown]>([
    ['rich_text', { title: [run('Plan')] }, { title: [{ plain_text: 'Plan' }] }],
    [
      'rich_text',
      {
        rich_text: [
          run('docs', { href: 'https://x.test', annotations: { ...plain, bold: true, color: 'red' } }),
        ],
      },
      {
        rich_text: [
          { plain_text: 'docs', href: 'https://x.test', annotations: { bold: true, color: 'red' } },
        ],
      },
    ],
    [
      'rich_text',
      { rich_text: [run('Ada', { type: 'mention', mention: { type: 'user', user: notionUser } })] },
      { rich_text: [{ plain_text: 'Ada', mention: { type: 'user', user: notionUser } }] },
    ],
    ['rich_text', { tags: [{ name: 'a' }], empty: [] }, { tags: [{ name: 'a' }], empty: [] }],
    [
      'rich_text',
      { object: 'property_item', type: 'rich_text', rich_text: run('A long text') },
      { object: 'property_item', type: 'rich_text', rich_text: { plain_text: 'A long text' } },
    ],
    ['user_refs', { created_by: notionUser }, { created_by: { id: notionUser.id } }],
    [
      'user_refs',
      { people: [{ ...notionUser, name: 'Ada', avatar_url: null, type: 'person' }] },
      { people: [{ id: notionUser.id, name: 'Ada' }] },
    ],
    [
      'nulls',
      { id: 'x', description: null, next_cursor: null, nested: { a: null, b: 0 } },
      { id: 'x', next_cursor: null, nested: { b: 0 } },
    ],
    ['empty_metadata', { metadata: {}, other: {} }, { other: {} }],
    ['empty_metadata', { metadata: { plan: 'pro' } }, { metadata: { plan: 'pro' } }],
    [
      'list_urls',
      { id: 'cus_1', url: 'https://shop.test', subscriptions: { object: 'list', data: [], url: '/v1/x' } },
      { id: 'cus_1', url: 'https://shop.test', subscriptions: { object: 'list', data: [] } },
    ],
    [
      'notion_noise',
      {
        id: 'p',
        archived: false,
        in_trash: true,
        request_id: 'r',
        developer_survey: 'https://x',
        checkbox: false,
      },
      { id: 'p', in_trash: true, checkbox: false },
    ],
    [
      'notion_noise',
      { object: 'list', results: [], type: 'block', block: {}, has_more: false },
      { object: 'list', results: [], type: 'block', has_more: false },
    ],
    [
      'signed_files',
      {
        icon: { type: 'file', file: { url: 'https://s3.test/x?X-Amz-Signature=1', expiry_time: 't' } },
        cover: { type: 'external', external: { url: 'https://img.test/c.png' } },
      },
      { icon: { type: 'file' }, cover: { type: 'external', external: { url: 'https://img.test/c.png' } } },
    ],
  ])('%s: %j becomes %j', (rule, input, expected) => {
    expect(projectResult(input, [rule])).toEqual(expected);
  });

  it('keeps a user listed for itself whole, and cuts the users a page points at', () => {
    const person = { ...notionUser, name: 'Ada', type: 'person', person: { email: 'ada@x.test' } };
    const list = { object: 'list', results: [{ ...person, created_by: notionUser }], next_cursor: null };
    expect(projectResult(list, ['user_refs'])).toEqual({
      object: 'list',
      results: [{ ...person, created_by: { id: notionUser.id } }],
      next_cursor: null,
    });
  });
});

describe('next page from a cursor in the answer', () => {
  const cursor = 'c0ffee00-0000-4000-8000-000000000001';

  it.each<[string, unknown, string | undefined]>([
    [
      'a Notion list with more',
      { results: [], has_more: true, next_cursor: cursor },
      `start_cursor=${cursor}`,
    ],
    ['a Notion list at its end', { results: [], has_more: false, next_cursor: null }, undefined],
    [
      'a cursor of an unexpected shape',
      { results: [], has_more: true, next_cursor: 'a b<script>' },
      undefined,
    ],
  ])('%s', (_name, document, expected) => {
    const paged = withNextCursor(document, 'next_cursor') as { note?: string };
    expect(paged.note).toBe(expected && `more results: call again with ${expected}`);
  });

  it.each<[string, unknown, string | undefined]>([
    [
      'a Stripe list with more',
      { object: 'list', data: [{ id: 'ch_1' }, { id: 'ch_2' }], has_more: true },
      'ch_2',
    ],
    ['a Stripe list at its end', { object: 'list', data: [{ id: 'ch_1' }], has_more: false }, undefined],
    ['an empty Stripe list', { object: 'list', data: [], has_more: true }, undefined],
  ])('%s', (_name, document, last) => {
    const paged = withNextCursor(document, 'starting_after') as { note?: string };
    expect(paged.note).toBe(last && `more results: call again with starting_after=${last}`);
  });

  it('names the argument that asks for the next page', () => {
    expect([
      pagingArgument('link_header'),
      pagingArgument('next_cursor'),
      pagingArgument('starting_after'),
    ]).toEqual(['page', 'start_cursor', 'starting_after']);
  });

  it('adds the note after the list in the lean text', () => {
    const body = JSON.stringify({
      object: 'list',
      data: [{ id: 'cus_1', email: null }],
      has_more: true,
      url: '/v1/customers',
    });
    const text = leanText(body, { rules: ['nulls', 'list_urls'], paging: 'starting_after' }, undefined);
    expect(JSON.parse(text ?? '')).toEqual({
      object: 'list',
      data: [{ id: 'cus_1' }],
      has_more: true,
      note: 'more results: call again with starting_after=cus_1',
    });
  });
});

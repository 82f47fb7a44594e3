/**
 * Lean results on the wire: GitHub tools called through a real MCP client against the fake GitHub
 * on 127.0.0.1, whose answers (status, headers, body) each test sets.
 */
import { describe, expect, it } from 'vitest';
import type { FakeReply } from '../fakes/fake-upstream.js';
import { assertNoSecrets, CANARY, useHarnessClient } from '../helpers/harness.js';
import { plainText } from '../helpers/results.js';

const user = (login: string, id: number) => ({
  login,
  id,
  node_id: 'MDQ6VXNlcjE=',
  avatar_url: `https://github.com/images/${login}.gif`,
  gravatar_id: '',
  url: `https://api.github.com/users/${login}`,
  html_url: `https://github.com/${login}`,
  followers_url: `https://api.github.com/users/${login}/followers`,
  type: 'User',
  site_admin: false,
});

const issue = (number: number, body: string, htmlUrl = `https://github.com/acme/api/issues/${number}`) => ({
  url: `https://api.github.com/repos/acme/api/issues/${number}`,
  repository_url: 'https://api.github.com/repos/acme/api',
  comments_url: `https://api.github.com/repos/acme/api/issues/${number}/comments`,
  html_url: htmlUrl,
  id: 1000 + number,
  node_id: 'MDU6SXNzdWUx',
  number,
  title: `Issue ${number}`,
  state: 'open',
  user: user('octocat', 1),
  assignees: [user('hubot', 2)],
  body,
  reactions: {
    url: `https://api.github.com/repos/acme/api/issues/${number}/reactions`,
    total_count: 3,
    '+1': 2,
    '-1': 0,
    laugh: 0,
    hooray: 1,
    confused: 0,
    heart: 0,
    rocket: 0,
    eyes: 0,
  },
  performed_via_github_app: null,
  closed_at: null,
});

const jsonReply = (body: unknown, headers: Record<string, string> = {}): FakeReply => ({
  status: 200,
  body: JSON.stringify(body),
  headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
});

// Labels are test/mcp/untrusted-labels.test.ts's business: these tests read the answer without them.
const textOf = plainText;

describe('lean results of GitHub tools', () => {
  const ctx = useHarnessClient();

  const listIssues = (extra: Record<string, unknown> = {}) =>
    ctx.client.callTool({ name: 'github_issue_list', arguments: { owner: 'acme', repo: 'api', ...extra } });

  it('returns a list without API links, node ids or user detail, and with reactions summed up', async () => {
    ctx.harness.fakes.github.reply = () => jsonReply([issue(1, 'first'), issue(2, 'second')]);
    const result = await listIssues();

    expect(result.isError).toBeFalsy();
    const text = textOf(result);
    expect(JSON.parse(text)).toEqual([
      {
        html_url: 'https://github.com/acme/api/issues/1',
        id: 1001,
        number: 1,
        title: 'Issue 1',
        state: 'open',
        user: { login: 'octocat', id: 1 },
        assignees: [{ login: 'hubot', id: 2 }],
        body: 'first',
        reactions: { total_count: 3, '+1': 2, hooray: 1 },
        closed_at: null,
      },
      expect.objectContaining({ number: 2, body: 'second' }),
    ]);
    expect(text.length).toBeLessThan(JSON.stringify([issue(1, 'first'), issue(2, 'second')]).length / 2);
  });

  it('returns the document exactly as GitHub sent it with full: true, and never sends full upstream', async () => {
    const sent = jsonReply([issue(1, 'first')], { link: '<https://api.github.com/x?page=2>; rel="next"' });
    ctx.harness.fakes.github.reply = () => sent;
    const result = await listIssues({ full: true, per_page: 1 });

    expect(textOf(result)).toBe(sent.body);
    expect(ctx.harness.fakes.github.requests[0]!.query).toBe('per_page=1');
  });

  it('says how to get the next page, from the Link header', async () => {
    ctx.harness.fakes.github.reply = () =>
      jsonReply([issue(1, 'first')], {
        link: '<https://api.github.com/repositories/1/issues?per_page=1&page=3>; rel="next", <https://api.github.com/repositories/1/issues?per_page=1&page=9>; rel="last"',
      });
    const lean = JSON.parse(textOf(await listIssues({ per_page: 1, page: 2 })));

    expect(lean).toMatchObject({ next_page: 3, note: 'more results: call again with page=3' });
    expect(lean.items).toHaveLength(1);
    expect(lean.items[0]).not.toHaveProperty('node_id');
  });

  it('adds the next page to a list wrapper (search) after its own members', async () => {
    ctx.harness.fakes.github.reply = () =>
      jsonReply(
        { total_count: 40, incomplete_results: false, items: [issue(7, 'found')] },
        { link: '<https://api.github.com/search/issues?q=bug&page=2>; rel="next"' },
      );
    const result = await ctx.client.callTool({ name: 'github_search_issues', arguments: { q: 'bug' } });
    const lean = JSON.parse(textOf(result));

    expect(Object.keys(lean)).toEqual(['total_count', 'incomplete_results', 'items', 'next_page', 'note']);
    expect(lean.next_page).toBe(2);
    expect(lean.items[0]).toMatchObject({ number: 7, user: { login: 'octocat', id: 1 } });
  });

  it('announces no next page to a tool that has no page argument', async () => {
    ctx.harness.fakes.github.reply = () =>
      jsonReply(issue(8, 'one'), { link: '<https://api.github.com/x?page=2>; rel="next"' });
    const result = await ctx.client.callTool({
      name: 'github_issue_get',
      arguments: { owner: 'acme', repo: 'api', issue_number: 8 },
    });

    expect(JSON.parse(textOf(result))).not.toHaveProperty('next_page');
  });

  it('still scrubs a secret the upstream echoes in a field the projection keeps', async () => {
    const echoed = issue(
      3,
      `token is ${CANARY.github}`,
      `https://github.com/acme/api/issues/3?t=${CANARY.github}`,
    );
    ctx.harness.fakes.github.reply = () =>
      jsonReply([echoed], { link: '<https://api.github.com/x?page=2>; rel="next"' });
    const result = await listIssues();

    assertNoSecrets(result, ctx.harness.secrets);
    const lean = JSON.parse(textOf(result));
    expect(lean.items[0].body).toMatch(/^token is \S+$/);
    expect(lean.items[0].html_url).toMatch(/^https:\/\/github\.com\/acme\/api\/issues\/3\?t=/);
  });

  it('scrubs a secret the upstream sent JSON-escaped, which the projection decodes', async () => {
    const escaped = CANARY.github.replace(/./g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    ctx.harness.fakes.github.reply = () => ({
      status: 200,
      body: `[{"number":4,"body":"${escaped}"}]`,
      headers: { 'content-type': 'application/json' },
    });
    const result = await listIssues();

    assertNoSecrets(result, ctx.harness.secrets);
    expect(JSON.parse(textOf(result))).toEqual([{ number: 4, body: expect.any(String) }]);
  });

  it('scrubs the lean text in the executor itself, not only in the layer above it', async () => {
    const escaped = CANARY.github.replace(/./g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    ctx.harness.fakes.github.reply = () => ({
      status: 200,
      body: `[{"number":5,"body":"${escaped}","html_url":"https://github.com/${CANARY.github}"}]`,
      headers: { 'content-type': 'application/json' },
    });
    const tool = ctx.harness.catalog.get('github_issue_list');
    const result = await ctx.harness.executor.call(tool, { owner: 'acme', repo: 'api' });

    assertNoSecrets(result.text, ctx.harness.secrets);
    expect(JSON.parse(result.text)).toEqual([
      { number: 5, body: expect.any(String), html_url: expect.any(String) },
    ]);
  });

  it('leaves an answer that is not JSON as sent', async () => {
    ctx.harness.fakes.github.reply = () => ({
      status: 200,
      body: 'node_id: plain text',
      headers: { 'content-type': 'text/plain' },
    });
    expect(textOf(await listIssues())).toBe('node_id: plain text');
  });

  it('leaves an error answer to the error path, unprojected', async () => {
    ctx.harness.fakes.github.reply = () => ({
      status: 404,
      body: JSON.stringify({ message: 'Not Found', documentation_url: 'https://docs.github.com/rest' }),
      headers: { 'content-type': 'application/json' },
    });
    const result = await listIssues();

    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('Not Found');
  });

  it('offers full on projected tools only, as a boolean', async () => {
    const { tools } = await ctx.client.listTools();
    const byName = new Map(tools.map((tool) => [tool.name, tool]));
    expect(byName.get('github_issue_list')?.inputSchema.properties?.full).toMatchObject({ type: 'boolean' });
    expect(byName.get('github_issue_create')?.inputSchema.properties).not.toHaveProperty('full');
    expect(byName.get('stripe_refund_create')?.inputSchema.properties).not.toHaveProperty('full');
    expect(byName.get('stripe_charge_get')?.inputSchema.properties?.full).toMatchObject({ type: 'boolean' });
  });
});

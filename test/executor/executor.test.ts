/** What the executor returns when the upstream misbehaves: errors, echoes, size, redirects, time. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bearerCredential, Executor, staticCredentialProvider } from '../../src/executor/index.js';
import { startFakeUpstream } from '../fakes/fake-upstream.js';
import { assertNoSecrets, CANARY, connectClient, type Harness, startHarness } from '../helpers/harness.js';
import { dataText, unlabelled } from '../helpers/results.js';

type ToolResult = {
  isError?: boolean;
  content: { text: string }[];
  structuredContent?: { error: Record<string, unknown> };
};

const repo = { owner: 'acme', repo: 'api' };

describe('executor', () => {
  let harness: Harness;
  let client: Client;
  const call = async (name: string, args: Record<string, unknown>) =>
    (await client.callTool({ name, arguments: args })) as unknown as ToolResult;

  beforeAll(async () => {
    harness = await startHarness({ limits: { totalTimeoutMs: 1500 } });
    client = await connectClient(harness);
  });
  afterAll(async () => {
    await client.close();
    await harness.close();
  });
  beforeEach(() => harness.resetFakes());

  it('returns the upstream body as text on success', async () => {
    harness.fakes.github.reply = () => ({ status: 200, body: '{"full_name":"acme/api"}' });
    const result = await call('github_repo_get', repo);
    expect(result.isError).toBeFalsy();
    expect(result.content[0]!.text).toBe('{"full_name":"acme/api"}');
  });

  it.each([
    [
      'github',
      'github_repo_get',
      repo,
      404,
      { message: 'Not Found' },
      'GitHub REST API answered HTTP 404: Not Found',
    ],
    [
      'stripe',
      'stripe_charge_get',
      { charge: 'ch_x' },
      402,
      { error: { message: 'Your card was declined.' } },
      'Stripe API answered HTTP 402: Your card was declined.',
    ],
    [
      'notion',
      'notion_page_get',
      { page_id: 'p1' },
      404,
      { object: 'error', code: 'object_not_found', message: 'Could not find page.' },
      'Notion API answered HTTP 404: Could not find page.',
    ],
  ] as const)(
    'turns a %s error into isError with the status and the upstream message',
    async (service, name, args, status, body, text) => {
      harness.fakes[service].reply = () => ({ status, body: JSON.stringify(body) });
      const result = await call(name, args);
      expect(result.isError).toBe(true);
      expect(result.content[0]!.text).toBe(text);
      expect(result.structuredContent?.error).toMatchObject({ code: 'upstream.error', status });
    },
  );

  it.each([
    ['raw', (s: string) => `{"echo":"${s}"}`],
    ['URL-encoded', (s: string) => `{"echo":"${encodeURIComponent(`Bearer ${s}`)}"}`],
    ['base64', (s: string) => `{"echo":"${Buffer.from(s).toString('base64')}"}`],
    ['in a header echo', (s: string) => JSON.stringify({ headers: { authorization: `Bearer ${s}` } })],
  ])('scrubs the credential echoed back %s', async (_form, echo) => {
    harness.fakes.stripe.reply = () => ({ status: 200, body: echo(CANARY.stripe) });
    const result = await call('stripe_balance_get', {});
    expect(dataText(result)).toContain('[REDACTED]');
    assertNoSecrets(result, harness.secrets);
  });

  it('scrubs the credential from an upstream error message', async () => {
    harness.fakes.notion.reply = () => ({
      status: 400,
      body: JSON.stringify({ message: `bad token ${CANARY.notion}` }),
    });
    const result = await call('notion_user_me_get', {});
    expect(result.isError).toBe(true);
    expect(result.content[0]!.text).toContain('bad token [REDACTED]');
    assertNoSecrets(result, harness.secrets);
  });

  it('scrubs an upstream error message whole before cutting it to 500 characters', async () => {
    // `\u0025` is a JSON-escaped `%` over two more layers of percent-encoding: four layers in the
    // body, three once the JSON is parsed. The message is cut inside the secret, at 500.
    const deep = [...CANARY.notion].map((c) => `\\u00252525${c.charCodeAt(0).toString(16)}`).join('');
    harness.fakes.notion.reply = () => ({
      status: 400,
      body: `{"message":"${'x'.repeat(500 - 12 * 7)}${deep} is not a valid token"}`,
    });
    const result = await call('notion_user_me_get', {});
    const unpercent = (text: string) =>
      text.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
    const decode = (text: string) => unpercent(unpercent(unpercent(text)));
    for (const text of [result.content[0]!.text, String(result.structuredContent?.error.upstreamMessage)]) {
      expect(text).toContain('[REDACTED]');
      expect(decode(text)).not.toContain(CANARY.notion.slice(0, 10));
    }
  });

  it('bounds a large response to 50,000 characters and says how to page', async () => {
    const big = JSON.stringify(Array.from({ length: 4000 }, (_, i) => ({ number: i, title: `issue ${i}` })));
    harness.fakes.github.reply = () => ({ status: 200, body: big });
    const text = dataText(await call('github_issue_list', repo));
    expect(big.length).toBeGreaterThan(100_000);
    // The titles are third-party text: their markers take part of the 50,000 characters.
    expect(unlabelled(text).startsWith(big.slice(0, 30_000))).toBe(true);
    expect(text).toContain(`showing the first 50000 characters of ${big.length} bytes`);
    expect(text).toContain('per_page');
    expect(text.length).toBeLessThan(50_300);
  });

  it.each([
    ['stripe_charge_list', 'starting_after', { object: 'list' }, {}],
    [
      'stripe_charge_search',
      'page',
      { object: 'search_result', next_page: 'pg_2' },
      { query: "status:'failed'" },
    ],
  ])(
    'tells a model how %s fetches more of a large answer: with %s',
    async (name, argument, wrapper, args) => {
      const data = Array.from({ length: 2000 }, (_, i) => ({ id: `ch_${i}`, object: 'charge', amount: i }));
      const body = JSON.stringify({ ...wrapper, data, has_more: true });
      harness.fakes.stripe.reply = () => ({ status: 200, body });
      const text = (await call(name, { ...args, limit: 100 })).content[0]!.text;
      const hint = text.slice(text.lastIndexOf('[keygate: response truncated'));
      expect(hint).toContain('with limit');
      expect(hint).toContain(`with ${argument}`);
      if (argument === 'page') expect(hint).not.toContain('starting_after');
    },
  );

  it('never returns part of a secret cut by the size limit', async () => {
    const body = `${'x'.repeat(49_990)}${CANARY.github}${'y'.repeat(100)}`;
    harness.fakes.github.reply = () => ({ status: 200, body });
    const text = (await call('github_repo_get', repo)).content[0]!.text;
    expect(text).not.toContain(CANARY.github.slice(0, 10));
  });

  it('refuses a redirect to another host and never sends the credential there', async () => {
    const elsewhere = await startFakeUpstream('github', 'other-token');
    harness.fakes.github.reply = () => ({
      status: 302,
      body: '',
      headers: { location: `${elsewhere.url}/steal` },
    });
    const result = await call('github_repo_get', repo);
    expect(result.isError).toBe(true);
    expect(result.structuredContent?.error.code).toBe('executor.redirect_refused');
    expect(elsewhere.requests).toEqual([]);
    expect(elsewhere.refused).toEqual([]);
    await elsewhere.close();
  });

  it('follows a same-host redirect for a read, with the credential', async () => {
    harness.fakes.github.reply = (request) =>
      request.path === '/repos/acme/api'
        ? { status: 301, body: '', headers: { location: '/repositories/42' } }
        : { status: 200, body: '{"id":42}' };
    const result = await call('github_repo_get', repo);
    expect(result.content[0]!.text).toBe('{"id":42}');
    expect(harness.fakes.github.requests.map((r) => r.path)).toEqual(['/repos/acme/api', '/repositories/42']);
  });

  it('does not replay a write on a redirect', async () => {
    harness.fakes.github.reply = () => ({ status: 307, body: '', headers: { location: '/elsewhere' } });
    const result = await call('github_issue_comment_create', { ...repo, issue_number: 1, body: 'hi' });
    expect(result.isError).toBe(true);
    expect(harness.fakes.github.requests).toHaveLength(1);
  });

  it('gives up on an upstream that does not answer in time', async () => {
    const silent: Server = createServer(() => {
      /* never answers */
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const executor = new Executor({
      catalog: harness.catalog,
      credentials: staticCredentialProvider({ github: bearerCredential('github', CANARY.github) }),
      baseUrls: { github: `http://127.0.0.1:${(silent.address() as AddressInfo).port}` },
      limits: { totalTimeoutMs: 300 },
    });
    await expect(executor.call(harness.catalog.get('github_repo_get'), repo)).rejects.toMatchObject({
      code: 'executor.timeout',
    });
    await executor.close();
    silent.closeAllConnections();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });

  it('reports an unreachable upstream by host, without the URL', async () => {
    const executor = new Executor({
      catalog: harness.catalog,
      credentials: staticCredentialProvider({ github: bearerCredential('github', CANARY.github) }),
      baseUrls: { github: 'http://127.0.0.1:9' },
    });
    const error = await executor.call(harness.catalog.get('github_repo_get'), repo).catch((e: Error) => e);
    // Nothing was sent (a spend budget gives its hold back for that, and only for that).
    expect(error).toMatchObject({ code: 'executor.network', details: { notSent: true } });
    expect((error as Error).message).toBe('cannot reach 127.0.0.1:9 (ECONNREFUSED)');
    await executor.close();
  });

  it('fails closed when no credential is configured, sending nothing', async () => {
    const executor = new Executor({
      catalog: harness.catalog,
      credentials: staticCredentialProvider({}),
      baseUrls: { github: harness.fakes.github.url },
    });
    await expect(executor.call(harness.catalog.get('github_repo_get'), repo)).rejects.toMatchObject({
      code: 'executor.no_credential',
    });
    expect(harness.fakes.github.requests).toEqual([]);
    await executor.close();
  });

  it('gives credentials a redacted form in JSON, inspect and strings', () => {
    const credential = bearerCredential('github', CANARY.github);
    for (const form of [
      JSON.stringify({ credential }),
      inspect(credential),
      String(credential),
      `${credential}`,
    ]) {
      expect(form).toContain('[credential bearer github]');
      assertNoSecrets(form, harness.secrets);
    }
  });

  it('sends one Idempotency-Key per Stripe write, fresh for each call', async () => {
    await call('stripe_refund_create', { payment_intent: 'pi_1' });
    await call('stripe_refund_create', { payment_intent: 'pi_1' });
    const keys = harness.fakes.stripe.requests.map((r) => r.headers['idempotency-key']);
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(/^keygate-[0-9a-f-]{36}$/);
    expect(keys[0]).not.toBe(keys[1]);
  });

  it('derives the Idempotency-Key from the call id, so a retried execution cannot pay twice', async () => {
    const tool = harness.catalog.get('stripe_refund_create');
    await harness.executor.call(tool, { payment_intent: 'pi_1' }, { callId: 'approval-123' });
    await harness.executor.call(tool, { payment_intent: 'pi_1' }, { callId: 'approval-123' });
    const keys = harness.fakes.stripe.requests.map((r) => r.headers['idempotency-key']);
    expect(keys).toEqual(['keygate-approval-123', 'keygate-approval-123']);
  });
});

describe("the README's worked example", () => {
  it('sends the refund exactly as the README shows', async () => {
    const harness = await startHarness();
    const client = await connectClient(harness);
    await client.callTool({
      name: 'stripe_refund_create',
      arguments: { payment_intent: 'pi_1', amount: 500, metadata: { ticket: 'T-9' } },
    });
    const sent = harness.fakes.stripe.requests[0]!;
    expect(`${sent.method} ${sent.path}`).toBe('POST /v1/refunds');
    expect(sent.headers).toMatchObject({
      'stripe-version': '2024-04-10',
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(sent.headers['idempotency-key']).toMatch(/^keygate-/);
    expect(sent.body).toBe('amount=500&metadata[ticket]=T-9&payment_intent=pi_1');
    await client.close();
    await harness.close();
  });
});

/** Bad arguments get a tool error naming the field, and nothing reaches the upstream. */
import { describe, expect, it } from 'vitest';
import { useHarnessClient } from '../helpers/harness.js';

const repo = { owner: 'acme', repo: 'api' };

describe('bad tool input', () => {
  const ctx = useHarnessClient();

  const nothingSent = () => {
    for (const fake of Object.values(ctx.harness.fakes)) {
      expect(fake.requests).toEqual([]);
      expect(fake.refused).toEqual([]);
    }
  };

  it.each([
    [
      'an unknown field',
      'github_issue_get',
      { ...repo, issue_number: 1, color: 'red' },
      'executor.invalid_arguments',
      'unknown argument color',
    ],
    [
      'a wrong type',
      'github_issue_get',
      { ...repo, issue_number: 'seven' },
      'executor.invalid_arguments',
      'issue_number must be integer',
    ],
    [
      'a missing required field',
      'github_issue_create',
      { ...repo },
      'executor.invalid_arguments',
      'missing required argument title',
    ],
    [
      'a value outside an enum',
      'github_issue_update',
      { ...repo, issue_number: 1, state: 'deleted' },
      'executor.invalid_arguments',
      'state must be one of "open", "closed"',
    ],
    [
      'a nested wrong type',
      'stripe_refund_create',
      { payment_intent: 'pi_1', metadata: { k: 1 } },
      'executor.invalid_arguments',
      'metadata',
    ],
    [
      'a JSON string that is not an object',
      'notion_search',
      { filter: '{not json' },
      'executor.invalid_arguments',
      'filter',
    ],
    [
      '../ in a path parameter',
      'github_repo_get',
      { owner: '..', repo: 'api' },
      'executor.bad_request',
      'path parameter owner',
    ],
    [
      'a slash in a single-segment path parameter',
      'github_repo_get',
      { owner: 'acme/../../orgs', repo: 'api' },
      'executor.bad_request',
      'path parameter owner',
    ],
    [
      '.. inside a multi-segment path',
      'github_content_get',
      { ...repo, path: 'docs/../../secrets' },
      'executor.bad_request',
      'path parameter path',
    ],
    [
      'an empty path parameter',
      'stripe_charge_get',
      { charge: '' },
      'executor.bad_request',
      'path parameter charge',
    ],
    [
      'a backslash in a path parameter',
      'stripe_charge_get',
      { charge: 'ch_1\\..\\x' },
      'executor.bad_request',
      'path parameter charge',
    ],
    [
      'arguments that are not an object',
      'github_repo_get',
      'owner=acme' as unknown as Record<string, unknown>,
      'executor.invalid_arguments',
      '',
    ],
  ])('refuses %s', async (_case, name, args, code, message) => {
    const result = await ctx.client
      .callTool({ name, arguments: args })
      .catch((error: Error) => ({ protocolError: error }));
    if ('protocolError' in result) {
      // A non-object `arguments` is malformed JSON-RPC: the SDK refuses it before keygate sees it.
      expect(typeof args).toBe('string');
    } else {
      expect(result.isError).toBe(true);
      const error = (result.structuredContent as { error: { code: string; message: string } }).error;
      expect(error.code).toBe(code);
      expect(error.message).toContain(message);
      expect((result.content as { text: string }[])[0]!.text).toContain(message);
    }
    nothingSent();
  });

  it('parses a JSON string where the schema wants an object, and sends the object', async () => {
    const result = await ctx.client.callTool({
      name: 'notion_search',
      arguments: { query: 'Plan', filter: '{"property":"object","value":"page"}' },
    });
    expect(result.isError).toBeFalsy();
    expect(JSON.parse(ctx.harness.fakes.notion.requests[0]!.body)).toEqual({
      query: 'Plan',
      filter: { property: 'object', value: 'page' },
    });
  });

  it('parses a JSON string where the schema wants an array', async () => {
    await ctx.client.callTool({
      name: 'github_issue_label_add',
      arguments: { ...repo, issue_number: 1, labels: '["bug"]' },
    });
    expect(JSON.parse(ctx.harness.fakes.github.requests[0]!.body)).toEqual({ labels: ['bug'] });
  });

  it.each([
    [
      'stripe_refund_create',
      { payment_intent: 'pi_1', metadata: '{"a":"b"}' },
      'metadata[a]=b&payment_intent=pi_1',
    ],
    [
      'stripe_customer_create',
      { address: '{"city":"Paris","country":"FR"}' },
      'address[city]=Paris&address[country]=FR',
    ],
  ])(
    'parses a JSON string where the schema takes an object or "" (%s), and sends the object',
    async (name, args, body) => {
      const result = await ctx.client.callTool({ name, arguments: args });
      expect(result.isError).toBeFalsy();
      expect(ctx.harness.fakes.stripe.requests[0]!.body).toBe(body);
    },
  );

  it('still sends "" as the empty-string unset where the schema takes an object or ""', async () => {
    const result = await ctx.client.callTool({
      name: 'stripe_refund_create',
      arguments: { payment_intent: 'pi_1', metadata: '' },
    });
    expect(result.isError).toBeFalsy();
    expect(ctx.harness.fakes.stripe.requests[0]!.body).toBe('metadata=&payment_intent=pi_1');
  });

  it('leaves a JSON-looking string alone where the schema wants a string', async () => {
    await ctx.client.callTool({
      name: 'github_issue_comment_create',
      arguments: { ...repo, issue_number: 1, body: '{"a":1}' },
    });
    expect(JSON.parse(ctx.harness.fakes.github.requests[0]!.body)).toEqual({ body: '{"a":1}' });
  });

  it('answers an unknown tool with a protocol error, and sends nothing', async () => {
    await expect(ctx.client.callTool({ name: 'github_repo_destroy', arguments: {} })).rejects.toThrow(
      /Unknown tool/,
    );
    nothingSent();
  });
});

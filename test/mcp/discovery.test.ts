/**
 * Discovery mode with real SDK v2 clients over HTTP on loopback, the real pipeline and store,
 * and fake upstreams that record what they receive: tools/list shows the three meta-tools when
 * the agent's `discovery` says so (or past 40 tools under `auto`); search, describe and call see
 * only the caller's own tools; a call through `keygate_call_tool` is the direct call — the same
 * request upstream, the same audit rows under the real tool's name, the same approval.
 */
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { describedSchemaOf } from '../../src/catalog/index.js';
import { CALL_TOOL, DESCRIBE_TOOL, DISCOVERY_TOOLS, mcpTool, SEARCH_TOOL } from '../../src/mcp/index.js';
import { DISCOVERY_AUTO_TOOLS } from '../../src/policy/index.js';
import { type Era, type Gateway, startGateway } from '../helpers/gateway.js';
import { assertNoSecrets } from '../helpers/harness.js';
import { withoutNonces } from '../helpers/results.js';

const POLICY = `services:
  github: { spec: builtin:github, credential: github }
  stripe: { spec: builtin:stripe, credential: stripe }
  notion: { spec: builtin:notion, credential: notion }
agents:
  everything:
    tools: ["*"]
  few:
    tools: [github_issue_get, github_issue_update, github_issue_create]
  few-discovering:
    tools: [github_issue_get, github_issue_update, github_issue_create]
    discovery: true
  many-listed:
    tools: ["*"]
    discovery: false
  limited:
    tools: ["github_*"]
    discovery: true
    rate_limit: { calls: 2, per: 1h }
  narrow:
    tools: ["github_*"]
    discovery: true
    constraints:
      github_issue_get: { owner: acme }
`;

type Result = {
  isError?: boolean;
  content: { type: string; text: string }[];
  structuredContent?: Record<string, unknown> & { error?: { code: string; message: string } };
};

describe('discovery mode', () => {
  let gw: Gateway;
  const seen: unknown[] = [];
  const github = () => gw.harness.fakes.github;
  async function call(client: Client, name: string, args: Record<string, unknown>): Promise<Result> {
    const result = (await client.callTool({ name, arguments: args })) as unknown as Result;
    seen.push(result);
    return result;
  }
  const namesOf = (result: Result) =>
    (result.structuredContent as { tools: { name: string }[] }).tools.map((tool) => tool.name);
  async function rows() {
    await gw.audit.drain();
    return gw.audit.query({ limit: 10_000 });
  }

  beforeAll(async () => {
    gw = await startGateway(POLICY);
  });
  afterAll(async () => {
    await gw.close();
    assertNoSecrets(seen, gw.harness.secrets);
  });
  beforeEach(() => {
    gw.harness.resetFakes();
    gw.setPolicy(POLICY);
  });

  it('lists the three tools, in at most 4,000 characters, for an agent past the auto threshold', async () => {
    const client = await gw.connect('everything');
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual([SEARCH_TOOL, DESCRIBE_TOOL, CALL_TOOL]);
    expect(JSON.stringify(tools).length).toBeLessThanOrEqual(4000);
    expect(tools.map((tool) => JSON.stringify(tool).length).reduce((a, b) => a + b)).toBeLessThanOrEqual(
      4000,
    );
    expect(DISCOVERY_TOOLS.map((tool) => JSON.stringify(mcpTool(tool)).length).reduce((a, b) => a + b)).toBe(
      tools.map((tool) => JSON.stringify(tool).length).reduce((a, b) => a + b),
    );
  });

  it('follows the agent setting: auto under the threshold, true, false', async () => {
    expect(DISCOVERY_AUTO_TOOLS).toBe(40);
    const few = await (await gw.connect('few')).listTools();
    expect(few.tools.map((tool) => tool.name).sort()).toEqual([
      'github_issue_create',
      'github_issue_get',
      'github_issue_update',
    ]);
    const discovering = await (await gw.connect('few-discovering')).listTools();
    expect(discovering.tools.map((tool) => tool.name)).toEqual([SEARCH_TOOL, DESCRIBE_TOOL, CALL_TOOL]);
    const listed = await (await gw.connect('many-listed')).listTools();
    expect(listed.tools.length).toBeGreaterThan(DISCOVERY_AUTO_TOOLS);
    expect(listed.tools.map((tool) => tool.name)).not.toContain(SEARCH_TOOL);
    // Without discovery the meta-tools are no tools at all.
    await expect(call(await gw.connect('many-listed'), SEARCH_TOOL, { query: 'issue' })).rejects.toThrow(
      /Unknown tool/,
    );
  });

  it('a policy reload switches it on the next tools/list', async () => {
    const client = await gw.connect('few');
    expect((await client.listTools()).tools.map((tool) => tool.name)).not.toContain(SEARCH_TOOL);
    gw.setPolicy(
      POLICY.replace(
        '  few:\n    tools: [github_issue_get, github_issue_update, github_issue_create]',
        '  few:\n    tools: [github_issue_get, github_issue_update, github_issue_create]\n    discovery: true',
      ),
    );
    expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual([
      SEARCH_TOOL,
      DESCRIBE_TOOL,
      CALL_TOOL,
    ]);
  });

  it('search ranks the tool a task needs first, among the caller’s own only', async () => {
    const client = await gw.connect('everything');
    const found = await call(client, SEARCH_TOOL, { query: 'close issue 12 in acme/api', limit: 5 });
    expect(found.isError).toBeFalsy();
    expect(namesOf(found)).toContain('github_issue_update');
    const refund = await call(client, SEARCH_TOOL, { query: 'refund a charge', service: 'stripe' });
    expect(namesOf(refund)[0]).toBe('stripe_refund_create');
    expect(namesOf(refund).every((name) => name.startsWith('stripe_'))).toBe(true);
    const entry = (found.structuredContent as { tools: Record<string, unknown>[] }).tools[0]!;
    expect(Object.keys(entry).sort()).toEqual(['name', 'risk', 'service', 'summary']);

    // An agent allowed three GitHub issue tools never sees a Stripe tool, however it asks.
    const few = await gw.connect('few-discovering');
    for (const query of [
      'refund a charge',
      'stripe refund create',
      'stripe_refund_create',
      'notion page',
      '*',
    ]) {
      const result = await call(few, SEARCH_TOOL, { query, limit: 50 });
      expect(result.isError).toBeFalsy();
      for (const name of namesOf(result)) expect(name).toMatch(/^github_issue_(get|update|create)$/);
    }
    const nothing = await call(few, SEARCH_TOOL, { query: 'xylophone' });
    expect(namesOf(nothing)).toEqual([]);
    expect(nothing.structuredContent?.hint).toMatch(/No tool you may use matches/);
  });

  it('search refuses bad arguments with a clear error', async () => {
    const client = await gw.connect('everything');
    for (const args of [
      {},
      { query: '' },
      { query: 'x'.repeat(501) },
      { query: 'issue', limit: 0 },
      { query: 'issue', limit: 51 },
      { query: 'issue', limit: 2.5 },
      { query: 7 },
    ]) {
      const result = await call(client, SEARCH_TOOL, args);
      expect(result.isError).toBe(true);
      expect(result.structuredContent?.error?.code).toBe('executor.invalid_arguments');
    }
  });

  it('describe gives the full schema and the approval that applies, for the caller’s own tools only', async () => {
    const client = await gw.connect('everything');
    const described = await call(client, DESCRIBE_TOOL, { name: 'github_issue_update' });
    expect(described.isError).toBeFalsy();
    const { tools } = await (await gw.connect('many-listed')).listTools();
    const direct = tools.find((tool) => tool.name === 'github_issue_update')!;
    expect(described.structuredContent).toMatchObject({
      name: 'github_issue_update',
      service: 'github',
      risk: 'write',
      approval: 'required',
      description: direct.description,
      inputSchema: describedSchemaOf(gw.harness.catalog.get('github_issue_update')),
    });
    // The full schema, not tools/list's compact one: the same arguments, each described in full
    // (tools/list leaves out what an argument's name already says).
    const full = (described.structuredContent as { inputSchema: { properties: Record<string, object> } })
      .inputSchema;
    expect(Object.keys(full.properties)).toEqual(Object.keys(direct.inputSchema.properties ?? {}));
    expect(full.properties.owner).toEqual({
      type: 'string',
      description: 'The account owner of the repository.',
    });
    expect(direct.inputSchema.properties?.owner).toEqual({ type: 'string' });

    // A tool folded to fit tools/list is described with every nested field.
    const folded = await call(client, DESCRIBE_TOOL, { name: 'notion_page_create' });
    const children = (
      folded.structuredContent as { inputSchema: { properties: Record<string, { items: object }> } }
    ).inputSchema.properties.children!.items;
    expect(children).toHaveProperty('properties.type.enum', expect.arrayContaining(['paragraph', 'to_do']));
    const listed = mcpTool(gw.harness.catalog.get('notion_page_create')).inputSchema.properties!.children as {
      items: object;
    };
    expect(listed.items).not.toHaveProperty('properties');

    const few = await gw.connect('few-discovering');
    const refused = await call(few, DESCRIBE_TOOL, { name: 'stripe_refund_create' });
    const missing = await call(few, DESCRIBE_TOOL, { name: 'no_such_tool' });
    // The same answer for a tool that exists and one that does not: nothing about the catalog leaks.
    expect(refused.isError).toBe(true);
    expect(refused.structuredContent?.error?.code).toBe('policy.denied');
    expect(refused.content[0]!.text.replace('stripe_refund_create', 'X')).toBe(
      missing.content[0]!.text.replace('no_such_tool', 'X'),
    );
  });

  describe.each<Era>(['2025-11-25', '2026-07-28'])(
    'keygate_call_tool is the direct call, protocol %s',
    (era) => {
      it('a read: the same request upstream and the same audit rows under the real name', async () => {
        const client = await gw.connect('everything', { era });
        const args = { owner: 'acme', repo: 'api', issue_number: 12 };
        const before = (await rows()).length;
        const direct = await call(client, 'github_issue_get', args);
        const viaMeta = await call(client, CALL_TOOL, { name: 'github_issue_get', arguments: args });
        // Each result draws its own untrusted-content nonce; everything else is the same.
        expect(withoutNonces(viaMeta)).toEqual(withoutNonces(direct));
        expect(github().requests).toHaveLength(2);
        expect(github().requests[1]).toEqual(github().requests[0]);
        const added = (await rows()).slice(before);
        const shape = (row: (typeof added)[number]) => [row.agent, row.tool, row.decision, row.argsHash];
        expect(added.map(shape)).toEqual([
          ['everything', 'github_issue_get', 'allowed', added[0]!.argsHash],
          ['everything', 'github_issue_get', 'completed', added[0]!.argsHash],
          ['everything', 'github_issue_get', 'allowed', added[0]!.argsHash],
          ['everything', 'github_issue_get', 'completed', added[0]!.argsHash],
        ]);
        // Arguments sent as a JSON string (models do) are the same call.
        await call(client, CALL_TOOL, { name: 'github_issue_get', arguments: JSON.stringify(args) });
        expect(github().requests[2]).toEqual(github().requests[0]);
      });

      it('a write waits for the same approval, bound to the real tool and arguments, and runs once', async () => {
        const asked: string[] = [];
        const client = await gw.connect('everything', {
          era,
          elicitation: { form: true },
          onElicit: (params) => {
            asked.push(params.message);
            return { action: 'accept', content: { decision: 'approve' } };
          },
        });
        const args = { owner: 'acme', repo: 'api', issue_number: 12, state: 'closed' };
        const result = await call(client, CALL_TOOL, { name: 'github_issue_update', arguments: args });
        expect(result.isError).toBeFalsy();
        expect(asked).toHaveLength(1);
        expect(asked[0]).toContain('wants to call github_issue_update');
        expect(github().requests).toHaveLength(1);
        expect(github().requests[0]).toMatchObject({ method: 'PATCH', path: '/repos/acme/api/issues/12' });
        expect(JSON.parse(github().requests[0]!.body)).toEqual({ state: 'closed' });
        const [approval] = await gw.approvals.book
          .list({ status: 'used', agent: 'everything' })
          .then((all) => all.slice(-1));
        expect(approval).toMatchObject({ tool: 'github_issue_update', args });
        const decisions = (await rows()).filter((row) => row.approvalId === approval!.id);
        expect(decisions.map((row) => [row.tool, row.decision])).toEqual([
          ['github_issue_update', 'approval_pending'],
          ['github_issue_update', 'approval_approved'],
          ['github_issue_update', 'approval_used'],
          ['github_issue_update', 'allowed'],
          ['github_issue_update', 'completed'],
        ]);
      });
    },
  );

  it('call cannot reach a tool outside the policy, nor past its constraints, and each refusal is audited', async () => {
    const few = await gw.connect('few-discovering');
    const before = (await rows()).length;
    const outside = await call(few, CALL_TOOL, {
      name: 'stripe_refund_create',
      arguments: { payment_intent: 'pi_123' },
    });
    expect(outside.isError).toBe(true);
    expect(outside.structuredContent?.error?.code).toBe('policy.denied');
    // Its argument rules are not the caller's business either.
    const badArgs = await call(few, CALL_TOOL, { name: 'stripe_customer_create', arguments: { email: 1 } });
    expect(badArgs.structuredContent?.error?.code).toBe('policy.denied');
    expect(badArgs.content[0]!.text).not.toContain('email');
    const unknown = await call(few, CALL_TOOL, { name: 'no_such_tool', arguments: {} });
    expect(unknown.isError).toBe(true);
    // The meta-tools themselves are no catalog tools: no recursion, no way around.
    const meta = await call(few, CALL_TOOL, { name: CALL_TOOL, arguments: { name: 'stripe_refund_create' } });
    expect(meta.isError).toBe(true);

    const narrow = await gw.connect('narrow');
    const constrained = await call(narrow, CALL_TOOL, {
      name: 'github_issue_get',
      arguments: { owner: 'evil', repo: 'api', issue_number: 1 },
    });
    expect(constrained.isError).toBe(true);
    expect(constrained.structuredContent?.error?.code).toBe('policy.denied');

    expect(gw.harness.fakes.stripe.requests).toEqual([]);
    expect(github().requests).toEqual([]);
    const added = (await rows()).slice(before);
    expect(added.map((row) => [row.agent, row.tool, row.decision])).toEqual([
      ['few-discovering', 'stripe_refund_create', 'denied'],
      ['few-discovering', 'stripe_customer_create', 'denied'],
      ['few-discovering', 'no_such_tool', 'denied'],
      ['few-discovering', CALL_TOOL, 'denied'],
      ['narrow', 'github_issue_get', 'denied'],
    ]);
  });

  it('search and describe count against the agent’s rate limit', async () => {
    const client = await gw.connect('limited');
    expect((await call(client, SEARCH_TOOL, { query: 'issue' })).isError).toBeFalsy();
    expect((await call(client, DESCRIBE_TOOL, { name: 'github_issue_get' })).isError).toBeFalsy();
    const over = await call(client, SEARCH_TOOL, { query: 'issue' });
    expect(over.isError).toBe(true);
    expect(over.structuredContent?.error?.code).toBe('policy.rate_limited');
  });

  it('call refuses arguments nested deeper than a request may be, even inside a JSON string', async () => {
    const client = await gw.connect('everything');
    const deep = `${'{"a":'.repeat(100)}1${'}'.repeat(100)}`;
    const result = await call(client, CALL_TOOL, { name: 'notion_data_source_query', arguments: deep });
    expect(result.isError).toBe(true);
    expect(result.structuredContent?.error?.code).toBe('executor.invalid_arguments');
    // A field given as a deep JSON string stays a string, which its schema refuses.
    const field = await call(client, 'notion_data_source_query', {
      data_source_id: '248104cd-477e-80af-bc30-000bd2b4a1b2',
      filter: deep,
    });
    expect(field.isError).toBe(true);
    expect(field.structuredContent?.error?.code).toBe('executor.invalid_arguments');
    expect(gw.harness.fakes.notion.requests).toEqual([]);
  });

  it('call refuses arguments that are not an object', async () => {
    const client = await gw.connect('everything');
    for (const args of [
      {},
      { name: 'github_issue_get', arguments: [1] },
      { name: 'github_issue_get', arguments: '{not json' },
      { name: 7 },
    ]) {
      const result = await call(client, CALL_TOOL, args);
      expect(result.isError).toBe(true);
      expect(result.structuredContent?.error?.code).toBe('executor.invalid_arguments');
    }
    expect(github().requests).toEqual([]);
  });
});

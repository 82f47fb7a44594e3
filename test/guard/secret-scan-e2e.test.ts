/**
 * The secret-scan step of the pipeline end to end: a real SDK client over /mcp, the daemon's
 * gateway, the fake GitHub. The scanner knows the canary credentials as the vault would give
 * them. Refuse mode refuses and audits without the value; approve mode asks a human, naming the
 * rule, even for a read; off sends the call as it is.
 */
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { approvalView } from '../../src/approvals/index.js';
import { fixedSecrets } from '../../src/guard/index.js';
import { type ElicitParams, type Gateway, startGateway } from '../helpers/gateway.js';
import { assertNoSecrets, CANARY } from '../helpers/harness.js';

const POLICY = (scan: string) => `services:
  github: { spec: builtin:github, credential: github }
  stripe: { spec: builtin:stripe, credential: stripe }
defaults:
  approval_timeout: 5m
  approval_wait: 2s
agents:
  alice:
    tools: ["github_issue_*"]
${scan}`;

type Result = {
  isError?: boolean;
  content: { type: string; text: string }[];
  structuredContent?: Record<string, unknown>;
};

describe('the secret-scan step, through a real MCP client', () => {
  let gw: Gateway;
  const seen: unknown[] = [];
  const github = () => gw.harness.fakes.github;

  async function call(client: Client, name: string, args: Record<string, unknown>): Promise<Result> {
    const result = (await client.callTool({ name, arguments: args })) as unknown as Result;
    seen.push(result);
    return result;
  }

  beforeAll(async () => {
    gw = await startGateway(POLICY(''), {
      silentWaitMs: 500,
      scanSecrets: fixedSecrets(Object.entries(CANARY).map(([name, value]) => ({ name, values: [value] }))),
    });
  });
  afterAll(async () => {
    // Every row, of calls that went out with a secret too (to its own service, or with the scan
    // off): what audit keeps of arguments never holds a vault secret.
    const rows = await gw.audit.query({ limit: 10_000 });
    await gw.close();
    expect(rows.length).toBeGreaterThan(3);
    assertNoSecrets(seen, gw.harness.secrets);
    assertNoSecrets(rows, gw.harness.secrets);
  });
  beforeEach(() => gw.harness.resetFakes());

  it('refuses a vault secret of another service, names the rule and place, and audits no value', async () => {
    gw.setPolicy(POLICY(''));
    const client = await gw.connect('alice');
    const body = `The deploy log says: STRIPE_KEY=${CANARY.stripe}`;
    const result = await call(client, 'github_issue_create', {
      owner: 'acme',
      repo: 'api',
      title: 'x',
      body,
    });
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toMatchObject({ error: { code: 'policy.secret_detected' } });
    expect(result.content[0]!.text).toContain('the argument body carries a secret');
    expect(result.content[0]!.text).toContain('(rule vault-secret)');
    expect(result.content[0]!.text).not.toContain('sk_test');
    expect(github().requests).toEqual([]);
    const [row] = await gw.audit.query({ agent: 'alice', tool: 'github_issue_create', limit: 1 });
    expect(row).toMatchObject({ decision: 'denied' });
    expect(row!.reason).toContain('argument body');
    expect(row!.reason).toContain('vault-secret');
    expect(JSON.stringify(row!.args)).toContain('[REDACTED]');
  });

  it('lets a secret go to its own service', async () => {
    gw.setPolicy(POLICY('    approval: { github_issue_create: never }\n'));
    const client = await gw.connect('alice');
    const body = `rotate ${CANARY.github} please`;
    const result = (await client.callTool({
      name: 'github_issue_create',
      arguments: { owner: 'acme', repo: 'api', title: 'x', body },
    })) as unknown as Result;
    expect(result.isError).toBeFalsy();
    expect(github().requests).toHaveLength(1);
    // The intent row (written before the call goes) keeps the arguments, the secret taken out.
    const rows = await gw.audit.query({ agent: 'alice', tool: 'github_issue_create', limit: 5 });
    const intent = rows.find((row) => row.decision === 'allowed');
    expect(JSON.stringify(intent!.args)).toContain('rotate [REDACTED] please');
    expect(JSON.stringify(intent)).not.toContain(CANARY.github);
  });

  it('records no secret of a call policy refuses before any scan', async () => {
    gw.setPolicy(POLICY(''));
    const client = await gw.connect('alice');
    const result = await call(client, 'github_repo_get', { owner: 'acme', repo: CANARY.stripe });
    expect(result.isError).toBe(true);
    const [row] = await gw.audit.query({ agent: 'alice', tool: 'github_repo_get', limit: 1 });
    expect(row).toMatchObject({ decision: 'denied' });
    expect(JSON.stringify(row!.args)).toContain('[REDACTED]');
    expect(JSON.stringify(row)).not.toContain(CANARY.stripe);
  });

  it('refuses a credential of a known shape that is in no vault', async () => {
    gw.setPolicy(POLICY(''));
    const client = await gw.connect('alice');
    const token = `xoxb-${'123456789012'}-${'1234567890123'}-${'abcdefghijABCDEFGHIJ1234'}`;
    const result = await call(client, 'github_issue_create', {
      owner: 'acme',
      repo: 'api',
      title: 'x',
      body: `// secretlint-disable\nslack: ${token}`,
    });
    expect(result.isError).toBe(true);
    expect(result.content[0]!.text).toContain('(rule slack/SLACK_TOKEN)');
    expect(result.content[0]!.text).not.toContain('xoxb');
    expect(github().requests).toEqual([]);
  });

  it('approve mode: even a read waits for an administrator, never a form the client answers', async () => {
    gw.setPolicy(POLICY('    secret_scan: approve\n'));
    let formAsked = 0;
    const formClient = await gw.connect('alice', {
      elicitation: { form: true },
      onElicit: () => {
        formAsked++;
        return { action: 'accept', content: { decision: 'approve' } };
      },
    });
    const args = { owner: 'acme', repo: 'api', labels: CANARY.notion };
    const held = await call(formClient, 'github_issue_list', args);
    expect(held.isError).toBe(true);
    expect(held.structuredContent).toMatchObject({ error: { code: 'approval.pending' } });
    expect(formAsked).toBe(0);
    expect(github().requests).toEqual([]);
    const [pending] = await gw.approvals.book.list({ agent: 'alice', status: 'pending' });
    // The record keeps the warning: the dashboard and `keygate approvals` show it first.
    expect(pending!.notice).toBe(
      "SECRET SCAN: the argument labels carries a secret from keygate's vault, which goes only to its own service (rule vault-secret). Approving sends it to github.",
    );
    const view = approvalView(pending!, gw.harness.catalog.get('github_issue_list'));
    expect(view.summary[1]).toBe(pending!.notice);
    await gw.approvals.book.decide(pending!.id, 'cancelled', 'test cleanup');
  });

  it('approve mode: the approval page a URL-capable client opens is told the rule; a denial sends nothing', async () => {
    gw.setPolicy(POLICY('    secret_scan: approve\n'));
    const asked: ElicitParams[] = [];
    const client = await gw.connect('alice', {
      era: '2026-07-28',
      elicitation: { url: true },
      onElicit: (params) => {
        asked.push(params);
        return { action: 'decline' };
      },
    });
    const result = await call(client, 'github_issue_list', {
      owner: 'acme',
      repo: 'api',
      labels: CANARY.notion,
    });
    expect(result.isError).toBe(true);
    expect(asked).toHaveLength(1);
    expect(asked[0]!.message).toContain('SECRET SCAN: the argument labels carries a secret');
    expect(asked[0]!.message).toContain('(rule vault-secret)');
    expect(github().requests).toEqual([]);
  });

  it('off: the call goes out as it is', async () => {
    gw.setPolicy(POLICY('    secret_scan: off\n'));
    const client = await gw.connect('alice');
    const result = (await client.callTool({
      name: 'github_issue_list',
      arguments: { owner: 'acme', repo: 'api', labels: CANARY.notion },
    })) as unknown as Result;
    expect(result.isError).toBeFalsy();
    expect(github().requests).toHaveLength(1);
  });
});

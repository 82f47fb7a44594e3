/**
 * The real daemon on loopback, two agents with SDK v2 clients over HTTP and through
 * `keygate stdio`, secrets set by the CLI, fake upstreams that check credentials.
 */
import { mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.js';
import { stdioTransport } from '../helpers/child.js';
import { keygate, ROOT, runInProcess, transcript } from '../helpers/cli.js';
import {
  BRIDGE_PATHS,
  bridgeVia,
  connectAgent,
  type DaemonProcess,
  startDaemonProcess,
} from '../helpers/daemon-process.js';
import { plainText } from '../helpers/results.js';

const SECRET = {
  github: 'ghp_CANARYdaemon000000000000000000000000a1',
  stripe: 'rk_test_CANARYdaemon0000000000000000000b2',
  notion: 'ntn_CANARYdaemon00000000000000000000000c3',
};
type Result = {
  isError?: boolean;
  content: { text: string }[];
  structuredContent?: { error: { code: string; message: string } };
};

function policy(
  fakes: Record<string, FakeUpstream>,
  triageTools = '["github_issue_*", "github_pull_list", "!github_issue_lock"]',
) {
  return `services:
  github: { spec: builtin:github, credential: github, base_url: "${fakes.github!.url}" }
  stripe: { spec: builtin:stripe, credential: stripe, base_url: "${fakes.stripe!.url}" }
  notion: { spec: builtin:notion, credential: notion, base_url: "${fakes.notion!.url}" }
defaults:
  approval: { read: never, write: required, destructive: required, payment: required }
  approval_timeout: 5m
  approval_wait: 1s
agents:
  triage-bot:
    tools: ${triageTools}
    constraints:
      "github_*": { owner: acme }
    approval: { github_issue_comment_create: never }
  billing-bot:
    tools: [stripe_refund_create, stripe_charge_get]
    constraints:
      stripe_refund_create: { amount: { max: 5000 } }
    approval: { stripe_refund_create: never }
    rate_limit: { calls: 5, per: 1h }
`;
}

describe('keygate serve end to end', () => {
  let home: string;
  let fakes: Record<'github' | 'stripe' | 'notion', FakeUpstream>;
  let daemon: DaemonProcess;
  let url: string;
  const tokens: Record<string, string> = {};
  const clients: Client[] = [];
  const messages: unknown[] = [];

  async function connect(agentToken: string, modern = false): Promise<Client> {
    const client = await connectAgent(
      url,
      agentToken,
      'e2e',
      modern ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {},
    );
    clients.push(client);
    return client;
  }
  async function call(client: Client, name: string, args: Record<string, unknown>): Promise<Result> {
    const result = (await client.callTool({ name, arguments: args })) as unknown as Result;
    messages.push(result);
    return result;
  }
  const nothingSent = () => {
    for (const fake of Object.values(fakes)) expect(fake.requests).toEqual([]);
  };
  async function admin(path: string, init: RequestInit = {}) {
    const token = (await readFile(join(home, 'admin.token'), 'utf8')).trim();
    return fetch(`${url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers },
    });
  }

  beforeAll(async () => {
    fakes = {
      github: await startFakeUpstream('github', SECRET.github),
      stripe: await startFakeUpstream('stripe', SECRET.stripe),
      notion: await startFakeUpstream('notion', SECRET.notion),
    };
    home = join(await mkdtemp(join(tmpdir(), 'keygate-e2e-')), 'home');
    // The real binary end to end once: init, a secret piped on its stdin, serve, calls. The
    // other commands run in-process (the same code, without a process start each).
    expect((await keygate(['init', '--home', home])).code).toBe(0);
    await writeFile(join(home, 'keygate.yaml'), policy(fakes));
    for (const [name, value] of Object.entries(SECRET)) {
      const cli = name === 'github' ? keygate : runInProcess;
      expect((await cli(['secret', 'set', name, '--home', home], { input: value })).code).toBe(0);
    }
    for (const agent of ['triage-bot', 'billing-bot']) {
      const added = await runInProcess(['agent', 'add', agent, '--home', home, '--json']);
      tokens[agent] = JSON.parse(added.stdout).token;
    }
    daemon = await startDaemonProcess(home);
    url = daemon.url;
  }, 120_000);

  afterAll(async () => {
    for (const client of clients) await client.close().catch(() => undefined);
    if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
    for (const fake of Object.values(fakes)) await fake.close();
    // Nothing anyone saw may contain a secret: MCP results, CLI output, the daemon's log.
    const seen = JSON.stringify(messages) + transcript.join('\n') + daemon.log();
    for (const value of Object.values(SECRET)) expect(seen).not.toContain(value);
  });
  beforeEach(() => {
    for (const fake of Object.values(fakes)) fake.reset();
  });

  it('shows each agent exactly its tools', async () => {
    const triage = await connect(tokens['triage-bot']!);
    const billing = await connect(tokens['billing-bot']!, true);
    const triageTools = (await triage.listTools()).tools.map((t) => t.name);
    const billingTools = (await billing.listTools()).tools.map((t) => t.name).sort();
    expect(triageTools).toContain('github_issue_get');
    expect(triageTools).toContain('github_pull_list');
    expect(triageTools).not.toContain('github_issue_lock');
    expect(triageTools.every((name) => name.startsWith('github_issue_') || name === 'github_pull_list')).toBe(
      true,
    );
    expect(billingTools).toEqual(['stripe_charge_get', 'stripe_refund_create']);
  });

  it('executes an allowed call with the vault credential and audits intent and outcome', async () => {
    const triage = await connect(tokens['triage-bot']!);
    fakes.github.reply = () => ({ status: 200, body: '{"number":7,"title":"Bug"}' });
    const result = await call(triage, 'github_issue_get', { owner: 'acme', repo: 'api', issue_number: 7 });
    // The title is third-party text: delimited, and named in _meta (test/mcp/untrusted-labels.test.ts).
    expect(plainText(result)).toBe('{"number":7,"title":"Bug"}');
    expect((result as { _meta?: Record<string, unknown> })._meta?.['keygate/untrusted']).toEqual(['title']);
    expect(fakes.github.requests[0]!.headers.authorization).toBe(`Bearer ${SECRET.github}`);
    const audit = await runInProcess([
      'audit',
      'query',
      '--agent',
      'triage-bot',
      '--tool',
      'github_issue_get',
      '--json',
      '--home',
      home,
    ]);
    const decisions = JSON.parse(audit.stdout).events.map((e: { decision: string }) => e.decision);
    expect(decisions.slice(-2)).toEqual(['allowed', 'completed']);
  });

  it.each([
    [
      'a tool outside its policy',
      'triage-bot',
      'stripe_charge_get',
      { charge: 'ch_1' },
      'is not among the tools triage-bot may call',
    ],
    [
      'an excluded tool',
      'triage-bot',
      'github_issue_lock',
      { owner: 'acme', repo: 'api', issue_number: 1 },
      'is not among the tools',
    ],
    [
      'a constraint',
      'triage-bot',
      'github_issue_get',
      { owner: 'evil', repo: 'api', issue_number: 1 },
      'owner must be "acme"',
    ],
    [
      'an amount cap',
      'billing-bot',
      'stripe_refund_create',
      { payment_intent: 'pi_1', amount: 9000 },
      'amount must be at most 5000',
    ],
  ])('denies and audits %s, sending nothing', async (_case, agent, tool, args, reason) => {
    const client = await connect(tokens[agent]!);
    const result = await call(client, tool, args);
    expect(result.isError).toBe(true);
    expect(result.structuredContent?.error.code).toBe('policy.denied');
    expect(result.content[0]!.text).toContain(reason);
    nothingSent();
    const audit = JSON.parse((await runInProcess(['audit', 'tail', '--json', '--home', home])).stdout).events;
    expect(audit.at(-1)).toMatchObject({ agent, tool, decision: 'denied' });
    expect(audit.at(-1).reason).toContain(reason);
  });

  it('holds a call that needs an approval, sending nothing until a human decides', async () => {
    const triage = await connect(tokens['triage-bot']!);
    const result = await call(triage, 'github_issue_create', { owner: 'acme', repo: 'api', title: 'x' });
    expect(result.structuredContent?.error.code).toBe('approval.pending');
    nothingSent();
  });

  it('rate-limits an agent and says when to retry', async () => {
    const billing = await connect(tokens['billing-bot']!);
    const results: Result[] = [];
    for (let i = 0; i < 7; i++) results.push(await call(billing, 'stripe_charge_get', { charge: `ch_${i}` }));
    const limited = results.filter((r) => r.structuredContent?.error.code === 'policy.rate_limited');
    expect(limited.length).toBeGreaterThanOrEqual(2);
    expect(limited[0]!.content[0]!.text).toMatch(/rate limit reached \(5 calls per 1h\); retry in \d+s/);
    expect(fakes.stripe.requests.length).toBeLessThanOrEqual(5);
  });

  it('refuses requests without a valid agent token, and agent tokens on the admin API', async () => {
    expect((await fetch(`${url}/mcp`, { method: 'POST', body: '{}' })).status).toBe(401);
    const bogus = await fetch(`${url}/mcp`, {
      method: 'POST',
      headers: { authorization: 'Bearer kg_nope' },
      body: '{}',
    });
    expect(bogus.status).toBe(401);
    const asAgent = await fetch(`${url}/api/agents`, {
      headers: { authorization: `Bearer ${tokens['triage-bot']}` },
    });
    expect(asAgent.status).toBe(403);
    expect((await fetch(`${url}/api/agents`)).status).toBe(401);
  });

  it('answers a malformed admin request without quoting it', async () => {
    const response = await admin('/api/secrets/leaky', {
      method: 'PUT',
      body: `{"value":"${SECRET.stripe}"`,
    });
    expect(response.status).toBe(400);
    const text = await response.text();
    expect(text).toContain('the request body is not valid JSON');
    expect(text).not.toContain(SECRET.stripe);
  });

  it('refuses a request whose Host or Origin is not the daemon (DNS rebinding)', async () => {
    const { request } = await import('node:http');
    const status = (headers: Record<string, string>) =>
      new Promise<number>((resolve) => {
        request(`${url}/healthz`, { headers }, (res) => resolve(res.statusCode ?? 0)).end();
      });
    expect(await status({ host: 'evil.example:7787' })).toBe(403);
    expect(await status({ origin: 'http://evil.example' })).toBe(403);
    expect(await status({})).toBe(200);
  });

  it('refuses a short-lived token once it expires, and a revoked token at once, open session included', async () => {
    const short = JSON.parse(
      (await runInProcess(['agent', 'token', 'triage-bot', '--ttl', '2s', '--json', '--home', home])).stdout,
    );
    const shortClient = await connect(short.token);
    expect((await shortClient.listTools()).tools.length).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    await expect(shortClient.listTools()).rejects.toThrow();

    const task = JSON.parse(
      (
        await runInProcess([
          'agent',
          'token',
          'triage-bot',
          '--tools',
          'github_issue_get',
          '--json',
          '--home',
          home,
        ])
      ).stdout,
    );
    const taskClient = await connect(task.token);
    expect((await taskClient.listTools()).tools.map((t) => t.name)).toEqual(['github_issue_get']);
    const revoked = await runInProcess(['agent', 'revoke', task.tokenId, '--home', home]);
    expect(revoked.stdout).toContain('revoked 1 token(s)');
    await expect(taskClient.listTools()).rejects.toThrow();
  });

  it('keeps the last good policy when the file becomes invalid, and takes a valid change', async () => {
    const before = (await (await admin('/api/tools?agent=triage-bot')).json()) as {
      policyVersion: string;
      tools: unknown[];
    };
    await writeFile(join(home, 'keygate.yaml'), policy(fakes, '["github_issue_*", "no_such_tool"]'));
    const bad = (await (await admin('/api/policy/reload', { method: 'POST' })).json()) as {
      ok: boolean;
      problems: string[];
    };
    expect(bad.ok).toBe(false);
    expect(bad.problems.join('\n')).toContain('agents.triage-bot.tools[1]');
    const kept = (await (await admin('/api/tools?agent=triage-bot')).json()) as {
      policyVersion: string;
      tools: unknown[];
    };
    expect(kept.policyVersion).toBe(before.policyVersion);
    expect(kept.tools.length).toBe(before.tools.length);
    expect(daemon.log()).toContain('keeping version');

    await writeFile(
      join(home, 'keygate.yaml'),
      policy(fakes, '["github_issue_get", "github_issue_comment_create"]'),
    );
    const good = (await (await admin('/api/policy/reload', { method: 'POST' })).json()) as {
      ok: boolean;
      version: string;
    };
    expect(good.ok).toBe(true);
    expect(good.version).not.toBe(before.policyVersion);
    const triage = await connect(tokens['triage-bot']!);
    expect((await triage.listTools()).tools.map((t) => t.name)).toEqual([
      'github_issue_get',
      'github_issue_comment_create',
    ]);
    await writeFile(join(home, 'keygate.yaml'), policy(fakes));
    await admin('/api/policy/reload', { method: 'POST' });
  });

  it('reloads the policy when the file changes, without being asked', async () => {
    const version = async () =>
      ((await (await admin('/api/tools?agent=triage-bot')).json()) as { policyVersion: string })
        .policyVersion;
    const before = await version();
    await writeFile(join(home, 'keygate.yaml'), `${policy(fakes)}# touched\n`);
    const deadline = Date.now() + 10_000;
    while ((await version()) === before && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await version()).not.toBe(before);
    expect(daemon.log()).toContain('policy reloaded');
  });

  it.each(BRIDGE_PATHS)('serves a client through keygate stdio with the agent token (%s)', async (path) => {
    const via = bridgeVia(path, url);
    const client = new Client({ name: 'stdio-e2e', version: '1' });
    const transport = stdioTransport({
      command: join(ROOT, 'bin/keygate'),
      args: ['stdio', '--home', home],
      env: { PATH: process.env.PATH ?? '', KEYGATE_TOKEN: tokens['triage-bot']!, ...via.env },
      stderr: 'pipe',
    });
    const stderr: string[] = [];
    transport.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
    await client.connect(transport);
    clients.push(client);
    expect(stderr.join('')).toContain(via.says);
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('github_issue_get');
    const denied = (await client.callTool({
      name: 'github_issue_get',
      arguments: { owner: 'x', repo: 'y', issue_number: 1 },
    })) as unknown as Result;
    messages.push(denied);
    expect(denied.content[0]!.text).toContain('owner must be "acme"');
    nothingSent();
  });

  it('serves the CLI through the admin API while it holds the store', async () => {
    const list = await runInProcess(['secret', 'list', '--json', '--home', home]);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout).secrets.map((s: { name: string }) => s.name)).toEqual([
      'github',
      'notion',
      'stripe',
    ]);
    const verify = await runInProcess(['audit', 'verify', '--home', home]);
    expect(verify.stdout).toMatch(/audit chain intact: \d+ rows/);
  });

  it('drains and exits 0 on SIGTERM, finishing a call in flight over the local socket, removing daemon.json; no secret is in the database files', async () => {
    for (const client of clients.splice(0)) await client.close().catch(() => undefined);
    // A call through keygate stdio (the local socket) that the upstream answers slowly.
    const client = new Client({ name: 'stdio-drain', version: '1' });
    const stderr: string[] = [];
    const transport = stdioTransport({
      command: join(ROOT, 'bin/keygate'),
      args: ['stdio', '--home', home],
      env: { PATH: process.env.PATH ?? '', KEYGATE_TOKEN: tokens['triage-bot']! },
      stderr: 'pipe',
    });
    transport.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
    await client.connect(transport);
    expect(stderr.join('')).toContain('local socket');
    const before = fakes.github.requests.length;
    fakes.github.reply = () => ({
      status: 200,
      body: '{"number":1,"title":"answered slowly"}',
      afterMs: 1500,
    });
    const call = client.callTool({
      name: 'github_issue_get',
      arguments: { owner: 'acme', repo: 'api', issue_number: 1 },
    }) as Promise<{ content: { text: string }[]; isError?: boolean }>;
    for (const deadline = Date.now() + 15_000; fakes.github.requests.length === before; ) {
      if (Date.now() > deadline) throw new Error('the call did not reach the upstream');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const code = await daemon.stop();
    const result = await call;
    await client.close().catch(() => undefined);
    fakes.github.reset();
    expect(result.isError).toBeFalsy();
    expect(plainText(result)).toContain('answered slowly');
    expect(code).toBe(0);
    await expect(stat(join(home, 'daemon.json'))).rejects.toThrow();
    const files = await readdir(join(home, 'data'), { recursive: true, withFileTypes: true });
    for (const file of files.filter((f) => f.isFile())) {
      const bytes = await readFile(join(file.parentPath, file.name));
      for (const value of Object.values(SECRET)) expect(bytes.includes(Buffer.from(value))).toBe(false);
    }
  }, 30_000);
});

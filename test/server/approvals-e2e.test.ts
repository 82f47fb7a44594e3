/**
 * Approvals with the real daemon process: humans decide with `keygate approvals` (through the
 * daemon, and offline while none runs), pending approvals survive a restart, an approval's
 * dashboard page shows nothing without a session, agent tokens never reach the approvals API,
 * and elicitation crosses the `keygate stdio` bridge.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/audit/index.js';
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.js';
import { stdioTransport } from '../helpers/child.js';
import { ROOT, runInProcess, transcript } from '../helpers/cli.js';
import {
  BRIDGE_PATHS,
  bridgeVia,
  connectAgent,
  type DaemonProcess,
  startDaemonProcess,
} from '../helpers/daemon-process.js';

const SECRET = 'ghp_CANARYapprovals0000000000000000000e5';
type Result = {
  isError?: boolean;
  content: { text: string }[];
  structuredContent?: { error: { code: string; message: string; approvalId?: string } };
};

/** A dashboard session's cookie, signed in with a one-time link as `keygate dashboard` prints it. */
async function dashboardCookie(url: string, adminToken: string): Promise<string> {
  const link = await fetch(`${url}/api/dashboard/link`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}` },
  });
  const code = new URL(((await link.json()) as { url: string }).url).hash.replace('#code=', '');
  const signedIn = await fetch(`${url}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ code }),
    redirect: 'manual',
  });
  const cookie = signedIn.headers.get('set-cookie')?.split(';')[0];
  if (signedIn.status !== 200 || !cookie)
    throw new Error(`the sign-in link did not sign in (${signedIn.status})`);
  return cookie;
}

describe('approvals with the daemon and the CLI', () => {
  let home: string;
  let fake: FakeUpstream;
  let daemon: DaemonProcess;
  let token: string;
  let adminToken: string;
  const clients: Client[] = [];
  const seen: unknown[] = [];
  const logs: string[] = [];

  const policy = (wait: string) => `services:
  github: { spec: builtin:github, credential: github, base_url: "${fake.url}" }
defaults:
  approval_wait: ${wait}
agents:
  writer:
    tools: [github_issue_create, github_issue_get]
`;
  const issue = (title: string) => ({ owner: 'acme', repo: 'api', title });
  async function connect(): Promise<Client> {
    const client = await connectAgent(daemon.url, token, 'e2e-approvals');
    clients.push(client);
    return client;
  }
  async function call(client: Client, args: Record<string, unknown>): Promise<Result> {
    const result = (await client.callTool({
      name: 'github_issue_create',
      arguments: args,
    })) as unknown as Result;
    seen.push(result);
    return result;
  }
  async function restart(): Promise<void> {
    for (const client of clients.splice(0)) await client.close().catch(() => undefined);
    logs.push(daemon.log());
    expect(await daemon.stop()).toBe(0);
    daemon = await startDaemonProcess(home);
  }
  /** The id of the pending approval of the call with this title, once it exists. */
  async function pendingWithTitle(title: string): Promise<string> {
    for (let i = 0; i < 100; i++) {
      const listed = JSON.parse((await runInProcess(['approvals', '--json', '--home', home])).stdout)
        .approvals as {
        id: string;
        argsRedacted: { title: string };
      }[];
      const found = listed.find((a) => a.argsRedacted.title === title);
      if (found) return found.id;
    }
    throw new Error(`no pending approval for "${title}"`);
  }
  async function setWait(wait: string): Promise<void> {
    await writeFile(join(home, 'keygate.yaml'), policy(wait));
    const reloaded = await fetch(`${daemon.url}/api/policy/reload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(reloaded.status).toBe(200);
  }
  async function pendingIds(): Promise<string[]> {
    const listed = await runInProcess(['approvals', '--json', '--home', home]);
    expect(listed.code).toBe(0);
    return JSON.parse(listed.stdout).approvals.map((a: { id: string }) => a.id);
  }

  beforeAll(async () => {
    fake = await startFakeUpstream('github', SECRET);
    home = join(await mkdtemp(join(tmpdir(), 'keygate-approvals-')), 'home');
    expect((await runInProcess(['init', '--home', home])).code).toBe(0);
    await writeFile(join(home, 'keygate.yaml'), policy('1s'));
    expect((await runInProcess(['secret', 'set', 'github', '--home', home], { input: SECRET })).code).toBe(0);
    token = JSON.parse(
      (await runInProcess(['agent', 'add', 'writer', '--home', home, '--json'])).stdout,
    ).token;
    adminToken = (await readFile(join(home, 'admin.token'), 'utf8')).trim();
    daemon = await startDaemonProcess(home);
  }, 120_000);
  afterAll(async () => {
    for (const client of clients) await client.close().catch(() => undefined);
    logs.push(daemon.log());
    await daemon.stop();
    await fake.close();
    const everything = JSON.stringify(seen) + transcript.join('\n') + logs.join('\n');
    expect(everything).not.toContain(SECRET);
  });
  beforeEach(() => fake.reset());

  it('lists a pending call with what it would do; approve runs it once on the next identical call', async () => {
    const client = await connect();
    const held = await call(client, issue('from the CLI'));
    expect(held.structuredContent?.error.code).toBe('approval.pending');
    const id = held.structuredContent!.error.approvalId!;
    // Said as it runs here: the daemon's cwd is the checkout, and its home is not ./vault.
    expect(held.content[0]!.text).toContain(`./bin/keygate approvals approve ${id} --home ${home}`);

    const text = await runInProcess(['approvals', 'list', '--home', home]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(id);
    expect(text.stdout).toContain('POST /repos/{owner}/{repo}/issues');
    expect(text.stdout).toContain('title: from the CLI');
    const listed = JSON.parse((await runInProcess(['approvals', '--json', '--home', home])).stdout).approvals;
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({
      id,
      agent: 'writer',
      tool: 'github_issue_create',
      status: 'pending',
      argsRedacted: issue('from the CLI'),
      risk: 'write',
    });
    expect(listed[0].args).toBeUndefined(); // only the redacted copy is ever shown

    const approved = await runInProcess(['approvals', 'approve', id, '--home', home]);
    expect(approved.code).toBe(0);
    expect(approved.stdout).toContain(`approved ${id}: github_issue_create for writer`);
    const again = await runInProcess(['approvals', 'approve', id, '--home', home]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain(`approval ${id} is already approved`);

    const ran = await call(client, issue('from the CLI'));
    expect(ran.isError).toBeFalsy();
    expect(fake.requests).toHaveLength(1);
    expect(JSON.parse(fake.requests[0]!.body)).toEqual({ title: 'from the CLI' });
    expect((await call(client, issue('from the CLI'))).structuredContent?.error.code).toBe(
      'approval.pending',
    );
    expect(fake.requests).toHaveLength(1);
  });

  it('deny with a reason answers the waiting call, which sends nothing', async () => {
    await setWait('30s');
    const client = await connect();
    const waiting = call(client, issue('deny me'));
    const ids = [await pendingWithTitle('deny me')];
    expect(ids).toHaveLength(1);
    const denied = await runInProcess([
      'approvals',
      'deny',
      ids[0]!,
      '--reason',
      'wrong repository',
      '--json',
      '--home',
      home,
    ]);
    expect(denied.code).toBe(0);
    expect(JSON.parse(denied.stdout)).toMatchObject({
      id: ids[0],
      status: 'denied',
      reason: 'wrong repository',
    });
    const result = await waiting;
    expect(result.structuredContent?.error.code).toBe('approval.denied');
    expect(result.content[0]!.text).toContain('wrong repository');
    expect(fake.requests).toEqual([]);
    await setWait('1s');
  });

  it('keeps agent tokens and strangers out of the approvals API', async () => {
    const client = await connect();
    const held = await call(client, issue('not yours'));
    const id = held.structuredContent!.error.approvalId!;
    for (const path of ['/api/approvals', `/api/approvals/${id}`]) {
      expect(
        (await fetch(`${daemon.url}${path}`, { headers: { authorization: `Bearer ${token}` } })).status,
      ).toBe(403);
      expect((await fetch(`${daemon.url}${path}`)).status).toBe(401);
    }
    const approveAsAgent = await fetch(`${daemon.url}/api/approvals/${id}/approve`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(approveAsAgent.status).toBe(403);
    expect(await pendingIds()).toContain(id);
    expect(fake.requests).toEqual([]);
  });

  it('shows an approval only to a signed-in person, and a decision through /api is recorded', async () => {
    const client = await connect();
    const held = await call(client, issue('via the page'));
    const id = held.structuredContent!.error.approvalId!;
    const page = await fetch(`${daemon.url}/approvals/${id}`);
    expect(page.status).toBe(401);
    expect(await page.text()).not.toContain('via the page');
    const shown = await fetch(`${daemon.url}/approvals/${id}`, {
      headers: { cookie: await dashboardCookie(daemon.url, adminToken) },
    });
    expect(shown.status).toBe(200);
    expect(shown.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(await shown.text()).toContain('title: via the page');

    const decided = await fetch(`${daemon.url}/api/approvals/${id}/approve`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ by: 'dashboard' }),
    });
    expect(decided.status).toBe(200);
    expect(await decided.json()).toMatchObject({
      status: 'approved',
      decidedBy: 'an administrator (dashboard)',
    });
    expect((await call(client, issue('via the page'))).isError).toBeFalsy();
    expect(fake.requests).toHaveLength(1);
  });

  it('shows every argument of a long call: approvals show through the daemon, and the page after sign-in', async () => {
    const client = await connect();
    const body = `${'Routine text. '.repeat(340)}Last line: also make attacker an owner.`;
    const held = await call(client, { ...issue('long'), body });
    const id = held.structuredContent!.error.approvalId!;
    expect(held.content[0]!.text).toContain(`keygate approvals show ${id}`);
    expect(held.content[0]!.text).toContain(`${daemon.url}/approvals/${id}`);

    const shown = await runInProcess(['approvals', 'show', id, '--home', home]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`  body: ${body}`);
    expect(shown.stdout).toContain('Operation:      POST /repos/{owner}/{repo}/issues');
    expect(shown.stdout).toMatch(/Policy version: +\S+/);
    const asJson = await runInProcess(['approvals', 'show', id, '--json', '--home', home]);
    expect(JSON.parse(asJson.stdout)).toMatchObject({
      id,
      agent: 'writer',
      status: 'pending',
      risk: 'write',
      // The record keeps a string this long as its length and hash; `arguments` shows it whole.
      argsRedacted: {
        ...issue('long'),
        body: `[${body.length} characters, sha256 ${sha256Hex(body).slice(0, 16)}…]`,
      },
      arguments: expect.arrayContaining([`  body: ${body}`]),
    });
    expect(JSON.parse(asJson.stdout).args).toBeUndefined();

    expect(await (await fetch(`${daemon.url}/approvals/${id}`)).text()).not.toContain('attacker');
    const html = await (
      await fetch(`${daemon.url}/approvals/${id}`, {
        headers: { cookie: await dashboardCookie(daemon.url, adminToken) },
      })
    ).text();
    expect(html).toContain(`  body: ${body}`);
    expect(fake.requests).toEqual([]);
  });

  it.each(BRIDGE_PATHS)(
    'asks a form-elicitation client through the keygate stdio bridge (%s)',
    async (path) => {
      const via = bridgeVia(path, daemon.url);
      const before = fake.requests.length;
      const answers = [{ action: 'accept', content: { decision: 'approve' } }, { action: 'decline' }];
      const messages: string[] = [];
      const client = new Client(
        { name: 'stdio-elicit', version: '1' },
        { capabilities: { elicitation: { form: {} } } },
      );
      client.setRequestHandler('elicitation/create', async (request) => {
        messages.push((request.params as { message: string }).message);
        return answers.shift() as never;
      });
      const transport = stdioTransport({
        command: join(ROOT, 'bin/keygate'),
        args: ['stdio', '--home', home],
        env: { PATH: process.env.PATH ?? '', KEYGATE_TOKEN: token, ...via.env },
        stderr: 'pipe',
      });
      const stderr: string[] = [];
      transport.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
      await client.connect(transport);
      clients.push(client);
      expect(stderr.join('')).toContain(via.says);
      const approved = await call(client, issue(`over stdio (${path})`));
      expect(approved.isError).toBeFalsy();
      expect(messages[0]).toContain(`title: over stdio (${path})`);
      expect(fake.requests).toHaveLength(before + 1);
      const declined = await call(client, issue(`over stdio (${path}), declined`));
      expect(declined.structuredContent?.error.code).toBe('approval.denied');
      expect(fake.requests).toHaveLength(before + 1);
    },
  );

  it('answers a waiting call "pending" when the daemon stops, and keeps its approval', async () => {
    await setWait('60s');
    const client = await connect();
    const waiting = call(client, issue('interrupted'));
    const id = await pendingWithTitle('interrupted');
    logs.push(daemon.log());
    expect(await daemon.stop()).toBe(0);
    const result = await waiting;
    expect(result.structuredContent?.error.code).toBe('approval.pending');
    expect(result.structuredContent!.error.approvalId).toBe(id);
    expect(await pendingIds()).toContain(id);
    daemon = await startDaemonProcess(home);
    await setWait('1s');
    expect(fake.requests).toEqual([]);
  });

  it('keeps pending approvals across a restart; decided offline, the next identical call runs once', async () => {
    const client = await connect();
    const held = await call(client, issue('survives'));
    const id = held.structuredContent!.error.approvalId!;
    await restart();
    expect(await pendingIds()).toContain(id);

    // With the daemon stopped, the CLI opens the store itself.
    for (const c of clients.splice(0)) await c.close().catch(() => undefined);
    logs.push(daemon.log());
    expect(await daemon.stop()).toBe(0);
    const offline = await runInProcess(['approvals', 'approve', id, '--home', home]);
    expect(offline.code).toBe(0);
    expect(offline.stdout).toContain("writer's next identical call runs once");
    daemon = await startDaemonProcess(home);

    const after = await connect();
    expect((await call(after, issue('survives'))).isError).toBeFalsy();
    expect(fake.requests).toHaveLength(1);
    expect((await call(after, issue('survives'))).structuredContent?.error.code).toBe('approval.pending');
    expect(fake.requests).toHaveLength(1);

    const audit = JSON.parse(
      (await runInProcess(['audit', 'query', '--json', '--limit', '10000', '--home', home])).stdout,
    ).events;
    const trail = audit
      .filter((e: { approvalId: string }) => e.approvalId === id)
      .map((e: { decision: string }) => e.decision);
    expect(trail).toEqual(['approval_pending', 'approval_approved', 'approval_used', 'allowed', 'completed']);
    expect((await runInProcess(['audit', 'verify', '--home', home])).code).toBe(0);
  }, 120_000);
});

/**
 * One contract for the admin operations, run against LocalAdmin (the store, no daemon) and
 * RemoteAdmin (a real daemon on 127.0.0.1, in-process): whichever path a CLI command takes, the
 * same request gets the same answer and the same error code.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type AdminOperations, findDaemon, RemoteAdmin } from '../../src/admin/index.js';
import { ApprovalBook } from '../../src/approvals/index.js';
import { AuditLog, argsHash } from '../../src/audit/index.js';
import { BudgetLedger, ruleKey, ruleLabel } from '../../src/budgets/index.js';
import { loadCatalog } from '../../src/catalog/index.js';
import { openLocalAdmin } from '../../src/cli/admin-session.js';
import { type ErrorCode, isKeygateError } from '../../src/errors/index.js';
import { type Daemon, startDaemon } from '../../src/server/index.js';
import { openStore } from '../../src/store/index.js';
import { runInProcess } from '../helpers/cli.js';

const SECRET = 'ghp_CANARYadmincontract000000000000000000';

const POLICY = `services:
  github: { spec: builtin:github, credential: github }
  stripe: { spec: builtin:stripe, credential: stripe }
  notion: { spec: builtin:notion, credential: notion }
  openai:
    proxy: { base_url: "https://api.openai.com/v1", credential: openai, allow: ["GET /models", "POST /chat/completions"] }
defaults:
  approval: { read: never, write: required, destructive: required, payment: required }
agents:
  triage-bot:
    tools: ["github_issue_*", "github_pull_list"]
    proxy: { openai: ["GET /models"] }
    discovery: true
  listed-only:
  billing-bot:
    tools: [stripe_refund_create]
    budgets:
      - { tools: "stripe_refund_*", amount: 50000, currency: usd, per: day }
      - { tools: stripe_refund_create, amount: 10000, per: call }
`;

/** A fresh home with the policy above and one pending approval, as each implementation starts. */
async function makeHome(): Promise<{ home: string; approvalId: string }> {
  const home = join(await mkdtemp(join(tmpdir(), 'keygate-admin-')), 'home');
  expect((await runInProcess(['init', '--home', home])).code).toBe(0);
  await writeFile(join(home, 'keygate.yaml'), POLICY);
  const store = await openStore({ home });
  const audit = new AuditLog(store);
  const args = { owner: 'acme', repo: 'api', title: 'seeded' };
  const { approval } = await new ApprovalBook(store, audit).open({
    agent: 'triage-bot',
    tokenId: 'seed-token',
    tool: 'github_issue_create',
    args,
    argsHash: argsHash(args),
    argsRedacted: args,
    policyVersion: 'seed',
    timeoutMs: 300_000,
  });
  // 1,200 usd of the daily budget settled, 300 more held by a call not settled yet.
  const rule = { tools: 'stripe_refund_*', amount: 50000, currency: 'usd', per: 'day' } as const;
  const ledger = new BudgetLedger(store);
  for (const [amount, settle] of [
    [1200, true],
    [300, false],
  ] as const) {
    const reserved = await ledger.reserve({
      agent: 'billing-bot',
      tool: 'stripe_refund_create',
      amount,
      currency: 'usd',
      callKey: `seed-${amount}`,
      budgets: [{ rule, index: 0, key: ruleKey(rule), label: ruleLabel(rule) }],
      ttlMs: 3_600_000,
      reuse: false,
    });
    if (reserved.ok && settle) await ledger.settle(reserved.hold);
  }
  await audit.drain();
  await store.close();
  return { home, approvalId: approval.id };
}

/** The code a rejected operation failed with. */
async function codeOf(work: Promise<unknown>): Promise<ErrorCode | string> {
  try {
    await work;
  } catch (error) {
    return isKeygateError(error) ? error.code : String(error);
  }
  throw new Error('the operation succeeded');
}

interface Subject {
  readonly admin: AdminOperations;
  readonly approvalId: string;
}

/** The cases every implementation must pass; they run in order on one home. */
function contract(name: string, open: () => Promise<Subject>, close: () => Promise<void>) {
  describe(name, () => {
    let admin: AdminOperations;
    let approvalId: string;
    beforeAll(async () => {
      ({ admin, approvalId } = await open());
    }, 120_000);
    afterAll(close, 60_000);

    it('adds an agent once, lists it, and refuses a second add or a bad name', async () => {
      const added = await admin.addAgent('triage-bot');
      expect(added).toMatchObject({ agent: 'triage-bot', token: expect.stringMatching(/^kg_/) });
      const { agents } = await admin.listAgents();
      expect(agents.map((agent) => agent.name)).toEqual(['triage-bot']);
      expect(agents[0]!.tokens.map((token) => token.id)).toEqual([added.tokenId]);
      expect(await codeOf(admin.addAgent('triage-bot'))).toBe('agent.exists');
      expect(await codeOf(admin.addAgent('Not A Name'))).toBe('request.invalid');
    });

    it('mints task tokens: a ttl, never, narrowed; refuses a pattern outside the agent and a bad ttl', async () => {
      const short = await admin.mintToken({ agent: 'triage-bot', ttl: '30m' });
      expect(Date.parse(short.expiresAt!) - Date.now()).toBeGreaterThan(29 * 60_000);
      expect(short.tools).toBeNull();
      expect((await admin.mintToken({ agent: 'triage-bot', ttl: 'never' })).expiresAt).toBeNull();
      const narrowed = await admin.mintToken({ agent: 'triage-bot', tools: ['github_issue_get'] });
      expect(narrowed.tools).toEqual(['github_issue_get']);
      expect(await codeOf(admin.mintToken({ agent: 'triage-bot', tools: ['stripe_*'] }))).toBe(
        'request.invalid',
      );
      expect(await codeOf(admin.mintToken({ agent: 'triage-bot', ttl: 'soon' }))).toBe('request.invalid');
      // Proxy services are narrowed by proxy: patterns, checked against the agent's grants.
      const proxied = await admin.mintToken({
        agent: 'triage-bot',
        tools: ['github_issue_get', 'proxy:openai'],
      });
      expect(proxied.tools).toEqual(['github_issue_get', 'proxy:openai']);
      expect(await codeOf(admin.mintToken({ agent: 'triage-bot', tools: ['proxy:linear'] }))).toBe(
        'request.invalid',
      );
      expect(await codeOf(admin.mintToken({ agent: 'nobody', ttl: '1h' }))).toBe('agent.not_found');
    });

    it('revokes by name, removes an agent with its tokens, and says when there is none', async () => {
      await admin.addAgent('short-lived');
      const revoked = await admin.revoke('short-lived');
      expect(revoked.revoked).toHaveLength(1);
      const removed = await admin.removeAgent('short-lived');
      expect(removed).toEqual({ removed: 'short-lived', tokens: revoked.revoked });
      expect(await codeOf(admin.removeAgent('short-lived'))).toBe('agent.not_found');
    });

    it('stores a secret, lists only its metadata, removes it', async () => {
      const meta = await admin.setSecret({ name: 'github', value: SECRET, service: 'github' });
      expect(meta).toMatchObject({ name: 'github', kind: 'bearer', service: 'github', version: 1 });
      const replaced = await admin.setSecret({ name: 'github', value: async () => SECRET });
      expect(replaced.version).toBe(2);
      const listed = await admin.listSecrets();
      expect(listed.secrets.map((secret) => secret.name)).toEqual(['github']);
      expect(JSON.stringify(listed)).not.toContain(SECRET);
      expect(await admin.removeSecret('github')).toEqual({ removed: 'github' });
      expect(await codeOf(admin.removeSecret('github'))).toBe('vault.secret_not_found');
      expect(await codeOf(admin.setSecret({ name: 'x', kind: 'nope', value: 'v' }))).toBe(
        'vault.invalid_secret',
      );
    });

    it('lists the catalog with aliases, and an agent’s tools with their approval', async () => {
      const catalog = await loadCatalog();
      const all = await admin.listTools({});
      expect(all.agent).toBeNull();
      expect(all.tools).toHaveLength(catalog.tools.length);
      expect(all.tools.every((tool) => Array.isArray(tool.aliases))).toBe(true);
      const mine = await admin.listTools({ agent: 'triage-bot', service: 'github' });
      expect(mine.agent).toBe('triage-bot');
      expect(mine.tools.map((tool) => tool.name)).toContain('github_pull_list');
      expect(mine.tools.every((tool) => tool.name.startsWith('github_'))).toBe(true);
      const create = mine.tools.find((tool) => tool.name === 'github_issue_create')!;
      expect(create).toMatchObject({ approval: 'required', aliases: expect.any(Array) });
      expect(await codeOf(admin.listTools({ agent: 'stranger' }))).toBe('agent.not_found');
      // Named by the policy with an empty entry, not registered: no tools, and no error.
      expect(await admin.listTools({ agent: 'listed-only' })).toMatchObject({
        tools: [],
        proxy: {},
        discovery: false,
      });
      // Whether its tools/list shows discovery mode's three tools instead: the policy's setting.
      expect(mine.discovery).toBe(true);
      expect(all.discovery).toBeNull();
    });

    it('lists proxy routes: the agent’s grants, or every service’s allow, filtered by service', async () => {
      expect((await admin.listTools({ agent: 'triage-bot' })).proxy).toEqual({ openai: ['GET /models'] });
      expect((await admin.listTools({ agent: 'triage-bot', service: 'github' })).proxy).toEqual({});
      const openai = await admin.listTools({ agent: 'triage-bot', service: 'openai' });
      expect(openai).toMatchObject({ tools: [], proxy: { openai: ['GET /models'] } });
      expect((await admin.listTools({})).proxy).toEqual({
        openai: ['GET /models', 'POST /chat/completions'],
      });
    });

    it('queries and verifies the audit log, refusing a bad duration', async () => {
      const { events } = await admin.queryAudit({ limit: 50 });
      expect(events.some((event) => event.decision === 'approval_pending')).toBe(true);
      const recent = await admin.queryAudit({ agent: 'triage-bot', since: '1h' });
      expect(recent.events.every((event) => event.agent === 'triage-bot')).toBe(true);
      expect(await codeOf(admin.queryAudit({ since: 'yesterday' }))).toBe('request.invalid');
      expect(await admin.verifyAudit()).toMatchObject({ ok: true });
    });

    it('lists, shows and decides approvals; refuses an unknown status or id and a second decision', async () => {
      const pending = await admin.listApprovals({});
      expect(pending.approvals.map((approval) => approval.id)).toEqual([approvalId]);
      expect(pending.approvals[0]).toMatchObject({ tool: 'github_issue_create', service: 'github' });
      expect(await codeOf(admin.listApprovals({ status: 'maybe' }))).toBe('request.invalid');
      expect((await admin.getApproval(approvalId)).status).toBe('pending');
      expect(await codeOf(admin.getApproval('no-such-approval'))).toBe('approval.not_found');
      const denied = await admin.decideApproval({
        id: approvalId,
        verdict: 'denied',
        reason: 'x'.repeat(600),
      });
      expect(denied).toMatchObject({ status: 'denied', decidedBy: 'an administrator (keygate approvals)' });
      expect(denied.reason).toHaveLength(500);
      expect(await codeOf(admin.decideApproval({ id: approvalId, verdict: 'approved' }))).toBe(
        'approval.not_pending',
      );
      expect((await admin.listApprovals({ status: 'denied', agent: 'triage-bot' })).approvals).toHaveLength(
        1,
      );
      expect((await admin.listApprovals({ status: 'all', agent: 'someone-else' })).approvals).toEqual([]);
    });

    it('lists spend budgets with use and remainder, and refuses an unknown agent', async () => {
      const { budgets } = await admin.listBudgets({ agent: 'billing-bot' });
      expect(budgets).toEqual([
        {
          agent: 'billing-bot',
          index: 0,
          budget: 'stripe_refund_* 50000 usd per day',
          tools: 'stripe_refund_*',
          per: 'day',
          currency: 'usd',
          limit: 50000,
          used: 1200,
          reserved: 300,
          remaining: 48500,
          periodStart: expect.stringMatching(/T00:00:00\.000Z$/),
          periodEnd: expect.stringMatching(/T00:00:00\.000Z$/),
        },
        {
          agent: 'billing-bot',
          index: 1,
          budget: 'stripe_refund_create 10000 in each currency per call',
          tools: 'stripe_refund_create',
          per: 'call',
          currency: '*',
          limit: 10000,
          used: 0,
          reserved: 0,
          remaining: 10000,
        },
      ]);
      expect((await admin.listBudgets({})).budgets).toEqual(budgets);
      expect(await codeOf(admin.listBudgets({ agent: 'nobody' }))).toBe('agent.not_found');
    });

    it('reports its status', async () => {
      expect(await admin.status()).toMatchObject({
        status: 'ok',
        version: expect.any(String),
        pid: process.pid,
      });
    });
  });
}

let localClose: () => Promise<void> = async () => {};
contract(
  'LocalAdmin (the store, no daemon)',
  async () => {
    const { home, approvalId } = await makeHome();
    const session = openLocalAdmin(home, 'admin contract test');
    localClose = () => session.close();
    return { admin: session.admin, approvalId };
  },
  () => localClose(),
);

let daemon: Daemon | undefined;
contract(
  'RemoteAdmin (a daemon on 127.0.0.1)',
  async () => {
    const { home, approvalId } = await makeHome();
    daemon = await startDaemon({ home, port: 0, host: '127.0.0.1', log: () => {} });
    const client = await findDaemon(home);
    expect(client?.url).toBe(daemon.url);
    return { admin: new RemoteAdmin(client!), approvalId };
  },
  async () => {
    await daemon?.close();
  },
);

describe('the CLI, offline and through a daemon', () => {
  const COMMANDS = [
    ['tools', '--json'],
    ['tools', '--agent', 'triage-bot', '--json'],
    ['tools', '--agent', 'triage-bot', '--service', 'github', '--json'],
    ['tools', '--agent', 'triage-bot', '--service', 'openai', '--json'],
  ];
  let home: string;
  let served: Daemon | undefined;
  beforeAll(async () => {
    ({ home } = await makeHome());
  }, 120_000);
  afterAll(async () => {
    await served?.close();
  });

  /** A task token outside the agent's tools: the caller's mistake, exit 2, both ways. */
  async function narrowingOutside(): Promise<void> {
    const result = await runInProcess([
      'agent',
      'token',
      'triage-bot',
      '--tools',
      'stripe_*',
      '--home',
      home,
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("keygate: stripe_* matches none of triage-bot's tools [request.invalid]\n");
  }

  it('prints the same document both ways, aliases included; a bad request exits 2 both ways', async () => {
    expect((await runInProcess(['agent', 'add', 'triage-bot', '--home', home])).code).toBe(0);
    await narrowingOutside();
    const offline: string[] = [];
    for (const args of COMMANDS) {
      const result = await runInProcess([...args, '--home', home]);
      expect(result.code).toBe(0);
      offline.push(result.stdout);
    }
    served = await startDaemon({ home, port: 0, host: '127.0.0.1', log: () => {} });
    await narrowingOutside();
    const throughDaemon = vi.spyOn(RemoteAdmin.prototype, 'listTools');
    for (const [i, args] of COMMANDS.entries()) {
      const online = await runInProcess([...args, '--home', home]);
      expect(online.code).toBe(0);
      expect(online.stdout).toBe(offline[i]);
      const listing = JSON.parse(online.stdout) as { tools: { aliases?: unknown }[]; proxy?: unknown };
      expect(listing.tools.length + Object.keys(listing.proxy ?? {}).length).toBeGreaterThan(0);
      expect(listing.tools.every((tool) => Array.isArray(tool.aliases))).toBe(true);
      // An agent's listing has its proxy routes (a --service other than openai filters them out).
      if (args.includes('--agent'))
        expect(listing.proxy).toEqual(args.includes('github') ? {} : { openai: ['GET /models'] });
    }
    // The three --agent listings asked the daemon; the whole catalog needs no home.
    expect(throughDaemon).toHaveBeenCalledTimes(3);
    throughDaemon.mockRestore();
    const text = await runInProcess([
      'tools',
      '--agent',
      'triage-bot',
      '--service',
      'openai',
      '--home',
      home,
    ]);
    expect(text.stdout).toBe('PROXY SERVICE  ROUTE\nopenai         GET /models\n');
  }, 120_000);
});

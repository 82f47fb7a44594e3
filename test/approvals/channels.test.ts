/**
 * Approvals through every channel, with real SDK v2 clients of each protocol era and capability
 * set over HTTP on loopback, the real pipeline and store, and fake upstreams that record what
 * they receive: approved → exactly one request with exactly the stored arguments; anything
 * else → nothing sent. Tampering is refused and audited.
 */

import { randomBytes } from 'node:crypto';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DECISION_KEY } from '../../src/approvals/elicitation-channel.js';
import { type ApprovalStatus, ElicitationChannel, RequestStateCodec } from '../../src/approvals/index.js';
import { PLAIN_EXCHANGE } from '../../src/calls/index.js';
import { runToolCall } from '../../src/mcp/index.js';
import { CASES } from '../fixtures/operation-cases.js';
import { type ElicitParams, type Era, type Gateway, startGateway } from '../helpers/gateway.js';
import { assertNoSecrets } from '../helpers/harness.js';

const POLICY = (extra = '') => `services:
  github: { spec: builtin:github, credential: github }
  stripe: { spec: builtin:stripe, credential: stripe }
  notion: { spec: builtin:notion, credential: notion }
defaults:
  approval_timeout: 5m
  approval_wait: 2s
${extra}agents:
  alice:
    tools: ["github_*", "stripe_*"]
  bob:
    tools: ["github_*"]
  ops:
    tools: [github_issue_create, github_issue_get]
    approval: { github_issue_create: out-of-band }
  all:
    tools: ["*"]
  payer:
    tools: ["stripe_refund_*"]
    approval: { "stripe_*": required }
`;

type Result = {
  isError?: boolean;
  content: { type: string; text: string }[];
  structuredContent?: { error: { code: string; message: string; approvalId?: string } };
};

const issue = (title: string) => ({ owner: 'acme', repo: 'api', title });
/** An issue body of `length` characters whose end is what a human must not miss. */
const bodyOf = (length: number) => {
  const tail = ' PS: and add ssh-ed25519 AAAA attacker@evil as a deploy key.';
  return `${'Nothing to see here. '.repeat(Math.ceil(length / 21)).slice(0, length - tail.length)}${tail}`;
};
/** Longer than any form message may carry (FORM_ARGUMENTS_LIMIT). */
const TOO_LONG = 4500;
const SILENT_WAIT = 3000;
const APPROVE = { action: 'accept', content: { decision: 'approve' } };

describe('approvals through every channel', () => {
  let gw: Gateway;
  const seen: unknown[] = [];

  const github = () => gw.harness.fakes.github;
  async function call(
    client: Client,
    name: string,
    args: Record<string, unknown>,
    options = {},
  ): Promise<Result> {
    const result = (await client.callTool({ name, arguments: args }, options)) as unknown as Result;
    seen.push(result);
    return result;
  }
  async function decisions(approvalId: string): Promise<string[]> {
    await gw.audit.drain();
    const rows = await gw.audit.query({ limit: 10_000 });
    return rows.filter((row) => row.approvalId === approvalId).map((row) => row.decision);
  }
  async function refusals(): Promise<string[]> {
    await gw.audit.drain();
    const rows = await gw.audit.query({ limit: 10_000 });
    return rows.filter((row) => row.decision === 'approval_refused').map((row) => row.reason ?? '');
  }
  /** The one pending approval of `agent`, once it exists. */
  async function pendingOf(agent: string) {
    for (let i = 0; i < 200; i++) {
      const [approval] = await gw.approvals.book.list({ agent });
      if (approval) return approval;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`no pending approval for ${agent}`);
  }
  const approvalIdOf = (result: Result) => result.structuredContent?.error.approvalId;
  /** Starts alice's call to create issue `title`, aborts it once it waits for approval; its approval. */
  async function abandonWhilePending(client: Client, title: string) {
    const abort = new AbortController();
    const abandoned = call(client, 'github_issue_create', issue(title), { signal: abort.signal }).catch(
      (error: Error) => error,
    );
    const approval = await pendingOf('alice');
    abort.abort();
    expect(await abandoned).toBeInstanceOf(Error);
    return approval;
  }

  beforeAll(async () => {
    // A request without a progress token is held at most this long (50 s in the daemon).
    gw = await startGateway(POLICY(), { silentWaitMs: SILENT_WAIT });
  });
  afterAll(async () => {
    await gw.close();
    assertNoSecrets(seen, gw.harness.secrets);
  });
  beforeEach(async () => {
    gw.harness.resetFakes();
    gw.setPolicy(POLICY());
    // Each test starts with no open approvals, so identical calls of two tests never meet.
    for (const approval of await gw.approvals.book.list({ status: 'pending' }))
      await gw.approvals.book.decide(approval.id, 'cancelled', 'test cleanup');
    for (const approval of await gw.approvals.book.list({ status: 'approved' }))
      await gw.approvals.book.cancel(approval, 'test cleanup');
  });

  describe.each<Era>(['2025-06-18', '2025-11-25', '2026-07-28'])('form elicitation, protocol %s', (era) => {
    it('approve: the stored call runs exactly once, every step audited', async () => {
      const asked: ElicitParams[] = [];
      const client = await gw.connect('alice', {
        era,
        elicitation: { form: true },
        onElicit: (params) => {
          asked.push(params);
          return APPROVE;
        },
      });
      const result = await call(client, 'github_issue_create', issue(`approve ${era}`));
      expect(result.isError).toBeFalsy();
      expect(github().requests).toHaveLength(1);
      expect(github().requests[0]).toMatchObject({ method: 'POST', path: '/repos/acme/api/issues' });
      expect(JSON.parse(github().requests[0]!.body)).toEqual({ title: `approve ${era}` });
      expect(asked).toHaveLength(1);
      expect(asked[0]!.message).toContain('Agent "alice" wants to call github_issue_create');
      expect(asked[0]!.message).toContain('github: POST /repos/{owner}/{repo}/issues (risk: write)');
      expect(asked[0]!.message).toContain(`title: approve ${era}`);
      const [approval] = await gw.approvals.book
        .list({ status: 'used', agent: 'alice' })
        .then((all) => all.slice(-1));
      expect(approval?.args).toEqual(issue(`approve ${era}`));
      expect(await decisions(approval!.id)).toEqual([
        'approval_pending',
        'approval_approved',
        'approval_used',
        'allowed',
        'completed',
      ]);
    });

    it.each<[string, Record<string, unknown>, ApprovalStatus]>([
      ['decline', { action: 'decline' }, 'denied'],
      ['cancel', { action: 'cancel' }, 'cancelled'],
      ['deny', { action: 'accept', content: { decision: 'deny', note: 'not today' } }, 'denied'],
      ['an unreadable answer', { action: 'accept', content: { decision: 'yes please' } }, 'denied'],
    ])('%s: nothing is sent', async (_name, answer, status) => {
      const client = await gw.connect('alice', { era, elicitation: { form: true }, onElicit: () => answer });
      const result = await call(client, 'github_issue_create', issue(`no ${era} ${_name}`));
      expect(result.structuredContent?.error.code).toBe('approval.denied');
      expect(github().requests).toEqual([]);
      const [approval] = await gw.approvals.book
        .list({ status, agent: 'alice' })
        .then((all) => all.slice(-1));
      expect(approval?.args).toEqual(issue(`no ${era} ${_name}`));
    });
  });

  describe.each<Era>(['2025-06-18', '2025-11-25', '2026-07-28'])(
    'arguments a form must show in full, protocol %s',
    (era) => {
      it('a 500-character issue body is approved through a form whose message holds all of it', async () => {
        const asked: ElicitParams[] = [];
        const client = await gw.connect('alice', {
          era,
          elicitation: { form: true },
          onElicit: (params) => {
            asked.push(params);
            return APPROVE;
          },
        });
        const body = bodyOf(500);
        const result = await call(client, 'github_issue_create', { ...issue(`long body ${era}`), body });
        expect(result.isError).toBeFalsy();
        expect(asked).toHaveLength(1);
        expect(asked[0]!.message).toContain(`  body: ${body}`);
        expect(asked[0]!.message).toContain('keygate approvals show apr_');
        expect(JSON.parse(github().requests[0]!.body)).toEqual({ title: `long body ${era}`, body });
      });

      it('an argument too long for a form: no form is sent, the call waits until an admin approves, then runs', async () => {
        gw.setPolicy(POLICY().replace('approval_wait: 2s', 'approval_wait: 20s'));
        const asked: ElicitParams[] = [];
        const client = await gw.connect('alice', {
          era,
          elicitation: { form: true },
          onElicit: (params) => {
            asked.push(params);
            return APPROVE;
          },
        });
        const body = bodyOf(TOO_LONG);
        const pending = call(
          client,
          'github_issue_create',
          { ...issue(`too long ${era}`), body },
          { onprogress: () => undefined },
        );
        const approval = await pendingOf('alice');
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(github().requests).toEqual([]);
        await gw.approvals.book.decide(approval.id, 'approved', 'test admin');
        const result = await pending;
        expect(result.isError).toBeFalsy();
        expect(asked).toEqual([]);
        expect(github().requests).toHaveLength(1);
        expect(JSON.parse(github().requests[0]!.body)).toEqual({ title: `too long ${era}`, body });
      });
    },
  );

  it('an argument too long for a form goes to the approval page where the client can open one', async () => {
    const asked: ElicitParams[] = [];
    const client = await gw.connect('alice', {
      era: '2026-07-28',
      elicitation: { form: true, url: true },
      onElicit: async (params) => {
        asked.push(params);
        const approval = await pendingOf('alice');
        await gw.approvals.book.decide(approval.id, 'approved', 'page');
        return { action: 'accept' };
      },
    });
    const body = bodyOf(TOO_LONG);
    const result = await call(client, 'github_issue_create', { ...issue('too long, url'), body });
    expect(result.isError).toBeFalsy();
    expect(asked).toHaveLength(1);
    expect(asked[0]!.mode).toBe('url');
    expect(asked[0]!.url).toMatch(new RegExp(`^${gw.url}/approvals/apr_[A-Za-z0-9_-]+$`));
    expect(asked[0]!.message).toContain(`Cut here: body (${TOO_LONG - 120} of its ${TOO_LONG} characters)`);
    expect(asked[0]!.message).not.toContain('attacker@evil');
    expect(github().requests).toHaveLength(1);
  });

  it('the pending result tells how to see the whole call: the show command and the page', async () => {
    const client = await gw.connect('alice');
    const result = await call(client, 'github_issue_create', { ...issue('see all'), body: bodyOf(TOO_LONG) });
    expect(result.structuredContent?.error.code).toBe('approval.pending');
    const id = approvalIdOf(result)!;
    expect(result.content[0]!.text).toContain(`keygate approvals show ${id}`);
    expect(result.content[0]!.text).toContain(`${gw.url}/approvals/${id}`);
    expect(github().requests).toEqual([]);
  });

  it('a client that cannot be asked waits out of band, with progress, and runs once when approved', async () => {
    const client = await gw.connect('alice');
    const progress: string[] = [];
    gw.setPolicy(POLICY().replace('approval_wait: 2s', 'approval_wait: 20s'));
    const pending = call(client, 'github_issue_create', issue('out of band'), {
      onprogress: (p: { message?: string }) => progress.push(p.message ?? ''),
    });
    const approval = await pendingOf('alice');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(github().requests).toEqual([]);
    await gw.approvals.book.decide(approval.id, 'approved', 'test admin');
    const result = await pending;
    expect(result.isError).toBeFalsy();
    expect(github().requests).toHaveLength(1);
    expect(progress[0]).toContain(`keygate approvals approve ${approval.id}`);
  });

  it('a request the client cancels while it waits is not executed, even when approved afterwards', async () => {
    gw.setPolicy(POLICY().replace('approval_wait: 2s', 'approval_wait: 20s'));
    // The client tells the server with notifications/cancelled; the test decides only once the
    // server has taken that in (a decision that arrives first is a legitimate approval).
    let cancelDelivered: Promise<Response> | undefined;
    const client = await gw.connect('alice', {
      fetch: (async (input: string | URL | Request, init?: RequestInit) => {
        const sent = fetch(input, init);
        if (typeof init?.body === 'string' && init.body.includes('notifications/cancelled'))
          cancelDelivered = sent;
        return sent;
      }) as typeof fetch,
    });
    const approval = await abandonWhilePending(client, 'cancelled');
    for (let i = 0; i < 100 && !cancelDelivered; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await cancelDelivered!).status).toBe(202);
    await gw.approvals.book.decide(approval.id, 'approved', 'test admin');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(github().requests).toEqual([]);
    // It stays approved for the agent's next identical call, which runs once.
    expect((await call(client, 'github_issue_create', issue('cancelled'))).isError).toBeFalsy();
    expect(github().requests).toHaveLength(1);
  });

  it('a 2026-07-28 request whose client goes away while it waits is not executed, even when approved afterwards', async () => {
    gw.setPolicy(POLICY().replace('approval_wait: 2s', 'approval_wait: 20s'));
    // This era has no cancel notification: the client aborts its HTTP request, and the server
    // learns it from the closed connection.
    const client = await gw.connect('alice', { era: '2026-07-28' });
    const approval = await abandonWhilePending(client, 'gone');
    // Let the closed connection reach the server before deciding (a decision that arrives first
    // is a legitimate approval of a call still waiting).
    await new Promise((resolve) => setTimeout(resolve, 500));
    await gw.approvals.book.decide(approval.id, 'approved', 'test admin');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(github().requests).toEqual([]);
    expect(await decisions(approval.id)).not.toContain('approval_used');
    // The approval keeps for the agent's next identical call, which runs once.
    expect((await call(client, 'github_issue_create', issue('gone'))).isError).toBeFalsy();
    expect(github().requests).toHaveLength(1);
  });

  it('holds a request that asked for no progress for a short while only, then answers "pending"', async () => {
    gw.setPolicy(POLICY().replace('approval_wait: 2s', 'approval_wait: 30s'));
    const client = await gw.connect('alice');
    const waiting = call(client, 'github_issue_create', issue('silent'));
    const approval = await pendingOf('alice');
    // Approve well after the short bound and well before approval_wait: the request has answered.
    await new Promise((resolve) => setTimeout(resolve, SILENT_WAIT + 2000));
    await gw.approvals.book.decide(approval.id, 'approved', 'test admin');
    const result = await waiting;
    expect(result.structuredContent?.error.code).toBe('approval.pending');
    expect(github().requests).toEqual([]);
    expect((await call(client, 'github_issue_create', issue('silent'))).isError).toBeFalsy();
    expect(github().requests).toHaveLength(1);
  });

  it('past the wait bound the call is pending; once approved, the next identical call runs exactly once', async () => {
    const client = await gw.connect('alice', { era: '2026-07-28' });
    const first = await call(client, 'github_issue_create', issue('later'));
    expect(first.structuredContent?.error.code).toBe('approval.pending');
    const id = approvalIdOf(first)!;
    expect(first.content[0]!.text).toContain(`keygate approvals approve ${id}`);
    expect(github().requests).toEqual([]);

    await gw.approvals.book.decide(id, 'approved', 'test admin');
    const second = await call(client, 'github_issue_create', issue('later'));
    expect(second.isError).toBeFalsy();
    expect(github().requests).toHaveLength(1);

    // The approval is spent: the same call again asks anew, and sends nothing.
    const third = await call(client, 'github_issue_create', issue('later'));
    expect(third.structuredContent?.error.code).toBe('approval.pending');
    expect(approvalIdOf(third)).not.toBe(id);
    expect(github().requests).toHaveLength(1);
    // Another argument does not ride on an approval either.
    await gw.approvals.book.decide(approvalIdOf(third)!, 'approved', 'test admin');
    const other = await call(client, 'github_issue_create', issue('later!'));
    expect(other.structuredContent?.error.code).toBe('approval.pending');
    expect(github().requests).toHaveLength(1);
  });

  it('out-of-band policy: a form-capable client is not asked to approve its own call', async () => {
    let asked = 0;
    const client = await gw.connect('ops', {
      elicitation: { form: true },
      onElicit: () => {
        asked++;
        return APPROVE;
      },
    });
    const result = await call(client, 'github_issue_create', issue('ops form'));
    expect(result.structuredContent?.error.code).toBe('approval.pending');
    expect(asked).toBe(0);
    expect(github().requests).toEqual([]);
  });

  it.each<Era>(['2025-11-25', '2026-07-28'])(
    'out-of-band policy with URL elicitation (%s): the approval page is offered, the decision is waited for',
    async (era) => {
      const urls: string[] = [];
      const client = await gw.connect('ops', {
        era,
        elicitation: { form: true, url: true },
        onElicit: async (params) => {
          urls.push(`${params.mode} ${params.url}`);
          // The administrator decides on the page (through the admin API) while the user looks.
          const approval = await pendingOf('ops');
          await gw.approvals.book.decide(approval.id, 'approved', 'page');
          return { action: 'accept' };
        },
      });
      const result = await call(client, 'github_issue_create', issue(`ops url ${era}`));
      expect(result.isError).toBeFalsy();
      expect(urls).toHaveLength(1);
      expect(urls[0]).toMatch(new RegExp(`^url ${gw.url}/approvals/apr_[A-Za-z0-9_-]+$`));
      expect(github().requests).toHaveLength(1);
    },
  );

  it('declining the approval page means no', async () => {
    const client = await gw.connect('ops', {
      era: '2026-07-28',
      elicitation: { url: true },
      onElicit: () => ({ action: 'decline' }),
    });
    const result = await call(client, 'github_issue_create', issue('ops url declined'));
    expect(result.structuredContent?.error.code).toBe('approval.denied');
    expect(github().requests).toEqual([]);
  });

  it('nobody deciding in time means not executed', async () => {
    gw.setPolicy(POLICY().replace('approval_timeout: 5m', 'approval_timeout: 1s'));
    const client = await gw.connect('alice');
    const result = await call(client, 'github_issue_create', issue('too late'));
    expect(result.structuredContent?.error.code).toBe('approval.expired');
    const id = approvalIdOf(result)!;
    expect((await gw.approvals.book.get(id))?.status).toBe('expired');
    await expect(gw.approvals.book.decide(id, 'approved', 'late admin')).rejects.toMatchObject({
      code: 'approval.expired',
    });
    expect(github().requests).toEqual([]);
    expect(await decisions(id)).toEqual(['approval_pending', 'approval_expired']);
  });

  it('50 identical pending calls approved once execute exactly once', async () => {
    gw.setPolicy(POLICY().replace('approval_wait: 2s', 'approval_wait: 30s'));
    const client = await gw.connect('alice');
    // A call is waiting on the shared record once it has had its first progress notification.
    const waiting = new Set<number>();
    const calls = Array.from({ length: 50 }, (_, i) =>
      call(client, 'github_issue_create', issue('fifty'), { onprogress: () => waiting.add(i) }),
    );
    const approval = await pendingOf('alice');
    while (waiting.size < 50) await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await gw.approvals.book.list({ agent: 'alice' })).map((a) => a.id)).toEqual([approval.id]);
    await gw.approvals.book.decide(approval.id, 'approved', 'test admin');
    const results = await Promise.all(calls);
    expect(results.filter((r) => !r.isError)).toHaveLength(1);
    const others = results.filter((r) => r.isError).map((r) => r.structuredContent?.error.code);
    expect(new Set(others)).toEqual(new Set(['approval.refused']));
    expect(github().requests).toHaveLength(1);
  });

  describe.each<Era>(['2025-06-18', '2025-11-25', '2026-07-28'])(
    'a payment through a form-capable client (%s)',
    (era) => {
      it('is never put to the form, even where the policy says required, and is not made', async () => {
        let asked = 0;
        const client = await gw.connect('payer', {
          era,
          elicitation: { form: true },
          onElicit: () => {
            asked++;
            return APPROVE;
          },
        });
        const result = await call(client, 'stripe_refund_create', { charge: `ch_form_${era}`, amount: 500 });
        expect(result.structuredContent?.error.code).toBe('approval.pending');
        expect(asked).toBe(0);
        expect(gw.harness.fakes.stripe.requests).toEqual([]);
        const approval = await pendingOf('payer');
        expect(approval.status).toBe('pending');
        await gw.approvals.book.decide(approval.id, 'cancelled', 'test cleanup');
      });
    },
  );

  it("a form answer approving a payment leaves it pending: only an administrator's decision runs it", async () => {
    // The agent's client replays a form answer (as an agent that controls its client could):
    // the elicitation channel is asked directly with a signed state and an "approve" answer.
    const client = await gw.connect('payer', { elicitation: { form: true }, onElicit: () => APPROVE });
    const args = { charge: 'ch_replayed', amount: 700 };
    await call(client, 'stripe_refund_create', args);
    const approval = await pendingOf('payer');
    const elicitation = new ElicitationChannel(gw.approvals.book, new RequestStateCodec(randomBytes(32)));
    const step = await elicitation.answer(
      { approval, summary: [], shownInFull: true, payment: true, waitMs: 0 },
      {
        client: { form: true, url: false },
        answers: { [DECISION_KEY]: { action: 'accept', content: { decision: 'approve' } } },
      },
    );
    expect(step).toMatchObject({ kind: 'settled', approval: { status: 'pending' } });
    expect(gw.harness.fakes.stripe.requests).toEqual([]);
    // The administrator approves: the agent's same call then runs once, keyed by the approval.
    await gw.approvals.book.decide(approval.id, 'approved', 'test admin');
    const result = await call(client, 'stripe_refund_create', args);
    expect(result.isError).toBeFalsy();
    const stripe = gw.harness.fakes.stripe;
    expect(stripe.requests).toHaveLength(1);
    expect(stripe.requests[0]!.headers['idempotency-key']).toBe(`keygate-${approval.id}`);
  });

  it('a payment through a URL-capable client goes to the approval page, with its amount in the message', async () => {
    const asked: string[] = [];
    const client = await gw.connect('payer', {
      era: '2026-07-28',
      elicitation: { form: true, url: true },
      onElicit: async (params) => {
        asked.push(`${params.mode}: ${params.message}`);
        await gw.approvals.book.decide((await pendingOf('payer')).id, 'approved', 'page');
        return { action: 'accept' };
      },
    });
    const result = await call(client, 'stripe_refund_create', { charge: 'ch_page', amount: 500 });
    expect(result.isError).toBeFalsy();
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatch(/^url: /);
    expect(asked[0]).toContain('(risk: payment)');
    expect(asked[0]).toContain('Amount: 500');
  });

  describe('tampering (2026-07-28 request state)', () => {
    /** A fetch that rewrites the retried tools/call (the one carrying requestState). */
    function tamper(
      rewrite: (params: Record<string, unknown>) => void,
      captured?: { body?: string; headers?: Headers },
    ) {
      return (async (input: string | URL | Request, init?: RequestInit) => {
        if (typeof init?.body === 'string' && init.body.includes('"requestState"')) {
          const message = JSON.parse(init.body) as { params: Record<string, unknown> };
          rewrite(message.params);
          const body = JSON.stringify(message);
          if (captured) {
            captured.body = body;
            captured.headers = new Headers(init.headers);
          }
          return fetch(input, { ...init, body });
        }
        return fetch(input, init);
      }) as typeof fetch;
    }
    const modern = (
      agent: string,
      rewrite: (params: Record<string, unknown>) => void,
      onElicit: () => Record<string, unknown> = () => APPROVE,
    ) =>
      gw.connect(agent, {
        era: '2026-07-28',
        elicitation: { form: true },
        onElicit,
        fetch: tamper(rewrite),
      });

    it('a forged request state is refused and audited', async () => {
      const client = await modern('alice', (params) => {
        const state = params.requestState as string;
        params.requestState = `${state.slice(0, -2)}${state.endsWith('AA') ? 'AB' : 'AA'}`;
      });
      const result = await call(client, 'github_issue_create', issue('forged'));
      expect(result.structuredContent?.error.code).toBe('approval.refused');
      expect(github().requests).toEqual([]);
      expect((await refusals()).at(-1)).toBe('the request state is forged or damaged');
    });

    it('changing one argument after approval is refused and audited', async () => {
      const client = await modern('alice', (params) => {
        (params.arguments as Record<string, unknown>).title = 'swapped';
      });
      const result = await call(client, 'github_issue_create', issue('original'));
      expect(result.structuredContent?.error.code).toBe('approval.refused');
      expect(github().requests).toEqual([]);
      expect((await refusals()).at(-1)).toMatch(
        /the arguments differ from the ones approval apr_\S+ was asked for/,
      );
    });

    it("another agent presenting an approval's state is refused and audited", async () => {
      let aliceState = '';
      const alice = await modern(
        'alice',
        (params) => {
          aliceState = params.requestState as string;
        },
        () => ({ action: 'cancel' }),
      );
      await call(alice, 'github_issue_create', issue('shared'));
      expect(aliceState).not.toBe('');
      const bob = await modern('bob', (params) => {
        params.requestState = aliceState;
      });
      const result = await call(bob, 'github_issue_create', issue('shared'));
      expect(result.structuredContent?.error.code).toBe('approval.refused');
      expect((await refusals()).at(-1)).toMatch(/approval apr_\S+ belongs to another agent/);
      expect(github().requests).toEqual([]);
    });

    it('replaying a used approval is refused and audited; the call ran once', async () => {
      const captured: { body?: string; headers?: Headers } = {};
      const client = await gw.connect('alice', {
        era: '2026-07-28',
        elicitation: { form: true },
        onElicit: () => APPROVE,
        fetch: tamper(() => undefined, captured),
      });
      const result = await call(client, 'github_issue_create', issue('replayed'));
      expect(result.isError).toBeFalsy();
      expect(captured.body).toBeDefined();
      const replay = await fetch(`${gw.url}/mcp`, {
        method: 'POST',
        headers: captured.headers!,
        body: captured.body!,
      });
      const text = await replay.text();
      seen.push(text);
      expect(text).toContain('approval.refused');
      expect(text).toContain('was already used');
      expect(github().requests).toHaveLength(1);
    });

    it('a policy change between request and approval is refused and audited', async () => {
      const client = await modern(
        'alice',
        () => undefined,
        () => {
          gw.setPolicy(`${POLICY()}# reloaded\n`);
          return APPROVE;
        },
      );
      const result = await call(client, 'github_issue_create', issue('policy moved'));
      expect(result.structuredContent?.error.code).toBe('approval.refused');
      expect(result.content[0]!.text).toContain('the policy changed');
      expect(github().requests).toEqual([]);
    });

    it('an approval granted out of band under an older policy is not used', async () => {
      const client = await gw.connect('alice');
      const first = await call(client, 'github_issue_create', issue('old policy'));
      await gw.approvals.book.decide(approvalIdOf(first)!, 'approved', 'test admin');
      gw.setPolicy(`${POLICY()}# changed\n`);
      const again = await call(client, 'github_issue_create', issue('old policy'));
      expect(again.structuredContent?.error.code).toBe('approval.pending');
      expect(approvalIdOf(again)).not.toBe(approvalIdOf(first));
      expect((await refusals()).at(-1)).toContain('was granted under another policy version');
      expect((await gw.approvals.book.get(approvalIdOf(first)!))?.status).toBe('cancelled');
      expect(github().requests).toEqual([]);
    });
  });

  it('every write, destructive and payment tool in the catalog is unreachable without an approval', async () => {
    gw.setPolicy(POLICY().replace('approval_wait: 2s', 'approval_wait: 1ms'));
    const caller = { agent: 'all', tokenId: 't-all', tools: null };
    const gated = CASES.filter(([name]) => gw.harness.catalog.get(name).risk !== 'read');
    expect(gated.length).toBeGreaterThan(40);
    for (const [name, args, method, target] of gated) {
      const fake = gw.harness.fakes[gw.harness.catalog.get(name).service as 'github'];
      gw.harness.resetFakes();
      const held = (await runToolCall(gw.deps, caller, name, args, PLAIN_EXCHANGE)) as Result;
      expect(held.structuredContent?.error.code, name).toBe('approval.pending');
      expect(fake.requests, name).toEqual([]);
      await gw.approvals.book.decide(approvalIdOf(held)!, 'approved', 'test admin');
      const ran = (await runToolCall(gw.deps, caller, name, args, PLAIN_EXCHANGE)) as Result;
      expect(ran.isError, name).toBeFalsy();
      expect(
        fake.requests.map((r) => `${r.method} ${r.path}${r.query ? `?${r.query}` : ''}`),
        name,
      ).toEqual([`${method} ${target}`]);
      const again = (await runToolCall(gw.deps, caller, name, args, PLAIN_EXCHANGE)) as Result;
      expect(again.structuredContent?.error.code, name).toBe('approval.pending');
      expect(fake.requests, name).toHaveLength(1);
      // Not left waiting: an agent has at most MAX_PENDING_PER_AGENT calls waiting at once.
      await gw.approvals.book.decide(approvalIdOf(again)!, 'cancelled', 'test cleanup');
    }
  });
  describe('over the local socket (what keygate stdio relays)', () => {
    it.each<Era>(['2025-11-25', '2026-07-28'])(
      'asks a form-elicitation client (%s); approved runs once, declined not at all',
      async (era) => {
        const answers = [APPROVE, { action: 'decline' }];
        const client = await gw.connect('alice', {
          era,
          over: 'socket',
          elicitation: { form: true },
          onElicit: () => answers.shift()!,
        });
        expect((await call(client, 'github_issue_create', issue(`socket form ${era}`))).isError).toBeFalsy();
        expect(github().requests).toHaveLength(1);
        const declined = await call(client, 'github_issue_create', issue(`socket form ${era}, declined`));
        expect(declined.structuredContent?.error.code).toBe('approval.denied');
        expect(github().requests).toHaveLength(1);
      },
    );

    it.each<Era>(['2025-11-25', '2026-07-28'])(
      'offers the approval page to a URL-elicitation client (%s) and waits for the decision',
      async (era) => {
        const urls: string[] = [];
        const client = await gw.connect('ops', {
          era,
          over: 'socket',
          elicitation: { form: true, url: true },
          onElicit: async (params) => {
            urls.push(`${params.mode} ${params.url}`);
            await gw.approvals.book.decide((await pendingOf('ops')).id, 'approved', 'page');
            return { action: 'accept' };
          },
        });
        const result = await call(client, 'github_issue_create', issue(`socket url ${era}`));
        expect(result.isError).toBeFalsy();
        expect(urls).toHaveLength(1);
        expect(urls[0]).toMatch(new RegExp(`^url ${gw.url}/approvals/apr_[A-Za-z0-9_-]+$`));
        expect(github().requests).toHaveLength(1);
      },
    );

    it('sends progress to a client that cannot be asked while it waits out of band', async () => {
      gw.setPolicy(POLICY().replace('approval_wait: 2s', 'approval_wait: 20s'));
      const client = await gw.connect('alice', { over: 'socket' });
      const progress: string[] = [];
      const pending = call(client, 'github_issue_create', issue('socket out of band'), {
        onprogress: (p: { message?: string }) => progress.push(p.message ?? ''),
      });
      const approval = await pendingOf('alice');
      await gw.approvals.book.decide(approval.id, 'approved', 'test admin');
      expect((await pending).isError).toBeFalsy();
      expect(github().requests).toHaveLength(1);
      expect(progress[0]).toContain(`keygate approvals approve ${approval.id}`);
    });

    it('does not execute a request the client cancelled while it waited, even when approved afterwards', async () => {
      gw.setPolicy(POLICY().replace('approval_wait: 2s', 'approval_wait: 20s'));
      const client = await gw.connect('alice', { over: 'socket' });
      const approval = await abandonWhilePending(client, 'socket cancelled');
      // One stream, in order: once the ping is answered, the cancellation before it was taken in.
      await client.ping();
      await gw.approvals.book.decide(approval.id, 'approved', 'test admin');
      expect(github().requests).toEqual([]);
      // The approval is still there for the agent's next identical call, which runs once.
      expect((await call(client, 'github_issue_create', issue('socket cancelled'))).isError).toBeFalsy();
      expect(github().requests).toHaveLength(1);
    });
  });
});

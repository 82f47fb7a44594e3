/**
 * 2025-era sessions hold memory (their replay events), so they are bounded: at most 16 per token
 * (a new one closes the token's least recently used), closed when idle (never with a request
 * being answered), and all event stores together stay under one byte budget.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EventBudget, MAX_SESSIONS_PER_TOKEN, SessionEventStore } from '../../src/mcp/index.js';
import { type Gateway, pendingApprovalOf, startGateway } from '../helpers/gateway.js';

const POLICY = `services:
  github: { spec: builtin:github, credential: github }
defaults:
  approval_timeout: 5m
  approval_wait: 30s
# Issue tools listed in full (not discovery mode's three tools, whatever the catalog's size), so that
# one tools/list answer is big, yet well under the event bound below.
agents:
  alice:
    tools: ["github_issue_*"]
    discovery: false
  bob:
    tools: ["github_issue_*"]
    discovery: false
`;

const headersOf = (agent: string) => ({
  authorization: `Bearer tok-${agent}`,
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
});

/** Opens a 2025-era session over plain HTTP; returns its id. */
async function open(gw: Gateway, agent: string): Promise<string> {
  const response = await fetch(`${gw.url}/mcp`, {
    method: 'POST',
    headers: headersOf(agent),
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: {
        protocolVersion: '2025-11-25',
        capabilities: {},
        clientInfo: { name: 'plain', version: '1' },
      },
    }),
  });
  expect(response.status).toBe(200);
  await response.text();
  const session = response.headers.get('mcp-session-id')!;
  await post(gw, agent, session, { jsonrpc: '2.0', method: 'notifications/initialized' });
  return session;
}

async function post(gw: Gateway, agent: string, session: string, message: unknown): Promise<Response> {
  return fetch(`${gw.url}/mcp`, {
    method: 'POST',
    headers: { ...headersOf(agent), 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' },
    body: JSON.stringify(message),
  });
}

/** A `tools/list` in the session: its HTTP status, and the SSE event ids of the answer. */
async function list(gw: Gateway, agent: string, session: string): Promise<{ status: number; ids: string[] }> {
  const response = await post(gw, agent, session, { jsonrpc: '2.0', id: 1, method: 'tools/list' });
  const text = await response.text();
  return { status: response.status, ids: [...text.matchAll(/^id: (\S+)$/gm)].map((match) => match[1]!) };
}

describe('EventBudget', () => {
  const note = (pad: number) => ({ jsonrpc: '2.0' as const, method: 'x', params: { pad: 'x'.repeat(pad) } });

  it('drops the oldest events across stores once they hold more than the bound together', async () => {
    const budget = new EventBudget(1000);
    const a = new SessionEventStore(undefined, budget);
    const b = new SessionEventStore(undefined, budget);
    await a.storeEvent('s', note(200)); // a:1
    await b.storeEvent('s', note(200)); // b:1
    await a.storeEvent('s', note(200)); // a:2
    await b.storeEvent('s', note(200)); // b:2
    expect(budget.bytes).toBeLessThanOrEqual(1000);
    expect(a.size.events + b.size.events).toBe(4);
    await a.storeEvent('s', note(200)); // a:3, over the bound: a:1 goes
    expect(budget.bytes).toBeLessThanOrEqual(1000);
    expect(await a.getStreamIdForEventId('1')).toBeUndefined();
    expect(await b.getStreamIdForEventId('1')).toBe('s');
    await b.storeEvent('s', note(200)); // b:3: b:1 goes next
    expect(await b.getStreamIdForEventId('1')).toBeUndefined();
    expect(await a.getStreamIdForEventId('2')).toBe('s');
    expect(budget.bytes).toBe(a.size.bytes + b.size.bytes);
  });

  it('keeps the newest event even alone over the bound, and gives back what a cleared store held', async () => {
    const budget = new EventBudget(1000);
    const a = new SessionEventStore(undefined, budget);
    const b = new SessionEventStore(undefined, budget);
    await a.storeEvent('s', note(300));
    const big = await b.storeEvent('s', note(5000));
    expect(a.size.events).toBe(0);
    expect(await b.getStreamIdForEventId(big)).toBe('s');
    expect(budget.bytes).toBe(b.size.bytes);
    b.clear();
    expect(budget.bytes).toBe(0);
  });
});

describe('2025-era sessions over HTTP', () => {
  let gw: Gateway;
  const log: string[] = [];
  let clock = 1_000_000;
  const bound = 64 * 1024;

  beforeAll(async () => {
    gw = await startGateway(POLICY, {
      mcp: { log: (line) => log.push(line), now: () => clock, idleTimeoutMs: 60_000, totalEventBytes: bound },
    });
  });
  afterAll(async () => {
    await gw.close();
  });
  // Each test starts with no session: the previous test's are left idle for a day.
  beforeEach(async () => {
    clock += 24 * 60 * 60 * 1000;
    await gw.mcp.expireIdle();
    expect(gw.mcp.sessionCount).toBe(0);
    gw.harness.resetFakes();
  });

  it(`closes the least recently used of a token's sessions past ${MAX_SESSIONS_PER_TOKEN}, leaving other tokens' alone`, async () => {
    expect(MAX_SESSIONS_PER_TOKEN).toBe(16);
    const bobs = await open(gw, 'bob');
    const alices: string[] = [];
    for (let i = 0; i < 16; i++) alices.push(await open(gw, 'alice'));
    expect(gw.mcp.sessionCount).toBe(17);
    expect(log).toEqual([]);

    // The 17th initialize gets in; the first session is closed and then unknown (404).
    alices.push(await open(gw, 'alice'));
    await expect.poll(async () => (await list(gw, 'alice', alices[0]!)).status).toBe(404);
    expect(log).toEqual([expect.stringContaining('token t-alice opened more than 16 sessions')]);
    for (const session of alices.slice(1)) expect((await list(gw, 'alice', session)).status).toBe(200);
    expect((await list(gw, 'bob', bobs)).status).toBe(200);
    expect(gw.mcp.sessionCount).toBe(17);

    // Least recently used, not oldest: the second is now the newest used, so the third goes.
    expect((await list(gw, 'alice', alices[1]!)).status).toBe(200);
    await open(gw, 'alice');
    await expect.poll(async () => (await list(gw, 'alice', alices[2]!)).status).toBe(404);
    expect((await list(gw, 'alice', alices[1]!)).status).toBe(200);
    expect((await list(gw, 'bob', bobs)).status).toBe(200);
    expect(gw.mcp.sessionCount).toBe(17);
  });

  const pendingOf = (agent: string) => pendingApprovalOf(gw, agent);

  it('closes idle sessions and frees their events, but not one with a call waiting for approval', async () => {
    const idle = await open(gw, 'alice');
    expect((await list(gw, 'alice', idle)).status).toBe(200);
    const busy = await gw.connect('bob');
    const call = busy.callTool({
      name: 'github_issue_create',
      arguments: { owner: 'acme', repo: 'api', title: 'slow' },
    });
    const approval = await pendingOf('bob');
    expect(gw.mcp.sessionCount).toBe(2);
    const held = gw.mcp.eventBytes;
    expect(held).toBeGreaterThan(0);

    // Not idle yet.
    clock += 59_000;
    await gw.mcp.expireIdle();
    expect(gw.mcp.sessionCount).toBe(2);

    clock += 2_000;
    await gw.mcp.expireIdle();
    expect(gw.mcp.sessionCount).toBe(1);
    expect(gw.mcp.eventBytes).toBeLessThan(held);
    expect((await list(gw, 'alice', idle)).status).toBe(404);

    // The call waiting for approval kept its session: the result arrives once approved.
    await gw.approvals.book.decide(approval.id, 'approved', 'test admin');
    const result = (await call) as { isError?: boolean };
    expect(result.isError).toBeFalsy();
    expect(gw.harness.fakes.github.requests).toHaveLength(1);

    // Answered, it is no longer in flight: idle for the timeout, it goes too.
    clock += 61_000;
    await gw.mcp.expireIdle();
    expect(gw.mcp.sessionCount).toBe(0);
    expect(gw.mcp.eventBytes).toBe(0);
  }, 30_000);

  it('treats a request to a session idle past the timeout as one to an unknown session', async () => {
    const session = await open(gw, 'alice');
    clock += 60_000;
    expect((await list(gw, 'alice', session)).status).toBe(404);
    expect(gw.mcp.sessionCount).toBe(0);
  });

  it('keeps the event bytes of all sessions under one bound, the oldest of any session dropped first', async () => {
    const first = await open(gw, 'alice');
    const { ids: firstIds } = await list(gw, 'alice', first);
    const one = gw.mcp.eventBytes;
    // Enough tools/list answers from two tokens' sessions to need several times the bound.
    const rounds = Math.ceil((4 * bound) / one);
    let last = { agent: 'alice', session: first, ids: firstIds };
    for (let i = 0; i < rounds; i++) {
      const agent = i % 2 ? 'alice' : 'bob';
      const session = await open(gw, agent);
      const { status, ids } = await list(gw, agent, session);
      expect(status).toBe(200);
      expect(gw.mcp.eventBytes).toBeLessThanOrEqual(bound);
      last = { agent, session, ids };
    }
    const replay = (agent: string, session: string, lastEventId: string) =>
      fetch(`${gw.url}/mcp`, {
        method: 'GET',
        headers: {
          ...headersOf(agent),
          accept: 'text/event-stream',
          'mcp-session-id': session,
          'mcp-protocol-version': '2025-11-25',
          'last-event-id': lastEventId,
        },
      });
    // The first session's events are gone; the newest session can still replay its answer.
    const old = await replay('alice', first, firstIds[0]!);
    expect(old.status).toBe(400);
    await old.text();
    const fresh = await replay(last.agent, last.session, last.ids[0]!);
    expect(fresh.status).toBe(200);
    const text = await fresh.text();
    expect(text).toContain(`id: ${last.ids[1]}\n`);
    expect(text).toMatch(/data: \{.*"tools":/);
  });
});

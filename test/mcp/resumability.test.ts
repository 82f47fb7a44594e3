/**
 * Resumable streams for 2025-era sessions: SSE events carry ids, a `retry` is sent, and a client
 * that loses its stream mid-approval reconnects with `Last-Event-ID` and gets what it missed —
 * the result included. The per-session event store is bounded and in memory only.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SessionEventStore } from '../../src/mcp/index.js';
import { type Gateway, pendingApprovalOf, startGateway } from '../helpers/gateway.js';

const POLICY = `services:
  github: { spec: builtin:github, credential: github }
defaults:
  approval_timeout: 5m
  approval_wait: 30s
agents:
  alice:
    tools: ["github_*"]
`;

const note = (n: number) => ({ jsonrpc: '2.0' as const, method: 'notifications/progress', params: { n } });

describe('SessionEventStore', () => {
  it('replays the events of the same stream after the given id, in order, priming events left out', async () => {
    const store = new SessionEventStore();
    const first = await store.storeEvent('a', {} as never);
    await store.storeEvent('a', note(1));
    await store.storeEvent('b', note(2));
    await store.storeEvent('a', note(3));
    const sent: [string, unknown][] = [];
    const stream = await store.replayEventsAfter(first, {
      send: async (id, message) => void sent.push([id, message]),
    });
    expect(stream).toBe('a');
    expect(sent).toEqual([
      ['2', note(1)],
      ['4', note(3)],
    ]);
    expect(await store.getStreamIdForEventId('3')).toBe('b');
    expect(await store.getStreamIdForEventId('99')).toBeUndefined();
  });

  it('keeps at most maxEvents, dropping the oldest', async () => {
    const store = new SessionEventStore({ maxEvents: 3, maxBytes: 1_000_000 });
    for (let n = 1; n <= 5; n++) await store.storeEvent('a', note(n));
    expect(store.size.events).toBe(3);
    expect(await store.getStreamIdForEventId('2')).toBeUndefined();
    expect(await store.getStreamIdForEventId('3')).toBe('a');
  });

  it('keeps at most maxBytes, but always the newest event', async () => {
    const big = { jsonrpc: '2.0' as const, method: 'x', params: { pad: 'x'.repeat(400) } };
    const store = new SessionEventStore({ maxEvents: 100, maxBytes: 1000 });
    for (let n = 0; n < 5; n++) await store.storeEvent('a', big);
    expect(store.size.events).toBe(2);
    expect(store.size.bytes).toBeLessThanOrEqual(1000);
    await store.storeEvent('a', { ...big, params: { pad: 'y'.repeat(5000) } });
    expect(store.size.events).toBe(1);
  });

  it('forgets everything when cleared', async () => {
    const store = new SessionEventStore();
    const id = await store.storeEvent('a', note(1));
    store.clear();
    expect(store.size).toEqual({ events: 0, bytes: 0 });
    expect(await store.getStreamIdForEventId(id)).toBeUndefined();
  });
});

describe('a 2025-era client that loses its stream mid-approval', () => {
  let gw: Gateway;

  beforeAll(async () => {
    gw = await startGateway(POLICY);
  });
  afterAll(async () => {
    await gw.close();
  });
  beforeEach(() => gw.harness.resetFakes());

  const pendingOf = (agent: string) => pendingApprovalOf(gw, agent);

  it('reconnects with Last-Event-ID and receives the result once a human approves', async () => {
    let cut = '';
    const resumes: (string | null)[] = [];
    let cutDone = false;
    // Cuts the tools/call stream right after its first event, as a dropped connection would.
    const cutting: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      const method = init?.method ?? 'GET';
      const headers = new Headers(init?.headers);
      if (method === 'GET') resumes.push(headers.get('last-event-id'));
      const isCall = typeof init?.body === 'string' && init.body.includes('"tools/call"');
      if (!isCall || cutDone || !response.body) return response;
      cutDone = true;
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          for (;;) {
            const { value, done } = await reader.read();
            if (done) return controller.close();
            cut += decoder.decode(value, { stream: true });
            const end = cut.indexOf('\n\n');
            if (end >= 0) {
              cut = cut.slice(0, end + 2);
              controller.enqueue(new TextEncoder().encode(cut));
              controller.close();
              await reader.cancel();
              return;
            }
          }
        },
      });
      return new Response(body, { status: response.status, headers: response.headers });
    };
    const client = await gw.connect('alice', { era: '2025-11-25', fetch: cutting });
    const progress: string[] = [];
    const pending = client.callTool(
      { name: 'github_issue_create', arguments: { owner: 'acme', repo: 'api', title: 'resumed' } },
      { onprogress: (p: { message?: string }) => progress.push(p.message ?? '') },
    );
    const approval = await pendingOf('alice');
    // The stream the client saw: one priming event with an id and a retry, nothing else.
    await expect.poll(() => cut).toMatch(/^id: \S+\nretry: 1000\ndata: \n\n$/);
    const primingId = /^id: (\S+)/.exec(cut)![1]!;
    expect(gw.harness.fakes.github.requests).toEqual([]);
    // The client reconnects (after the retry the server asked for) with the id it last saw.
    await expect.poll(() => resumes, { timeout: 5000 }).toContain(primingId);
    await gw.approvals.book.decide(approval.id, 'approved', 'test admin');
    const result = (await pending) as { isError?: boolean };
    expect(result.isError).toBeFalsy();
    expect(gw.harness.fakes.github.requests).toHaveLength(1);
    // Progress sent while the stream was gone was replayed on the resumed one.
    expect(progress.some((message) => message.includes(approval.id))).toBe(true);
  }, 30_000);

  it('gives every event on a session stream an id over plain HTTP, and replays from one', async () => {
    const url = `${gw.url}/mcp`;
    const headers = {
      authorization: 'Bearer tok-alice',
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    };
    const init = await fetch(url, {
      method: 'POST',
      headers,
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
    const session = init.headers.get('mcp-session-id')!;
    expect(await init.text()).toMatch(/^id: \S+\nretry: 1000\ndata: \n\n/m);
    const inSession = { ...headers, 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' };
    await fetch(url, {
      method: 'POST',
      headers: inSession,
      body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    });
    const listed = await (
      await fetch(url, {
        method: 'POST',
        headers: inSession,
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      })
    ).text();
    const ids = [...listed.matchAll(/^id: (\S+)$/gm)].map((match) => match[1]!);
    expect(ids).toHaveLength(2); // the priming event and the result
    expect(listed).toMatch(/^id: \S+\nretry: 1000\n/);
    expect(listed).toMatch(/event: message\nid: \S+\ndata: \{.*"tools":/);
    const replay = await fetch(url, {
      method: 'GET',
      headers: { ...inSession, accept: 'text/event-stream', 'last-event-id': ids[0]! },
    });
    expect(replay.status).toBe(200);
    const replayed = await replay.text();
    expect(replayed).toContain(`id: ${ids[1]}\n`);
    expect(replayed).toMatch(/data: \{.*"tools":/);
    const unknown = await fetch(url, {
      method: 'GET',
      headers: { ...inSession, accept: 'text/event-stream', 'last-event-id': 'no-such-event' },
    });
    expect(unknown.status).toBe(400);
  });
});

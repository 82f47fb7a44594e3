/**
 * OpenTelemetry end to end, in-process: the SDK registered by `startTelemetry` with an in-memory
 * span exporter and a metric reader read on demand, the daemon's gateway on 127.0.0.1, real MCP
 * clients and a real HTTP client for the proxy, fake upstreams that record the `traceparent`
 * they received. Every span and metric exported is serialised and searched for argument values,
 * the agents' tokens and the canary credentials.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { type CollectionResult, MetricReader } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { bearerCredential, staticCredentialProvider } from '../../src/executor/index.js';
import type { Gateway } from '../../src/server/index.js';
import { startTelemetry, type Telemetry } from '../../src/telemetry/index.js';
import { buildTestGateway } from '../helpers/gateway.js';
import { CANARY, type Harness, startHarness } from '../helpers/harness.js';
import { PGLITE_BACKEND, type TestStore } from '../helpers/stores.js';
import { type FakeApi, GITHUB_KEY, startFakeApi } from '../proxy/fake-api.js';

/** A metric reader a test reads when it wants. */
class TestReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

/** Argument values no span or metric may hold. */
const ARG = {
  repo: 'ARGCANARYrepo7f3a',
  owner: 'ARGCANARYowner91c2',
  title: 'ARGCANARYtitle55d0',
  proxyRepo: 'ARGCANARYproxyrepo3e1',
  query: 'ARGCANARYquery0b7e',
};
const CLIENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';
const TRACEPARENT = `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01`;

const exporter = new InMemorySpanExporter();
const reader = new TestReader();
let telemetry: Telemetry;
let harness: Harness;
let api: FakeApi;
let t: TestStore;
let gateway: Gateway;
let server: Server;
let url: string;
const tokens: Record<string, string> = {};
const clients: Client[] = [];

function policy(): string {
  return `
defaults:
  approval_wait: 30s
services:
  github: { spec: builtin:github, credential: github, base_url: "${harness.baseUrls.github}" }
  ghraw:
    proxy:
      base_url: ${api.origin}/gh
      credential: ghraw
      allow: ["GET /repos/*/*"]
      private_ok: ["127.0.0.1:${api.port}"]
agents:
  reader:
    tools: [github_issue_get, github_issue_create]
    constraints:
      "github_*": { owner: acme }
    approval: { github_issue_create: required }
    proxy:
      ghraw: ["GET /repos/*/*"]
`;
}

beforeAll(async () => {
  telemetry = await startTelemetry({}, { spans: exporter, metrics: reader });
  harness = await startHarness();
  api = await startFakeApi();
  t = await PGLITE_BACKEND.fresh();
  gateway = await buildTestGateway(t, harness.catalog, policy(), {
    publicUrl: () => url,
    credentials: staticCredentialProvider({
      github: bearerCredential('github', CANARY.github),
      ghraw: bearerCredential('ghraw', GITHUB_KEY),
    }),
    silentWaitMs: 30_000,
  });
  server = createServer((req, res) => gateway.handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  tokens.reader = (await gateway.admin.addAgent('reader')).token;
}, 60_000);

afterAll(async () => {
  for (const client of clients) await client.close().catch(() => undefined);
  server?.close();
  await gateway?.close(async () => server.closeAllConnections());
  await t?.dispose();
  await api?.close();
  await harness?.close();
  await telemetry?.shutdown();
});

beforeEach(() => {
  exporter.reset();
  harness.resetFakes();
  api.received.length = 0;
});

async function connect(agent: string): Promise<Client> {
  const client = new Client(
    { name: 'otel-test', version: '1' },
    { supportedProtocolVersions: ['2025-11-25'] },
  );
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${tokens[agent]}` } },
    }),
  );
  clients.push(client);
  return client;
}

function spanNamed(name: string): ReadableSpan {
  const found = exporter.getFinishedSpans().filter((span) => span.name === name);
  if (found.length !== 1) throw new Error(`expected one span ${name}, got ${found.length}`);
  return found[0]!;
}

function childrenOf(parent: ReadableSpan): ReadableSpan[] {
  return exporter
    .getFinishedSpans()
    .filter((span) => span.parentSpanContext?.spanId === parent.spanContext().spanId);
}

/** Everything exported so far, spans and metrics, as one text. */
async function everythingExported(): Promise<string> {
  const spans = exporter.getFinishedSpans().map((span) => ({
    name: span.name,
    attributes: span.attributes,
    events: span.events,
    links: span.links,
    status: span.status,
  }));
  const { resourceMetrics }: CollectionResult = await reader.collect();
  return JSON.stringify({ spans, metrics: resourceMetrics.scopeMetrics });
}

function expectNothingSensitive(text: string): void {
  for (const value of [...Object.values(ARG), ...harness.secrets, GITHUB_KEY, ...Object.values(tokens)])
    expect(text).not.toContain(value);
}

/** The value of one data point of metric `name` whose attributes include `match`. */
async function metricValue(name: string, match: Record<string, unknown>): Promise<number | undefined> {
  const { resourceMetrics } = await reader.collect();
  for (const scope of resourceMetrics.scopeMetrics)
    for (const metric of scope.metrics) {
      if (metric.descriptor.name !== name) continue;
      for (const point of metric.dataPoints as { attributes: Record<string, unknown>; value: unknown }[]) {
        if (Object.entries(match).every(([key, value]) => point.attributes[key] === value))
          return typeof point.value === 'number' ? point.value : (point.value as { count: number }).count;
      }
    }
  return undefined;
}

describe('a tools/call', () => {
  it('is a SERVER span under the _meta traceparent, with policy, audit and upstream children', async () => {
    const client = await connect('reader');
    const result = await client.callTool({
      name: 'github_issue_get',
      arguments: { owner: 'acme', repo: ARG.repo, issue_number: 4242 },
      _meta: { traceparent: TRACEPARENT, tracestate: 'vendor=1' },
    });
    expect(result.isError).toBeFalsy();
    // The outcome row is committed a few milliseconds after the result.
    await vi.waitFor(() =>
      expect(exporter.getFinishedSpans().filter((s) => s.name === 'keygate.audit.append')).toHaveLength(2),
    );

    const call = spanNamed('tools/call github_issue_get');
    expect(call.kind).toBe(SpanKind.SERVER);
    expect(call.spanContext().traceId).toBe(CLIENT_TRACE);
    expect(call.parentSpanContext?.spanId).toBe(CLIENT_SPAN);
    expect(call.attributes).toMatchObject({
      'mcp.method.name': 'tools/call',
      'gen_ai.tool.name': 'github_issue_get',
      'gen_ai.operation.name': 'execute_tool',
      'mcp.protocol.version': '2025-11-25',
      'keygate.agent': 'reader',
      'keygate.risk': 'read',
      'keygate.decision': 'completed',
    });
    expect(call.attributes['jsonrpc.request.id']).toEqual(expect.any(String));
    expect(call.attributes['mcp.session.id']).toEqual(expect.any(String));
    expect(call.attributes['keygate.policy.version']).toMatch(/^[0-9a-f]{8,}/);
    expect(call.status.code).not.toBe(SpanStatusCode.ERROR);

    const children = childrenOf(call)
      .map((span) => span.name)
      .sort();
    expect(children).toEqual([
      'GET /repos/{owner}/{repo}/issues/{issue_number}',
      'keygate.audit.append',
      'keygate.audit.append',
      'keygate.policy',
    ]);
    expect(spanNamed('keygate.policy').attributes).toMatchObject({
      'keygate.decision': 'allowed',
      'keygate.approval.mode': 'never',
      'keygate.risk': 'read',
    });
    const rows = childrenOf(call)
      .filter((span) => span.name === 'keygate.audit.append')
      .map((span) => span.attributes['keygate.audit.decision'])
      .sort();
    expect(rows).toEqual(['allowed', 'completed']);

    const upstream = spanNamed('GET /repos/{owner}/{repo}/issues/{issue_number}');
    const fakeUrl = new URL(harness.baseUrls.github);
    expect(upstream.kind).toBe(SpanKind.CLIENT);
    expect(upstream.attributes).toEqual({
      'http.request.method': 'GET',
      'server.address': fakeUrl.hostname,
      'server.port': Number(fakeUrl.port),
      'keygate.service': 'github',
      'url.template': '/repos/{owner}/{repo}/issues/{issue_number}',
      'http.response.status_code': 200,
    });
    // The upstream was told keygate's client span is its parent, in the client's trace.
    const sent = harness.fakes.github.requests[0]!.headers.traceparent;
    expect(sent).toBe(`00-${CLIENT_TRACE}-${upstream.spanContext().spanId}-01`);
    expect(harness.fakes.github.requests[0]!.headers.tracestate).toBe('vendor=1');

    expect(
      await metricValue('keygate.calls', {
        'gen_ai.tool.name': 'github_issue_get',
        'keygate.decision': 'completed',
      }),
    ).toBe(1);
    expect(
      await metricValue('keygate.upstream.duration', {
        'keygate.service': 'github',
        'keygate.upstream.status_class': '2xx',
      }),
    ).toBe(1);
    expect(
      await metricValue('mcp.server.operation.duration', { 'gen_ai.tool.name': 'github_issue_get' }),
    ).toBeGreaterThanOrEqual(1);
    expectNothingSensitive(await everythingExported());
  });

  it('is a new trace when the request carries no trace context', async () => {
    const client = await connect('reader');
    await client.callTool({
      name: 'github_issue_get',
      arguments: { owner: 'acme', repo: ARG.repo, issue_number: 1 },
    });
    const call = spanNamed('tools/call github_issue_get');
    expect(call.spanContext().traceId).not.toBe(CLIENT_TRACE);
    expect(call.parentSpanContext).toBeUndefined();
  });

  it('marks a denied call with its code, sends nothing upstream, and counts the denial', async () => {
    const client = await connect('reader');
    const before = (await metricValue('keygate.denials', { 'keygate.denial.reason': 'policy' })) ?? 0;
    const result = await client.callTool({
      name: 'github_issue_get',
      arguments: { owner: ARG.owner, repo: ARG.repo, issue_number: 7 },
      _meta: { traceparent: TRACEPARENT },
    });
    expect(result.isError).toBe(true);
    const call = spanNamed('tools/call github_issue_get');
    expect(call.status.code).toBe(SpanStatusCode.ERROR);
    expect(call.status.message).toBeUndefined();
    expect(call.attributes['error.type']).toBe('policy.denied');
    expect(call.attributes['keygate.decision']).toBe('denied');
    expect(spanNamed('keygate.policy').attributes['keygate.decision']).toBe('denied');
    expect(exporter.getFinishedSpans().some((span) => span.kind === SpanKind.CLIENT)).toBe(false);
    expect(harness.fakes.github.requests).toHaveLength(0);
    expect(await metricValue('keygate.denials', { 'keygate.denial.reason': 'policy' })).toBe(before + 1);
    expectNothingSensitive(await everythingExported());
  });

  it('holds a call needing approval in an approval span, counted pending until a human decides', async () => {
    const client = await connect('reader');
    const pending = client.callTool({
      name: 'github_issue_create',
      arguments: { owner: 'acme', repo: ARG.repo, title: ARG.title },
      _meta: { traceparent: TRACEPARENT },
    });
    await vi.waitFor(async () => expect(await metricValue('keygate.approvals.pending', {})).toBe(1), {
      timeout: 10_000,
    });
    const [approval] = await gateway.approvals.book.list();
    await gateway.approvals.book.decide(approval!.id, 'approved', 'test');
    const result = await pending;
    expect(result.isError).toBeFalsy();
    expect(await metricValue('keygate.approvals.pending', {})).toBe(0);

    const call = spanNamed('tools/call github_issue_create');
    const wait = spanNamed('keygate.approval.wait');
    expect(wait.parentSpanContext?.spanId).toBe(call.spanContext().spanId);
    expect(wait.attributes['keygate.approval.outcome']).toBe('execute');
    expect(spanNamed('keygate.policy').attributes['keygate.approval.mode']).toBe('required');
    expect(call.attributes).toMatchObject({ 'keygate.risk': 'write', 'keygate.decision': 'completed' });
    const upstream = spanNamed('POST /repos/{owner}/{repo}/issues');
    expect(upstream.parentSpanContext?.spanId).toBe(call.spanContext().spanId);
    expect(harness.fakes.github.requests[0]!.headers.traceparent).toBe(
      `00-${CLIENT_TRACE}-${upstream.spanContext().spanId}-01`,
    );
    expectNothingSensitive(await everythingExported());
  });
});

describe('a proxied request', () => {
  it('is a SERVER span named by its allow route, and the upstream gets keygate’s traceparent, not the client’s', async () => {
    const response = await request(`${url}/proxy/ghraw/repos/acme/${ARG.proxyRepo}?q=${ARG.query}`, {
      headers: { authorization: `Bearer ${tokens.reader}`, traceparent: TRACEPARENT, tracestate: 'agent=x' },
    });
    expect(response.statusCode).toBe(200);
    await response.body.text();
    await vi.waitFor(() =>
      expect(exporter.getFinishedSpans().filter((s) => s.name === 'keygate.audit.append')).toHaveLength(2),
    );

    const proxied = exporter.getFinishedSpans().find((span) => span.kind === SpanKind.SERVER)!;
    expect(proxied.name).toBe('GET /repos/*/*');
    expect(proxied.kind).toBe(SpanKind.SERVER);
    expect(proxied.spanContext().traceId).toBe(CLIENT_TRACE);
    expect(proxied.parentSpanContext?.spanId).toBe(CLIENT_SPAN);
    expect(proxied.attributes).toMatchObject({
      'http.request.method': 'GET',
      'http.route': '/repos/*/*',
      'http.response.status_code': 200,
      'keygate.service': 'ghraw',
      'keygate.agent': 'reader',
      'keygate.decision': 'completed',
    });
    const upstream = exporter.getFinishedSpans().find((span) => span.kind === SpanKind.CLIENT)!;
    expect(upstream.name).toBe('GET /repos/*/*');
    expect(upstream.parentSpanContext?.spanId).toBe(proxied.spanContext().spanId);
    expect(upstream.attributes).toMatchObject({
      'url.template': '/repos/*/*',
      'http.response.status_code': 200,
      'server.port': api.port,
    });
    const sent = api.received[0]!.headers;
    expect(sent.traceparent).toBe(`00-${CLIENT_TRACE}-${upstream.spanContext().spanId}-01`);
    // The trace's state travels with it, as W3C Trace Context says; the client's parent does not.
    expect(sent.tracestate).toBe('agent=x');
    expectNothingSensitive(await everythingExported());
  });
});

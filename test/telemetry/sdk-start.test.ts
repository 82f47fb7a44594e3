/**
 * Starting the OpenTelemetry SDK: nothing of it is loaded unless an OTLP endpoint is set (the
 * loader is never called, and no module of keygate imports an SDK package statically); with
 * one set, the real OTLP/HTTP exporters send spans and metrics to a receiver on 127.0.0.1, under
 * service.name `keygate`, and shutting down flushes them.
 */
import { readdir, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PACKAGE_ROOT } from '../../src/config/index.js';
import {
  countCall,
  inMcpServerSpan,
  loadSdk,
  startTelemetry,
  wantedSignals,
} from '../../src/telemetry/index.js';

describe('the SDK is loaded only when an endpoint is set', () => {
  it.each([
    [{}, { traces: false, metrics: false }],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: '' }, { traces: false, metrics: false }],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }, { traces: true, metrics: true }],
    [
      { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' },
      { traces: true, metrics: false },
    ],
    [
      { OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://127.0.0.1:4318/v1/metrics' },
      { traces: false, metrics: true },
    ],
    [
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_METRICS_EXPORTER: 'none' },
      { traces: true, metrics: false },
    ],
    [
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SDK_DISABLED: 'true' },
      { traces: false, metrics: false },
    ],
  ])('%j asks for %j', (env, wanted) => {
    expect(wantedSignals(env)).toEqual(wanted);
  });

  it('never calls the loader without an endpoint', async () => {
    const loader = vi.fn(loadSdk);
    const telemetry = await startTelemetry({ KEYGATE_HOME: '/tmp/x' }, {}, loader);
    expect(telemetry.enabled).toBe(false);
    expect(loader).not.toHaveBeenCalled();
    await telemetry.shutdown();
  });

  it('imports no SDK package statically anywhere in src/ (only sdk-start loads them, dynamically)', async () => {
    const root = join(PACKAGE_ROOT, 'src');
    const files = (await readdir(root, { recursive: true })).filter((file) => file.endsWith('.ts'));
    const offenders: string[] = [];
    for (const file of files) {
      const text = await readFile(join(root, file), 'utf8');
      // A value import of anything but the API; `import type` is erased at build time.
      const statics = text.match(/^import\s+(?!type\s)[^;]*?from\s+'@opentelemetry\/(?!api')[^']+'/gms) ?? [];
      if (statics.length > 0) offenders.push(file);
    }
    expect(files.length).toBeGreaterThan(100);
    expect(offenders).toEqual([]);
  });
});

describe('with OTEL_EXPORTER_OTLP_ENDPOINT set', () => {
  let receiver: Server;
  const received: { path: string; body: unknown }[] = [];
  const saved = { ...process.env };

  beforeEach(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({ path: req.url ?? '', body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    // The OTLP exporters read the standard variables themselves.
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
    await new Promise((resolve) => receiver.close(resolve));
  });

  it('exports spans and metrics over OTLP/HTTP to the endpoint, flushed by shutdown', async () => {
    const loader = vi.fn(loadSdk);
    const telemetry = await startTelemetry(process.env, {}, loader);
    expect(telemetry.enabled).toBe(true);
    expect(loader).toHaveBeenCalledTimes(1);
    await inMcpServerSpan(
      {
        method: 'tools/call',
        tool: 'github_issue_get',
        requestId: 7,
        meta: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
      },
      async () => countCall('github_issue_get', 'github', 'completed'),
      () => undefined,
    );
    await telemetry.shutdown();

    const traces = received.find((entry) => entry.path === '/v1/traces');
    const metrics = received.find((entry) => entry.path === '/v1/metrics');
    const text = JSON.stringify(traces?.body);
    expect(text).toContain('"name":"tools/call github_issue_get"');
    expect(text).toContain('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(text).toContain('{"key":"service.name","value":{"stringValue":"keygate"}}');
    expect(JSON.stringify(metrics?.body)).toContain('"name":"keygate.calls"');
  });
});

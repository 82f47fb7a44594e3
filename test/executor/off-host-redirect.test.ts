/**
 * The one exception to "keygate never follows a redirect off the service's host": GitHub answers a
 * job-log request with 302 to a short-lived signed link on its log storage. keygate follows that
 * one redirect, for the operations whose curation lists the host, GET and https only, with no
 * header of the first request (no credential), through the same egress guard, and returns the
 * end of the log. A fake "log storage" serves https on 127.0.0.1 under the name GitHub uses, with a
 * test certificate the executor trusts and a stub resolver (test/fixtures/tls/README.md).
 */
import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseCuration } from '../../src/catalog/curation/curation-file.js';
import { curate } from '../../src/catalog/curation/index.js';
import type { JsonObject } from '../../src/catalog/openapi-walk.js';
import { listedHost } from '../../src/executor/http-client.js';
import { assertNoSecrets, CANARY, connectClient, type Harness, startHarness } from '../helpers/harness.js';
import { plainText } from '../helpers/results.js';

const fixtures = new URL('../fixtures/tls/', import.meta.url);
const cert = readFileSync(new URL('actions-logs-test.crt', fixtures));
const key = readFileSync(new URL('actions-logs-test.key', fixtures));

const LOG_HOST = 'pipelines.actions.githubusercontent.com';
/** The signed link's query: a credential of its own, never to appear in a result or an error. */
const SIGNATURE = 'sig=SIGNEDlinkSECRET0000000000000000';
const repo = { owner: 'acme', repo: 'api' };

type ToolResult = {
  isError?: boolean;
  content: { text: string }[];
  structuredContent?: { error: Record<string, unknown> };
};

interface LogRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

describe('the job-log redirect off the service host', () => {
  let harness: Harness;
  let client: Client;
  let storage: Server;
  let port: number;
  const seen: LogRequest[] = [];
  let answer: (res: ServerResponse) => void;
  const call = async (name: string, args: Record<string, unknown>) =>
    (await client.callTool({ name, arguments: args })) as unknown as ToolResult;
  /** GitHub's answer to the log request: 302 to `target` (the fake storage's port filled in). */
  const redirectTo = (target: string) => {
    harness.fakes.github.reply = () => ({
      status: 302,
      body: '',
      headers: { location: target.replace('{port}', String(port)) },
    });
  };
  const text = (body: string) => (res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'text/plain' }).end(body);
  };

  beforeAll(async () => {
    storage = createHttpsServer({ cert, key }, (req, res) => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
      answer(res);
    });
    await new Promise<void>((resolve) => storage.listen(0, '127.0.0.1', resolve));
    port = (storage.address() as AddressInfo).port;
    harness = await startHarness({
      limits: { totalTimeoutMs: 3000, maxOffHostBytes: 2_000_000 },
      egress: {
        ca: cert,
        // Every name resolves to the fakes' loopback address; only LOG_HOST may reach it.
        lookup: async () => [{ address: '127.0.0.1', family: 4 }],
        allowPrivateHosts: [LOG_HOST],
      },
    });
    client = await connectClient(harness);
  });
  afterAll(async () => {
    await client.close();
    await harness.close();
    storage.closeAllConnections();
    await new Promise<void>((resolve) => storage.close(() => resolve()));
  });
  beforeEach(() => {
    harness.resetFakes();
    seen.length = 0;
    answer = text('');
  });

  it('follows the 302 once to the listed log host, with no credential and no header of keygate', async () => {
    answer = text('2026-12-02T10:00:00Z ##[group]Run npm test\nError: 2 tests failed\n');
    redirectTo(`https://${LOG_HOST}:{port}/logs/job-1234?${SIGNATURE}`);
    const result = await call('github_workflow_job_logs_get', { ...repo, job_id: 1234 });

    expect(result.isError).toBeFalsy();
    expect(plainText(result)).toBe('2026-12-02T10:00:00Z ##[group]Run npm test\nError: 2 tests failed\n');
    // The first hop carried the credential to GitHub (its fake refuses a request without it) …
    expect(harness.fakes.github.requests.map((r) => r.path)).toEqual([
      '/repos/acme/api/actions/jobs/1234/logs',
    ]);
    // … the second none of it: no Authorization, no API version, no Accept or User-Agent of keygate.
    expect(seen).toHaveLength(1);
    const hop = seen[0]!;
    expect(hop.method).toBe('GET');
    expect(hop.url).toBe(`/logs/job-1234?${SIGNATURE}`);
    expect(hop.headers.authorization).toBeUndefined();
    expect(hop.headers['x-github-api-version']).toBeUndefined();
    expect(hop.headers.accept).not.toBe('application/vnd.github+json');
    expect(hop.headers['user-agent']).not.toBe('keygate');
    expect(JSON.stringify(hop.headers)).not.toContain(CANARY.github);
    assertNoSecrets(result, harness.secrets);
  });

  it('returns the end of a long log, where the failure is, and says the start was left out', async () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => `2026-12-02T10:00:00Z step output line ${i}`);
    const log = `${lines.join('\n')}\nError: Process completed with exit code 1.\n`;
    answer = text(log);
    redirectTo(`https://${LOG_HOST}:{port}/logs/job-1234?${SIGNATURE}`);
    const result = await call('github_workflow_job_logs_get', { ...repo, job_id: 1234 });

    const out = plainText(result);
    expect(log.length).toBeGreaterThan(500_000);
    expect(out).toMatch(
      new RegExp(
        `^\\[keygate: log trimmed: showing its last \\d+ characters of ${log.length} bytes; the start is left out\\.\\]\\n`,
      ),
    );
    expect(out.endsWith('line 19999\nError: Process completed with exit code 1.\n')).toBe(true);
    expect(out.length).toBeLessThanOrEqual(50_200);
    expect(out).not.toContain('line 100\n');
  });

  it('stops reading a log past maxOffHostBytes and says its end is not shown', async () => {
    const chunk = `${'x'.repeat(99)}\n`.repeat(1000);
    answer = (res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      // 5 MB, over the 2 MB bound: the read stops, the stream is dropped.
      for (let i = 0; i < 50; i++) res.write(chunk);
      res.end('THE END\n');
    };
    redirectTo(`https://${LOG_HOST}:{port}/logs/job-1234?${SIGNATURE}`);
    const result = await call('github_workflow_job_logs_get', { ...repo, job_id: 1234 });

    const out = plainText(result);
    expect(result.isError).toBeFalsy();
    expect(out).toMatch(
      /^\[keygate: log too long: showing the last \d+ characters of the first \d+ bytes; its end is not shown\.\]\n/,
    );
    const read = Number(/of the first (\d+) bytes/.exec(out)![1]);
    expect(read).toBeGreaterThanOrEqual(2_000_000);
    expect(read).toBeLessThan(2_200_000);
    expect(out).not.toContain('THE END');
    expect(out.length).toBeLessThanOrEqual(50_200);
  });

  it.each([
    ['an unlisted host', 'https://logs.example.test:{port}/job?sig=x'],
    ['a name that only contains the listed one', `https://${LOG_HOST}.example.test:{port}/job`],
    ['the bare parent of a *. pattern', 'https://actions.githubusercontent.com:{port}/job'],
    ['an address', 'https://127.0.0.1:{port}/job'],
    ['a listed host with user info', `https://user:pw@${LOG_HOST}:{port}/job`],
  ])('refuses a redirect to %s with the existing error, sending nothing there', async (_, target) => {
    redirectTo(target);
    const result = await call('github_workflow_job_logs_get', { ...repo, job_id: 1234 });
    expect(result.isError).toBe(true);
    expect(result.structuredContent?.error.code).toBe('executor.redirect_refused');
    expect(result.content[0]!.text).toContain('keygate does not follow it');
    expect(seen).toEqual([]);
  });

  it('refuses the listed host over plain http', async () => {
    redirectTo(`http://${LOG_HOST}:{port}/logs/job-1234?${SIGNATURE}`);
    const result = await call('github_workflow_job_logs_get', { ...repo, job_id: 1234 });
    expect(result.structuredContent?.error.code).toBe('executor.redirect_refused');
    expect(result.content[0]!.text).toContain('only over https');
    expect(JSON.stringify(result)).not.toContain(SIGNATURE);
    expect(seen).toEqual([]);
  });

  it('follows the listed host for that operation only', async () => {
    answer = text('should not be read');
    harness.fakes.github.reply = () => ({
      status: 302,
      body: '',
      headers: { location: `https://${LOG_HOST}:${port}/logs/job-1234` },
    });
    const result = await call('github_workflow_job_get', { ...repo, job_id: 1234 });
    expect(result.structuredContent?.error.code).toBe('executor.redirect_refused');
    expect(seen).toEqual([]);
  });

  it('follows one redirect off-host, never a second one from the log host', async () => {
    answer = (res) => {
      res.writeHead(302, { location: `https://${LOG_HOST}:${port}/again` }).end();
    };
    redirectTo(`https://${LOG_HOST}:{port}/logs/job-1234?${SIGNATURE}`);
    const result = await call('github_workflow_job_logs_get', { ...repo, job_id: 1234 });
    expect(result.structuredContent?.error.code).toBe('executor.redirect_refused');
    expect(result.content[0]!.text).toContain('redirected again');
    expect(seen.map((r) => r.url)).toEqual([`/logs/job-1234?${SIGNATURE}`]);
  });

  it('reports an expired link by the log host, without the signed URL', async () => {
    answer = (res) => {
      res
        .writeHead(403, { 'content-type': 'text/plain' })
        .end('Signature not valid in the specified time frame');
    };
    redirectTo(`https://${LOG_HOST}:{port}/logs/job-1234?${SIGNATURE}`);
    const result = await call('github_workflow_job_logs_get', { ...repo, job_id: 1234 });
    expect(result.isError).toBe(true);
    expect(result.structuredContent?.error.code).toBe('upstream.error');
    expect(result.content[0]!.text).toContain(`${LOG_HOST}:${port} answered HTTP 403`);
    expect(JSON.stringify(result)).not.toContain(SIGNATURE);
  });
});

describe('the egress guard on the log host', () => {
  it('refuses a listed log host that resolves to a private address no one allowed', async () => {
    let reached = false;
    const storage = createHttpsServer({ cert, key }, (_req, res) => {
      reached = true;
      res.end('log');
    });
    await new Promise<void>((resolve) => storage.listen(0, '127.0.0.1', resolve));
    const port = (storage.address() as AddressInfo).port;
    const harness = await startHarness({
      egress: { ca: cert, lookup: async () => [{ address: '127.0.0.1', family: 4 }] },
    });
    try {
      harness.fakes.github.reply = () => ({
        status: 302,
        body: '',
        headers: { location: `https://${LOG_HOST}:${port}/logs/job-1?${SIGNATURE}` },
      });
      const error = await harness.executor
        .call(harness.catalog.get('github_workflow_job_logs_get'), { ...repo, job_id: 1 })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'egress.refused' });
      expect(String((error as Error).message)).not.toContain(SIGNATURE);
      expect(reached).toBe(false);
    } finally {
      await harness.close();
      storage.closeAllConnections();
      await new Promise<void>((resolve) => storage.close(() => resolve()));
    }
  });
});

describe('redirect_hosts in a curation', () => {
  const upstream = {
    openapi: '3.0.3',
    info: { title: 'mini', version: '1' },
    paths: {
      '/logs': { get: { operationId: 'logs/get', responses: { '302': { description: 'found' } } } },
      '/logs/upload': { post: { operationId: 'logs/post', responses: { '201': { description: 'ok' } } } },
    },
  } as unknown as JsonObject;
  const curation = (op: string, hosts: string) =>
    `service: mini\ntitle: Mini\nupstream: mini.json\nserver: https://api.mini.test\noperations:\n  - op: ${op}\n    tool: mini_logs\n    risk: read\n    description: Get logs.\n    redirect_hosts: ${hosts}\n`;

  it('reaches the tool as its redirect hosts', async () => {
    const { catalogFromDocuments } = await import('../../src/catalog/index.js');
    const doc = curate(
      parseCuration(curation('logs/get', "['*.logs.mini.test', cdn.mini.test]"), 'x'),
      upstream,
    );
    expect(catalogFromDocuments([doc]).get('mini_logs').redirectHosts).toEqual([
      '*.logs.mini.test',
      'cdn.mini.test',
    ]);
  });

  it.each([
    ['a scheme', "['https://cdn.mini.test']"],
    ['a port', "['cdn.mini.test:443']"],
    ['an address', "['10.0.0.1']"],
    ['a wildcard over a top-level domain', "['*.test']"],
    ['a wildcard inside a name', "['cdn*.mini.test']"],
    ['upper case', "['CDN.mini.test']"],
    ['an empty list', '[]'],
  ])('refuses a host pattern with %s', (_, hosts) => {
    expect(() => parseCuration(curation('logs/get', hosts), 'x')).toThrow(/redirect_hosts/);
  });

  it('refuses redirect hosts on an operation that is not a GET', () => {
    expect(() => curate(parseCuration(curation('logs/post', "['cdn.mini.test']"), 'x'), upstream)).toThrow(
      'logs/post: redirect_hosts is for GET operations only',
    );
  });
});

describe('listedHost', () => {
  const hosts = ['*.actions.githubusercontent.com', 'logs.example.com'];
  it.each([
    ['https://pipelines.actions.githubusercontent.com/x', true],
    ['https://a.b.actions.githubusercontent.com/x', true],
    ['https://PIPELINES.Actions.GitHubUserContent.com/x', true],
    ['https://logs.example.com/x', true],
    ['https://actions.githubusercontent.com/x', false],
    ['https://evilactions.githubusercontent.com/x', false],
    ['https://pipelines.actions.githubusercontent.com.evil.test/x', false],
    ['https://a.logs.example.com/x', false],
    ['https://u@logs.example.com/x', false],
    ['https://[::1]/x', false],
  ])('%s → %s', (url, expected) => {
    expect(listedHost(new URL(url), hosts)).toBe(expected);
  });
});

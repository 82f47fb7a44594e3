/** The same tools over Streamable HTTP (both protocol eras) and over stdio, with real clients. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMcpHttpHandler, type McpHttpHandler } from '../../src/mcp/index.js';
import { stdioTransport } from '../helpers/child.js';
import { assertNoSecrets, CANARY, type Harness, startHarness } from '../helpers/harness.js';
import { createToolServer } from '../helpers/tool-server.js';

const repo = { owner: 'acme', repo: 'api' };

describe('MCP transports', () => {
  let harness: Harness;
  let http: Server;
  let handler: McpHttpHandler<{ tokenId: string }>;
  let url: URL;

  beforeAll(async () => {
    harness = await startHarness();
    handler = createMcpHttpHandler(() =>
      createToolServer({ catalog: harness.catalog, executor: harness.executor }),
    );
    http = createServer((req, res) => void handler.handle(req, res, { tokenId: 'test' }));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    url = new URL(`http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`);
  });
  afterAll(async () => {
    await handler.close();
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
    await harness.close();
  });
  beforeEach(() => harness.resetFakes());

  async function listAndCall(client: Client) {
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toContain('github_repo_get');
    expect(tools).toHaveLength(harness.catalog.tools.length);
    harness.fakes.github.reply = () => ({ status: 200, body: '{"full_name":"acme/api"}' });
    const result = await client.callTool({ name: 'github_repo_get', arguments: repo });
    expect(result.content).toEqual([{ type: 'text', text: '{"full_name":"acme/api"}' }]);
    expect(harness.fakes.github.requests.map((r) => r.path)).toEqual(['/repos/acme/api']);
    assertNoSecrets({ tools, result }, harness.secrets);
  }

  it('serves a 2025-era client over Streamable HTTP, in a session', async () => {
    const client = new Client({ name: 'legacy-client', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(url));
    expect(client.getNegotiatedProtocolVersion()).toMatch(/^2025-/);
    expect(handler.sessionCount).toBeGreaterThanOrEqual(1);
    await listAndCall(client);
    await client.close();
  });

  it('serves a 2026-07-28 client over Streamable HTTP', async () => {
    const client = new Client(
      { name: 'modern-client', version: '1.0.0' },
      { versionNegotiation: { mode: { pin: '2026-07-28' } } },
    );
    await client.connect(new StreamableHTTPClientTransport(url));
    expect(client.getNegotiatedProtocolVersion()).toBe('2026-07-28');
    await listAndCall(client);
    await client.close();
  });

  it('answers malformed JSON with a JSON-RPC parse error', async () => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: '{"jsonrpc":"2.0",',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: -32700 } });
  });

  const nested = (depth: number) =>
    `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"github_repo_get","arguments":{"owner":${'['.repeat(depth)}${']'.repeat(depth)}}}}`;

  it.each([
    ['classified as 2025-era', {}],
    ['on the 2026-07-28 path', { 'mcp-protocol-version': '2026-07-28' }],
    ['naming a session', { 'mcp-session-id': 'any' }],
  ])(
    'answers JSON nested thousands deep %s with a JSON-RPC 400, not a stack overflow',
    async (_where, headers) => {
      for (const body of [nested(100_000), `${'['.repeat(5000)}${']'.repeat(5000)}`]) {
        const response = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
            ...headers,
          },
          body,
        });
        expect(response.status).toBe(400);
        expect(await response.json()).toMatchObject({
          jsonrpc: '2.0',
          error: { code: -32600, message: expect.stringContaining('nested deeper than 64') },
        });
      }
    },
  );

  it('still takes arguments nested as deep as the bound, with strings that hold brackets', async () => {
    const client = new Client(
      { name: 'modern-client', version: '1.0.0' },
      { versionNegotiation: { mode: { pin: '2026-07-28' } } },
    );
    await client.connect(new StreamableHTTPClientTransport(url));
    let deep: unknown = '[[[[{{{{"\\';
    for (let i = 0; i < 58; i++) deep = [deep];
    const result = await client.callTool({
      name: 'github_repo_get',
      arguments: { owner: deep, repo: 'api' },
    });
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toContain('owner must be string');
    await client.close();
  });

  it.each([
    ['without a session', {}],
    ['in a session', { 'mcp-session-id': 'any' }],
  ])('refuses a body over 4 MiB %s with 413', async (_where, headers) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...headers,
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/list',
        params: { pad: 'x'.repeat(4 * 1024 * 1024) },
      }),
    });
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ error: { code: -32600 } });
  });

  it('refuses an unknown session id', async () => {
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-session-id': 'no-such-session',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(response.status).toBe(404);
  });

  it.each([
    ['a 2025-era', {}],
    ['a 2026-07-28', { versionNegotiation: { mode: { pin: '2026-07-28' } } }],
  ])('serves %s client over stdio', async (_era, options) => {
    const transport = stdioTransport({
      command: process.execPath,
      args: [fileURLToPath(new URL('../fixtures/stdio-tools-server.mjs', import.meta.url))],
      env: {
        FAKE_GITHUB_TOKEN: CANARY.github,
        FAKE_GITHUB_URL: harness.fakes.github.url,
        PATH: process.env.PATH ?? '',
      },
      stderr: 'pipe',
    });
    const client = new Client({ name: 'stdio-client', version: '1.0.0' }, options);
    await client.connect(transport);
    await listAndCall(client);
    await client.close();
  });
});

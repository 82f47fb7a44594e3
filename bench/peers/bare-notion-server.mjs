#!/usr/bin/env node
// Contestant (e) of bench/peers: the MCP server a user could write in an afternoon with SDK v2 —
// one SDK server per session over Streamable HTTP (as bench/daemon/bare-mcp-server.mjs, for
// Notion), whose one tool does the same undici GET /v1/users/me with the key it was given: no
// authentication, policy, audit or vault. Usage: BENCH_UPSTREAM_KEY=… bare-notion-server.mjs <upstream>;
// listens on 127.0.0.1 and prints its MCP URL on stdout.
import { Server } from '@modelcontextprotocol/server';
import { request } from 'undici';
import { serveBareMcp } from '../bare-mcp-http.mjs';

const upstream = process.argv[2];
const key = process.env.BENCH_UPSTREAM_KEY; // in the environment, never in argv
const headers = { authorization: `Bearer ${key}`, 'notion-version': '2025-09-03' };

function newServer() {
  const server = new Server({ name: 'bare-notion', version: '1' }, { capabilities: { tools: {} } });
  server.setRequestHandler('tools/list', async () => ({
    tools: [{ name: 'notion_user_me_get', inputSchema: { type: 'object', properties: {} } }],
  }));
  server.setRequestHandler('tools/call', async () => {
    const response = await request(`${upstream}/v1/users/me`, { headers });
    const text = await response.body.text();
    return { content: [{ type: 'text', text }], isError: response.statusCode >= 400 };
  });
  return server;
}

serveBareMcp(newServer);

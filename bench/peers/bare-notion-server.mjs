#!/usr/bin/env node
// Contestant (e) of bench/peers: the MCP server a user could write in an afternoon with SDK v2 —
// one SDK server per session over Streamable HTTP (as bench/daemon/bare-mcp-server.mjs, for
// Notion), whose one tool does the same undici GET /v1/users/me with the key it was given: no
// authentication, policy, audit or vault. Usage: bare-notion-server.mjs <upstream> <key>;
// listens on 127.0.0.1 and prints its MCP URL on stdout.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import { Server } from '@modelcontextprotocol/server';
import { request } from 'undici';

const upstream = process.argv[2];
const key = process.argv[3];
const sessions = new Map();
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

const http = createServer(async (req, res) => {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
  const id = req.headers['mcp-session-id'];
  if (typeof id === 'string') {
    const transport = sessions.get(id);
    if (!transport) return res.writeHead(404).end();
    return transport.handleRequest(req, res, body);
  }
  const transport = new NodeStreamableHTTPServerTransport({
    sessionIdGenerator: () => randomUUID(),
    onsessioninitialized: (sid) => sessions.set(sid, transport),
  });
  transport.onclose = () => sessions.delete(transport.sessionId);
  await newServer().connect(transport);
  await transport.handleRequest(req, res, body);
});
http.listen(0, '127.0.0.1', () => process.stdout.write(`http://127.0.0.1:${http.address().port}/mcp\n`));
process.on('SIGTERM', () => process.exit(0));
// The bench kills it when done; if the bench itself dies, stdin closes and so does this server.
process.stdin.on('end', () => process.exit(0)).resume();

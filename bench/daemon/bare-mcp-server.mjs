#!/usr/bin/env node
// The floor under a brokered call: an MCP server built the way keygate serves 2025-era clients
// (one SDK server per session over Streamable HTTP), whose one tool fetches the same fake
// upstream with undici and returns the body: no authentication, policy, audit or vault.
// Prints its URL on stdout. Used by bench/daemon/run.mjs only.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import { Server } from '@modelcontextprotocol/server';
import { request } from 'undici';

const upstream = process.argv[2];
const token = process.argv[3];
const sessions = new Map();

function newServer() {
  const server = new Server({ name: 'bare', version: '1' }, { capabilities: { tools: {} } });
  server.setRequestHandler('tools/list', async () => ({
    tools: [{ name: 'github_repo_get', inputSchema: { type: 'object', properties: {} } }],
  }));
  server.setRequestHandler('tools/call', async (req) => {
    const { owner, repo } = req.params.arguments ?? {};
    const response = await request(`${upstream}/repos/${owner}/${repo}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return { content: [{ type: 'text', text: await response.body.text() }] };
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
  await newServer().connect(transport);
  await transport.handleRequest(req, res, body);
});
http.listen(0, '127.0.0.1', () => process.stdout.write(`http://127.0.0.1:${http.address().port}/mcp\n`));
process.on('SIGTERM', () => process.exit(0));

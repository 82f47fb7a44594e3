#!/usr/bin/env node
// The floor under a brokered call: an MCP server built the way keygate serves 2025-era clients
// (one SDK server per session over Streamable HTTP), whose one tool fetches the same fake
// upstream with undici and returns the body: no authentication, policy, audit or vault.
// Prints its URL on stdout. Used by bench/daemon/run.mjs only.
import { Server } from '@modelcontextprotocol/server';
import { request } from 'undici';
import { serveBareMcp } from '../bare-mcp-http.mjs';

const upstream = process.argv[2];
const token = process.env.BENCH_UPSTREAM_KEY; // in the environment, never in argv

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

serveBareMcp(newServer);

// The HTTP side of the benchmarks' bare MCP servers (bench/daemon, bench/peers): one SDK server
// per session over Streamable HTTP, the way keygate serves 2025-era clients, with nothing else —
// no authentication, policy, audit or vault. Listens on 127.0.0.1 and prints its MCP URL.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';

/** Serves a new server from `newServer()` for each session. */
export function serveBareMcp(newServer) {
  const sessions = new Map();
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
}

#!/usr/bin/env node
// The floor any HTTP proxy in Node pays on this machine: a second process that reads a request,
// sends it on with undici (the key swapped in) and pipes the answer back. No policy, audit,
// vault, guard or scrubbing. Usage: BENCH_UPSTREAM_KEY=… node bare-proxy.mjs <upstream origin+base path>;
// prints its own origin on stdout once it listens on 127.0.0.1.
import { createServer } from 'node:http';
import { Agent, request } from 'undici';

// The key comes in the environment (BENCH_UPSTREAM_KEY), never in argv, as a real one would.
const upstream = process.argv[2];
const key = process.env.BENCH_UPSTREAM_KEY;
const dispatcher = new Agent({ connections: 64 });
const server = createServer(async (req, res) => {
  try {
    const response = await request(`${upstream}${req.url.replace(/^\/proxy\/[^/]+/, '')}`, {
      method: req.method,
      headers: { authorization: `Bearer ${key}`, accept: req.headers.accept ?? '*/*' },
      dispatcher,
    });
    res.writeHead(response.statusCode, { 'content-type': response.headers['content-type'] ?? '' });
    for await (const chunk of response.body) res.write(chunk);
    res.end();
  } catch {
    res.destroy();
  }
});
server.listen(0, '127.0.0.1', () => console.log(`http://127.0.0.1:${server.address().port}`));
process.on('SIGTERM', () => process.exit(0));

// A loopback fake Notion for bench/peers: answers `GET /v1/users/me` with a small bot user when
// the request carries `Authorization: Bearer <one of the known keys>` and a `Notion-Version`
// header, and counts what it answered per key (each contestant holds its own key, so the counts
// show which contestant reached the upstream, with the right key, how many times).
import { createServer } from 'node:http';

export const BOT_ID = '0c3b6f6e-bench-4e1e-9f00-000000000001';
const user = JSON.stringify({
  object: 'user',
  id: BOT_ID,
  name: 'bench-bot',
  avatar_url: null,
  type: 'bot',
  bot: { owner: { type: 'workspace', workspace: true }, workspace_name: 'Bench' },
});

/** Starts the fake on 127.0.0.1; `keys` are the keys it accepts. */
export async function startFakeNotion(keys) {
  const known = new Set(keys);
  const answered = new Map(keys.map((key) => [key, 0]));
  const refused = { badKey: 0, noVersion: 0, otherPath: 0 };
  const versions = new Set();
  const server = createServer((req, res) => {
    // Drain any body (there is none for a GET) before answering.
    req.resume();
    const key = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const version = req.headers['notion-version'];
    const json = { 'content-type': 'application/json' };
    if (!key || !known.has(key)) {
      refused.badKey++;
      res.writeHead(401, json).end('{"object":"error","status":401,"code":"unauthorized"}');
    } else if (!version) {
      refused.noVersion++;
      res.writeHead(400, json).end('{"object":"error","status":400,"code":"missing_version"}');
    } else if (req.method !== 'GET' || req.url?.split('?')[0] !== '/v1/users/me') {
      refused.otherPath++;
      res.writeHead(404, json).end('{"object":"error","status":404,"code":"object_not_found"}');
    } else {
      versions.add(String(version));
      answered.set(key, answered.get(key) + 1);
      res.writeHead(200, json).end(user);
    }
  });
  server.keepAliveTimeout = 30_000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    answered,
    refused,
    versions,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

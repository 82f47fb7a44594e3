/** The admin CLI never hands this home's admin token to a daemon that serves another home. */

import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runInProcess } from '../helpers/cli.js';

describe('a daemon.json that points at another home’s daemon', () => {
  it.each([
    ['shows another instance id', { instance: 'someone-else' }],
    ['shows no instance id (not a keygate daemon of this home)', {}],
  ])('is not used when it %s: the command opens the store itself', async (_case, health) => {
    const home = join(await mkdtemp(join(tmpdir(), 'keygate-foreign-')), 'home');
    expect((await runInProcess(['init', '--home', home])).code).toBe(0);
    const seen: IncomingHttpHeaders[] = [];
    const foreign = createServer((req, res) => {
      seen.push(req.headers);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(req.url === '/healthz' ? { status: 'ok', ...health } : { agents: [] }));
    });
    await new Promise<void>((resolve) => foreign.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(foreign.address() as AddressInfo).port}`;
      await writeFile(join(home, 'daemon.json'), JSON.stringify({ url, pid: process.pid, instance: 'ours' }));
      const added = await runInProcess(['agent', 'add', 'bot', '--home', home, '--json']);
      expect(added.code).toBe(0);
      expect(seen.map((headers) => headers.authorization).filter(Boolean)).toEqual([]);
      // Only /healthz was asked; the agent went into this home's own store.
      expect(seen.length).toBeLessThanOrEqual(1);
      const listed = await runInProcess(['agent', 'list', '--home', home, '--json']);
      expect(listed.stdout).toContain('"bot"');
    } finally {
      await new Promise((resolve) => foreign.close(resolve));
    }
  });
});

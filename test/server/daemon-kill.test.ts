/**
 * A daemon killed (SIGKILL) while a call is at the upstream: the intent row, committed before the
 * request left, is in the audit log afterwards, and the chain still verifies.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.js';
import { runInProcess } from '../helpers/cli.js';
import { connectAgent, type DaemonProcess, startDaemonProcess } from '../helpers/daemon-process.js';

const SECRET = 'ghp_CANARYkill0000000000000000000000000000k1';

describe('keygate serve killed mid-call', () => {
  let fake: FakeUpstream | undefined;
  let daemon: DaemonProcess | undefined;
  afterAll(async () => {
    if (daemon && daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
    await fake?.close();
  });

  it('keeps the intent row of the call that was in flight', async () => {
    fake = await startFakeUpstream('github', SECRET);
    const home = join(await mkdtemp(join(tmpdir(), 'keygate-kill-')), 'home');
    expect((await runInProcess(['init', '--home', home])).code).toBe(0);
    await writeFile(
      join(home, 'keygate.yaml'),
      `services:\n  github: { spec: builtin:github, credential: github, base_url: "${fake.url}" }\n` +
        'agents:\n  reader:\n    tools: [github_repo_get]\n',
    );
    expect((await runInProcess(['secret', 'set', 'github', '--home', home], { input: SECRET })).code).toBe(0);
    const token = JSON.parse(
      (await runInProcess(['agent', 'add', 'reader', '--home', home, '--json'])).stdout,
    ).token;
    const running = await startDaemonProcess(home);
    daemon = running;
    const client = await connectAgent(running.url, token, 'kill');
    const exited = new Promise((resolve) => running.child.once('exit', resolve));
    // The upstream kills the daemon while it holds the request: no outcome can follow.
    fake.reply = () => {
      running.child.kill('SIGKILL');
      return { status: 200, body: '{"id":1}' };
    };

    // (The SDK client does not notice a dropped response stream before its timeout.)
    await expect(
      client.callTool(
        { name: 'github_repo_get', arguments: { owner: 'acme', repo: 'api' } },
        { timeout: 3000 },
      ),
    ).rejects.toThrow();
    await exited;
    await client.close().catch(() => undefined);
    expect(fake.requests).toHaveLength(1);

    const { events } = JSON.parse(
      (await runInProcess(['audit', 'query', '--agent', 'reader', '--json', '--home', home])).stdout,
    ) as { events: { tool: string; decision: string }[] };
    expect(events.map((row) => [row.tool, row.decision])).toEqual([['github_repo_get', 'allowed']]);
    const verified = await runInProcess(['audit', 'verify', '--json', '--home', home]);
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true });
  }, 120_000);
});

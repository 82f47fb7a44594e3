/**
 * The way back after `agent revoke NAME`: `agent token NAME --ttl never` and `agent rm NAME`,
 * offline and through a running daemon's admin API (in-process: the CLI entry and the daemon).
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/index.js';
import { type Daemon, startDaemon } from '../../src/server/index.js';
import { openStore } from '../../src/store/index.js';
import { runInProcess } from '../helpers/cli.js';

interface AgentsJson {
  agents: { name: string; tokens: { id: string; expiresAt: string | null; revokedAt: string | null }[] }[];
}

async function json<T>(args: string[]): Promise<T> {
  const result = await runInProcess([...args, '--json']);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as T;
}

/** The same story, run offline or through the daemon: revoke, come back, remove, start afresh. */
async function revokeAndComeBack(home: string, agent: string, status?: (token: string) => Promise<number>) {
  /** Whether the daemon lets the token in (not checked offline: every store open costs seconds). */
  const accepts = async (token: string, yes: boolean) => {
    if (status) expect((await status(token)) !== 401).toBe(yes);
  };
  const added = await json<{ token: string }>(['agent', 'add', agent, '--home', home]);
  await accepts(added.token, true);
  await json(['agent', 'revoke', agent, '--home', home]);
  await accepts(added.token, false);

  const again = await runInProcess(['agent', 'add', agent, '--home', home]);
  expect(again.code).toBe(1);
  expect(again.stderr).toContain(`keygate agent token ${agent} --ttl never`);
  expect(again.stderr).toContain(`keygate agent rm ${agent}`);
  expect(again.stderr).toContain('[agent.exists]');

  const forever = await json<{ token: string; expiresAt: string | null }>([
    'agent',
    'token',
    agent,
    '--ttl',
    'never',
    '--home',
    home,
  ]);
  expect(forever.expiresAt).toBeNull();
  await accepts(forever.token, true);
  const text = await runInProcess(['agent', 'token', agent, '--ttl', 'never', '--home', home]);
  expect(text.stdout).toContain(`token for ${agent}, valid until revoked`);
  const listed = await json<AgentsJson>(['agent', 'list', '--home', home]);
  const tokens = listed.agents.find((a) => a.name === agent)!.tokens;
  expect(tokens.filter((t) => t.revokedAt !== null)).toHaveLength(1);
  expect(tokens.filter((t) => t.revokedAt === null && t.expiresAt === null)).toHaveLength(2);

  const removed = await json<{ removed: string; tokens: string[] }>(['agent', 'rm', agent, '--home', home]);
  expect(removed.removed).toBe(agent);
  expect([...removed.tokens].sort()).toEqual(tokens.map((t) => t.id).sort());
  await accepts(forever.token, false);
  const after = await json<AgentsJson>(['agent', 'list', '--home', home]);
  expect(after.agents.map((a) => a.name)).not.toContain(agent);

  const missing = await runInProcess(['agent', 'rm', agent, '--home', home]);
  expect(missing.code).toBe(1);
  expect(missing.stderr).toContain(`no agent named ${agent} [agent.not_found]`);

  const fresh = await json<{ token: string }>(['agent', 'add', agent, '--home', home]);
  await accepts(fresh.token, true);
}

let home: string;
beforeAll(async () => {
  home = join(await mkdtemp(join(tmpdir(), 'keygate-agent-')), 'home');
  expect((await runInProcess(['init', '--home', home])).code).toBe(0);
});

describe('offline (no daemon)', () => {
  it('revoke, then a long-lived token with --ttl never, then rm and add afresh; audit rows stay', async () => {
    const store = await openStore({ home });
    await new AuditLog(store).record({ agent: 'offline-bot', decision: 'denied', reason: 'a row to keep' });
    await store.close();

    await revokeAndComeBack(home, 'offline-bot');

    const events = await json<{ events: { agent: string }[] }>([
      'audit',
      'query',
      '--agent',
      'offline-bot',
      '--home',
      home,
    ]);
    expect(events.events).toHaveLength(1);
    expect((await runInProcess(['audit', 'verify', '--home', home])).code).toBe(0);
  }, 120_000);
});

describe('through the daemon', () => {
  let daemon: Daemon;
  beforeAll(async () => {
    daemon = await startDaemon({ home, port: 0, host: '127.0.0.1', log: () => {} });
  }, 120_000);
  afterAll(async () => {
    await daemon?.close();
  });

  it('revoke, then a long-lived token with --ttl never, then rm (ending its sessions) and add afresh', async () => {
    const status = async (token: string) =>
      (
        await fetch(`${daemon.url}/mcp`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
          },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
        })
      ).status;
    await revokeAndComeBack(home, 'daemon-bot', status);
  }, 120_000);
});

/**
 * Two daemon processes serving one vault on one PostgreSQL database, as behind a load
 * balancer: a call waiting on one is woken by a decision made through the other, and an
 * approval is executed exactly once however the replicas race.
 */
import { copyFile, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.js';
import { runInProcess, transcript } from '../helpers/cli.js';
import { connectAgent, type DaemonProcess, startDaemonProcess } from '../helpers/daemon-process.js';
import { POSTGRES_SKIP_REASON, POSTGRES_URL } from '../helpers/stores.js';

const SECRET = 'ghp_CANARYreplicas00000000000000000000a7';
type Result = { isError?: boolean; structuredContent?: { error: { code: string; approvalId?: string } } };

describe.skipIf(!POSTGRES_URL)(
  `approvals across two daemons on PostgreSQL (skipped: ${POSTGRES_SKIP_REASON})`,
  () => {
    const schema = `kg_replicas_${process.pid}`;
    const env = { DATABASE_URL: POSTGRES_URL!, KEYGATE_DB_SCHEMA: schema };
    let fake: FakeUpstream;
    let homes: [string, string];
    let daemons: DaemonProcess[] = [];
    let token: string;
    const clients: Client[] = [];

    async function connect(daemon: DaemonProcess): Promise<Client> {
      const client = await connectAgent(daemon.url, token, 'replica-test');
      clients.push(client);
      return client;
    }
    const create = (client: Client, title: string) =>
      client.callTool({
        name: 'github_issue_create',
        arguments: { owner: 'acme', repo: 'api', title },
      }) as Promise<unknown> as Promise<Result>;
    async function pendingOn(home: string, count: number): Promise<string> {
      for (let i = 0; i < 100; i++) {
        const listed = JSON.parse(
          (await runInProcess(['approvals', '--json', '--home', home], { env })).stdout,
        ).approvals;
        if (listed.length >= count) return listed[0].id as string;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error('no pending approval appeared');
    }

    beforeAll(async () => {
      fake = await startFakeUpstream('github', SECRET);
      const root = await mkdtemp(join(tmpdir(), 'keygate-replicas-'));
      homes = [join(root, 'a'), join(root, 'b')];
      expect((await runInProcess(['init', '--home', homes[0]], { env })).code).toBe(0);
      await writeFile(
        join(homes[0], 'keygate.yaml'),
        `services:\n  github: { spec: builtin:github, credential: github, base_url: "${fake.url}" }\ndefaults:\n  approval_wait: 30s\nagents:\n  writer:\n    tools: [github_issue_create]\n`,
      );
      // The second replica has the same key, admin token and policy: another machine, one vault.
      await mkdir(homes[1], { mode: 0o700 });
      for (const file of ['master.key', 'admin.token', 'keygate.yaml'])
        await copyFile(join(homes[0], file), join(homes[1], file));
      expect(
        (await runInProcess(['secret', 'set', 'github', '--home', homes[0]], { env, input: SECRET })).code,
      ).toBe(0);
      token = JSON.parse(
        (await runInProcess(['agent', 'add', 'writer', '--json', '--home', homes[0]], { env })).stdout,
      ).token;
      daemons = await Promise.all(homes.map((home) => startDaemonProcess(home, env)));
    }, 120_000);
    afterAll(async () => {
      for (const client of clients) await client.close().catch(() => undefined);
      const logs = daemons.map((daemon) => daemon.log()).join('\n');
      await Promise.all(daemons.map((daemon) => daemon.stop()));
      await fake?.close();
      const admin = new pg.Client({ connectionString: POSTGRES_URL });
      await admin.connect();
      await admin.query(`drop schema if exists ${schema} cascade`);
      await admin.end();
      expect(logs + transcript.join('\n')).not.toContain(SECRET);
    });
    beforeEach(() => fake.reset());

    it('a decision through one daemon wakes the call waiting on the other', async () => {
      const [a] = daemons;
      const waiting = create(await connect(a!), 'woken across replicas');
      const id = await pendingOn(homes[1], 1);
      const approved = await runInProcess(['approvals', 'approve', id, '--home', homes[1]], { env });
      expect(approved.code).toBe(0);
      const result = await waiting;
      expect(result.isError).toBeFalsy();
      expect(fake.requests).toHaveLength(1);
    });

    it('two daemons racing to execute one approval execute it exactly once', async () => {
      const [a, b] = daemons;
      const calls = [
        create(await connect(a!), 'raced'),
        create(await connect(b!), 'raced'),
        create(await connect(a!), 'raced'),
        create(await connect(b!), 'raced'),
      ];
      const id = await pendingOn(homes[0], 1);
      await new Promise((resolve) => setTimeout(resolve, 1000)); // all four are waiting on the one record
      expect((await runInProcess(['approvals', 'approve', id, '--home', homes[0]], { env })).code).toBe(0);
      const results = await Promise.all(calls);
      expect(results.filter((r) => !r.isError)).toHaveLength(1);
      expect(results.filter((r) => r.structuredContent?.error.code === 'approval.refused')).toHaveLength(3);
      expect(fake.requests).toHaveLength(1);
      expect((await runInProcess(['audit', 'verify', '--home', homes[1]], { env })).code).toBe(0);
    });
  },
);

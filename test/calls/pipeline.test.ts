/** The call pipeline's guarantees, with a real store, real audit log and a fake upstream. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/index.js';
import type { PipelineDeps } from '../../src/calls/index.js';
import { loadCatalog } from '../../src/catalog/index.js';
import { bearerCredential, type Executor, staticCredentialProvider } from '../../src/executor/index.js';
import { runToolCall } from '../../src/mcp/index.js';
import { RateLimiter } from '../../src/policy/index.js';
import type { Gateway } from '../../src/server/index.js';
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.js';
import { buildTestGateway } from '../helpers/gateway.js';
import {
  PGLITE_BACKEND,
  POSTGRES_BACKEND,
  POSTGRES_SKIP_REASON,
  POSTGRES_URL,
  type TestStore,
} from '../helpers/stores.js';

const TOKEN = 'ghp_CANARYpipeline0000000000000000000000d4';
const caller = { agent: 'bot', tokenId: 'tok-1', tools: null };
const args = { owner: 'acme', repo: 'api' };

describe('call pipeline', () => {
  let t: TestStore;
  let fake: FakeUpstream;
  let gateway: Gateway;
  let deps: PipelineDeps;

  beforeAll(async () => {
    t = await PGLITE_BACKEND.fresh();
    fake = await startFakeUpstream('github', TOKEN);
    gateway = await buildTestGateway(
      t,
      await loadCatalog(),
      `services:\n  github: { spec: builtin:github, credential: github }\ndefaults:\n  approval_wait: 50ms\nagents:\n  bot:\n    tools: [github_repo_get, github_issue_create]\n    rate_limit: { calls: 3, per: 1h }\n`,
      {
        credentials: staticCredentialProvider({ github: bearerCredential('github', TOKEN) }),
        baseUrls: { github: fake.url },
      },
    );
    deps = gateway.calls;
  });
  afterAll(async () => {
    await gateway.close();
    await fake.close();
    await t.dispose();
  });
  beforeEach(() => fake.reset());

  it('writes the intent row before the upstream call and the outcome after', async () => {
    let rowsWhenCalled = -1;
    const audit = deps.audit;
    fake.reply = () => ({ status: 200, body: '{}' });
    const before = (await audit.query({ limit: 10_000 })).length;
    const result = await runToolCall(
      {
        ...deps,
        executor: new Proxy(deps.executor, {
          get: (target, prop) =>
            prop === 'call'
              ? async (...callArgs: Parameters<Executor['call']>) => {
                  rowsWhenCalled = (await audit.query({ limit: 10_000 })).length;
                  return target.call(...callArgs);
                }
              : Reflect.get(target, prop).bind(target),
        }),
      },
      caller,
      'github_repo_get',
      args,
    );
    expect(result?.isError).toBeFalsy();
    expect(rowsWhenCalled).toBe(before + 1);
    await audit.drain(); // the outcome row is committed just after the result is returned
    const rows = await audit.query({ limit: 2 });
    expect(rows.map((r) => r.decision)).toEqual(['allowed', 'completed']);
    expect(rows[0]).toMatchObject({
      agent: 'bot',
      tokenId: 'tok-1',
      tool: 'github_repo_get',
      policyVersion: deps.policy().version,
    });
    expect(rows[1]).toMatchObject({ upstreamStatus: 200 });
    expect(rows[1]!.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('refuses to call upstream when the intent row cannot be written (fail closed)', async () => {
    const broken = await PGLITE_BACKEND.fresh();
    await broken.store.db.schema.dropTable('audit_events').execute();
    const result = await runToolCall(
      { ...deps, audit: new AuditLog(broken.store) },
      caller,
      'github_repo_get',
      args,
    );
    expect(result?.structuredContent).toMatchObject({ error: { code: 'audit.unavailable' } });
    expect(fake.requests).toEqual([]);
    await broken.dispose();
  });

  it('audits an unknown tool and answers it as a protocol fault', async () => {
    expect(await runToolCall(deps, caller, 'github_repo_destroy', {})).toBeUndefined();
    expect((await deps.audit.query({ limit: 1 }))[0]).toMatchObject({
      tool: 'github_repo_destroy',
      decision: 'denied',
      reason: 'unknown tool',
    });
  });

  it('audits invalid arguments as a denial and sends nothing', async () => {
    const result = await runToolCall(deps, caller, 'github_repo_get', { owner: 'acme' });
    expect(result?.structuredContent).toMatchObject({ error: { code: 'executor.invalid_arguments' } });
    expect((await deps.audit.query({ limit: 1 }))[0]).toMatchObject({
      decision: 'denied',
      reason: 'missing required argument repo',
    });
    expect(fake.requests).toEqual([]);
  });

  it('refuses a tool outside the policy as such, before its arguments are judged', async () => {
    // Invalid arguments for a tool the agent may not call: the refusal names the policy, never the
    // argument rules of a tool that is not the caller's.
    const result = await runToolCall(deps, caller, 'github_issue_update', { owner: 7 });
    expect(result?.structuredContent).toMatchObject({
      error: { code: 'policy.denied', message: 'github_issue_update is not among the tools bot may call' },
    });
    expect(JSON.stringify(result)).not.toContain('owner');
    expect((await deps.audit.query({ limit: 1 }))[0]).toMatchObject({
      tool: 'github_issue_update',
      decision: 'denied',
      reason: 'github_issue_update is not among the tools bot may call',
    });
    expect(fake.requests).toEqual([]);
  });

  it('audits a fault of its own as a failed call, and sends nothing', async () => {
    const catalog = Object.create(deps.catalog) as typeof deps.catalog;
    catalog.validate = () => {
      throw new RangeError('Maximum call stack size exceeded');
    };
    const result = await runToolCall({ ...deps, catalog }, caller, 'github_repo_get', args);
    expect(result?.structuredContent).toMatchObject({ error: { code: 'internal' } });
    await deps.audit.drain();
    expect((await deps.audit.query({ limit: 1 }))[0]).toMatchObject({
      tool: 'github_repo_get',
      decision: 'failed',
      reason: 'internal',
    });
    expect(fake.requests).toEqual([]);
  });

  it('holds a write for approval, recording its arguments and their hash, and sends nothing', async () => {
    await runToolCall(deps, caller, 'github_issue_create', {
      owner: 'acme',
      repo: 'api',
      title: 'x',
      body: 'token=abc',
    });
    const row = (await deps.audit.query({ limit: 1 }))[0]!;
    expect(row.decision).toBe('approval_pending');
    expect(row.approvalId).toMatch(/^apr_/);
    expect(fake.requests).toEqual([]);
    expect(row.args).toEqual({ owner: 'acme', repo: 'api', title: 'x', body: 'token=abc' });
    expect(row.argsHash).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe.skipIf(!POSTGRES_URL)(
  `rate limits across daemons on PostgreSQL (skipped: ${POSTGRES_SKIP_REASON})`,
  () => {
    it('counts calls from two daemons against one limit', async () => {
      const t = await POSTGRES_BACKEND.fresh();
      const other = await t.reopen();
      const a = new RateLimiter(t.store);
      const b = new RateLimiter(other);
      const rule = [{ key: 'agent:bot', calls: 5, windowMs: 3_600_000, label: '5 calls per 1h' }];
      const verdicts = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).hit(rule)));
      expect(verdicts.filter((v) => v.allowed)).toHaveLength(5);
      await t.dispose();
    });
  },
);

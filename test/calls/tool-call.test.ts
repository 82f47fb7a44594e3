/**
 * A tool call through the pipeline, with the store-backed parts stubbed: the catalog validates
 * once, the executor gets exactly the validated arguments, and outcomes come back neutral (the
 * MCP adapter shapes them).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { ApprovalGate } from '../../src/approvals/index.js';
import type { AuditEvent, AuditLog } from '../../src/audit/index.js';
import { type PipelineDeps, runCall } from '../../src/calls/index.js';
import { type Catalog, loadCatalog, type ToolDefinition } from '../../src/catalog/index.js';
import { KeygateError } from '../../src/errors/index.js';
import type { Executor } from '../../src/executor/index.js';
import { fixedSecrets, SecretScanner } from '../../src/guard/index.js';
import { PolicyEngine, parsePolicy, type RateLimiter } from '../../src/policy/index.js';

const caller = { agent: 'bot', tokenId: 'tok-1', tools: null };

describe('a tool call through the pipeline', () => {
  let catalog: Catalog;
  let engine: PolicyEngine;
  beforeAll(async () => {
    catalog = await loadCatalog();
    const policy = parsePolicy(
      'services:\n  notion: { spec: builtin:notion, credential: notion }\nagents:\n  bot:\n    tools: [notion_search]\n',
      catalog,
    );
    if (!policy.ok) throw new Error('bad test policy');
    engine = new PolicyEngine(policy.policy, catalog);
  });

  function pipeline(send: (tool: ToolDefinition, args: Record<string, unknown>) => Promise<unknown>) {
    const rows: AuditEvent[] = [];
    const validated: unknown[] = [];
    const counting = Object.create(catalog, {
      validate: {
        value: (tool: ToolDefinition, args: unknown) => {
          validated.push(args);
          return catalog.validate(tool, args);
        },
      },
    }) as Catalog;
    const deps: PipelineDeps = {
      catalog: counting,
      policy: () => engine,
      rateLimiter: { hit: async () => ({ allowed: true, retryAfterMs: 0 }) } as unknown as RateLimiter,
      audit: {
        record: async (event: AuditEvent) => void rows.push(event),
        recordLater: async (event: AuditEvent) => void rows.push(event),
      } as unknown as AuditLog,
      executor: { call: send } as unknown as Executor,
      approvals: {} as ApprovalGate,
      secretScan: new SecretScanner(fixedSecrets([])),
    };
    return { deps, rows, validated };
  }

  it('validates once, and the executor gets the validated arguments as they are', async () => {
    const sent: Record<string, unknown>[] = [];
    const { deps, rows, validated } = pipeline(async (_tool, args) => {
      sent.push(args);
      return { status: 200, text: '{}', bytes: 2, truncated: false };
    });
    const outcome = await runCall(deps, caller, {
      kind: 'tool',
      name: 'notion_search',
      args: { query: 'Plan', filter: '{"property":"object","value":"page"}' },
    });
    expect(outcome).toMatchObject({ kind: 'done', result: { status: 200, text: '{}' } });
    expect(validated).toHaveLength(1);
    expect(sent).toEqual([{ query: 'Plan', filter: { property: 'object', value: 'page' } }]);
    expect(rows.map((row) => row.decision)).toEqual(['allowed', 'completed']);
    expect(rows[0]).toMatchObject({ tool: 'notion_search', argsRedacted: sent[0] });
  });

  it('names a request for no tool as unknown, after auditing it', async () => {
    const { deps, rows } = pipeline(async () => {
      throw new Error('nothing may be sent');
    });
    expect(await runCall(deps, caller, { kind: 'tool', name: 'notion_destroy', args: {} })).toEqual({
      kind: 'unknown',
    });
    expect(rows).toMatchObject([{ tool: 'notion_destroy', decision: 'denied', reason: 'unknown tool' }]);
  });

  it('returns a refusal or an upstream failure as the error, for the adapter to shape', async () => {
    const { deps } = pipeline(async () => {
      throw new KeygateError('upstream.error', 'Notion API answered HTTP 500', { details: { status: 500 } });
    });
    const invalid = await runCall(deps, caller, { kind: 'tool', name: 'notion_search', args: { page: 1 } });
    expect(invalid).toMatchObject({ kind: 'failed', error: { code: 'executor.invalid_arguments' } });
    const upstream = await runCall(deps, caller, { kind: 'tool', name: 'notion_search', args: {} });
    expect(upstream).toMatchObject({ kind: 'failed', error: { code: 'upstream.error' } });
  });
});

describe('the full argument of a tool with lean results', () => {
  it('is audited and constrained like any argument, and reaches the executor', async () => {
    const catalog = await loadCatalog();
    const policy = parsePolicy(
      [
        'services:',
        '  github: { spec: builtin:github, credential: github }',
        'agents:',
        '  bot:',
        '    tools: [github_issue_list, github_pull_list]',
        '    constraints:',
        '      github_pull_list: { full: false }',
        '',
      ].join('\n'),
      catalog,
    );
    if (!policy.ok) throw new Error(`bad test policy: ${JSON.stringify(policy)}`);
    const engine = new PolicyEngine(policy.policy, catalog);
    const rows: AuditEvent[] = [];
    const sent: Record<string, unknown>[] = [];
    const deps: PipelineDeps = {
      catalog,
      policy: () => engine,
      rateLimiter: { hit: async () => ({ allowed: true, retryAfterMs: 0 }) } as unknown as RateLimiter,
      audit: {
        record: async (event: AuditEvent) => void rows.push(event),
        recordLater: async (event: AuditEvent) => void rows.push(event),
      } as unknown as AuditLog,
      executor: {
        call: async (_tool: ToolDefinition, args: Record<string, unknown>) => {
          sent.push(args);
          return { status: 200, text: '[]', bytes: 2, truncated: false };
        },
      } as unknown as Executor,
      approvals: {} as ApprovalGate,
      secretScan: new SecretScanner(fixedSecrets([])),
    };
    const args = { owner: 'acme', repo: 'api', full: true };

    const issues = await runCall(deps, caller, { kind: 'tool', name: 'github_issue_list', args });
    expect(issues).toMatchObject({ kind: 'done' });
    expect(sent).toEqual([args]);
    expect(rows[0]).toMatchObject({ tool: 'github_issue_list', decision: 'allowed', argsRedacted: args });

    const pulls = await runCall(deps, caller, { kind: 'tool', name: 'github_pull_list', args });
    expect(pulls).toMatchObject({ kind: 'failed', error: { code: 'policy.denied' } });
    expect(sent).toHaveLength(1);
    expect(rows.at(-1)).toMatchObject({ tool: 'github_pull_list', decision: 'denied', argsRedacted: args });
  });
});

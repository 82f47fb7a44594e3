/** Policy: every constraint kind, every pattern rule, and the file's validation with paths. */
import { beforeAll, describe, expect, it } from 'vitest';
import { type Catalog, loadCatalog } from '../../src/catalog/index.js';
import {
  allowedBy,
  type Constraint,
  constraintViolation,
  PolicyEngine,
  parsePolicy,
} from '../../src/policy/index.js';

describe('tool patterns', () => {
  it.each([
    [['github_issue_*'], 'github_issue_get', true],
    [['github_issue_*'], 'github_pull_get', false],
    [['github_issue_?et'], 'github_issue_get', true],
    [['github_*', '!github_issue_lock'], 'github_issue_lock', false],
    [['github_*', '!github_issue_lock'], 'github_issue_get', true],
    [['!github_issue_lock', 'github_*'], 'github_issue_lock', false],
    [['!github_issue_lock'], 'github_issue_get', false],
    [[], 'github_issue_get', false],
    [['github_issue_get'], 'github_issue_getx', false],
    [['*'], 'stripe_refund_create', true],
    [['github.issue'], 'githubXissue', false],
  ])('%j on %s → %s', (patterns, name, allowed) => {
    expect(allowedBy(patterns, name)).toBe(allowed);
  });
});

describe('constraints', () => {
  it.each<[string, Constraint, unknown, string | undefined]>([
    ['plain value equals', 'acme', 'acme', undefined],
    ['plain value differs', 'acme', 'evil', 'owner must be "acme"'],
    ['plain number', 5, 5, undefined],
    ['equals', { equals: true }, false, 'owner must be true'],
    ['oneOf hit', { oneOf: ['a', 'b'] }, 'b', undefined],
    ['oneOf miss', { oneOf: ['a', 'b'] }, 'c', 'owner must be one of "a", "b"'],
    ['min', { min: 10 }, 5, 'owner must be at least 10'],
    ['max', { max: 5000 }, 5001, 'owner must be at most 5000'],
    ['max on the limit', { max: 5000 }, 5000, undefined],
    ['min/max on a string', { max: 5 }, '3', 'owner must be a number'],
    ['prefix', { prefix: 'cus_' }, 'ch_1', 'owner must start with "cus_"'],
    ['prefix hit', { prefix: 'cus_' }, 'cus_1', undefined],
    ['pattern is anchored', { pattern: 'acme-[a-z]+' }, 'xacme-web', 'owner must match /acme-[a-z]+/'],
    ['pattern hit', { pattern: 'acme-[a-z]+' }, 'acme-web', undefined],
    ['missing argument', 'acme', undefined, 'owner is required by policy and must be "acme"'],
    ['missing argument with max', { max: 1 }, undefined, 'owner is required by policy'],
  ])('%s', (_case, constraint, value, expected) => {
    expect(constraintViolation('owner', constraint, value)).toBe(expected);
  });
});

const SERVICES = `services:
  github: { spec: builtin:github, credential: github }
  stripe: { spec: builtin:stripe, credential: stripe }
`;

describe('policy file validation', () => {
  let catalog: Catalog;
  beforeAll(async () => {
    catalog = await loadCatalog();
  });
  const problems = (text: string) => {
    const result = parsePolicy(text, catalog);
    return result.ok
      ? []
      : result.problems.map((p) => `${p.path}${p.line ? `@${p.line}` : ''}: ${p.message}`);
  };

  it('accepts the policy of DESIGN.md verbatim, raw-proxy service included', () => {
    const text = `services:
  github: { spec: builtin:github, credential: github }   # base_url: https://ghe.example.com/api/v3
  stripe: { spec: builtin:stripe, credential: stripe-restricted }
  notion: { spec: builtin:notion, credential: notion }
  openai:                                  # raw proxy: no spec
    proxy: { base_url: https://api.openai.com/v1, credential: openai,
             allow: ["POST /chat/completions", "GET /models"],
             approval: { GET: never, "*": required }, private_ok: [] }
defaults:
  approval: { read: never, write: required, destructive: required, payment: required }
  approval_timeout: 5m
agents:
  triage-bot:
    tools: ["github_issue_*", "github_pull_list", "!github_issue_delete*"]
    constraints:
      "github_*": { owner: acme }          # equals
  billing-bot:
    tools: [stripe_refund_create, stripe_charge_get]
    constraints:
      stripe_refund_create: { amount: { max: 5000 } }
    approval: { stripe_refund_create: required }
    rate_limit: { calls: 60, per: 1m }
`;
    expect(problems(text)).toEqual([]);
  });

  it('accepts the documented example and gives it a content-hash version', () => {
    const text = `${SERVICES}agents:
  triage-bot:
    tools: ["github_issue_*", "github_pull_list", "!github_issue_lock"]
    constraints:
      "github_*": { owner: acme }
  billing-bot:
    tools: [stripe_refund_create, stripe_charge_get]
    constraints:
      stripe_refund_create: { amount: { max: 5000 } }
    approval: { stripe_refund_create: required }
    rate_limit: { calls: 60, per: 1m }
`;
    const result = parsePolicy(text, catalog);
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.policy.version).toMatch(/^[0-9a-f]{16}$/);
      expect(result.policy.text).toBe(text); // what policy_versions keeps under that version
      expect(result.policy.file.defaults.approval).toEqual({
        read: 'never',
        write: 'required',
        destructive: 'required',
        payment: 'out-of-band',
      });
      expect(Object.isFrozen(result.policy.file.agents)).toBe(true);
    }
  });

  it.each([
    [
      'an unknown tool',
      `${SERVICES}agents:\n  a:\n    tools: [github_repo_destroy]\n`,
      'agents.a.tools[0]@6: github_repo_destroy matches no tool',
    ],
    [
      'a tool of an unconfigured service',
      `${SERVICES}agents:\n  a:\n    tools: [notion_search]\n`,
      'agents.a.tools[0]@6',
    ],
    [
      'a constraint on a missing argument',
      `${SERVICES}agents:\n  a:\n    tools: [github_search_code]\n    constraints:\n      github_search_code: { owner: acme }\n`,
      'agents.a.constraints.github_search_code.owner@8: no tool matching github_search_code has an argument owner',
    ],
    [
      "a constraint on another agent's tool",
      `${SERVICES}agents:\n  a:\n    tools: [github_repo_get]\n    constraints:\n      stripe_*: { amount: 1 }\n`,
      "stripe_* matches none of a's tools",
    ],
    [
      'a bad regular expression',
      `${SERVICES}agents:\n  a:\n    tools: [github_repo_get]\n    constraints:\n      github_repo_get: { owner: { pattern: "([" } }\n`,
      'is not a valid regular expression',
    ],
    [
      'min above max',
      `${SERVICES}agents:\n  a:\n    tools: [stripe_refund_create]\n    constraints:\n      stripe_refund_create: { amount: { min: 9, max: 1 } }\n`,
      'min is greater than max',
    ],
    [
      'an unknown constraint kind',
      `${SERVICES}agents:\n  a:\n    tools: [github_repo_get]\n    constraints:\n      github_repo_get: { owner: { startsWith: a } }\n`,
      'agents.a.constraints.github_repo_get.owner',
    ],
    [
      'a bad pattern character',
      `${SERVICES}agents:\n  a:\n    tools: ["github/*"]\n`,
      'agents.a.tools[0]@6: a tool name or glob',
    ],
    [
      'a bad duration',
      `${SERVICES}defaults:\n  approval_timeout: soon\n`,
      'defaults.approval_timeout@5: a duration',
    ],
    [
      'a bad approval mode',
      `${SERVICES}defaults:\n  approval: { write: maybe }\n`,
      'defaults.approval.write',
    ],
    [
      'an unknown spec',
      'services:\n  gitlab: { spec: builtin:gitlab, credential: x }\n',
      'services.gitlab.spec@2: no built-in spec gitlab',
    ],
    [
      'plain http to a remote host',
      'services:\n  github: { spec: builtin:github, credential: g, base_url: "http://ghe.example.com" }\n',
      'services.github.base_url@2: credentials travel only over https',
    ],
    ['an unknown top-level key', `${SERVICES}agentz: {}\n`, 'agentz@4: unknown key agentz'],
    [
      'an approval override for a tool the agent lacks',
      `${SERVICES}agents:\n  a:\n    tools: [github_repo_get]\n    approval: { github_issue_create: never }\n`,
      'agents.a.approval.github_issue_create',
    ],
    ['broken YAML', 'services: [\n', '(yaml)'],
    ['a duplicate key', 'services: {}\nservices: {}\n', '(yaml)'],
  ])('reports %s with its path', (_case, text, expected) => {
    const found = problems(text);
    expect(found.length).toBeGreaterThan(0);
    expect(found.join('\n')).toContain(expected);
  });
});

describe('policy decisions', () => {
  let engine: PolicyEngine;
  let catalog: Catalog;
  beforeAll(async () => {
    catalog = await loadCatalog();
    const result = parsePolicy(
      `${SERVICES}agents:
  bot:
    tools: ["github_issue_*", "stripe_refund_create", "!github_issue_lock"]
    constraints:
      "github_*": { owner: acme, repo: { oneOf: [api, web] } }
    approval: { github_issue_comment_create: never, stripe_refund_create: out-of-band }
    rate_limit: { calls: 10, per: 1m, tools: { stripe_refund_create: { calls: 2, per: 1h } } }
`,
      catalog,
    );
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    engine = new PolicyEngine(result.policy, catalog);
  });
  const caller = { agent: 'bot', tokenId: 't', tools: null };

  it('lists exactly the allowed tools, narrowed further by a task token', () => {
    const names = engine.toolsFor(caller).map((t) => t.name);
    expect(names).toContain('github_issue_get');
    expect(names).not.toContain('github_issue_lock');
    expect(names).not.toContain('github_pull_get');
    expect(
      engine.toolsFor({ ...caller, tools: ['github_issue_get', 'github_pull_get'] }).map((t) => t.name),
    ).toEqual(['github_issue_get']);
    expect(engine.toolsFor({ agent: 'stranger', tokenId: 't', tools: null })).toEqual([]);
  });

  it.each([
    [{ owner: 'acme', repo: 'api', issue_number: 1 }, undefined],
    [{ owner: 'acme', repo: 'cli', issue_number: 1 }, 'repo must be one of "api", "web"'],
    [{ owner: 'evil', repo: 'api', issue_number: 1 }, 'owner must be "acme"'],
  ])('applies every matching constraint to %j', (args, reason) => {
    const decision = engine.decide(caller, catalog.get('github_issue_get'), args);
    expect(decision.allowed ? undefined : decision.reason).toBe(reason);
  });

  it('takes the approval mode from the agent override, else the default for the risk', () => {
    expect(engine.approvalFor('bot', catalog.get('github_issue_get'))).toBe('never');
    expect(engine.approvalFor('bot', catalog.get('github_issue_create'))).toBe('required');
    expect(engine.approvalFor('bot', catalog.get('github_issue_comment_create'))).toBe('never');
    expect(engine.approvalFor('bot', catalog.get('stripe_refund_create'))).toBe('out-of-band');
  });

  it('approves a payment out of band whatever the policy says, unless it says never', () => {
    const parsed = parsePolicy(
      `${SERVICES}defaults:\n  approval: { payment: required }\nagents:\n  payer:\n    tools: ["stripe_*"]\n    approval: { stripe_charge_capture: never }\n`,
      catalog,
    );
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const payments = new PolicyEngine(parsed.policy, catalog);
    expect(payments.approvalRuleFor('payer', catalog.get('stripe_refund_create'))).toEqual({
      mode: 'out-of-band',
      rule: 'defaults.approval.payment: required (a payment is always approved out of band)',
    });
    expect(payments.approvalFor('payer', catalog.get('stripe_charge_capture'))).toBe('never');
    expect(payments.approvalFor('payer', catalog.get('stripe_customer_create'))).toBe('required');
  });

  it('collects the agent and per-tool rate limits', () => {
    expect(
      engine
        .rateLimitsFor('bot', catalog.get('stripe_refund_create'))
        .map((r) => [r.key, r.calls, r.windowMs]),
    ).toEqual([
      ['agent:bot', 10, 60_000],
      ['agent:bot:tool:stripe_refund_create', 2, 3_600_000],
    ]);
  });

  it('denies a tool the agent was not given, and an agent with no policy', () => {
    expect(engine.decide(caller, catalog.get('github_issue_lock'), {}).allowed).toBe(false);
    expect(
      engine.decide({ agent: 'stranger', tokenId: 't', tools: null }, catalog.get('github_issue_get'), {}),
    ).toEqual({
      allowed: false,
      reason: 'agent stranger has no policy: it may call nothing',
    });
  });
});

describe('constraints on nested arguments', () => {
  it('checks a dotted path such as parent.page_id', async () => {
    const catalog = await loadCatalog();
    const result = parsePolicy(
      `services:\n  notion: { spec: builtin:notion, credential: notion }\nagents:\n  writer:\n    tools: [notion_page_create]\n    constraints:\n      notion_page_create: { parent.page_id: "59833787-2cf9-4fdf-8782-e53db20768a5" }\n`,
      catalog,
    );
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    const engine = new PolicyEngine(result.policy, catalog);
    const caller = { agent: 'writer', tokenId: 't', tools: null };
    const tool = catalog.get('notion_page_create');
    expect(
      engine.decide(caller, tool, {
        parent: { page_id: '59833787-2cf9-4fdf-8782-e53db20768a5' },
        properties: {},
      }).allowed,
    ).toBe(true);
    expect(engine.decide(caller, tool, { parent: { page_id: 'other' }, properties: {} })).toMatchObject({
      allowed: false,
      reason: 'parent.page_id must be "59833787-2cf9-4fdf-8782-e53db20768a5"',
    });
    expect(engine.decide(caller, tool, { parent: { data_source_id: 'x' }, properties: {} }).allowed).toBe(
      false,
    );
  });
});

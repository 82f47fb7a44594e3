/** `policy check` reports every problem every stage can find, each saying what was expected, at its own line. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Catalog, loadCatalog } from '../../src/catalog/index.js';
import { policyCheckCommand } from '../../src/cli/policy-check.js';
import { type PolicyProblem, parsePolicy } from '../../src/policy/index.js';

const SERVICES = `services:
  github: { spec: builtin:github, credential: github }
  stripe: { spec: builtin:stripe, credential: stripe }
`;

let catalog: Catalog;
beforeAll(async () => {
  catalog = await loadCatalog();
});

function check(text: string): { problems: string[]; notChecked: string[] } {
  const result = parsePolicy(text, catalog);
  if (result.ok) return { problems: [], notChecked: [] };
  const show = (p: PolicyProblem) => `${p.path}${p.line === undefined ? '' : `@${p.line}`}: ${p.message}`;
  return { problems: result.problems.map(show), notChecked: result.notChecked ?? [] };
}

describe('every stage that can run is run', () => {
  it("reports one agent's schema problem and another agent's unknown tool together", () => {
    const text = `${SERVICES}agents:
  broken:
    tools: [github_repo_get]
    constraints:
      github_repo_get: { owner: { max: "x" } }
  typo:
    tools: [github_repo_destroy]
`;
    const { problems, notChecked } = check(text);
    expect(problems).toEqual([
      'agents.broken.constraints.github_repo_get.owner.max@8: max must be a number, got string "x"',
      'agents.typo.tools[0]@10: github_repo_destroy matches no tool of the configured services',
    ]);
    expect(notChecked).toEqual([
      'the rules against the catalog for agents.broken: it does not match the schema',
    ]);
  });

  it('checks the rules that need no service when a service fails the schema, and says what it skipped', () => {
    const text = `services:
  github: { spec: builtin:github, credential: github, extra: 1 }
  stripe: { spec: builtin:stripe, credential: stripe, base_url: "http://stripe.example.com" }
agents:
  a:
    tools: [github_repo_get]
    constraints:
      github_repo_get: { owner: { pattern: "(a)\\\\1" } }
`;
    const { problems, notChecked } = check(text);
    expect(problems).toHaveLength(3);
    expect(problems[0]).toBe('services.github.extra@2: unknown key extra in github');
    expect(problems[1]).toContain('services.stripe.base_url@3: credentials travel only over https');
    expect(problems[2]).toContain('agents.a.constraints.github_repo_get.owner.pattern@8: "(a)\\\\1"');
    expect(notChecked).toContain(
      "the agents' tools, constraints, overrides and proxy routes against the services: a service does not match the schema",
    );
  });

  it('says that nothing past YAML was checked when the YAML does not parse', () => {
    expect(check('services: [\n').notChecked).toEqual([
      'the schema and the rules against the catalog: the file is not valid YAML',
    ]);
  });

  it('still refuses a file whose top level is not a mapping, saying why', () => {
    const { problems, notChecked } = check('- a\n- b\n');
    expect(problems).toEqual(['(root)@1: the file must be an object, got an array']);
    expect(notChecked).toEqual(['the rules against the catalog: the file does not match the schema']);
  });
});

describe('schema problems say what was expected', () => {
  it.each([
    [
      'a string where a number belongs',
      `${SERVICES}agents:\n  a:\n    tools: [stripe_refund_create]\n    constraints:\n      stripe_refund_create:\n        amount: { max: "x" }\n`,
      'agents.a.constraints.stripe_refund_create.amount.max@9: max must be a number, got string "x"',
    ],
    [
      'a constraint of a type no rule takes',
      `${SERVICES}agents:\n  a:\n    tools: [github_repo_get]\n    constraints:\n      github_repo_get: { owner: [a, b] }\n`,
      'agents.a.constraints.github_repo_get.owner@8: owner must be a string, a number, a boolean or an object, got an array',
    ],
    [
      'an unknown approval mode',
      `${SERVICES}defaults:\n  approval: { write: maybe }\n`,
      'defaults.approval.write@5: write must be one of "never", "required", "out-of-band", got string "maybe"',
    ],
    [
      'a list where a list belongs not',
      `${SERVICES}agents:\n  a:\n    tools: github_repo_get\n`,
      'agents.a.tools@6: tools must be an array, got string "github_repo_get"',
    ],
    [
      'a rate limit of zero calls',
      `${SERVICES}agents:\n  a:\n    tools: [github_repo_get]\n    rate_limit: { calls: 0, per: 1m }\n`,
      'agents.a.rate_limit.calls@7: calls must be greater than 0, got number 0',
    ],
    [
      'a bad duration, with what was given',
      `${SERVICES}defaults:\n  approval_timeout: soon\n`,
      'defaults.approval_timeout@5: a duration like 30s, 5m, 1h or 2d, at most 3650d, got string "soon"',
    ],
    [
      'a bad agent name',
      `${SERVICES}agents:\n  Bad Name:\n    tools: [github_repo_get]\n`,
      'agents.Bad Name@5: "Bad Name" is not an agent name (a-z 0-9 _ -)',
    ],
  ])('%s', (_case, text, expected) => {
    expect(check(text).problems).toContain(expected);
  });
});

describe('problems are reported at the line of the key itself', () => {
  it('reports an unknown key on line 8 at line 8, not at its parent', () => {
    const text = `${SERVICES}agents:
  a:
    tools:
      - github_repo_get
    constraints:
      github_repo_get: { owner: acme }
    rate_limt: { calls: 1, per: 1m }
`;
    expect(check(text).problems).toEqual(['agents.a.rate_limt@10: unknown key rate_limt in a']);
  });

  it('reports each unknown key of one object at its own line', () => {
    const text = 'services: {}\ndefaults:\n  approval_timeout: 5m\n  aproval: {}\n  approval_wiat: 1m\n';
    expect(check(text).problems).toEqual([
      'defaults.aproval@4: unknown key aproval in defaults',
      'defaults.approval_wiat@5: unknown key approval_wiat in defaults',
    ]);
  });

  it('reports a constraint problem at the line of the constrained argument', () => {
    const text = `${SERVICES}agents:
  a:
    tools: [stripe_refund_create]
    constraints:
      stripe_refund_create:
        amount:
          min: 9
          max: 1
`;
    expect(check(text).problems).toEqual([
      'agents.a.constraints.stripe_refund_create.amount@9: min is greater than max',
    ]);
  });
});

describe('keygate policy check', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'keygate-policy-check-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prints every problem, and what it could not check, and exits 1', async () => {
    const file = join(dir, 'keygate.yaml');
    await writeFile(
      file,
      `${SERVICES}agents:\n  broken:\n    tools: 5\n  typo:\n    tools: [github_repo_destroy]\n`,
    );
    const output = await policyCheckCommand({ file });
    expect(output.exitCode).toBe(1);
    expect(output.text).toBe(
      [
        `${file} is invalid:`,
        '  agents.broken.tools (line 6): tools must be an array, got number 5',
        '  agents.typo.tools[0] (line 8): github_repo_destroy matches no tool of the configured services',
        'not checked until those are fixed:',
        '  the rules against the catalog for agents.broken: it does not match the schema',
      ].join('\n'),
    );
    expect(output.json).toMatchObject({
      ok: false,
      problems: [
        { path: 'agents.broken.tools', line: 6 },
        { path: 'agents.typo.tools[0]', line: 8 },
      ],
      notChecked: ['the rules against the catalog for agents.broken: it does not match the schema'],
    });
  });

  it("lists each agent's proxy routes, in text and in JSON", async () => {
    const file = join(dir, 'proxy.yaml');
    await writeFile(
      file,
      `${SERVICES}  openai:
    proxy: { base_url: "https://api.openai.com/v1", credential: openai, allow: ["GET /models", "POST /chat/**"] }
  internal:
    proxy: { base_url: "http://127.0.0.1:9000", credential: internal, allow: ["* /**"] }
agents:
  coder:
    tools: [github_repo_get]
    proxy: { openai: ["GET /models", "POST /chat/completions"], internal: ["GET /jobs/*"] }
  triage:
    tools: [github_repo_get]
`,
    );
    const output = await policyCheckCommand({ file });
    expect(output.exitCode).toBeUndefined();
    expect((output.text ?? '').split('\n').slice(1)).toEqual([
      'proxy routes:',
      '  coder → proxy openai: GET /models, POST /chat/completions',
      '  coder → proxy internal: GET /jobs/*',
    ]);
    expect(output.json).toMatchObject({
      ok: true,
      agents: ['coder', 'triage'],
      proxy: { coder: { openai: ['GET /models', 'POST /chat/completions'], internal: ['GET /jobs/*'] } },
    });
  });
});

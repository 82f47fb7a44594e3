/**
 * Names that come from requests (agent, service, argument names) are looked up as own
 * properties only: `constructor`, `__proto__` or `toString` never reach Object.prototype.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { type Catalog, coerceJsonStrings, loadCatalog } from '../../src/catalog/index.js';
import { PolicyEngine, parsePolicy } from '../../src/policy/index.js';

const POLICY = `services:
  github: { spec: builtin:github, credential: github }
agents:
  triage-bot:
    tools: [github_issue_get]
`;

describe('names from requests are own properties', () => {
  let catalog: Catalog;
  let engine: PolicyEngine;

  beforeAll(async () => {
    catalog = await loadCatalog();
    const parsed = parsePolicy(POLICY, catalog);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    engine = new PolicyEngine(parsed.policy, catalog);
  });

  const caller = (agent: string) => ({ agent, tokenId: 't', tools: null });

  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'])(
    'an agent named %s without policy sees nothing and may call nothing',
    (agent) => {
      const tool = catalog.find('github_issue_get')!;
      expect(engine.agentPolicy(agent)).toBeUndefined();
      expect(engine.toolsFor(caller(agent))).toEqual([]);
      expect(engine.decide(caller(agent), tool, { owner: 'acme', repo: 'api', issue_number: 1 })).toEqual({
        allowed: false,
        reason: `agent ${agent} has no policy: it may call nothing`,
      });
      expect(engine.approvalFor(agent, tool)).toBe('never');
      expect(engine.rateLimitsFor(agent, tool)).toEqual([]);
    },
  );

  it.each(['constructor', '__proto__', 'toString'])(
    'a service named %s has no credential or base URL',
    (name) => {
      expect(engine.credentialFor(name)).toBeUndefined();
      expect(engine.baseUrlFor(name)).toBeUndefined();
    },
  );

  it('an agent named constructor in the policy is an ordinary agent', () => {
    const parsed = parsePolicy(
      `services:
  github: { spec: builtin:github, credential: github }
agents:
  constructor:
    tools: [github_issue_get]
    constraints: { github_issue_get: { owner: acme } }
`,
      catalog,
    );
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const own = new PolicyEngine(parsed.policy, catalog);
    const tool = catalog.find('github_issue_get')!;
    expect(own.toolsFor(caller('constructor')).map((t) => t.name)).toEqual(['github_issue_get']);
    expect(own.decide(caller('constructor'), tool, { owner: 'acme', repo: 'a', issue_number: 1 })).toEqual({
      allowed: true,
      approval: 'never',
    });
    expect(
      own.decide(caller('constructor'), tool, { owner: 'evil', repo: 'a', issue_number: 1 }).allowed,
    ).toBe(false);
  });

  it.each(['constructor', 'toString'])('a constraint on an argument named %s is refused at load', (arg) => {
    const parsed = parsePolicy(
      `services:
  github: { spec: builtin:github, credential: github }
agents:
  triage-bot:
    tools: [github_issue_get]
    constraints: { github_issue_get: { ${arg}: acme } }
`,
      catalog,
    );
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.problems.map((p) => p.message)).toContain(
      `no tool matching github_issue_get has an argument ${arg}`,
    );
  });

  it('an argument named __proto__ does not become the arguments’ prototype', () => {
    const args = JSON.parse('{"repo":"api","__proto__":{"owner":"acme"}}') as Record<string, unknown>;
    coerceJsonStrings({ type: 'object', properties: { owner: { type: 'string' } } }, args);
    expect(Object.getPrototypeOf(args)).toBe(Object.prototype);
    expect(args.owner).toBeUndefined();
  });
});

/**
 * Patterns come from the admin, values from agents: no pattern may hold the event loop, whatever
 * the value. A hang here is caught by the test timeout; no timing is asserted.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { type Catalog, loadCatalog } from '../../src/catalog/index.js';
import {
  allowedBy,
  constraintViolation,
  globMatches,
  PolicyEngine,
  parsePolicy,
} from '../../src/policy/index.js';

const EVIL_VALUE = `${'a'.repeat(32)}c`;

describe('constraint patterns run in linear time', () => {
  it('answers a catastrophic-backtracking pattern against a crafted value', () => {
    expect(constraintViolation('owner', { pattern: '(a+)+b' }, EVIL_VALUE)).toBe('owner must match /(a+)+b/');
    expect(constraintViolation('owner', { pattern: '(a|aa)*$b' }, 'a'.repeat(5000))).toBeDefined();
  }, 10_000);

  it('refuses such a call through the engine, with the policy check accepting the pattern', async () => {
    const catalog = await loadCatalog();
    const result = parsePolicy(
      `services:\n  github: { spec: builtin:github, credential: github }\nagents:\n  a:\n    tools: [github_repo_get]\n    constraints:\n      github_repo_get: { owner: { pattern: "(a+)+b" } }\n`,
      catalog,
    );
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    const engine = new PolicyEngine(result.policy, catalog);
    const decision = engine.decide(
      { agent: 'a', tokenId: 't', tools: null },
      catalog.get('github_repo_get'),
      {
        owner: EVIL_VALUE,
        repo: 'x',
      },
    );
    expect(decision).toEqual({ allowed: false, reason: 'owner must match /(a+)+b/' });
  }, 10_000);

  it.each<[string, string, boolean]>([
    ['acme-[a-z]+', 'acme-web', true],
    ['acme-[a-z]+', 'xacme-web', false],
    ['acme-[a-z]+', 'acme-web!', false],
    ['a|ab', 'ab', true],
    ['a|ab', 'abc', false],
    ['[0-9]{3}', '123', true],
    ['[0-9]{3}', '1234', false],
    ['(?i)ACME', 'acme', true],
    ['\\d+', '42', true],
    ['.*', '', true],
  ])('matches /%s/ against the whole value %j → %s', (pattern, value, matches) => {
    expect(constraintViolation('owner', { pattern }, value) === undefined).toBe(matches);
  });

  it('refuses a value too long to check, saying so', () => {
    expect(constraintViolation('body', { pattern: '.*' }, 'x'.repeat(8_193))).toBe(
      'body is longer than the 8192 characters policy checks against /.*/',
    );
  });
});

describe('patterns the engine cannot run are refused at load', () => {
  let catalog: Catalog;
  beforeAll(async () => {
    catalog = await loadCatalog();
  });
  const policyWith = (pattern: string) =>
    `services:\n  github: { spec: builtin:github, credential: github }\nagents:\n  a:\n    tools: [github_repo_get]\n    constraints:\n      github_repo_get:\n        owner: { pattern: ${JSON.stringify(pattern)} }\n`;

  it.each([
    ['a backreference', '(a)\\1', 'backreferences are not supported'],
    ['a named backreference', '(?<n>a)\\k<n>', 'backreferences are not supported'],
    ['a lookahead', 'acme(?!-evil)', 'lookahead and lookbehind are not supported'],
    ['a lookbehind', '(?<=a)b', 'lookahead and lookbehind are not supported'],
    ['a broken pattern', '([', 'is not a valid regular expression'],
  ])('%s', (_case, pattern, message) => {
    const result = parsePolicy(policyWith(pattern), catalog);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toMatchObject({
      path: 'agents.a.constraints.github_repo_get.owner.pattern',
      line: 8,
    });
    expect(result.problems[0]?.message).toContain(message);
  });
});

describe('tool globs match in linear time', () => {
  it('answers a glob of many stars against a long name', () => {
    const glob = `${'*a'.repeat(31)}b`;
    const name = 'a'.repeat(10_000);
    expect(globMatches(glob, name)).toBe(false);
    expect(allowedBy([glob], name)).toBe(false);
    expect(globMatches(glob, `${name}b`)).toBe(true);
  }, 10_000);

  it.each<[string, string, boolean]>([
    ['*', '', true],
    ['*', 'github_repo_get', true],
    ['github_*', 'github_', true],
    ['github_*_get', 'github_repo_get', true],
    ['github_*_get', 'github_repo_list', false],
    ['*_get', 'github_issue_get', true],
    ['git?ub_*', 'github_x', true],
    ['git?ub_*', 'gitub_x', false],
    ['**', 'x', true],
    ['a*b*c', 'abbbc', true],
    ['a*b*c', 'abcx', false],
    ['github.issue', 'githubXissue', false],
    ['github.issue', 'github.issue', true],
  ])('%s on %s → %s', (glob, name, matches) => {
    expect(globMatches(glob, name)).toBe(matches);
  });
});

/**
 * Property test: over 1,000 random agent policies (random GitHub tool subsets, task-token
 * narrowing, repository pins by equals, oneOf, overlapping patterns, prefixes that do not pin),
 * no installation token a fake GitHub is asked for is broader than the policy: its repositories
 * are within what the policy pins, its permissions within what the agent's tools need (reads only
 * for an agent allowed only reads), and an agent whose repositories are left open gets no token.
 * The expected scope is worked out here from the generator's own choices, not by keygate's code.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AppPermissionMap,
  appPermissions,
  type Catalog,
  loadCatalog,
  type ToolDefinition,
} from '../../src/catalog/index.js';
import { PolicyEngine, parsePolicy } from '../../src/policy/index.js';
import { GithubAppMinter } from '../../src/vault/index.js';
import { type FakeGithubApp, startFakeGithubApp } from '../fakes/fake-github-app.js';

const POLICIES = 1000;
const REPOS = ['api', 'web', 'docs', 'infra', 'mobile', 'site', 'tools', 'data'];
const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PEM = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const RANK: Record<string, number> = { read: 0, write: 1, admin: 2 };

/** mulberry32: a small deterministic generator, so a failure replays. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Generated {
  readonly yaml: string;
  readonly tools: readonly ToolDefinition[];
  /** The task token's tools, or null for the agent's full set. */
  readonly tokenTools: readonly string[] | null;
  /** Per repository tool: the repositories its constraints admit, or undefined when open. */
  readonly pins: ReadonlyMap<string, ReadonlySet<string> | undefined>;
}

function generate(next: () => number, catalog: Catalog): Generated {
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!;
  const subset = <T>(items: readonly T[], min: number, max: number) => {
    const count = min + Math.floor(next() * (max - min + 1));
    const copy = [...items];
    const out: T[] = [];
    while (out.length < count && copy.length > 0)
      out.push(copy.splice(Math.floor(next() * copy.length), 1)[0]!);
    return out;
  };
  const readsOnly = next() < 0.3;
  const pool = catalog.tools.filter((tool) => !readsOnly || tool.risk === 'read');
  const tools = subset(pool, 1, 10);
  const hasRepo = (tool: ToolDefinition) =>
    Object.hasOwn((tool.inputSchema.properties ?? {}) as object, 'repo');
  const repoTools = tools.filter(hasRepo);
  const constraints: Record<string, Record<string, unknown>> = {};
  // A pin for every tool at once, intersected with each tool's own.
  let shared: Set<string> | undefined;
  if (repoTools.length > 0 && next() < 0.4) {
    const names = subset(REPOS, 1, 4);
    shared = new Set(names);
    constraints['github_*'] = { repo: names.length === 1 && next() < 0.5 ? names[0] : { oneOf: names } };
  }
  const pins = new Map<string, Set<string> | undefined>();
  for (const tool of repoTools) {
    const roll = next();
    let own: Set<string> | undefined;
    if (roll < 0.35) {
      const name = pick(REPOS);
      own = new Set([name]);
      constraints[tool.name] = { owner: 'acme', repo: next() < 0.5 ? name : { equals: name } };
    } else if (roll < 0.75) {
      const names = subset(REPOS, 1, 5);
      own = new Set(names);
      constraints[tool.name] = {
        repo: { oneOf: names, ...(next() < 0.2 ? { prefix: names[0]!.slice(0, 1) } : {}) },
      };
    } else if (roll < 0.85) {
      // Open: a prefix or a pattern admits names nobody listed.
      constraints[tool.name] = { repo: next() < 0.5 ? { prefix: 'a' } : { pattern: '[a-z]+' } };
    }
    // else: only the shared pin, if any.
    const sets = [own, shared].filter((set): set is Set<string> => set !== undefined);
    pins.set(
      tool.name,
      sets.length === 0
        ? undefined
        : new Set([...sets[0]!].filter((name) => sets.every((set) => set.has(name)))),
    );
  }
  const tokenTools = next() < 0.2 ? subset(tools, 1, tools.length).map((tool) => tool.name) : null;
  const policy = {
    services: { github: { spec: 'builtin:github', credential: 'gh-app' } },
    agents: { bot: { tools: tools.map((tool) => tool.name), constraints } },
  };
  return { yaml: JSON.stringify(policy), tools, tokenTools, pins };
}

describe('github-app tokens over random policies', () => {
  let catalog: Catalog;
  let map: AppPermissionMap;
  let fake: FakeGithubApp;

  beforeAll(async () => {
    catalog = await loadCatalog(['github']);
    map = appPermissions('github')!;
    fake = await startFakeGithubApp({
      appId: '11',
      installationId: '22',
      publicKey: keys.publicKey,
      repositories: REPOS,
      permissions: Object.fromEntries(
        [...map.values()]
          .flatMap((needs) => (needs === 'unavailable' ? [] : Object.keys(needs)))
          .map((p) => [p, 'admin']),
      ),
    });
  });
  afterAll(() => fake.close());

  it(`finds no token broader than its policy in ${POLICIES} random policies`, async () => {
    const next = random(17_2026);
    const minter = new GithubAppMinter('gh-app', '11', '22', PEM);
    const broader: string[] = [];
    let minted = 0;
    let refused = 0;
    for (let i = 0; i < POLICIES; i++) {
      const generated = generate(next, catalog);
      const parsed = parsePolicy(generated.yaml, catalog);
      if (!parsed.ok) throw new Error(`policy ${i} does not load: ${JSON.stringify(parsed.problems)}`);
      const engine = new PolicyEngine(parsed.policy, catalog);
      const caller = { agent: 'bot', tokenId: 't', tools: generated.tokenTools };
      // What the agent may call: its tools, narrowed by the task token.
      const allowed = generated.tools.filter(
        (tool) => !generated.tokenTools || generated.tokenTools.includes(tool.name),
      );
      const repoPins = allowed
        .filter((tool) => generated.pins.has(tool.name))
        .map((tool) => generated.pins.get(tool.name));
      const expectedOpen = repoPins.some((pin) => pin === undefined);
      const pinned = new Set(repoPins.flatMap((pin) => [...(pin ?? [])]));
      const mintsBefore = fake.mints.length;
      let credential: Awaited<ReturnType<GithubAppMinter['credentialFor']>> | undefined;
      try {
        credential = await minter.credentialFor({
          service: 'github',
          tool: allowed[0]!.name,
          baseUrl: fake.url,
          scope: () => engine.credentialScope(caller, 'github'),
        });
      } catch (error) {
        expect((error as { code?: string }).code, `policy ${i}: ${generated.yaml}`).toBe('policy.unpinned');
        expect(fake.mints.length).toBe(mintsBefore);
        // Refused exactly when some tool is left open, or nothing at all is pinned.
        expect(expectedOpen || pinned.size === 0, `policy ${i} refused: ${generated.yaml}`).toBe(true);
        refused++;
        continue;
      }
      expect(expectedOpen || pinned.size === 0, `policy ${i} minted though open: ${generated.yaml}`).toBe(
        false,
      );
      minted++;
      const scope = credential.use!.scope as { repositories: string[]; permissions: Record<string, string> };
      // The fake saw this scope, now or for an earlier policy with the same one (cached).
      const asked = fake.mints.length > mintsBefore ? fake.mints.at(-1)! : undefined;
      if (asked) {
        expect(asked.repositories).toEqual(scope.repositories);
        expect(asked.permissions).toEqual(scope.permissions);
      }
      for (const name of scope.repositories)
        if (!pinned.has(name)) broader.push(`policy ${i}: repository ${name} not pinned`);
      // Every permission must be needed by an allowed tool at that level (metadata: read comes with every token).
      for (const [permission, level] of Object.entries(scope.permissions)) {
        const needed = allowed
          .map((tool) => map.get(tool.name))
          .flatMap((needs) =>
            needs && needs !== 'unavailable' && needs[permission] ? [needs[permission]] : [],
          );
        const strongest = Math.max(-1, ...needed.map((l) => RANK[l]!));
        if (permission === 'metadata' && level === 'read') continue;
        if (RANK[level]! > strongest)
          broader.push(`policy ${i}: ${permission}: ${level} beyond the tools' needs`);
        if (RANK[level]! < strongest)
          broader.push(`policy ${i}: ${permission}: ${level} too narrow for its tools`);
      }
      if (allowed.every((tool) => tool.risk === 'read'))
        for (const [permission, level] of Object.entries(scope.permissions))
          if (level !== 'read') broader.push(`policy ${i}: reads-only agent got ${permission}: ${level}`);
      // Not narrower than the tools need either: every pinned repository is in the token.
      expect(scope.repositories).toEqual([...pinned].sort());
    }
    expect(broader).toEqual([]);
    // Both outcomes were exercised in earnest.
    expect(minted).toBeGreaterThan(300);
    expect(refused).toBeGreaterThan(100);
  });
});

/** Proxy services and grants in the policy: schema, rules with paths and lines, route globs, decisions. */
import { beforeAll, describe, expect, it } from 'vitest';
import { type Catalog, loadCatalog } from '../../src/catalog/index.js';
import {
  type CallerIdentity,
  type PolicyEngine as Engine,
  PolicyEngine,
  type PolicyProblem,
  parsePolicy,
  routeProblem,
} from '../../src/policy/index.js';
import { parseRoute, routeCovers, routeMatches } from '../../src/policy/proxy-route.js';

let catalog: Catalog;
beforeAll(async () => {
  catalog = await loadCatalog();
});

/** Problems as `path@line: message`. */
function problems(text: string): string[] {
  const result = parsePolicy(text, catalog);
  if (result.ok) return [];
  const show = (p: PolicyProblem) => `${p.path}${p.line === undefined ? '' : `@${p.line}`}: ${p.message}`;
  return result.problems.map(show);
}

function engineOf(text: string): Engine {
  const result = parsePolicy(text, catalog);
  if (!result.ok) throw new Error(result.problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
  return new PolicyEngine(result.policy, catalog);
}

const OPENAI = `services:
  openai:
    proxy:
      base_url: https://api.openai.com/v1
      credential: openai
      allow: ["GET /models", "GET /models/*", "POST /chat/completions", "POST /responses", "* /files/**"]
`;

describe('route form', () => {
  it.each([
    'GET /models',
    'POST /chat/completions',
    '* /files/**',
    'GET /',
    'GET /models/',
    'GET /repos/*/*/issues',
    'DELETE /a/**/b',
    'PROPFIND /dav',
    "GET /a-b.c_d~e!$&'()+,;=:@",
  ])('accepts %s', (route) => {
    expect(routeProblem(route)).toBeUndefined();
  });

  it.each([
    ['GET', 'a route is "METHOD /path"'],
    ['get /models', '"get" is not a method: write it in upper case'],
    ['Get /models', 'is not a method'],
    ['G*T /models', 'is not a method'],
    ['GET models', 'must start with /'],
    ['GET  /models', 'must start with /'],
    ['GET /a//b', 'has an empty segment'],
    ['GET //host/x', 'has an empty segment'],
    ['GET /a/../b', 'has a .. segment'],
    ['GET /a/./b', 'has a . segment'],
    ['GET /v1*', 'stand for whole segments only'],
    ['GET /a/***', 'stand for whole segments only'],
    ['GET /a?b=1', 'has a character a route cannot hold'],
    ['GET /a#b', 'has a character a route cannot hold'],
    ['GET /a%2fb', 'has a character a route cannot hold'],
    ['GET /a\\b', 'has a character a route cannot hold'],
    ['GET /a b', 'has a character a route cannot hold'],
    [`GET /${'a'.repeat(600)}`, 'at most 512 characters'],
  ])('refuses %s', (route, message) => {
    expect(routeProblem(route)).toContain(message);
  });
});

describe('route matching', () => {
  it.each([
    ['GET /models', 'GET', '/models', true],
    ['GET /models', 'GET', '/models/', false],
    ['GET /models/', 'GET', '/models', false],
    ['GET /models/', 'GET', '/models/', true],
    ['GET /models', 'get', '/models', false],
    ['GET /models', 'POST', '/models', false],
    ['* /models', 'PATCH', '/models', true],
    ['GET /models', 'GET', '/Models', false],
    ['GET /models', 'GET', '/models/gpt-4', false],
    ['GET /models/*', 'GET', '/models/gpt-4', true],
    ['GET /models/*', 'GET', '/models', false],
    ['GET /models/*', 'GET', '/models/', false],
    ['GET /models/*', 'GET', '/models/a/b', false],
    ['GET /files/**', 'GET', '/files', true],
    ['GET /files/**', 'GET', '/files/', true],
    ['GET /files/**', 'GET', '/files/a', true],
    ['GET /files/**', 'GET', '/files/a/b/c', true],
    ['GET /files/**', 'GET', '/filesx/a', false],
    ['GET /files/**', 'GET', '/other/files/a', false],
    ['GET /**/content', 'GET', '/content', true],
    ['GET /**/content', 'GET', '/a/b/content', true],
    ['GET /**/content', 'GET', '/a/b/content/x', false],
    ['GET /a/**/b/**/c', 'GET', '/a/x/b/y/b/z/c', true],
    ['GET /a/**/b/**/c', 'GET', '/a/x/c', false],
    ['GET /repos/*/*/issues', 'GET', '/repos/acme/web/issues', true],
    ['GET /repos/*/*/issues', 'GET', '/repos/acme/issues', false],
    ['GET /', 'GET', '/', true],
    ['GET /', 'GET', '/models', false],
    ['GET /**', 'GET', '/', true],
    ['GET /**', 'GET', '/anything/at/all', true],
    ['GET /models', 'GET', 'models', false],
    ['GET /models', 'GET', '/models?x=1', false],
  ])('%s ~ %s %s → %s', (route, method, path, expected) => {
    expect(routeMatches(parseRoute(route), method, path)).toBe(expected);
  });

  it('matches in time linear in the segments, however the route backtracks', () => {
    const route = parseRoute(`GET /${'**/a/'.repeat(40)}b`);
    const path = `/${'a/'.repeat(5000)}c`;
    // Correctness only (no timing asserted): a backtracking matcher would not return at all here.
    expect(routeMatches(route, 'GET', path)).toBe(false);
  });
});

describe('route coverage (a grant within allow)', () => {
  it.each([
    ['GET /models', 'GET /models', true],
    ['* /models', 'GET /models', true],
    ['GET /models', '* /models', false],
    ['GET /models', 'POST /models', false],
    ['GET /models/*', 'GET /models/gpt-4', true],
    ['GET /models/*', 'GET /models/*', true],
    ['GET /models/*', 'GET /models/**', false],
    ['GET /models/*', 'GET /models/', false],
    ['GET /files/**', 'GET /files/*', true],
    ['GET /files/**', 'GET /files/a/**', true],
    ['GET /files/**', 'GET /files/**', true],
    ['GET /files/**', 'GET /files', true],
    ['GET /files/**', 'GET /other', false],
    ['GET /**', 'GET /a/*/b/**', true],
    ['GET /a/*', 'GET /a/**', false],
    ['GET /a/b', 'GET /a/*', false],
  ])('%s covers %s → %s', (outer, inner, expected) => {
    expect(routeCovers(parseRoute(outer), parseRoute(inner))).toBe(expected);
  });
});

describe('schema', () => {
  it('reads a proxy service with its defaults: approval GET/HEAD never, others required; private_ok empty', () => {
    const engine = engineOf(OPENAI);
    expect(engine.proxyService('openai')).toEqual({
      name: 'openai',
      baseUrl: 'https://api.openai.com/v1',
      credential: 'openai',
      allow: ['GET /models', 'GET /models/*', 'POST /chat/completions', 'POST /responses', '* /files/**'],
      approval: { GET: 'never', HEAD: 'never', '*': 'required' },
      privateOk: [],
    });
  });

  it('reads an aws: block, and then asks for every method by default: AWS takes actions over GET', () => {
    const engine = engineOf(`services:
  sqs:
    proxy:
      base_url: https://sqs.eu-west-1.amazonaws.com
      credential: aws
      allow: ["GET /", "POST /"]
      aws: { region: eu-west-1, service: sqs }
`);
    expect(engine.proxyService('sqs')).toMatchObject({
      approval: { '*': 'required' },
      aws: { region: 'eu-west-1', service: 'sqs' },
    });
  });

  it.each([
    ['{ region: eu-west-1 }', 'service'],
    ['{ region: EU-WEST-1, service: s3 }', 'an AWS region, like us-east-1'],
    ['{ region: eu-west-1, service: "s3/x" }', 'an AWS signing name, like s3'],
    ['{ region: eu-west-1, service: s3, host: evil.example }', 'unknown key host'],
  ])('refuses aws: %s', (block, message) => {
    const found = problems(`services:
  s3:
    proxy:
      base_url: https://s3.amazonaws.com
      credential: aws
      allow: ["GET /**"]
      aws: ${block}
`);
    expect(found.join('\n')).toContain(message);
  });

  it('accepts service names with a hyphen (github-raw)', () => {
    const engine = engineOf(`services:
  github-raw:
    proxy: { base_url: "https://api.github.com", credential: github, allow: ["GET /repos/**"] }
agents:
  coder: { proxy: { github-raw: ["GET /repos/**"] } }
`);
    expect(engine.proxyRoutesFor('coder')).toEqual({ 'github-raw': ['GET /repos/**'] });
  });

  it.each([
    [
      'an inject block (the secret kind decides injection)',
      `services:
  openai:
    proxy:
      base_url: https://api.openai.com/v1
      credential: openai
      inject: { header: Authorization }
      allow: ["GET /models"]
`,
      'services.openai.proxy.inject@6: unknown key inject in proxy',
    ],
    [
      'an empty allow',
      `services:
  openai:
    proxy: { base_url: "https://api.openai.com/v1", credential: openai, allow: [] }
`,
      'services.openai.proxy.allow@3: allow must have at least 1 item',
    ],
    [
      'a lower-case approval method',
      `services:
  openai:
    proxy:
      base_url: https://api.openai.com/v1
      credential: openai
      allow: ["GET /models"]
      approval: { post: never }
`,
      'services.openai.proxy.approval.post@7: "post" is not an HTTP method in upper case, or *',
    ],
    [
      'an unknown approval mode',
      `services:
  openai:
    proxy:
      base_url: https://api.openai.com/v1
      credential: openai
      allow: ["GET /models"]
      approval: { POST: sometimes }
`,
      'services.openai.proxy.approval.POST@7: POST must be one of "never", "required", "out-of-band", got string "sometimes"',
    ],
    [
      'an agent grant that is not a list',
      `${OPENAI}agents:
  coder: { proxy: { openai: "GET /models" } }
`,
      'agents.coder.proxy.openai@8: openai must be an array, got string "GET /models"',
    ],
  ])('refuses %s', (_case, text, expected) => {
    expect(problems(text)).toContain(expected);
  });
});

describe('validation rules, with paths and lines', () => {
  it('refuses an http base URL that is not loopback', () => {
    expect(
      problems(`services:
  internal:
    proxy: { base_url: "http://api.internal:8080", credential: k, allow: ["GET /x"] }
`),
    ).toEqual([
      'services.internal.proxy.base_url@3: credentials travel only over https (http is allowed for 127.0.0.1, localhost, and a host private_ok names: api.internal:8080)',
    ]);
  });

  it.each([
    ['http://127.0.0.1:9000', '[]'],
    ['http://localhost:9000/api', '[]'],
    ['http://[::1]:9000', '[]'],
    ['http://api.internal:8080', '["api.internal:8080"]'],
    ['http://api.internal', '["api.internal"]'],
    ['http://10.0.0.5:8080/v1', '["10.0.0.5:8080"]'],
  ])('accepts http base URL %s with private_ok %s', (url, privateOk) => {
    expect(
      problems(`services:
  internal:
    proxy: { base_url: "${url}", credential: k, allow: ["GET /x"], private_ok: ${privateOk} }
`),
    ).toEqual([]);
  });

  it('refuses an http base URL whose host private_ok does not name', () => {
    expect(
      problems(`services:
  internal:
    proxy: { base_url: "http://api.internal:8080", credential: k, allow: ["GET /x"], private_ok: ["other.internal:8080"] }
`)[0],
    ).toContain('services.internal.proxy.base_url@3: credentials travel only over https');
  });

  it.each([
    ['https://user:pw@api.example.com', 'a base URL carries no user or password: the credential is a secret'],
    ['https://api.example.com/v1?key=1', 'a proxy base URL has no query or fragment'],
    ['https://api.example.com/v1#x', 'a proxy base URL has no query or fragment'],
  ])('refuses base URL %s', (url, message) => {
    expect(
      problems(`services:
  x:
    proxy: { base_url: "${url}", credential: k, allow: ["GET /x"] }
`),
    ).toEqual([`services.x.proxy.base_url@3: ${message}`]);
  });

  it.each(['github', 'stripe', 'notion'])('refuses a proxy service named like catalog service %s', (name) => {
    expect(
      problems(`services:
  ${name}:
    proxy: { base_url: "https://example.com", credential: k, allow: ["GET /x"] }
`),
    ).toEqual([
      `services.${name}@2: ${name} is a built-in service: name the proxy service otherwise (e.g. ${name}-raw), or use spec: builtin:${name}`,
    ]);
  });

  it.each([
    ['HTTP://Api.Internal', 'not an exact host'],
    ['api.internal:80', 'not an exact host'],
    ['http://api.internal', 'not an exact host'],
    ['api.internal/path', 'not an exact host'],
    ['*.internal', 'not an exact host'],
    ['user@api.internal', 'not an exact host'],
  ])('refuses private_ok entry %s', (entry, message) => {
    const found = problems(`services:
  x:
    proxy:
      base_url: https://example.com
      credential: k
      allow: ["GET /x"]
      private_ok: ["ok.internal:8443", "${entry}"]
`);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain('services.x.proxy.private_ok[1]@7: ');
    expect(found[0]).toContain(message);
  });

  it('refuses malformed routes in allow and in grants, each at its own line', () => {
    expect(
      problems(`services:
  openai:
    proxy:
      base_url: https://api.openai.com/v1
      credential: openai
      allow:
        - GET /models
        - get /files
agents:
  coder:
    proxy:
      openai:
        - GET /models
        - GET /models/../admin
`),
    ).toEqual([
      'services.openai.proxy.allow[1]@8: "get" is not a method: write it in upper case (GET, POST, …) or * for any',
      'agents.coder.proxy.openai[1]@14: the path "/models/../admin" has a .. segment',
    ]);
  });

  it('refuses a grant on a service that is not a proxy service', () => {
    expect(
      problems(`${OPENAI}  github: { spec: builtin:github, credential: github }
agents:
  coder:
    proxy:
      github: ["GET /repos/**"]
      linear: ["GET /issues"]
`),
    ).toEqual([
      'agents.coder.proxy.github@11: no proxy service named github (proxy services: openai)',
      'agents.coder.proxy.linear@12: no proxy service named linear (proxy services: openai)',
    ]);
  });

  it('refuses an agent route not covered by the service allow', () => {
    expect(
      problems(`${OPENAI}agents:
  coder:
    proxy:
      openai: ["GET /models", "POST /models", "GET /models/**", "DELETE /files/a", "GET /audio/speech"]
`),
    ).toEqual([
      "agents.coder.proxy.openai[1]@10: POST /models is not within any one route of openai's allow (GET /models, GET /models/*, POST /chat/completions, POST /responses, * /files/**)",
      "agents.coder.proxy.openai[2]@10: GET /models/** is not within any one route of openai's allow (GET /models, GET /models/*, POST /chat/completions, POST /responses, * /files/**)",
      "agents.coder.proxy.openai[4]@10: GET /audio/speech is not within any one route of openai's allow (GET /models, GET /models/*, POST /chat/completions, POST /responses, * /files/**)",
    ]);
  });

  it('accepts a rate limit on proxy:<service> for an agent with routes there, and refuses one without', () => {
    expect(
      problems(`${OPENAI}  github: { spec: builtin:github, credential: github }
agents:
  coder:
    proxy: { openai: ["GET /models"] }
    rate_limit: { calls: 100, per: 1h, tools: { "proxy:openai": { calls: 5, per: 1m } } }
  other:
    tools: [github_repo_get]
    rate_limit: { calls: 100, per: 1h, tools: { "proxy:openai": { calls: 5, per: 1m } } }
`),
    ).toEqual([
      'agents.other.rate_limit.tools.proxy:openai@14: other has no routes on openai (give it some under proxy:)',
    ]);
  });

  it('refuses a rate-limit key that is neither a tool pattern nor proxy:<service>', () => {
    const found = problems(`${OPENAI}agents:
  coder:
    proxy: { openai: ["GET /models"] }
    rate_limit: { calls: 100, per: 1h, tools: { "proxy:Open AI": { calls: 5, per: 1m } } }
`);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain('agents.coder.rate_limit.tools.proxy:Open AI@10: ');
  });
});

const CODER = `${OPENAI}  internal:
    proxy:
      base_url: http://127.0.0.1:9000
      credential: internal
      allow: ["GET /**", "POST /jobs", "DELETE /jobs/*", "PUT /jobs/*"]
      approval: { POST: never, DELETE: out-of-band }
agents:
  coder:
    proxy:
      openai: ["GET /models", "GET /models/*", "POST /chat/completions", "* /files/**"]
      internal: ["GET /**", "POST /jobs", "DELETE /jobs/*", "PUT /jobs/*"]
    rate_limit: { calls: 100, per: 1h, tools: { "proxy:openai": { calls: 5, per: 1m }, "*": { calls: 50, per: 1h } } }
  reader:
    tools: []
  empty:
`;

const coder: CallerIdentity = { agent: 'coder', tokenId: 't1', tools: null };

describe('decideProxy', () => {
  let engine: Engine;
  beforeAll(() => {
    engine = engineOf(CODER);
  });

  it.each([
    ['GET', '/models', 'never'],
    ['GET', '/models/gpt-4', 'never'],
    ['POST', '/chat/completions', 'required'],
    ['HEAD', '/files/abc', 'never'],
    ['DELETE', '/files/abc', 'required'],
    ['PATCH', '/files/abc', 'required'],
  ])('allows %s %s on openai under the default approval (%s)', (method, path, approval) => {
    expect(engine.decideProxy(coder, 'openai', method, path)).toEqual({ allowed: true, approval });
  });

  it.each([
    ['GET', '/anything', 'never'],
    ['POST', '/jobs', 'never'],
    ['DELETE', '/jobs/7', 'out-of-band'],
    ['PUT', '/jobs/7', 'required'],
  ])(
    'takes the approval mode of %s %s from the service map (%s), then its default',
    (method, path, approval) => {
      expect(engine.decideProxy(coder, 'internal', method, path)).toEqual({ allowed: true, approval });
    },
  );

  it('takes "*" from the service map before the built-in default, GET included', () => {
    const engine = engineOf(`services:
  x:
    proxy: { base_url: "https://x.example", credential: k, allow: ["* /**"], approval: { "*": required } }
agents:
  a: { proxy: { x: ["* /**"] } }
`);
    const a = { agent: 'a', tokenId: 't', tools: null };
    expect(engine.decideProxy(a, 'x', 'GET', '/y')).toEqual({ allowed: true, approval: 'required' });
  });

  it('denies a route outside the grant, naming the routes the agent has', () => {
    expect(engine.decideProxy(coder, 'openai', 'GET', '/v1/files')).toEqual({
      allowed: false,
      reason:
        "GET /v1/files is not among coder's routes for openai: GET /models, GET /models/*, POST /chat/completions, * /files/**",
    });
  });

  it.each([
    ['get', '/models'],
    ['POST', '/models'],
    ['GET', '/models/'],
    ['GET', '/models/a/b'],
    ['GET', '/chat/completions'],
    ['GET', '/Models'],
  ])('denies %s %s (method case, trailing slash and depth count)', (method, path) => {
    expect(engine.decideProxy(coder, 'openai', method, path).allowed).toBe(false);
  });

  it('says a lower-case method must be upper case', () => {
    expect(engine.decideProxy(coder, 'openai', 'get', '/models')).toEqual({
      allowed: false,
      reason: '"get" is not a method keygate proxies: write it in upper case (GET, POST, …)',
    });
  });

  it('denies an unknown service, naming the proxy services', () => {
    expect(engine.decideProxy(coder, 'linear', 'GET', '/issues')).toEqual({
      allowed: false,
      reason: 'no proxy service named linear (proxy services: openai, internal)',
    });
  });

  it('denies a catalog service through the proxy', () => {
    const engine = engineOf(`services:
  github: { spec: builtin:github, credential: github }
agents:
  coder: { tools: ["github_*"] }
`);
    expect(engine.proxyService('github')).toBeUndefined();
    expect(engine.decideProxy(coder, 'github', 'GET', '/repos/a/b')).toEqual({
      allowed: false,
      reason: 'no proxy service named github',
    });
  });

  it.each([
    [
      'reader',
      'reader has no routes on openai: an administrator grants them under agents.reader.proxy.openai in keygate.yaml',
    ],
    ['empty', 'agent empty has no policy: it may call nothing'],
    ['stranger', 'agent stranger has no policy: it may call nothing'],
    ['constructor', 'agent constructor has no policy: it may call nothing'],
  ])('denies agent %s by default', (agent, reason) => {
    expect(engine.decideProxy({ agent, tokenId: 't', tools: null }, 'openai', 'GET', '/models')).toEqual({
      allowed: false,
      reason,
    });
  });

  it.each(['__proto__', 'constructor', 'hasOwnProperty', 'toString'])(
    'finds no proxy service named %s',
    (name) => {
      expect(engine.proxyService(name)).toBeUndefined();
      expect(engine.decideProxy(coder, name, 'GET', '/').allowed).toBe(false);
    },
  );

  it.each([
    ['x', 'it must start with /'],
    ['/files/../admin', 'it has a .. segment'],
    ['/files/./a', 'it has a . segment'],
    ['/files//a', 'it has an empty segment (//)'],
    ['/files/%2e%2e/admin', 'it holds an encoded ., / or \\'],
    ['/files/a%2Fb', 'it holds an encoded ., / or \\'],
    ['/files/a%5cb', 'it holds an encoded ., / or \\'],
    ['/files/a\\b', 'it holds a control character, ?, # or \\'],
    ['/files/a?b', 'it holds a control character, ?, # or \\'],
    ['/files/a#b', 'it holds a control character, ?, # or \\'],
    ['/files/a\nb', 'it holds a control character, ?, # or \\'],
  ])('denies the path %j, which ** would otherwise absorb', (path, problem) => {
    expect(engine.decideProxy(coder, 'openai', 'GET', path)).toEqual({
      allowed: false,
      reason: `the path ${JSON.stringify(path)} is not one routes can judge: ${problem}`,
    });
  });

  it('still allows percent-escapes that change nothing structural under **', () => {
    expect(engine.decideProxy(coder, 'openai', 'GET', '/files/a%20b/c').allowed).toBe(true);
    expect(engine.decideProxy(coder, 'openai', 'GET', '/files/').allowed).toBe(true);
  });
});

describe('task-token narrowing', () => {
  let engine: Engine;
  beforeAll(() => {
    engine = engineOf(CODER);
  });
  const token = (tools: string[]): CallerIdentity => ({ agent: 'coder', tokenId: 't2', tools });

  it.each([
    [['github_*'], false],
    [['*'], false],
    [['proxy:internal'], false],
    [['proxy:openai'], true],
    [['proxy:*'], true],
    [['proxy:*', '!proxy:openai'], false],
  ])('a token narrowed to %j reaches openai: %s', (tools, allowed) => {
    expect(engine.decideProxy(token(tools), 'openai', 'GET', '/models').allowed).toBe(allowed);
    expect(Object.hasOwn(engine.proxyRoutesForCaller(token(tools)), 'openai')).toBe(allowed);
  });

  it('says the token, not the agent, is what leaves the service out', () => {
    expect(engine.decideProxy(token(['github_*']), 'openai', 'GET', '/models')).toEqual({
      allowed: false,
      reason: "proxy:openai is outside this task token's tools (github_*): ask for a token that covers it",
    });
  });

  it('never widens the grant: a token naming the service still gets only the agent routes', () => {
    expect(engine.decideProxy(token(['proxy:openai']), 'openai', 'POST', '/responses').allowed).toBe(false);
  });
});

describe('proxy routes, credentials and rate limits', () => {
  let engine: Engine;
  beforeAll(() => {
    engine = engineOf(CODER);
  });

  it('lists an agent routes by service, and none for an agent without grants', () => {
    expect(engine.proxyRoutesFor('coder')).toEqual({
      openai: ['GET /models', 'GET /models/*', 'POST /chat/completions', '* /files/**'],
      internal: ['GET /**', 'POST /jobs', 'DELETE /jobs/*', 'PUT /jobs/*'],
    });
    expect(engine.proxyRoutesFor('reader')).toEqual({});
    expect(engine.proxyRoutesFor('empty')).toEqual({});
    expect(engine.proxyRoutesFor('__proto__')).toEqual({});
  });

  it('answers credentialFor for proxy services, and baseUrlFor only for catalog ones', () => {
    expect(engine.credentialFor('openai')).toBe('openai');
    expect(engine.credentialFor('internal')).toBe('internal');
    expect(engine.baseUrlFor('openai')).toBeUndefined();
  });

  it('applies the agent limit, proxy:<service> and matching patterns under the name proxy:<service>', () => {
    expect(engine.rateLimitsFor('coder', 'proxy:openai')).toEqual([
      { key: 'agent:coder', calls: 100, windowMs: 3_600_000, label: '100 calls per 1h' },
      {
        key: 'agent:coder:tool:proxy:openai',
        calls: 5,
        windowMs: 60_000,
        label: '5 calls of proxy:openai per 1m',
      },
      { key: 'agent:coder:tool:*', calls: 50, windowMs: 3_600_000, label: '50 calls of * per 1h' },
    ]);
  });

  it('does not apply another service limit', () => {
    expect(engine.rateLimitsFor('coder', 'proxy:internal').map((rule) => rule.key)).toEqual([
      'agent:coder',
      'agent:coder:tool:*',
    ]);
  });

  it('has no limits for an agent without rate_limit', () => {
    expect(engine.rateLimitsFor('reader', 'proxy:openai')).toEqual([]);
  });
});

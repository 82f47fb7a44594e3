/**
 * Stage three of policy validation: small named rules checked against the catalog. Each returns
 * its problems as paths into the file; the loader adds lines.
 */
import { type Catalog, hasArgumentPath, type ToolDefinition } from '../catalog/index.js';
import { compileConstraintPattern } from './constraint-pattern.js';
import type { PolicyFile, ProxyServiceEntry } from './policy-schema.js';
import { parseRoute, routeCovers, routeProblem } from './proxy-route.js';
import { allowedBy, globMatches } from './tool-pattern.js';

export type Path = (string | number)[];
export type Rule = (policy: PolicyFile, catalog: Catalog) => { path: Path; message: string }[];

/** Tools of the services the policy configures. */
function configuredTools(policy: PolicyFile, catalog: Catalog): ToolDefinition[] {
  return catalog.tools.filter((tool) => {
    const service = policy.services[tool.service];
    return service !== undefined && 'spec' in service;
  });
}

/** The tools an agent's patterns allow. */
export function agentTools(patterns: readonly string[], tools: readonly ToolDefinition[]): ToolDefinition[] {
  return tools.filter((tool) => allowedBy(patterns, tool.name));
}

const servicesExist: Rule = (policy, catalog) =>
  Object.entries(policy.services).flatMap(([name, service]) => {
    if (!('spec' in service)) return [];
    const builtin = service.spec.slice('builtin:'.length);
    if (!catalog.services.has(builtin)) {
      return [
        {
          path: ['services', name, 'spec'],
          message: `no built-in spec ${builtin} (known: ${[...catalog.services.keys()].join(', ')})`,
        },
      ];
    }
    if (builtin !== name)
      return [
        { path: ['services', name], message: `a service using builtin:${builtin} must be named ${builtin}` },
      ];
    return [];
  });

/** The proxy services of the file, by name. */
function proxyServices(policy: PolicyFile): [string, ProxyServiceEntry][] {
  return Object.entries(policy.services).flatMap(([name, service]) =>
    'proxy' in service ? [[name, service.proxy] as [string, ProxyServiceEntry]] : [],
  );
}

/** The proxy service `name`, by own property. */
function proxyServiceNamed(policy: PolicyFile, name: string): ProxyServiceEntry | undefined {
  const service = Object.hasOwn(policy.services, name) ? policy.services[name] : undefined;
  return service && 'proxy' in service ? service.proxy : undefined;
}

const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '[::1]'];

const baseUrlsSafe: Rule = (policy) =>
  Object.entries(policy.services).flatMap(([name, service]) => {
    const url = 'spec' in service ? service.base_url : service.proxy.base_url;
    if (url === undefined) return [];
    const parsed = new URL(url);
    const loopback = LOOPBACK_HOSTS.includes(parsed.hostname);
    const path = ['services', name, ...('spec' in service ? ['base_url'] : ['proxy', 'base_url'])];
    if ('proxy' in service) {
      // The host of every proxied request comes from base_url alone: nothing else may hide in it.
      if (parsed.username !== '' || parsed.password !== '')
        return [{ path, message: 'a base URL carries no user or password: the credential is a secret' }];
      if (parsed.search !== '' || parsed.hash !== '' || url.includes('?') || url.includes('#'))
        return [{ path, message: 'a proxy base URL has no query or fragment' }];
    }
    if (parsed.protocol === 'https:' || (parsed.protocol === 'http:' && loopback)) return [];
    if (
      'proxy' in service &&
      parsed.protocol === 'http:' &&
      (service.proxy.private_ok.includes(parsed.host) || service.proxy.private_ok.includes(parsed.hostname))
    )
      return [];
    return [
      {
        path,
        message:
          'proxy' in service
            ? `credentials travel only over https (http is allowed for 127.0.0.1, localhost, and a host private_ok names: ${parsed.host})`
            : 'credentials travel only over https (http is allowed for 127.0.0.1 and localhost)',
      },
    ];
  });

/** A proxy service named like a catalog service would make `proxy:github` and `github_*` one service twice. */
const proxyNamesFree: Rule = (policy, catalog) =>
  proxyServices(policy).flatMap(([name]) =>
    catalog.services.has(name)
      ? [
          {
            path: ['services', name],
            message: `${name} is a built-in service: name the proxy service otherwise (e.g. ${name}-raw), or use spec: builtin:${name}`,
          },
        ]
      : [],
  );

/** `private_ok` holds exact host or host:port literals, as the SSRF guard compares them. */
const privateOkLiterals: Rule = (policy) =>
  proxyServices(policy).flatMap(([name, proxy]) =>
    proxy.private_ok.flatMap((entry, i) => {
      let host: string | undefined;
      try {
        host = new URL(`http://${entry}`).host;
      } catch {
        host = undefined;
      }
      // Lower case, no scheme, path, user, wildcard or default-port spelling: the literal as compared.
      return host === entry && !entry.includes('*')
        ? []
        : [
            {
              path: ['services', name, 'proxy', 'private_ok', i],
              message: `${JSON.stringify(entry)} is not an exact host or host:port (like internal.example:8080 or 10.0.0.5)`,
            },
          ];
    }),
  );

/** Every route, in `allow` and in agents' grants, is well formed (proxy-route.ts says the form). */
const proxyRoutesWellFormed: Rule = (policy) => [
  ...proxyServices(policy).flatMap(([name, proxy]) =>
    proxy.allow.flatMap((route, i) => {
      const problem = routeProblem(route);
      return problem ? [{ path: ['services', name, 'proxy', 'allow', i], message: problem }] : [];
    }),
  ),
  ...Object.entries(policy.agents).flatMap(([agent, rules]) =>
    Object.entries(rules?.proxy ?? {}).flatMap(([service, routes]) =>
      routes.flatMap((route, i) => {
        const problem = routeProblem(route);
        return problem ? [{ path: ['agents', agent, 'proxy', service, i], message: problem }] : [];
      }),
    ),
  ),
];

/** An agent's grant names a proxy service, and each of its routes lies within one of that service's `allow`. */
const proxyGrantsCovered: Rule = (policy) =>
  Object.entries(policy.agents).flatMap(([agent, rules]) =>
    Object.entries(rules?.proxy ?? {}).flatMap(([service, routes]) => {
      const proxy = proxyServiceNamed(policy, service);
      if (!proxy) {
        const names = proxyServices(policy).map(([name]) => name);
        return [
          {
            path: ['agents', agent, 'proxy', service],
            message: `no proxy service named ${service} (${names.length > 0 ? `proxy services: ${names.join(', ')}` : 'the file declares none: add one under services: with proxy:'})`,
          },
        ];
      }
      // Malformed routes are reported by proxyRoutesWellFormed; coverage is judged on the rest.
      const allow = proxy.allow.filter((route) => routeProblem(route) === undefined).map(parseRoute);
      return routes.flatMap((route, i) => {
        if (routeProblem(route) !== undefined) return [];
        const parsed = parseRoute(route);
        return allow.some((outer) => routeCovers(outer, parsed))
          ? []
          : [
              {
                path: ['agents', agent, 'proxy', service, i],
                message: `${route} is not within any one route of ${service}'s allow (${proxy.allow.join(', ')})`,
              },
            ];
      });
    }),
  );

const noUnknownTools: Rule = (policy, catalog) => {
  const tools = configuredTools(policy, catalog);
  return Object.entries(policy.agents).flatMap(([agent, rules]) =>
    (rules?.tools ?? []).flatMap((pattern, i) =>
      // An exclusion that matches nothing excludes nothing: harmless, and often written ahead.
      pattern.startsWith('!') || tools.some((tool) => globMatches(pattern, tool.name))
        ? []
        : [
            {
              path: ['agents', agent, 'tools', i],
              message: `${pattern} matches no tool of the configured services`,
            },
          ],
    ),
  );
};

const constraintTargetsExist: Rule = (policy, catalog) => {
  const tools = configuredTools(policy, catalog);
  return Object.entries(policy.agents).flatMap(([agent, rules]) => {
    const allowed = agentTools(rules?.tools ?? [], tools);
    return Object.entries(rules?.constraints ?? {}).flatMap(([pattern, args]) => {
      const matched = allowed.filter((tool) => globMatches(pattern, tool.name));
      if (matched.length === 0) {
        return [
          {
            path: ['agents', agent, 'constraints', pattern],
            message: `${pattern} matches none of ${agent}'s tools`,
          },
        ];
      }
      return Object.entries(args).flatMap(([arg]) =>
        matched.some((tool) => hasArgumentPath(tool, arg))
          ? []
          : [
              {
                path: ['agents', agent, 'constraints', pattern, arg],
                message: `no tool matching ${pattern} has an argument ${arg}`,
              },
            ],
      );
    });
  });
};

/** Constraints that can never be evaluated, whatever tools they apply to. */
const constraintsWellFormed: Rule = (policy) =>
  Object.entries(policy.agents).flatMap(([agent, rules]) =>
    Object.entries(rules?.constraints ?? {}).flatMap(([pattern, args]) =>
      Object.entries(args).flatMap(([arg, constraint]) => {
        if (typeof constraint !== 'object') return [];
        const path = ['agents', agent, 'constraints', pattern, arg];
        const out: { path: Path; message: string }[] = [];
        if (constraint.pattern !== undefined) {
          const compiled = compileConstraintPattern(constraint.pattern);
          if (!compiled.ok) out.push({ path: [...path, 'pattern'], message: compiled.message });
        }
        if (constraint.min !== undefined && constraint.max !== undefined && constraint.min > constraint.max) {
          out.push({ path, message: 'min is greater than max' });
        }
        return out;
      }),
    ),
  );

const overridesTargetTools: Rule = (policy, catalog) => {
  const tools = configuredTools(policy, catalog);
  return Object.entries(policy.agents).flatMap(([agent, rules]) => {
    const allowed = agentTools(rules?.tools ?? [], tools);
    // Proxied requests count under proxy:<service>, for each service the agent has routes on.
    const proxied = Object.keys(rules?.proxy ?? {}).map((service) => `proxy:${service}`);
    const check = (section: string, patterns: string[], names: readonly string[]) =>
      patterns.flatMap((pattern) =>
        allowed.some((tool) => globMatches(pattern, tool.name)) ||
        names.some((name) => globMatches(pattern, name))
          ? []
          : [
              {
                path: ['agents', agent, ...section.split('.'), pattern],
                message: pattern.startsWith('proxy:')
                  ? `${agent} has no routes on ${pattern.slice('proxy:'.length)} (give it some under proxy:)`
                  : `${pattern} matches none of ${agent}'s tools`,
              },
            ],
      );
    return [
      ...check('approval', Object.keys(rules?.approval ?? {}), []),
      ...check('rate_limit.tools', Object.keys(rules?.rate_limit?.tools ?? {}), proxied),
    ];
  });
};

/**
 * `policy.secret_scan` is another spelling of `defaults.secret_scan`: both may be written, but
 * not with different modes, since neither could then be said to win.
 */
const secretScanSetOnce: Rule = (policy) => {
  const alias = policy.policy?.secret_scan;
  const own = policy.defaults.secret_scan;
  if (alias === undefined || own === undefined || alias === own) return [];
  return [
    {
      path: ['policy', 'secret_scan'],
      message: `policy.secret_scan (${alias}) and defaults.secret_scan (${own}) are the same setting: write one, or give both the same mode`,
    },
  ];
};

/**
 * A budget's glob matches at least one of the agent's payment tools (tools with an amount
 * binding): a budget on nothing would look like a limit and limit nothing.
 */
const budgetsTargetTools: Rule = (policy, catalog) => {
  const tools = configuredTools(policy, catalog);
  return Object.entries(policy.agents).flatMap(([agent, rules]) => {
    const allowed = agentTools(rules?.tools ?? [], tools);
    return (rules?.budgets ?? []).flatMap((budget, i) => {
      const matched = allowed.filter((tool) => globMatches(budget.tools, tool.name));
      if (matched.length === 0)
        return [
          {
            path: ['agents', agent, 'budgets', i, 'tools'],
            message: `${budget.tools} matches none of ${agent}'s tools`,
          },
        ];
      if (!matched.some((tool) => tool.amount !== undefined))
        return [
          {
            path: ['agents', agent, 'budgets', i, 'tools'],
            message: `${budget.tools} matches no payment tool of ${agent}'s (${matched
              .slice(0, 3)
              .map((tool) => tool.name)
              .join(', ')}${matched.length > 3 ? ', …' : ''} move no money)`,
          },
        ];
      return [];
    });
  });
};

/** Rules on services alone, in the order their problems are reported. */
export const SERVICE_RULES: readonly Rule[] = [
  servicesExist,
  proxyNamesFree,
  baseUrlsSafe,
  privateOkLiterals,
];

/** Rules that need no catalog: on agents, and on the defaults they inherit. */
export const AGENT_RULES: readonly Rule[] = [constraintsWellFormed, proxyRoutesWellFormed, secretScanSetOnce];

/** Rules on agents against the configured services: their tools, and the proxy services' allow. */
export const AGENT_CATALOG_RULES: readonly Rule[] = [
  proxyGrantsCovered,
  noUnknownTools,
  constraintTargetsExist,
  overridesTargetTools,
  budgetsTargetTools,
];

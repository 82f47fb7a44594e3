/**
 * Stage three of policy validation: small named rules checked against the catalog. Each returns
 * its problems as paths into the file; the loader adds lines.
 */
import { type Catalog, hasArgumentPath, type ToolDefinition } from '../catalog/index.js';
import { compileConstraintPattern } from './constraint-pattern.js';
import type { PolicyFile } from './policy-schema.js';
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

const baseUrlsSafe: Rule = (policy) =>
  Object.entries(policy.services).flatMap(([name, service]) => {
    const url = 'spec' in service ? service.base_url : service.proxy.base_url;
    if (url === undefined) return [];
    const parsed = new URL(url);
    const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname);
    const path = ['services', name, ...('spec' in service ? ['base_url'] : ['proxy', 'base_url'])];
    if (parsed.protocol === 'https:' || (parsed.protocol === 'http:' && loopback)) return [];
    return [
      { path, message: 'credentials travel only over https (http is allowed for 127.0.0.1 and localhost)' },
    ];
  });

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
    const check = (section: string, patterns: string[]) =>
      patterns.flatMap((pattern) =>
        allowed.some((tool) => globMatches(pattern, tool.name))
          ? []
          : [
              {
                path: ['agents', agent, ...section.split('.'), pattern],
                message: `${pattern} matches none of ${agent}'s tools`,
              },
            ],
      );
    return [
      ...check('approval', Object.keys(rules?.approval ?? {})),
      ...check('rate_limit.tools', Object.keys(rules?.rate_limit?.tools ?? {})),
    ];
  });
};

/** Rules on services alone, in the order their problems are reported. */
export const SERVICE_RULES: readonly Rule[] = [servicesExist, baseUrlsSafe];

/** Rules on agents that need no catalog. */
export const AGENT_RULES: readonly Rule[] = [constraintsWellFormed];

/** Rules on agents against the tools of the configured services. */
export const AGENT_CATALOG_RULES: readonly Rule[] = [
  noUnknownTools,
  constraintTargetsExist,
  overridesTargetTools,
];

/**
 * Loading the policy file in stages: YAML → schema (zod, with defaults) → named rules checked
 * against the catalog → a frozen, versioned policy, or every problem with its path and line.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument } from 'yaml';
import type { Catalog, ToolDefinition } from '../catalog/index.js';
import { type PolicyFile, policySchema } from './policy-schema.js';
import { allowedBy, globMatches } from './tool-pattern.js';

/** A validated policy and its version (a hash of the file's content). */
export interface LoadedPolicy {
  readonly file: PolicyFile;
  readonly version: string;
  /** The text the version was computed from, kept with every version decisions were made under. */
  readonly text: string;
}

export interface PolicyProblem {
  /** Dotted path in the file, e.g. `agents.triage-bot.tools[2]`. */
  readonly path: string;
  readonly line?: number;
  readonly message: string;
}

export type PolicyResult = { ok: true; policy: LoadedPolicy } | { ok: false; problems: PolicyProblem[] };

type Path = (string | number)[];
type Rule = (policy: PolicyFile, catalog: Catalog) => { path: Path; message: string }[];

/** The policy's version: a content hash, recorded with every decision made under it. */
export function policyVersion(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 16);
}

/** Reads and validates `file`. */
export async function loadPolicyFile(file: string, catalog: Catalog): Promise<PolicyResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : 'cannot be read';
    return { ok: false, problems: [{ path: '(file)', message: `${file}: ${reason}` }] };
  }
  return parsePolicy(text, catalog);
}

/** Validates policy YAML text against the catalog. */
export function parsePolicy(text: string, catalog: Catalog): PolicyResult {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((error) => ({
        path: '(yaml)',
        line: error.linePos?.[0]?.line,
        message: (error.message.split('\n')[0] ?? 'invalid YAML').replace(/ at line \d+, column \d+:?$/, ''),
      })),
    };
  }
  const lineOf = (path: Path): number | undefined => {
    for (let depth = path.length; depth >= 0; depth--) {
      const node = doc.getIn(path.slice(0, depth), true) as { range?: [number, number, number] } | undefined;
      if (node && typeof node === 'object' && node.range) return lines.linePos(node.range[0]).line;
    }
    return undefined;
  };
  const problem = (path: Path, message: string): PolicyProblem => {
    const line = lineOf(path);
    return { path: formatPath(path), ...(line === undefined ? {} : { line }), message };
  };

  const raw = doc.toJS() ?? {};
  const parsed = policySchema.safeParse(raw);
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map((issue) => problem(issue.path as Path, issue.message)),
    };
  }
  const problems = RULES.flatMap((rule) => rule(parsed.data, catalog)).map((p) => problem(p.path, p.message));
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    policy: Object.freeze({ file: deepFreeze(parsed.data), version: policyVersion(text), text }),
  };
}

/** Formats problems one per line (`policy check`, the daemon's log), or joined by `separator`. */
export function formatProblems(problems: readonly PolicyProblem[], separator = '\n'): string {
  return problems
    .map((p) => `${p.path}${p.line === undefined ? '' : ` (line ${p.line})`}: ${p.message}`)
    .join(separator);
}

function formatPath(path: Path): string {
  return (
    path.reduce<string>(
      (out, part) => (typeof part === 'number' ? `${out}[${part}]` : out ? `${out}.${part}` : part),
      '',
    ) || '(root)'
  );
}

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
      return Object.entries(args).flatMap(([arg, constraint]) => {
        const path = ['agents', agent, 'constraints', pattern, arg];
        const out: { path: Path; message: string }[] = [];
        const top = arg.split('.')[0]!;
        if (!matched.some((tool) => Object.hasOwn(tool.inputSchema.properties as object, top))) {
          out.push({ path, message: `no tool matching ${pattern} has an argument ${top}` });
        }
        if (typeof constraint === 'object') {
          if (constraint.pattern !== undefined) {
            try {
              new RegExp(constraint.pattern);
            } catch {
              out.push({
                path: [...path, 'pattern'],
                message: `${constraint.pattern} is not a valid regular expression`,
              });
            }
          }
          if (
            constraint.min !== undefined &&
            constraint.max !== undefined &&
            constraint.min > constraint.max
          ) {
            out.push({ path, message: 'min is greater than max' });
          }
        }
        return out;
      });
    });
  });
};

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

/** The named rules, in the order their problems are reported. */
const RULES: readonly Rule[] = [
  servicesExist,
  baseUrlsSafe,
  noUnknownTools,
  constraintTargetsExist,
  overridesTargetTools,
];

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

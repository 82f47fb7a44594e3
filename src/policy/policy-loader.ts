/**
 * Loading the policy file in stages: YAML → schema (zod, with defaults) → named rules checked
 * against the catalog → a frozen, versioned policy, or every problem with its path and line.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { type Document, isMap, isNode, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Catalog } from '../catalog/index.js';
import { AGENT_CATALOG_RULES, AGENT_RULES, type Path, SERVICE_RULES } from './policy-rules.js';
import { type PolicyFile, policySchema } from './policy-schema.js';
import { schemaProblems } from './schema-issues.js';

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

export type PolicyResult =
  | { ok: true; policy: LoadedPolicy }
  | {
      ok: false;
      problems: PolicyProblem[];
      /** Checks that could not run because of earlier problems, each with why. */
      notChecked?: string[];
    };

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

/** Validates policy YAML text against the catalog, reporting every problem every stage can find. */
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
      notChecked: ['the schema and the rules against the catalog: the file is not valid YAML'],
    };
  }
  const problem = (path: Path, message: string): PolicyProblem => {
    const line = lineOf(doc, lines, path);
    return { path: formatPath(path), ...(line === undefined ? {} : { line }), message };
  };

  const raw: unknown = doc.toJS() ?? {};
  const parsed = policySchema.safeParse(raw, { reportInput: true });
  if (parsed.success) {
    const rules = [...SERVICE_RULES, ...AGENT_RULES, ...AGENT_CATALOG_RULES];
    const problems = rules
      .flatMap((rule) => rule(parsed.data, catalog))
      .map((p) => problem(p.path, p.message));
    if (problems.length > 0) return { ok: false, problems };
    return {
      ok: true,
      policy: Object.freeze({ file: deepFreeze(parsed.data), version: policyVersion(text), text }),
    };
  }
  // The rules still run on every part that passed the schema, so that a typo in one agent does
  // not hide another agent's unknown tool.
  const problems = schemaProblems(parsed.error.issues).map((p) => problem(p.path, p.message));
  const { rest, dropped } = passedParts(raw, parsed.error.issues);
  const reparsed = rest === undefined ? undefined : policySchema.safeParse(rest);
  if (!reparsed?.success) {
    return {
      ok: false,
      problems,
      notChecked: ['the rules against the catalog: the file does not match the schema'],
    };
  }
  const notChecked = dropped.map(
    (part) => `the rules against the catalog for ${part}: it does not match the schema`,
  );
  const rules = [...SERVICE_RULES, ...AGENT_RULES];
  if (dropped.some((part) => part.startsWith('services'))) {
    notChecked.push(
      "the agents' tools, constraints, overrides and proxy routes against the services: a service does not match the schema",
    );
  } else {
    rules.push(...AGENT_CATALOG_RULES);
  }
  problems.push(
    ...rules.flatMap((rule) => rule(reparsed.data, catalog)).map((p) => problem(p.path, p.message)),
  );
  return { ok: false, problems, notChecked };
}

/**
 * The file without the entries zod found problems in (a whole service, agent or `defaults`),
 * for the rules to run on; `rest` is undefined when the top level itself is wrong.
 */
function passedParts(
  raw: unknown,
  issues: readonly { path: PropertyKey[]; code: string; keys?: string[] }[],
): { rest?: Record<string, unknown>; dropped: string[] } {
  if (!isRecord(raw)) return { dropped: [] };
  const rest: Record<string, unknown> = { ...raw };
  const dropped = new Set<string>();
  for (const issue of issues) {
    const [section, entry] = issue.path;
    if (section === undefined) {
      if (issue.code !== 'unrecognized_keys') return { dropped: [] };
      for (const key of issue.keys ?? []) delete rest[key];
      continue;
    }
    if (typeof section !== 'string') return { dropped: [] };
    if (section === 'defaults') {
      delete rest.defaults; // no rule reads defaults: the defaults' own defaults stand in
    } else if (entry === undefined || !isRecord(rest[section])) {
      delete rest[section];
      dropped.add(section);
    } else {
      const part = { ...(rest[section] as Record<string, unknown>) };
      delete part[String(entry)];
      rest[section] = part;
      dropped.add(`${section}.${String(entry)}`);
    }
  }
  return { rest, dropped: [...dropped] };
}

/** The line of the key (or sequence item) `path` names, else of the nearest enclosing one. */
function lineOf(doc: Document, lines: LineCounter, path: Path): number | undefined {
  let node: unknown = doc.contents;
  let offset = isNode(node) ? node.range?.[0] : undefined;
  for (const part of path) {
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => String(isScalar(item.key) ? item.key.value : item.key) === String(part),
      );
      if (!pair) break;
      offset = (isNode(pair.key) ? pair.key.range?.[0] : undefined) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof part === 'number') {
      node = node.items[part];
      if (!isNode(node)) break;
      offset = node.range?.[0] ?? offset;
    } else {
      break;
    }
  }
  return offset === undefined ? undefined : lines.linePos(offset).line;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export { agentTools } from './policy-rules.js';

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

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

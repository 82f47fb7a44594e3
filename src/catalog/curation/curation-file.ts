/** The curation file (`specs/<service>.curation.yaml`): which upstream operations become tools. */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { KeygateError } from '../../errors/index.js';
import { LEAN_PAGING, LEAN_RULES, RISKS } from '../types.js';

const TOOL_NAME = /^[a-z0-9_]{1,48}$/;
/** Headers the server manages: never taken from the model, never fixed by a curation file. */
export const MANAGED_HEADERS = ['authorization', 'idempotency-key'];

const jsonSchema = z.record(z.string(), z.unknown());

const operationSchema = z
  .object({
    /** Upstream operationId, or `METHOD /path`. */
    op: z.string().min(1),
    tool: z.string().regex(TOOL_NAME, 'tool names match ^[a-z0-9_]{1,48}$'),
    risk: z.enum(RISKS as [string, ...string[]]),
    description: z.string().min(1).max(600),
    /** Former names that keep resolving to this tool. */
    aliases: z.array(z.string().regex(TOOL_NAME)).default([]),
    /** Allowlist of arguments (parameters and top-level body fields) kept; all when absent. */
    fields: z.array(z.string()).optional(),
    /** Replacement for the request body schema, where the upstream one is wrong. */
    body: jsonSchema.optional(),
    /** Per-field replacements or additions in the request body schema. */
    properties: z.record(z.string(), jsonSchema).optional(),
    /** Fixed headers for this operation only, over the service's (e.g. a newer API version). */
    headers: z.record(z.string(), z.string()).optional(),
    /** Per-parameter schema replacements. */
    parameters: z.record(z.string(), jsonSchema).optional(),
    /** Answers are projected by the service's `lean_results` profile (and the tool gets `full`). */
    lean: z.boolean().default(false),
  })
  .strict();

/** The service's projection profile: named rules, applied to every operation that says `lean: true`. */
const leanResultsSchema = z
  .object({
    rules: z.array(z.enum(LEAN_RULES)).min(1),
    paging: z.enum(LEAN_PAGING).optional(),
  })
  .strict();

const curationSchema = z
  .object({
    service: z.string().regex(/^[a-z][a-z0-9]{0,15}$/),
    title: z.string().min(1),
    /** Upstream file name in the upstream folder. */
    upstream: z.string().min(1),
    server: z.url(),
    headers: z.record(z.string(), z.string()).default({}),
    idempotency_key: z.boolean().default(false),
    /** Replacements for component schemas the upstream file gets wrong. */
    components: z.record(z.string(), jsonSchema).default({}),
    lean_results: leanResultsSchema.optional(),
    /**
     * Descriptions of arguments that many operations share (GitHub's `repo` parameter, Stripe's
     * `metadata` body field), replacing upstream's in each; an empty one drops it. One line here
     * instead of one per operation.
     */
    argument_descriptions: z.record(z.string(), z.string()).default({}),
    operations: z.array(operationSchema).min(1),
  })
  .strict();

export type CurationFile = z.infer<typeof curationSchema>;
export type CuratedOperation = z.infer<typeof operationSchema>;

/** Reads and validates a curation file; every problem is reported with its path. */
export async function loadCurationFile(file: string): Promise<CurationFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new KeygateError('catalog.curation_invalid', `cannot read curation file ${file}`, { cause });
  }
  return parseCuration(text, file);
}

/** Validates curation YAML text; exported for tests. */
export function parseCuration(text: string, source: string): CurationFile {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (cause) {
    throw new KeygateError('catalog.curation_invalid', `${source}: not valid YAML`, { cause });
  }
  const parsed = curationSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new KeygateError('catalog.curation_invalid', `${source}: ${lines.join('; ')}`);
  }
  const curation = parsed.data;
  const problems = [
    ...duplicates(
      curation.operations.flatMap((o) => [o.tool, ...o.aliases]),
      'tool name',
    ),
  ];
  problems.push(
    ...duplicates(
      curation.operations.map((o) => o.op),
      'operation',
    ),
  );
  for (const op of curation.operations) {
    if (!op.tool.startsWith(`${curation.service}_`))
      problems.push(`${op.tool}: must start with ${curation.service}_`);
    if (op.lean && !curation.lean_results) problems.push(`${op.tool}: lean needs a lean_results profile`);
  }
  const headerNames = [
    ...Object.keys(curation.headers),
    ...curation.operations.flatMap((o) => Object.keys(o.headers ?? {})),
  ];
  for (const header of headerNames) {
    if (MANAGED_HEADERS.includes(header.toLowerCase()))
      problems.push(`headers.${header}: managed by keygate`);
  }
  if (problems.length > 0)
    throw new KeygateError('catalog.curation_invalid', `${source}: ${problems.join('; ')}`);
  return curation;
}

function duplicates(values: string[], what: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const value of values) {
    if (seen.has(value)) out.push(`duplicate ${what} ${value}`);
    seen.add(value);
  }
  return out;
}

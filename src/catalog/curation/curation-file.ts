/** The curation file (`specs/<service>.curation.yaml`): which upstream operations become tools. */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { KeygateError } from '../../errors/index.js';
import { LEAN_PAGING, LEAN_RULES, REDIRECT_HOST_PATTERN, RISKS } from '../types.js';
import { responseContentSchema } from './response-content.js';

const TOOL_NAME = /^[a-z0-9_]{1,48}$/;
/** Headers the server manages: never taken from the model, never fixed by a curation file. */
export const MANAGED_HEADERS = ['authorization', 'idempotency-key'];

const jsonSchema = z.record(z.string(), z.unknown());

/** Media types a request body may have: JSON, a form, or (file uploads) multipart form data. */
export const BODY_CONTENT_TYPES = [
  'application/json',
  'application/x-www-form-urlencoded',
  'multipart/form-data',
] as const;

/**
 * An operation the upstream file lacks, written by keygate from the vendor's reference: the
 * OpenAPI pieces the upstream would have held. The curated spec marks it (`x-keygate-described`,
 * `x-keygate-source`) so that a reader sees keygate wrote it, not the vendor.
 */
const describedSchema = z
  .object({
    /** Where it was read: the reference page and the API version. */
    source: z.string().min(1).max(300),
    summary: z.string().min(1).max(120),
    /** An operationId for the curated spec; `METHOD_/path` when absent. */
    operation_id: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/)
      .optional(),
    /** OpenAPI parameter objects, path and query only (headers are keygate's business). */
    parameters: z
      .array(
        z
          .object({
            name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/),
            in: z.enum(['path', 'query']),
            required: z.boolean().default(false),
            description: z.string().min(1).optional(),
            schema: jsonSchema,
          })
          .strict(),
      )
      .default([]),
    request_body: z
      .object({
        content_type: z.enum(BODY_CONTENT_TYPES),
        required: z.boolean().default(false),
        schema: jsonSchema,
      })
      .strict()
      .optional(),
  })
  .strict();

const fieldName = z.string().regex(/^[a-z_][a-z0-9_]{0,63}$/, 'a field name');
const amountSchema = z.union([
  z.object({ unknown: z.string().min(1).max(300) }).strict(),
  z
    .object({
      from: fieldName.optional(),
      currency: fieldName.optional(),
      lookup: z
        .array(
          z
            .object({
              when: fieldName,
              tool: z.string().regex(TOOL_NAME),
              id: fieldName,
              amount: fieldName,
              minus: fieldName.optional(),
              currency: fieldName,
            })
            .strict(),
        )
        .optional(),
      settle: fieldName.optional(),
    })
    .strict()
    .refine(
      (a) => (a.from !== undefined && a.currency !== undefined) || (a.lookup?.length ?? 0) > 0,
      'needs from and currency, or a lookup for what they leave out',
    ),
]);

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
    /**
     * Hosts a GET of this operation may redirect to (an upstream's short-lived download link on
     * its storage): `name` or `*.name`, followed once, https only, without the credential.
     */
    redirect_hosts: z
      .array(
        z
          .string()
          .regex(REDIRECT_HOST_PATTERN, 'a lower-case host name, or *. and a name of two labels or more'),
      )
      .min(1)
      .optional(),
    /** Written by keygate from the vendor's reference: `op` is then `METHOD /path`, absent upstream. */
    described: describedSchema.optional(),
    /**
     * Where the amount a spend budget counts comes from (see src/catalog/amount-binding.ts); every
     * `payment` operation has one, `{ unknown: reason }` when it cannot be known before the call.
     */
    amount: amountSchema.optional(),
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
    /**
     * Untrusted-content labels: which answer fields are third-party text and which the service's
     * own, by field name, with per-tool overrides (response-content.ts checks it covers them all).
     */
    response_content: responseContentSchema.optional(),
  })
  .strict();

export type CurationFile = z.infer<typeof curationSchema>;
export type CuratedOperation = z.infer<typeof operationSchema>;
export type DescribedOperation = z.infer<typeof describedSchema>;

const DESCRIBED_OP = /^(GET|POST|PUT|PATCH|DELETE) (\/[A-Za-z0-9_.{}/-]*)$/;

/** `METHOD /path` of a described operation, or undefined when `op` is not of that form. */
export function describedTarget(op: string): { method: string; path: string } | undefined {
  const match = DESCRIBED_OP.exec(op);
  return match ? { method: match[1]!.toLowerCase(), path: match[2]! } : undefined;
}

/** What is wrong with a described operation, each problem prefixed with its tool name. */
function describedProblems(op: CuratedOperation): string[] {
  const described = op.described;
  if (!described) return [];
  const problems: string[] = [];
  const target = describedTarget(op.op);
  if (!target) return [`${op.tool}: a described operation's op is "METHOD /path", not ${op.op}`];
  const inPath = [...target.path.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]!);
  const declared = described.parameters.filter((p) => p.in === 'path');
  for (const name of inPath) {
    const parameter = declared.find((p) => p.name === name);
    if (!parameter) problems.push(`${op.tool}: path parameter {${name}} is not declared`);
    else if (!parameter.required) problems.push(`${op.tool}: path parameter ${name} must be required`);
  }
  for (const parameter of declared) {
    if (!inPath.includes(parameter.name))
      problems.push(`${op.tool}: path parameter ${parameter.name} is not in ${target.path}`);
  }
  const names = described.parameters.map((p) => p.name);
  problems.push(...duplicates(names, 'parameter').map((problem) => `${op.tool}: ${problem}`));
  const body = described.request_body;
  if (body) {
    if (['get', 'delete'].includes(target.method))
      problems.push(`${op.tool}: a ${target.method.toUpperCase()} request has no body`);
    if (body.schema.type !== 'object' || typeof body.schema.properties !== 'object')
      problems.push(`${op.tool}: request_body.schema must be an object schema with properties`);
  }
  if ((op.body || op.properties) && !body)
    problems.push(`${op.tool}: body and properties need a described request_body`);
  return problems;
}

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
    problems.push(...describedProblems(op));
    // A budget cannot count what it cannot read: a payment says where its amount comes from.
    if (op.risk === 'payment' && !op.amount)
      problems.push(
        `${op.tool}: a payment operation needs amount: (where its amount comes from, or { unknown: why })`,
      );
    if (op.amount && op.risk !== 'payment') problems.push(`${op.tool}: amount: is for payment operations`);
    const lookups = op.amount && 'lookup' in op.amount ? (op.amount.lookup ?? []) : [];
    for (const lookup of lookups) {
      const target = curation.operations.find((o) => o.tool === lookup.tool);
      if (target?.risk !== 'read')
        problems.push(`${op.tool}: amount lookup ${lookup.tool} is not a read tool of this curation`);
    }
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

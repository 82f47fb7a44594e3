/**
 * The policy file's shape (`keygate.yaml`), checked with zod. Stage one of validation: later
 * stages check it against the catalog (see policy-rules.ts).
 */
import { z } from 'zod';
import { isDuration } from '../config/index.js';

const duration = z.string().refine(isDuration, 'a duration like 30s, 5m, 1h or 2d, at most 3650d');
const toolPattern = z
  .string()
  .regex(/^!?[a-z0-9_*?]{1,64}$/, 'a tool name or glob (a-z 0-9 _ * ?), optionally starting with !');
const approvalMode = z.enum(['never', 'required', 'out-of-band']);
/** What the outbound secret scan does with a hit: refuse the call, ask a human, or not scan at all. */
const secretScanMode = z.enum(['refuse', 'approve', 'off']);
const scalar = z.union([z.string(), z.number(), z.boolean()]);

/** One argument constraint: a plain value means equals. */
export const constraintSchema = z.union([
  scalar,
  z
    .object({
      equals: scalar.optional(),
      oneOf: z.array(scalar).min(1).optional(),
      min: z.number().optional(),
      max: z.number().optional(),
      pattern: z.string().optional(),
      prefix: z.string().optional(),
    })
    .strict()
    .refine(
      (c) => Object.values(c).some((v) => v !== undefined),
      'name at least one of equals, oneOf, min, max, pattern, prefix',
    ),
]);

const rateLimit = z.object({ calls: z.number().int().positive(), per: duration }).strict();

const secretName = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'a secret name');

const specService = z
  .object({
    spec: z.string().regex(/^builtin:[a-z][a-z0-9]*$/, 'builtin:<service>'),
    credential: secretName,
    base_url: z.url().optional(),
  })
  .strict();

/** A proxy route, `"METHOD /path-glob"`; its form is checked by a named rule (proxy-route.ts). */
const route = z.string().min(1);
const serviceName = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'a service name (a-z 0-9 -)');
/** What a proxy service's approval map is when the file gives none: a non-GET is a write. */
export const DEFAULT_PROXY_APPROVAL = { GET: 'never', HEAD: 'never', '*': 'required' } as const;
/**
 * The same for a service signed for AWS: every method, GET too, since AWS's query protocol (STS,
 * IAM, EC2, SQS…) takes actions like TerminateInstances over `GET /?Action=…`.
 */
export const DEFAULT_AWS_PROXY_APPROVAL = { '*': 'required' } as const;

/**
 * Where an AWS service's requests are signed for (SigV4): the region and the signing name
 * (`s3`, `dynamodb`, `execute-api`, …). Set here, never taken from the client's Host.
 */
const awsTarget = z
  .object({
    region: z
      .string()
      .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'an AWS region, like us-east-1')
      .max(32),
    service: z
      .string()
      .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'an AWS signing name, like s3')
      .max(64),
  })
  .strict();

/**
 * A raw-HTTP proxy service. The secret's kind decides how the credential is injected (bearer,
 * basic, header, query), so the service names only the secret; a service with an `aws:` block
 * has its requests signed (the secret is then an aws-sigv4 one).
 */
const proxyService = z
  .object({
    proxy: z
      .object({
        base_url: z.url(),
        credential: secretName,
        allow: z.array(route).min(1),
        approval: z
          .record(
            z.string().regex(/^(\*|[A-Z][A-Z0-9_-]{0,19})$/, 'an HTTP method in upper case, or *'),
            approvalMode,
          )
          // Absent: DEFAULT_PROXY_APPROVAL, or DEFAULT_AWS_PROXY_APPROVAL with `aws:` (engine.ts).
          .optional(),
        // Exact host or host:port literals allowed to resolve to private addresses.
        private_ok: z.array(z.string().min(1).max(261)).default([]),
        aws: awsTarget.optional(),
      })
      .strict(),
  })
  .strict();

/** A rate-limit key: a tool pattern, or `proxy:<service>` for the requests proxied to a service. */
const rateLimitKey = z.union([
  toolPattern,
  z.string().regex(/^proxy:[a-z][a-z0-9-]{0,31}$/, 'proxy:<service>'),
]);

/** The periods a spend budget counts over: UTC calendar periods (ISO weeks, from Monday). */
export const BUDGET_PERIODS = ['call', 'day', 'week', 'month', 'all_time'] as const;

/**
 * A spend budget on the payment tools a glob matches, in minor units (cents). Without currency
 * it counts each currency on its own, against the same amount.
 */
const budget = z
  .object({
    tools: z.string().regex(/^[a-z0-9_*?]{1,64}$/, 'a tool name or glob (a-z 0-9 _ * ?)'),
    amount: z.number().int('an integer, in minor units (cents)').positive().max(Number.MAX_SAFE_INTEGER),
    currency: z
      .string()
      .regex(/^[a-z]{3}$/, 'an ISO 4217 code in lower case, like usd')
      .optional(),
    per: z.enum(BUDGET_PERIODS),
  })
  .strict();

const agent = z
  .object({
    tools: z.array(toolPattern).default([]),
    constraints: z.record(toolPattern, z.record(z.string(), constraintSchema)).default({}),
    approval: z.record(toolPattern, approvalMode).default({}),
    // Routes per proxy service ("METHOD /path-glob"), each within the service's allow.
    proxy: z.record(serviceName, z.array(route)).default({}),
    rate_limit: rateLimit
      .extend({ tools: z.record(rateLimitKey, rateLimit).optional() })
      .strict()
      .optional(),
    // Discovery mode: three meta-tools (search, describe, call) instead of the agent's own in
    // tools/list; `auto` turns it on past DISCOVERY_AUTO_TOOLS allowed tools.
    discovery: z.union([z.boolean(), z.literal('auto')]).default('auto'),
    // Overrides defaults.secret_scan for this agent.
    secret_scan: secretScanMode.optional(),
    // Spend budgets on payment tools (src/budgets/); every rule whose tools match a call applies.
    budgets: z.array(budget).default([]),
  })
  .strict();

export const policySchema = z
  .object({
    services: z.record(serviceName, z.union([specService, proxyService])).default({}),
    defaults: z
      .object({
        approval: z
          .object({
            read: approvalMode.default('never'),
            write: approvalMode.default('required'),
            destructive: approvalMode.default('required'),
            // A payment is approved by an administrator, never through the agent's own client.
            payment: approvalMode.default('out-of-band'),
          })
          .strict()
          .default({ read: 'never', write: 'required', destructive: 'required', payment: 'out-of-band' }),
        approval_timeout: duration.default('5m'),
        // How long one tools/call request is held open waiting for an out-of-band decision;
        // under the 300 s after which Claude gives up on a request.
        approval_wait: duration.default('4m'),
        // No default here: `policy.secret_scan` may set it instead (see SECRET_SCAN_DEFAULT).
        secret_scan: secretScanMode.optional(),
      })
      .strict()
      .default({
        approval: { read: 'never', write: 'required', destructive: 'required', payment: 'out-of-band' },
        approval_timeout: '5m',
        approval_wait: '4m',
      }),
    // Issue #16's spelling of defaults.secret_scan, accepted as its alias.
    policy: z.object({ secret_scan: secretScanMode.optional() }).strict().optional(),
    agents: z
      .record(z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'an agent name (a-z 0-9 _ -)'), agent.nullable())
      .default({}),
  })
  .strict();

export type PolicyFile = z.infer<typeof policySchema>;
export type AgentPolicy = z.infer<typeof agent>;
export type Constraint = z.infer<typeof constraintSchema>;
export type ApprovalMode = z.infer<typeof approvalMode>;
export type SecretScanMode = z.infer<typeof secretScanMode>;
/** The scan mode when neither `defaults.secret_scan`, `policy.secret_scan` nor the agent sets one. */
export const SECRET_SCAN_DEFAULT: SecretScanMode = 'refuse';
export type BudgetRule = z.infer<typeof budget>;
export type BudgetPeriod = (typeof BUDGET_PERIODS)[number];
export type ProxyServiceEntry = z.infer<typeof proxyService>['proxy'];

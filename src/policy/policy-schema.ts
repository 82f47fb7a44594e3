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

const specService = z
  .object({
    spec: z.string().regex(/^builtin:[a-z][a-z0-9]*$/, 'builtin:<service>'),
    credential: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'a secret name'),
    base_url: z.url().optional(),
  })
  .strict();

const proxyService = z
  .object({
    proxy: z
      .object({
        base_url: z.url(),
        credential: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/),
        inject: z
          .object({
            header: z.string().optional(),
            query: z.string().optional(),
            format: z.string().optional(),
          })
          .strict(),
        allow: z.array(z.string().regex(/^[A-Z]+ \/\S*$/, '"METHOD /path" with optional * globs')).min(1),
      })
      .strict(),
  })
  .strict();

const agent = z
  .object({
    tools: z.array(toolPattern).default([]),
    constraints: z.record(toolPattern, z.record(z.string(), constraintSchema)).default({}),
    approval: z.record(toolPattern, approvalMode).default({}),
    rate_limit: rateLimit
      .extend({ tools: z.record(toolPattern, rateLimit).optional() })
      .strict()
      .optional(),
  })
  .strict();

export const policySchema = z
  .object({
    services: z
      .record(
        z.string().regex(/^[a-z][a-z0-9]{0,15}$/, 'a service name (a-z 0-9)'),
        z.union([specService, proxyService]),
      )
      .default({}),
    defaults: z
      .object({
        approval: z
          .object({
            read: approvalMode.default('never'),
            write: approvalMode.default('required'),
            destructive: approvalMode.default('required'),
            payment: approvalMode.default('required'),
          })
          .strict()
          .default({ read: 'never', write: 'required', destructive: 'required', payment: 'required' }),
        approval_timeout: duration.default('5m'),
        // How long one tools/call request is held open waiting for an out-of-band decision;
        // under the 300 s after which Claude gives up on a request.
        approval_wait: duration.default('4m'),
      })
      .strict()
      .default({
        approval: { read: 'never', write: 'required', destructive: 'required', payment: 'required' },
        approval_timeout: '5m',
        approval_wait: '4m',
      }),
    agents: z
      .record(z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'an agent name (a-z 0-9 _ -)'), agent.nullable())
      .default({}),
  })
  .strict();

export type PolicyFile = z.infer<typeof policySchema>;
export type AgentPolicy = z.infer<typeof agent>;
export type Constraint = z.infer<typeof constraintSchema>;
export type ApprovalMode = z.infer<typeof approvalMode>;

/**
 * The call pipeline, in the one order DESIGN.md fixes: validate → policy → rate limit →
 * approval → audit intent (committed) → execute → audit outcome. Every decision is a row; if
 * the intent row cannot be written, nothing is sent.
 */
import { randomUUID } from 'node:crypto';
import type { ApprovalGate, CallExchange } from '../approvals/index.js';
import { type AuditLog, argsHash, redactArguments } from '../audit/index.js';
import type { Catalog, ToolDefinition } from '../catalog/index.js';
import { isKeygateError, KeygateError } from '../errors/index.js';
import { type Executor, Scrubber } from '../executor/index.js';
import type { CallerIdentity, PolicyEngine, RateLimiter } from '../policy/index.js';
import { inputRequiredResult } from './approval-questions.js';
import { type ToolResult, toolErrorResult, toolSuccessResult } from './tool-result.js';
import type { ToolHandlers } from './tool-server.js';

export interface PipelineDeps {
  readonly catalog: Catalog;
  /** The policy in force now (it may be reloaded between calls). */
  readonly policy: () => PolicyEngine;
  readonly rateLimiter: RateLimiter;
  readonly audit: AuditLog;
  readonly executor: Executor;
  /** Where calls that need a human's approval wait for one. */
  readonly approvals: ApprovalGate;
}

/** A request that cannot be asked anything: only out-of-band approval reaches its human. */
export const PLAIN_EXCHANGE: CallExchange = { client: { form: false, url: false } };

/** The tool handlers one authenticated caller gets. */
export function agentToolHandlers(deps: PipelineDeps, caller: CallerIdentity): ToolHandlers {
  return {
    list: () => deps.policy().toolsFor(caller),
    call: (name, args, exchange) => runToolCall(deps, caller, name, args, exchange),
  };
}

/** Runs one tools/call for `caller`; `undefined` when `name` is no tool at all. */
export async function runToolCall(
  deps: PipelineDeps,
  caller: CallerIdentity,
  name: string,
  rawArgs: Record<string, unknown>,
  exchange: CallExchange = PLAIN_EXCHANGE,
): Promise<ToolResult | undefined> {
  const policy = deps.policy();
  const tool = deps.catalog.find(name);
  const base = {
    agent: caller.agent,
    tokenId: caller.tokenId,
    tool: tool?.name ?? name,
    policyVersion: policy.version,
  };
  const deny = async (error: KeygateError, decision: 'denied' | 'rate_limited', args?: unknown) => {
    await deps.audit.record({
      ...base,
      decision,
      reason: error.message,
      ...(args === undefined ? {} : { argsRedacted: redactArguments(tool, args), argsHash: argsHash(args) }),
    });
    return toolErrorResult(error);
  };

  try {
    if (!tool) {
      await deps.audit.record({ ...base, decision: 'denied', reason: 'unknown tool' });
      return undefined;
    }
    let args: Record<string, unknown>;
    try {
      args = deps.executor.validate(tool, rawArgs);
    } catch (error) {
      if (!isKeygateError(error)) throw error;
      return await deny(error, 'denied');
    }
    const decision = policy.decide(caller, tool, args);
    if (!decision.allowed)
      return await deny(new KeygateError('policy.denied', decision.reason), 'denied', args);

    const rate = await deps.rateLimiter.hit(policy.rateLimitsFor(caller.agent, tool));
    if (!rate.allowed) {
      const seconds = Math.ceil(rate.retryAfterMs / 1000);
      const error = new KeygateError(
        'policy.rate_limited',
        `rate limit reached (${rate.rule?.label}); retry in ${seconds}s`,
        {
          details: { retryAfterMs: rate.retryAfterMs },
        },
      );
      return await deny(error, 'rate_limited', args);
    }
    if (decision.approval !== 'never') {
      const outcome = await deps.approvals.pass(
        {
          ...base,
          definition: tool,
          args,
          argsHash: argsHash(args),
          argsRedacted: redactArguments(tool, args),
          mode: decision.approval,
          timeoutMs: policy.approvalTimeoutMs,
          waitMs: policy.approvalWaitMs,
        },
        exchange,
      );
      if (outcome.kind === 'ask') return inputRequiredResult(outcome.result);
      if (outcome.kind === 'stop') return toolErrorResult(outcome.error);
      // The stored arguments run, under the approval's id (Stripe's Idempotency-Key derives from it).
      return await execute(deps, base, tool, outcome.approval.args, outcome.approval.id);
    }
    return await execute(deps, base, tool, args);
  } catch (error) {
    return toolErrorResult(error);
  }
}

async function execute(
  deps: PipelineDeps,
  base: { agent: string; tokenId: string; tool: string; policyVersion: string },
  tool: ToolDefinition,
  args: Record<string, unknown>,
  approvalId?: string,
): Promise<ToolResult> {
  const recorded = {
    ...base,
    argsRedacted: redactArguments(tool, args),
    argsHash: argsHash(args),
    ...(approvalId ? { approvalId } : {}),
  };
  // Fail closed: without a committed intent row, nothing leaves.
  await deps.audit.record({ ...recorded, decision: 'allowed' });
  const started = performance.now();
  // Whatever goes back to the agent is scrubbed last, with the secrets this call used.
  let scrubber = Scrubber.NONE;
  try {
    const result = await deps.executor.call(tool, args, {
      agent: base.agent,
      callId: approvalId ?? randomUUID(),
      onScrubber: (used) => {
        scrubber = used;
      },
    });
    recordOutcome(
      deps,
      { ...recorded, decision: 'completed', upstreamStatus: result.status, bytes: result.bytes },
      started,
    );
    return toolSuccessResult(result, scrubber);
  } catch (error) {
    const status = isKeygateError(error) ? (error.details.status as number | undefined) : undefined;
    const reason = isKeygateError(error) ? error.code : 'internal';
    recordOutcome(
      deps,
      { ...recorded, decision: 'failed', reason, ...(status ? { upstreamStatus: status } : {}) },
      started,
    );
    return toolErrorResult(error, scrubber);
  }
}

/**
 * The outcome row is queued at once (so it follows its intent row in the chain) and committed
 * with the next flush, at most a few milliseconds later; the result does not wait for it. The call already happened: a failure to
 * write the row is reported, never hidden behind the result. `AuditLog.drain` commits what is
 * queued before the daemon stops.
 */
function recordOutcome(deps: PipelineDeps, event: Parameters<AuditLog['record']>[0], started: number): void {
  deps.audit.recordLater({ ...event, latencyMs: performance.now() - started }).catch(() => {
    process.stderr.write(`keygate: could not write the outcome row of a ${event.tool} call\n`);
  });
}

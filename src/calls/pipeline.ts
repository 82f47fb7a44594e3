/**
 * The call pipeline, in the one order DESIGN.md fixes: validate → policy → rate limit →
 * approval → audit intent (committed) → execute → audit outcome. Every decision is a row; if
 * the intent row cannot be written, nothing is sent. What a call is (its name, identity, policy
 * input and executor step) comes from its `CallKind`; what the outcome looks like to a client is
 * the protocol adapter's business (`src/mcp/tool-result.ts`).
 */
import { randomUUID } from 'node:crypto';
import type { CallExchange } from '../approvals/index.js';
import type { AuditLog } from '../audit/index.js';
import { NO_SPEND, type Spend, startSpend } from '../budgets/index.js';
import { isKeygateError, KeygateError } from '../errors/index.js';
import { type CredentialUse, Scrubber } from '../executor/index.js';
import { checkOutbound, type ScanHit } from '../guard/index.js';
import type { CallerIdentity, PolicyEngine, RateVerdict } from '../policy/index.js';
import { approvalInSpan, decideInSpan } from '../telemetry/index.js';
import type { Call, CallKind, CallOutcome, CallRequest, PipelineDeps } from './call.js';
import type { ArgumentsIdentity } from './call-identity.js';
import { observeCall, riskOf } from './call-telemetry.js';
import { httpCalls } from './http-call.js';
import { toolCalls } from './tool-call.js';

/** A request that cannot be asked anything: only out-of-band approval reaches its human. */
export const PLAIN_EXCHANGE: CallExchange = { client: { form: false, url: false } };

/** Why a budgeted call whose hold expired or was given back while it waited does not go. */

/** What every audit row of one call shares. */
interface AuditBase {
  readonly agent: string;
  readonly tokenId: string;
  readonly tool: string;
  /** A proxied request's `METHOD /path`. */
  readonly route?: string;
  readonly policyVersion: string;
}

/** Runs one call for `caller` through every step, whatever kind of call it is. */
export function runCall(
  deps: PipelineDeps,
  caller: CallerIdentity,
  request: CallRequest,
  exchange: CallExchange = PLAIN_EXCHANGE,
): Promise<CallOutcome> {
  return observeCall(deps, caller, request, () => {
    switch (request.kind) {
      case 'tool':
        return run(toolCalls, deps, caller, request, exchange);
      case 'http':
        return run(httpCalls, deps, caller, request, exchange);
    }
  });
}

async function run<R extends CallRequest, C extends Call>(
  kind: CallKind<R, C>,
  deps: PipelineDeps,
  caller: CallerIdentity,
  request: R,
  exchange: CallExchange,
): Promise<CallOutcome> {
  const policy = deps.policy();
  let base: AuditBase = {
    agent: caller.agent,
    tokenId: caller.tokenId,
    tool: kind.nameOf(request),
    policyVersion: policy.version,
  };
  let spend: Spend = NO_SPEND;
  try {
    const found = kind.resolve(deps, request);
    base = { ...base, tool: found.name };
    if (found.kind === 'unknown') {
      await deps.audit.record({ ...base, decision: 'denied', reason: found.reason });
      return { kind: 'unknown' };
    }
    if (found.kind === 'invalid') {
      const outOfReach = kind.outOfReach?.(deps, policy, caller, found.name);
      return await refuse(
        deps,
        base,
        outOfReach ? new KeygateError('policy.denied', outOfReach) : found.error,
        'denied',
      );
    }
    const { call } = found;
    if (found.route) base = { ...base, route: found.route };
    // What rows and approvers see of the arguments never holds a vault secret, whatever follows.
    const identity = await recordable(deps, kind.identify(call));
    const decision = decideInSpan(riskOf(call), () => kind.decide(policy, caller, call));
    if (!decision.allowed)
      return await refuse(deps, base, new KeygateError('policy.denied', decision.reason), 'denied', identity);

    const rate = await deps.rateLimiter.hit(kind.rateLimits(policy, caller, call));
    if (!rate.allowed) return await refuse(deps, base, rateLimitedError(rate), 'rate_limited', identity);
    // Nothing the scan found is ever recorded: the rows and the approval keep its redacted form.
    const out = kind.outbound(call);
    const scan = await checkOutbound(
      deps.secretScan,
      policy.secretScanFor(caller.agent),
      out,
      policy.credentialFor(out.destination),
    );
    if (scan.kind === 'refuse')
      return await refuse(deps, base, scan.error, 'denied', scannedIdentity(identity, scan.hit));
    // A hit under `approve` goes to an administrator, never to a form the agent's own client
    // answers: an agent turned by injected text could approve its own exfiltration.
    const approval = scan.kind === 'approve' ? 'out-of-band' : decision.approval;
    // Spend budgets reserve before the approval: a human never approves what a budget refuses.
    const budget = await startSpend(deps.budgets, {
      policy,
      agent: caller.agent,
      ...kind.approvalSubject(call),
      argsHash: identity.argsHash,
      approval,
    });
    if (!budget.ok)
      return await refuse(
        deps,
        base,
        budget.error,
        'denied',
        scan.kind === 'approve' ? scannedIdentity(identity, scan.hit) : identity,
      );
    spend = budget.spend;
    if (approval !== 'never') {
      const gated = {
        ...base,
        ...kind.approvalSubject(call),
        ...(scan.kind === 'approve' ? scannedIdentity(identity, scan.hit) : identity),
        mode: approval,
        timeoutMs: policy.approvalTimeoutMs,
        waitMs: policy.approvalWaitMs,
        ...(scan.kind === 'approve' ? { notice: scan.notice } : {}),
      };
      const outcome = await approvalInSpan(() => deps.approvals.pass(gated, exchange));
      if (outcome.kind === 'ask') return outcome;
      if (outcome.kind === 'stop') {
        await spend.stopped(outcome.error);
        return failed(outcome.error);
      }
      // The stored arguments run, under the approval's id (Stripe's Idempotency-Key derives from it).
      const approved = kind.approved(call, outcome.approval.args);
      const approvedIdentity = await recordable(deps, kind.identify(approved));
      return await execute(
        kind,
        deps,
        base,
        approved,
        scan.kind === 'approve' ? scannedIdentity(approvedIdentity, scan.hit) : approvedIdentity,
        { policy, caller, spend, approvalId: outcome.approval.id },
      );
    }
    return await execute(kind, deps, base, call, identity, { policy, caller, spend });
  } catch (error) {
    await spend.abandoned().catch(() => undefined);
    // A fault of keygate's own (a KeygateError is a decision, already audited where it was made)
    // still leaves a row: every call that reached the pipeline is accounted for.
    if (!isKeygateError(error))
      deps.audit.recordLater({ ...base, decision: 'failed', reason: 'internal' }).catch(() => undefined);
    return failed(error);
  }
}

/** The identity with every vault secret taken out of its redacted arguments. */
async function recordable(deps: PipelineDeps, identity: ArgumentsIdentity): Promise<ArgumentsIdentity> {
  return { ...identity, argsRedacted: await deps.secretScan.recordable(identity.argsRedacted) };
}

/** The identity with the scan's hits (and every vault secret) taken out of the redacted arguments. */
function scannedIdentity(identity: ArgumentsIdentity, hit: ScanHit): ArgumentsIdentity {
  return { ...identity, argsRedacted: hit.redact(identity.argsRedacted) };
}

/** The refusal of a call over a rate limit, saying when to retry. */
export function rateLimitedError(rate: RateVerdict): KeygateError {
  const seconds = Math.ceil(rate.retryAfterMs / 1000);
  return new KeygateError(
    'policy.rate_limited',
    `rate limit reached (${rate.rule?.label}); retry in ${seconds}s`,
    {
      details: { retryAfterMs: rate.retryAfterMs },
    },
  );
}

function failed(error: unknown, scrubber: Scrubber = Scrubber.NONE): CallOutcome {
  return { kind: 'failed', error, scrubber };
}

/** Audits a refusal (with the arguments' identity once they are valid) and returns it. */
async function refuse(
  deps: PipelineDeps,
  base: AuditBase,
  error: KeygateError,
  decision: 'denied' | 'rate_limited',
  identity?: ArgumentsIdentity,
): Promise<CallOutcome> {
  await deps.audit.record({ ...base, decision, reason: error.message, ...identity });
  return failed(error);
}

async function execute<R extends CallRequest, C extends Call>(
  kind: CallKind<R, C>,
  deps: PipelineDeps,
  base: AuditBase,
  call: C,
  identity: ArgumentsIdentity,
  decided: { policy: PolicyEngine; caller: CallerIdentity; spend: Spend; approvalId?: string },
): Promise<CallOutcome> {
  const { approvalId, spend } = decided;
  const recorded = { ...base, ...identity, ...(approvalId ? { approvalId } : {}) };
  const unclaimed = await spend.claim();
  if (unclaimed)
    return await refuse(
      deps,
      base,
      new KeygateError('policy.budget_unavailable', unclaimed),
      'denied',
      identity,
    );
  // Fail closed: without a committed intent row, nothing leaves.
  await deps.audit.record({ ...recorded, decision: 'allowed' });
  const started = performance.now();
  // Whatever goes back to the agent is scrubbed last, with the secrets this call used.
  let scrubber = Scrubber.NONE;
  // The outcome row says which kind of credential the call used, narrowed to what.
  let credential: CredentialUse | undefined;
  const outcomeOf = () => ({ ...recorded, ...(credential ? { credential } : {}) });
  try {
    const result = await kind.execute(deps, call, {
      agent: base.agent,
      callId: approvalId ?? randomUUID(),
      onScrubber: (used) => {
        scrubber = used;
      },
      onCredentialUse: (use) => {
        credential = use;
      },
      // A minted credential is narrowed under the policy that decided this call, to its caller.
      credentialScope: (service) => decided.policy.credentialScope(decided.caller, service),
    });
    if (result.stream) {
      // A streamed answer is over when its body has passed: only then are its bytes known.
      void result.stream.finished.then(({ bytes, truncated, reason }) =>
        recordOutcome(
          deps,
          truncated
            ? {
                ...outcomeOf(),
                decision: 'failed',
                reason: reason ?? 'upstream.error',
                upstreamStatus: result.status,
                bytes,
              }
            : { ...outcomeOf(), decision: 'completed', upstreamStatus: result.status, bytes },
          started,
        ),
      );
    } else {
      recordOutcome(
        deps,
        { ...outcomeOf(), decision: 'completed', upstreamStatus: result.status, bytes: result.bytes },
        started,
      );
      // The call happened: a hold that cannot be settled stays counted at its reserved amount.
      await spend.done(result).catch(() => undefined);
    }
    return { kind: 'done', result, scrubber };
  } catch (error) {
    const status = isKeygateError(error) ? (error.details.status as number | undefined) : undefined;
    const reason = isKeygateError(error) ? error.code : 'internal';
    await spend.failed(error).catch(() => undefined);
    recordOutcome(
      deps,
      { ...outcomeOf(), decision: 'failed', reason, ...(status ? { upstreamStatus: status } : {}) },
      started,
    );
    return failed(error, scrubber);
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

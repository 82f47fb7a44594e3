/**
 * The budget step of the call pipeline, between the rate limit and the approval: a payment call
 * that counts against a spend budget reserves its amount first (so a human is never asked to
 * approve what the budget would refuse), and the returned `Spend` carries the hold through the
 * rest of the call: released when the call is denied, not approved, or fails before the upstream
 * acts; settled with the amount the upstream says moved. Fail closed: a budgeted call whose
 * amount cannot be read, or whose budget cannot be checked, is refused.
 */
import type { ToolDefinition } from '../catalog/index.js';
import { isKeygateError, KeygateError } from '../errors/index.js';
import type { CallResult } from '../executor/index.js';
import type { ApprovalMode, PolicyEngine } from '../policy/index.js';
import { type AmountSources, resolveAmount, settledAmount } from './amount-resolver.js';
import type { BudgetLedger, Hold } from './budget-ledger.js';
import { budgetsFor } from './budget-rules.js';

/** Margin over the approval timeout before an unsettled hold stops counting (the call's own time upstream). */
export const HOLD_MARGIN_MS = 5 * 60_000;

/** What the pipeline needs for budgets: where holds live and how amounts are read. */
export interface BudgetDeps {
  readonly ledger: BudgetLedger;
  readonly sources: AmountSources;
}

/** One call as the budget step sees it. */
export interface SpendRequest {
  readonly policy: PolicyEngine;
  readonly agent: string;
  readonly definition: ToolDefinition;
  readonly args: Readonly<Record<string, unknown>>;
  readonly argsHash: string;
  readonly approval: ApprovalMode;
}

/** A call's hold as it moves through the pipeline; every method is a no-op for an unbudgeted call. */
export interface Spend {
  /** The approval stopped the call: the hold goes back unless the approval is still pending. */
  stopped(error: KeygateError): Promise<void>;
  /** The call is about to go upstream: why it must not go (its hold is gone, or too small now), else undefined. */
  claim(): Promise<string | undefined>;
  /** The upstream answered with success: what moved is counted. */
  done(result: CallResult): Promise<void>;
  /** The call failed after being claimed: given back unless the upstream may have acted. */
  failed(error: unknown): Promise<void>;
  /** keygate failed before the call was claimed: the hold goes back. */
  abandoned(): Promise<void>;
}

export type SpendStart =
  | { readonly ok: true; readonly spend: Spend }
  | { readonly ok: false; readonly error: KeygateError };

/** A call no budget counts. */
export const NO_SPEND: Spend = {
  stopped: async () => undefined,
  claim: async () => undefined,
  done: async () => undefined,
  failed: async () => undefined,
  abandoned: async () => undefined,
};

/** Reserves the call's amount against every budget it counts against, or says why it may not run. */
export async function startSpend(deps: BudgetDeps | undefined, request: SpendRequest): Promise<SpendStart> {
  const budgets = budgetsFor(request.policy, request.agent, request.definition);
  if (budgets.length === 0) return { ok: true, spend: NO_SPEND };
  const tool = request.definition.name;
  const refused = (
    message: string,
    code: 'policy.over_budget' | 'policy.budget_unavailable',
    details = {},
  ) => ({
    ok: false as const,
    error: new KeygateError(code, message, { details }),
  });
  if (!deps)
    return refused(
      `${tool} is budgeted and budgets cannot be checked here: the call was not made`,
      'policy.budget_unavailable',
    );
  try {
    const amount = await resolveAmount(deps.sources, request.agent, request.definition, request.args);
    if (!amount.known)
      return refused(
        `${tool} counts against a spend budget and its amount cannot be determined (${amount.reason}): the call was not made`,
        'policy.budget_unavailable',
      );
    const applicable = budgets.filter(
      (b) => b.rule.currency === undefined || b.rule.currency === amount.currency,
    );
    if (applicable.length === 0)
      return refused(
        `no spend budget of ${request.agent} for ${tool} counts ${amount.currency} (budgets: ${budgets.map((b) => b.label).join('; ')})`,
        'policy.over_budget',
      );
    const ttlMs = (request.approval === 'never' ? 0 : request.policy.approvalTimeoutMs) + HOLD_MARGIN_MS;
    const reservation = await deps.ledger.reserve({
      agent: request.agent,
      tool,
      amount: amount.amount,
      currency: amount.currency,
      callKey: `${request.agent}|${tool}|${request.argsHash}|${request.policy.version}`,
      budgets: applicable,
      ttlMs,
      reuse: request.approval !== 'never',
    });
    if (!reservation.ok)
      return refused(
        `budget ${reservation.budget.label}: ${reservation.left} ${amount.currency} left, this call needs ${amount.amount}`,
        'policy.over_budget',
        {
          budget: reservation.budget.label,
          left: reservation.left,
          currency: amount.currency,
          amount: amount.amount,
        },
      );
    // What a look-up read may have changed while the call waited for its approval (a payment
    // intent's amount updated before it is confirmed): read again just before it goes.
    // A call that asks no one goes at once: nothing waits between the read and the claim.
    const recheck = async (): Promise<string | undefined> => {
      if (request.approval === 'never') return undefined;
      const now = await resolveAmount(deps.sources, request.agent, request.definition, request.args);
      if (!now.known) return `the amount of this ${tool} call can no longer be read (${now.reason})`;
      if (now.currency !== amount.currency || now.amount > amount.amount)
        return `${tool} now moves ${now.amount} ${now.currency}, more than the ${amount.amount} ${amount.currency} its budget reserved: call again to reserve it anew`;
      return undefined;
    };
    return {
      ok: true,
      spend: holdSpend(deps.ledger, reservation.hold, request.definition, ttlMs, recheck),
    };
  } catch (cause) {
    return {
      ok: false,
      error: new KeygateError(
        'policy.budget_unavailable',
        `the spend budget of ${tool} could not be checked: the call was not made`,
        {
          cause,
        },
      ),
    };
  }
}

/** What the pipeline is told when a call's hold lapsed while it waited. */
export const HOLD_LOST = 'the spend budget hold of this call expired while it waited: call again';

function holdSpend(
  ledger: BudgetLedger,
  hold: Hold,
  definition: ToolDefinition,
  ttlMs: number,
  recheck: () => Promise<string | undefined>,
): Spend {
  const settleField = definition.amount?.kind === 'arguments' ? definition.amount.settle : 'amount';
  return {
    // A pending approval keeps its hold: the agent calls again once a human has decided.
    stopped: (error) =>
      error.code === 'approval.pending' ? Promise.resolve() : ledger.release(hold, 'held'),
    claim: async () => {
      const changed = await recheck();
      if (changed) {
        await ledger.release(hold, 'held');
        return changed;
      }
      return (await ledger.claim(hold, ttlMs)) ? undefined : HOLD_LOST;
    },
    done: (result) => ledger.settle(hold, settledAmount(result.text, settleField)),
    failed: (error) =>
      upstreamMayHaveActed(error) ? ledger.settle(hold) : ledger.release(hold, 'executing'),
    abandoned: () => ledger.release(hold, 'held'),
  };
}

/**
 * Whether a failed call may still have moved money: a 5xx, a timeout or a connection cut after
 * the request left. Those keep their reserved amount (counted, not refunded): a budget errs on
 * the side of counting. A 4xx (Stripe refused it) or a failure before sending gives it back.
 */
function upstreamMayHaveActed(error: unknown): boolean {
  if (!isKeygateError(error)) return false;
  if (error.code === 'upstream.error') {
    const status = error.details.status;
    return typeof status !== 'number' || status >= 500;
  }
  // A connection cut after the request left may come after Stripe acted: only a failure known to
  // come before the first byte (no connection, a refused certificate) gives the hold back.
  if (error.code === 'executor.network') return error.details.notSent !== true;
  return error.code === 'executor.timeout' || error.code === 'request.cancelled';
}

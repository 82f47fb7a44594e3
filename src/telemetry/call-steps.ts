/**
 * The spans and metrics of the call pipeline's steps: the policy decision, the approval wait,
 * and the count of calls by how they ended. They take plain values (names, codes, classes) so
 * that this module knows nothing of the pipeline's types, and the pipeline only wraps a step.
 */
import { ATTR, SPAN } from './attributes.js';
import { instruments } from './instruments.js';
import { activeSpan, errorType, inSpan, inSyncSpan, markFailed } from './spans.js';

/** Puts who calls and under which policy on the span of the request being served. */
export function describeCall(agent: string, policyVersion: string): void {
  const span = activeSpan();
  if (!span.isRecording()) return;
  span.setAttribute(ATTR.AGENT, agent);
  span.setAttribute(ATTR.POLICY_VERSION, policyVersion);
}

/** A policy decision as the pipeline gets it. */
type PolicyDecision = { readonly allowed: true; readonly approval: string } | { readonly allowed: false };

/** Runs the policy decision in its span; the call's risk goes on the request's span too. */
export function decideInSpan<D extends PolicyDecision>(risk: string, decide: () => D): D {
  const parent = activeSpan();
  return inSyncSpan(SPAN.POLICY, { [ATTR.RISK]: risk }, (span) => {
    const decision = decide();
    const verdict = decision.allowed ? 'allowed' : 'denied';
    span.setAttribute(ATTR.DECISION, verdict);
    if (decision.allowed) span.setAttribute(ATTR.APPROVAL_MODE, decision.approval);
    if (parent.isRecording()) parent.setAttribute(ATTR.RISK, risk);
    return decision;
  });
}

/** How the approval gate answered, as the pipeline gets it. */
type GateAnswer = { readonly kind: string; readonly error?: unknown };

/** Runs the approval gate in its span, counting the call as pending while it waits. */
export function approvalInSpan<O extends GateAnswer>(wait: () => Promise<O>): Promise<O> {
  const pending = instruments().approvalsPending;
  return inSpan(SPAN.APPROVAL, {}, async (span) => {
    pending.add(1);
    try {
      const outcome = await wait();
      span.setAttribute(ATTR.APPROVAL_OUTCOME, outcome.kind);
      if (outcome.kind === 'stop') markFailed(span, errorType(outcome.error));
      return outcome;
    } finally {
      pending.add(-1);
    }
  });
}

/**
 * How a call ended, for the calls metric: `completed`, `failed` (upstream or network),
 * `denied`, `rate_limited`, `invalid`, `unknown`, `approval_asked`, or `approval_<state>`.
 */
export type CallDecision = string;

/** A refusal's class for the denials metric, from its keygate error code (undefined: not a refusal). */
export function denialClass(code: string): string | undefined {
  if (code === 'policy.denied') return 'policy';
  if (code === 'policy.rate_limited') return 'rate_limit';
  if (code === 'approval.pending') return undefined;
  if (code.startsWith('approval.')) return 'approval';
  if (code === 'executor.invalid_arguments' || code.startsWith('request.') || code === 'proxy.refused')
    return 'invalid';
  return undefined;
}

/** The calls metric's decision for a failure with keygate error code `code`. */
export function failedDecision(code: string): CallDecision {
  if (code === 'policy.denied') return 'denied';
  if (code === 'policy.rate_limited') return 'rate_limited';
  if (code.startsWith('approval.')) return `approval_${code.slice('approval.'.length)}`;
  return denialClass(code) === 'invalid' ? 'invalid' : 'failed';
}

/** Counts one call: `tool` and `service` are names keygate offers (`_unknown` for anything else). */
export function countCall(tool: string, service: string, decision: CallDecision, denial?: string): void {
  const { calls, denials } = instruments();
  const attributes = { [ATTR.GEN_AI_TOOL_NAME]: tool, [ATTR.SERVICE]: service, [ATTR.DECISION]: decision };
  calls.add(1, attributes);
  if (denial) denials.add(1, { ...attributes, [ATTR.DENIAL_REASON]: denial });
  const span = activeSpan();
  if (span.isRecording()) span.setAttribute(ATTR.DECISION, decision);
}

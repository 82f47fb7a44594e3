/**
 * The one rule for using an approval: an approved record runs once, for exactly the call it was
 * asked for (agent, tool, arguments), under the policy it was asked under. The book asks it when
 * a claim fails, the gate when a client comes back with a signed state and when a record has
 * been decided; so every check, and the words an agent is told, exist here once.
 */
import { KeygateError } from '../errors/index.js';
import type { Approval, CallIdentity } from './approval.js';
import { type KeygateCommand, seeEverythingHint, showCommand } from './call-summary.js';

/** What an approval, and the signed request state naming one, are bound to. */
export type Binding = Pick<CallIdentity, 'agent' | 'tool' | 'argsHash' | 'policyVersion'>;

/** Why an approval may not serve a call; audited as `approval_refused`. */
export interface Refusal {
  readonly reason: string;
  /** The record can never run now (its policy is gone): cancel it if it is still open. */
  readonly retire?: true;
}

/** The reason an open record is cancelled when the policy it was asked under is replaced. */
export const POLICY_CHANGED = 'the policy changed since it was asked for';

/** What an agent presenting an approval id that names no record is told. */
export function noApproval(id: string): string {
  return `no approval ${id}`;
}

/**
 * Why `bound` (approval `id`'s record, or the signed state naming it) may not serve `call`;
 * `undefined` when it is bound to exactly this call.
 */
export function bindingRefusal(id: string, bound: Binding, call: Binding): Refusal | undefined {
  if (bound.agent !== call.agent) return { reason: `approval ${id} belongs to another agent` };
  if (bound.tool !== call.tool || bound.argsHash !== call.argsHash)
    return { reason: `the arguments differ from the ones approval ${id} was asked for` };
  if (bound.policyVersion !== call.policyVersion)
    return {
      reason: `the policy changed since approval ${id} was asked for; call again to ask anew`,
      retire: true,
    };
  return undefined;
}

/** Where a human decides, named in what an agent is told while its call waits. */
export interface DecisionHints {
  /** How a human runs keygate here (`./bin/keygate … --home DIR`). */
  readonly command?: KeygateCommand;
  /** The address of approval `id`'s page, where there is one. */
  readonly pageUrl?: (id: string) => string;
}

export type UseVerdict =
  /** Approved, bound to this call: it may be claimed. */
  | { readonly kind: 'use' }
  /** Refused, and audited as such. */
  | { readonly kind: 'refuse'; readonly refusal: Refusal }
  /** Not runnable (yet, or any more): what the agent is told; nothing to audit. */
  | { readonly kind: 'stop'; readonly error: KeygateError };

/** What record `id` (as it stands now, `undefined` if there is none) means for `call`. */
export function useVerdict(
  id: string,
  approval: Approval | undefined,
  call: Binding,
  hints: DecisionHints = {},
): UseVerdict {
  if (!approval) return { kind: 'refuse', refusal: { reason: noApproval(id) } };
  const refusal = bindingRefusal(id, approval, call);
  if (refusal) return { kind: 'refuse', refusal };
  switch (approval.status) {
    case 'approved':
      return { kind: 'use' };
    case 'used':
      return {
        kind: 'refuse',
        refusal: { reason: `approval ${id} was already used: the approved call ran once` },
      };
    case 'pending':
      return { kind: 'stop', error: pendingError(approval, hints) };
    case 'expired':
      return { kind: 'stop', error: expiredError(approval) };
    default:
      return { kind: 'stop', error: closedError(approval) };
  }
}

/** What the agent is told while a call waits: the id, the command a human runs, where to see it all. */
function pendingError(approval: Approval, hints: DecisionHints): KeygateError {
  const id = approval.id;
  const command: KeygateCommand = hints.command ?? ((args) => `keygate ${args}`);
  const pageUrl = hints.pageUrl?.(id);
  return new KeygateError(
    'approval.pending',
    [
      `${approval.tool} is waiting for a human's approval (${id}); it was not made yet.`,
      `A human approves it with: ${command(`approvals approve ${id}`)}`,
      `(or refuses it with: ${command(`approvals deny ${id} --reason "…"`)}).`,
      `Once approved, make this same call again with the same arguments: it runs once. The request expires at ${approval.expiresAt}.`,
      seeEverythingHint(id, pageUrl, command),
    ].join(' '),
    {
      details: {
        approvalId: id,
        expiresAt: approval.expiresAt,
        approve: command(`approvals approve ${id}`),
        deny: command(`approvals deny ${id}`),
        show: showCommand(id, command),
        ...(pageUrl ? { page: pageUrl } : {}),
      },
    },
  );
}

function expiredError(approval: Approval): KeygateError {
  const id = approval.id;
  // Only an approval leaves `pending` with a decision time and can still lapse afterwards.
  const what = approval.decidedAt
    ? `approval ${id} for ${approval.tool} was not used in time (it expired at ${approval.expiresAt})`
    : `no human approved ${approval.tool} in time (approval ${id} expired at ${approval.expiresAt})`;
  return new KeygateError('approval.expired', `${what}: the call was not made. Call again to ask anew.`, {
    details: { approvalId: id },
  });
}

function closedError(approval: Approval): KeygateError {
  const id = approval.id;
  const how = approval.status === 'cancelled' ? 'was cancelled' : 'was denied';
  return new KeygateError(
    'approval.denied',
    `approval ${id} for ${approval.tool} ${how}${approval.reason ? ` (${approval.reason})` : ''}: the call was not made`,
    { details: { approvalId: id, status: approval.status } },
  );
}

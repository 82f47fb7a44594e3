/** What an approval is: its record, the one exact call it is for, and the states it moves through. */

/** Every state a record can be in, in the order of its life. */
export const APPROVAL_STATUSES = ['pending', 'approved', 'denied', 'expired', 'cancelled', 'used'] as const;

export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

export interface Approval {
  readonly id: string;
  readonly agent: string;
  readonly tokenId: string;
  readonly tool: string;
  /** The arguments that run if this is approved: the ones the human saw, not newer ones. */
  readonly args: Record<string, unknown>;
  readonly argsHash: string;
  /** The arguments with sensitive values replaced: what people are shown. */
  readonly argsRedacted: unknown;
  readonly policyVersion: string;
  readonly status: ApprovalStatus;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly decidedAt: string | null;
  readonly decidedBy: string | null;
  readonly reason: string | null;
  readonly usedAt: string | null;
  /** A warning the approver reads before the arguments (the secret scan's hit), if any. */
  readonly notice: string | null;
}

/** One exact call: what an approval is for. */
export interface CallIdentity {
  readonly agent: string;
  readonly tokenId: string;
  readonly tool: string;
  readonly argsHash: string;
  readonly policyVersion: string;
}

export interface ApprovalRequest extends CallIdentity {
  readonly args: Record<string, unknown>;
  readonly argsRedacted: unknown;
  /** How long the record stays open (`approval_timeout`). */
  readonly timeoutMs: number;
  /** A warning every approver reads before the arguments, whichever channel shows the record. */
  readonly notice?: string;
}

export type Verdict = 'approved' | 'denied' | 'cancelled';

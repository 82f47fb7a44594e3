/**
 * How a human is asked. Each way is one ApprovalChannel; the gate tries them in a fixed order
 * and uses the first that can reach a human for this client and this policy.
 */
import { type InputRequest, type InputRequiredResult, inputRequired } from '@modelcontextprotocol/server';
import type { ApprovalMode } from '../policy/index.js';
import type { Approval } from './approval-book.js';
import type { RequestStateCodec } from './request-state.js';

/** What the calling client declared it can do. */
export interface ClientAbilities {
  /** Form-mode elicitation (`elicitation: {}` or `elicitation.form`). */
  readonly form: boolean;
  /** URL-mode elicitation (`elicitation.url`). */
  readonly url: boolean;
}

/** What the MCP layer knows about the request being served. */
export interface CallExchange {
  readonly client: ClientAbilities;
  /** The multi-round-trip state the client echoed back, untrusted until verified. */
  readonly requestState?: string;
  /** The client's answers to a previous round's input requests, untrusted. */
  readonly inputResponses?: Record<string, unknown>;
  /** Aborts when the client cancels the request or goes away. */
  readonly signal?: AbortSignal;
  /** Sends a progress notification, when the client asked for them. */
  readonly progress?: (message: string, progress: number) => Promise<void>;
}

/** A call waiting for a decision, with what the human is shown. */
export interface PendingCall {
  readonly approval: Approval;
  readonly summary: readonly string[];
  /** Whether `summary` shows every argument in full; only then may a form be the approval. */
  readonly shownInFull: boolean;
  /** How long a client's request may be held open waiting (`approval_wait`). */
  readonly waitMs: number;
}

export type ChannelName = 'elicitation' | 'url' | 'out-of-band';

/** Either a question to return to the client, or the record as it stands after asking. */
export type ChannelStep =
  | { readonly kind: 'ask'; readonly result: InputRequiredResult }
  | { readonly kind: 'settled'; readonly approval: Approval };

export interface ApprovalChannel {
  readonly name: ChannelName;
  /** Whether this channel can ask a human about `call` under `mode` from this client. */
  usable(mode: Exclude<ApprovalMode, 'never'>, client: ClientAbilities, call: PendingCall): boolean;
  /** First contact: ask the human (or wait for one). */
  ask(call: PendingCall, exchange: CallExchange): Promise<ChannelStep>;
  /** The client came back with an answer to a question this channel asked. */
  answer(call: PendingCall, exchange: CallExchange): Promise<ChannelStep>;
}

/**
 * A question for the client under `key`, with the signed state that brings the answer back to
 * this approval, this channel and exactly this call.
 */
export function question(
  codec: RequestStateCodec,
  channel: ChannelName,
  approval: Approval,
  key: string,
  request: InputRequest,
): ChannelStep {
  return {
    kind: 'ask',
    result: inputRequired({
      inputRequests: { [key]: request },
      requestState: codec.mint({ ...approval, approvalId: approval.id, channel }),
    }),
  };
}

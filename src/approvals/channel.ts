/**
 * How a human is asked. Each way is one ApprovalChannel; the gate tries them in a fixed order
 * and uses the first that can reach a human for this client and this policy. Channels speak no
 * protocol: they return a neutral question and read neutral answers, and the MCP layer
 * (`src/mcp/approval-questions.ts`) turns those into the SDK's types and back.
 */
import type { ApprovalMode } from '../policy/index.js';
import type { Approval } from './approval.js';
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
  /** The client's answers to a previous round's questions, by question key; untrusted. */
  readonly answers?: Readonly<Record<string, ClientAnswer>>;
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
  /** A payment: never approved through a form the agent's own client answers. */
  readonly payment: boolean;
  /** How long a client's request may be held open waiting (`approval_wait`). */
  readonly waitMs: number;
}

export type ChannelName = 'elicitation' | 'url' | 'out-of-band';

/** A flat form: string fields only, the subset every client and protocol era can render. */
export interface FormSchema {
  readonly type: 'object';
  readonly properties: Readonly<
    Record<
      string,
      {
        readonly type: 'string';
        readonly title?: string;
        readonly description?: string;
        readonly enum?: readonly string[];
        readonly maxLength?: number;
      }
    >
  >;
  readonly required?: readonly string[];
}

/**
 * What a channel asks the client's user, in no protocol's terms: fill in a form, or open a page.
 * The answer comes back under `key`, with `state` (see `signedState`) echoed by the client.
 */
export type ApprovalQuestion = {
  readonly key: string;
  readonly message: string;
  readonly state: string;
} & ({ readonly kind: 'form'; readonly schema: FormSchema } | { readonly kind: 'url'; readonly url: string });

/** The user's answer to a question: accepted (with the form's content), declined or dismissed. */
export interface ClientAnswer {
  readonly action: 'accept' | 'decline' | 'cancel';
  /** The form's fields as the client sent them: untrusted, unvalidated. */
  readonly content?: Readonly<Record<string, unknown>>;
}

/** Either a question to return to the client, or the record as it stands after asking. */
export type ChannelStep =
  | { readonly kind: 'ask'; readonly question: ApprovalQuestion }
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

/** The request state that brings an answer back to this approval, this channel and exactly this call. */
export function signedState(codec: RequestStateCodec, channel: ChannelName, approval: Approval): string {
  return codec.mint({ ...approval, approvalId: approval.id, channel });
}

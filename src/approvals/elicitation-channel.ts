/**
 * Form elicitation: the client asks its user, approve or deny, with an optional note. Written
 * once as an `input_required` result: a 2026-07-28 client answers it and retries with the
 * signed request state; for a 2025-era client the SDK sends a real `elicitation/create` on the
 * request's own stream and re-enters the handler with the answer.
 */
import type { Approval } from './approval.js';
import type { ApprovalBook } from './approval-book.js';
import {
  type ApprovalChannel,
  type CallExchange,
  type ChannelStep,
  type ClientAbilities,
  type FormSchema,
  type PendingCall,
  signedState,
} from './channel.js';
import type { RequestStateCodec } from './request-state.js';

/** The key of the one input request this channel makes. */
export const DECISION_KEY = 'keygate_approval';
const MAX_NOTE = 500;

/** Kept to the elicitation subset every protocol era accepts (flat, primitive, `enum`). */
const DECISION_SCHEMA: FormSchema = {
  type: 'object',
  properties: {
    decision: {
      type: 'string',
      title: 'Decision',
      description: 'approve runs this exact call once; deny refuses it',
      enum: ['approve', 'deny'],
    },
    note: { type: 'string', title: 'Note (optional)', maxLength: MAX_NOTE },
  },
  required: ['decision'],
};

export class ElicitationChannel implements ApprovalChannel {
  readonly name = 'elicitation' as const;

  constructor(
    private readonly book: ApprovalBook,
    private readonly codec: RequestStateCodec,
  ) {}

  usable(mode: 'required' | 'out-of-band', client: ClientAbilities, call: PendingCall): boolean {
    // Out-of-band means the agent's own client may not be the one that approves; a form
    // approves only what its message showed, every argument in full; and never a payment (an
    // agent that controls its client could answer the form itself), whatever the mode says.
    return mode === 'required' && client.form && call.shownInFull && !call.payment;
  }

  async ask(call: PendingCall): Promise<ChannelStep> {
    return {
      kind: 'ask',
      question: {
        kind: 'form',
        key: DECISION_KEY,
        message: ['keygate needs your approval.', ...call.summary].join('\n'),
        schema: DECISION_SCHEMA,
        state: signedState(this.codec, this.name, call.approval),
      },
    };
  }

  async answer(call: PendingCall, exchange: CallExchange): Promise<ChannelStep> {
    const view = exchange.answers?.[DECISION_KEY];
    // No answer came back: ask again (where a form may still ask about this call).
    if (!view) return call.shownInFull && !call.payment ? this.ask(call) : settled(call.approval);
    const by = `the user of ${call.approval.agent}'s MCP client`;
    const id = call.approval.id;
    if (view.action === 'cancel')
      return settled(await this.book.decideIfPending(id, 'cancelled', by, 'cancelled in the client'));
    if (view.action === 'decline')
      return settled(await this.book.decideIfPending(id, 'denied', by, 'declined in the client'));
    // Only a message that showed every argument may approve (the state may predate a change
    // of what fits), and never for a payment: such an answer leaves the call pending, for an
    // administrator to decide.
    if (!call.shownInFull || call.payment) return settled(call.approval);
    const decision = view.content?.decision;
    const note = typeof view.content?.note === 'string' ? view.content.note.slice(0, MAX_NOTE) : undefined;
    // Anything but an explicit "approve" is a no.
    if (decision === 'approve')
      return settled(await this.book.decideIfPending(id, 'approved', by, note || undefined));
    return settled(
      await this.book.decideIfPending(
        id,
        'denied',
        by,
        note || (decision === 'deny' ? undefined : 'unreadable answer'),
      ),
    );
  }
}

function settled(approval: Approval): ChannelStep {
  return { kind: 'settled', approval };
}

/**
 * URL elicitation, for clients that declare `elicitation.url`, when a tool's policy says
 * `out-of-band` or when the call's arguments do not fit a form's message (the page shows them
 * all): the client shows its user the address of the approval in keygate's dashboard. The
 * address holds no secret and pre-authorises nothing; whoever opens it signs in. When the user is done the
 * call waits, as out of band, for the decision.
 */
import type { ApprovalBook } from './approval-book.js';
import {
  type ApprovalChannel,
  type CallExchange,
  type ChannelStep,
  type ClientAbilities,
  type PendingCall,
  signedState,
} from './channel.js';
import type { OutOfBandChannel } from './out-of-band-channel.js';
import type { RequestStateCodec } from './request-state.js';

const PAGE_KEY = 'keygate_approval_page';

export class UrlChannel implements ApprovalChannel {
  readonly name = 'url' as const;

  constructor(
    private readonly book: ApprovalBook,
    private readonly codec: RequestStateCodec,
    private readonly waiter: OutOfBandChannel,
    /** The address of an approval's page on this daemon. */
    private readonly pageUrl: (id: string) => string,
  ) {}

  usable(mode: 'required' | 'out-of-band', client: ClientAbilities, call: PendingCall): boolean {
    return client.url && (mode === 'out-of-band' || !call.shownInFull);
  }

  async ask(call: PendingCall): Promise<ChannelStep> {
    return {
      kind: 'ask',
      question: {
        kind: 'url',
        key: PAGE_KEY,
        message: [
          'keygate needs an administrator to approve this call in its dashboard (whoever opens it signs in there).',
          ...call.summary,
        ].join('\n'),
        url: this.pageUrl(call.approval.id),
        state: signedState(this.codec, this.name, call.approval),
      },
    };
  }

  async answer(call: PendingCall, exchange: CallExchange): Promise<ChannelStep> {
    const view = exchange.answers?.[PAGE_KEY];
    if (view && view.action !== 'accept') {
      const by = `the user of ${call.approval.agent}'s MCP client`;
      const approval =
        view.action === 'decline'
          ? await this.book.decideIfPending(
              call.approval.id,
              'denied',
              by,
              'declined to open the approval page',
            )
          : await this.book.decideIfPending(call.approval.id, 'cancelled', by, 'cancelled in the client');
      return { kind: 'settled', approval };
    }
    return this.waiter.waitForDecision(call, exchange);
  }
}

/**
 * Out of band: the call waits, telling the client it is alive with progress notifications,
 * until a human decides through `keygate approvals` (or the dashboard) or the wait bound is
 * reached. The bound stays under what clients tolerate (`approval_wait`, 4 minutes by default,
 * under the 300 s after which Claude gives up; at most SILENT_WAIT_MS for a client that asked for
 * no progress); after it, the tool result says the call is pending and how a human approves it.
 */
import type { ApprovalBook } from './approval-book.js';
import type { ApprovalSignals } from './approval-signals.js';
import type { ApprovalChannel, CallExchange, ChannelStep, PendingCall } from './channel.js';

/** Re-read the record at least this often, in case a notification was missed. */
const POLL_MS = 2000;
const MAX_PROGRESS_EVERY_MS = 10_000;
/**
 * How long a request that asked for no progress notifications is held: nothing can tell its
 * client the call is alive, and the MCP SDKs give up on a request after 60 s by default.
 */
export const SILENT_WAIT_MS = 50_000;

export class OutOfBandChannel implements ApprovalChannel {
  readonly name = 'out-of-band' as const;

  constructor(
    private readonly book: ApprovalBook,
    private readonly signals: ApprovalSignals,
    private readonly silentWaitMs = SILENT_WAIT_MS,
    /** How a human runs keygate here, for the progress message. */
    private readonly command: (args: string) => string = (args) => `keygate ${args}`,
  ) {}

  usable(): boolean {
    return true;
  }

  ask(call: PendingCall, exchange: CallExchange): Promise<ChannelStep> {
    return this.waitForDecision(call, exchange);
  }

  answer(call: PendingCall, exchange: CallExchange): Promise<ChannelStep> {
    return this.waitForDecision(call, exchange);
  }

  /** Waits until the record leaves `pending`, the wait bound, the expiry, or the client leaves. */
  async waitForDecision(call: PendingCall, exchange: CallExchange): Promise<ChannelStep> {
    const id = call.approval.id;
    const waitMs = exchange.progress ? call.waitMs : Math.min(call.waitMs, this.silentWaitMs);
    const deadline = Math.min(Date.now() + waitMs, Date.parse(call.approval.expiresAt));
    const progressEvery = Math.min(MAX_PROGRESS_EVERY_MS, Math.max(200, waitMs / 5));
    let nextProgress = Date.now();
    let ticks = 0;
    for (;;) {
      const approval = (await this.book.get(id)) ?? call.approval;
      const now = Date.now();
      // A daemon shutting down closes the signals: the call then answers "pending" at once.
      if (approval.status !== 'pending' || now >= deadline || exchange.signal?.aborted || this.signals.closed)
        return { kind: 'settled', approval };
      if (exchange.progress && now >= nextProgress) {
        nextProgress = now + progressEvery;
        await exchange
          .progress(
            `waiting for a human to approve ${approval.tool}: ${this.command(`approvals approve ${id}`)}`,
            ++ticks,
          )
          .catch(() => undefined);
      }
      const until = Math.min(deadline, exchange.progress ? nextProgress : deadline, now + POLL_MS);
      await this.signals.wait(id, until - now, exchange.signal);
    }
  }
}

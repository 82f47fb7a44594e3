/** Assembles the approvals of one daemon: the book, its wake-ups, the channels and the gate. */
import type { AuditLog } from '../audit/index.js';
import type { Store } from '../store/index.js';
import { ApprovalBook } from './approval-book.js';
import { ApprovalGate } from './approval-gate.js';
import { ApprovalSignals } from './approval-signals.js';
import { ElicitationChannel } from './elicitation-channel.js';
import { OutOfBandChannel } from './out-of-band-channel.js';
import { RequestStateCodec } from './request-state.js';
import { UrlChannel } from './url-channel.js';

export interface ApprovalsOptions {
  readonly store: Store;
  readonly audit: AuditLog;
  /** Integrity key of the multi-round-trip request state (the same on every daemon of a vault). */
  readonly stateKey: Buffer;
  /** The address of an approval's page. */
  readonly pageUrl: (id: string) => string;
  readonly onError?: (error: unknown) => void;
  /** How long a request without a progress token waits out of band (default SILENT_WAIT_MS). */
  readonly silentWaitMs?: number;
  /** Prefixes `approvals approve ID` with how a human runs keygate here (default `keygate`). */
  readonly command?: (args: string) => string;
}

export interface Approvals {
  readonly book: ApprovalBook;
  readonly gate: ApprovalGate;
  /** Calls `listener` with the id of every approval that changes, here or on another daemon. */
  watch(listener: (id: string) => void): () => void;
  close(): Promise<void>;
}

/** How often lapsed records are marked expired (and audited) even if nobody looks at them. */
const SWEEP_MS = 30_000;

export async function startApprovals(options: ApprovalsOptions): Promise<Approvals> {
  const signals = await ApprovalSignals.start(options.store, options.onError);
  const book = new ApprovalBook(options.store, options.audit, signals.notify);
  const codec = new RequestStateCodec(options.stateKey);
  const outOfBand = new OutOfBandChannel(book, signals, options.silentWaitMs, options.command);
  // The order is the order of preference; out of band always works, so it comes last.
  const gate = new ApprovalGate(
    book,
    codec,
    [new ElicitationChannel(book, codec), new UrlChannel(book, codec, outOfBand, options.pageUrl), outOfBand],
    options.pageUrl,
    options.command,
  );
  const sweeper = setInterval(() => void book.expireDue().catch(options.onError), SWEEP_MS);
  sweeper.unref();
  return {
    book,
    gate,
    watch: (listener) => signals.watch(listener),
    close: async () => {
      clearInterval(sweeper);
      await signals.close();
    },
  };
}

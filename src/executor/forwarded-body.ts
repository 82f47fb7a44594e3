/**
 * A proxied answer's body on its way to the client: scrubbed chunk by chunk, bounded, and telling
 * the pipeline how it ended (passed whole, or stopped and why) so the outcome row is true.
 */
import type { Readable } from 'node:stream';
import { type ErrorCode, isKeygateError, KeygateError } from '../errors/index.js';
import type { StreamScrubber } from './stream-scrubber.js';

/** The body of a proxied answer, as the forwarder hands it on. */
export interface ForwardedBody {
  readonly body: AsyncIterable<Buffer>;
  /** Resolves once the body has been passed on (or stopped): bytes read from upstream. */
  readonly finished: Promise<ForwardEnd>;
  /**
   * Stops the body without passing it on, even before its first chunk (the upstream's socket is
   * released); `finished` then says `reason`.
   */
  cancel(reason: ErrorCode): Promise<void>;
}

/** How a streamed body ended: `truncated` unless it passed whole, and then why (an error code). */
export interface ForwardEnd {
  readonly bytes: number;
  readonly truncated: boolean;
  readonly reason?: ErrorCode;
}

/** The signals that can stop an exchange: the total time bound, and the client going away. */
export interface ExchangeSignals {
  readonly timeout: AbortSignal;
  readonly client?: AbortSignal;
}

/**
 * The body scrubbed chunk by chunk; past `maxBytes` it stops with an error (never cut silently).
 * `finished` says whether it passed whole, and if not why: a body its consumer stopped reading
 * (the client went away) or that failed counts as truncated, so its outcome is never "completed".
 */
export function scrubbedBody(
  source: Readable,
  scrubber: StreamScrubber,
  maxBytes: number,
  signals: ExchangeSignals,
): ForwardedBody {
  let finish: (end: ForwardEnd) => void = () => {};
  const finished = new Promise<ForwardEnd>((resolve) => {
    finish = resolve;
  });
  // Until the source has ended, a consumer that stops reading is a client that went away.
  let stoppedFor: ErrorCode = 'request.cancelled';
  async function* body(): AsyncGenerator<Buffer> {
    let bytes = 0;
    // Set when the source ends or fails; unset, the consumer stopped reading (see `stoppedFor`).
    let end: Omit<ForwardEnd, 'bytes'> | undefined;
    try {
      for await (const chunk of source) {
        bytes += (chunk as Buffer).length;
        if (bytes > maxBytes)
          throw new KeygateError('upstream.error', `the upstream answer is larger than ${maxBytes} bytes`, {
            details: { status: 502 },
          });
        const out = scrubber.push(chunk as Buffer);
        if (out.length > 0) yield out;
      }
      const rest = scrubber.end();
      if (rest.length > 0) yield rest;
      end = { truncated: false };
    } catch (error) {
      end = { truncated: true, reason: stopReason(error, signals) };
      throw error;
    } finally {
      source.destroy();
      finish({ bytes, ...(end ?? { truncated: true, reason: stoppedFor }) });
    }
  }
  const generator = body();
  // A generator stopped before its first `next()` never runs its `finally`: the source is
  // destroyed (and `finished` settled) here too, so an unread upstream body never holds a socket.
  async function stop(): Promise<void> {
    await generator.return(undefined);
    source.destroy();
    finish({ bytes: 0, truncated: true, reason: stoppedFor });
  }
  const iterator: AsyncIterator<Buffer> = {
    next: () => generator.next(),
    return: async () => {
      await stop();
      return { done: true, value: undefined };
    },
  };
  return {
    body: { [Symbol.asyncIterator]: () => iterator },
    finished,
    cancel: (reason) => {
      stoppedFor = reason;
      return stop();
    },
  };
}

/** Why a streamed body stopped, as the error code its outcome row records. */
function stopReason(error: unknown, signals: ExchangeSignals): ErrorCode {
  if (signals.client?.aborted) return 'request.cancelled';
  if (isKeygateError(error)) return error.code;
  const code = (error as { code?: string }).code;
  if (signals.timeout.aborted || code === 'UND_ERR_BODY_TIMEOUT') return 'executor.timeout';
  // A content coding that does not decode is the upstream's fault; anything else is the network.
  return code?.startsWith('Z_') ? 'upstream.error' : 'executor.network';
}

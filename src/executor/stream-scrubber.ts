/**
 * Scrubs a response body as it streams through: every chunk is sent on as soon as nothing in
 * it can be part of a secret form still arriving. The body is read as Latin-1 (one character per
 * byte, so any bytes, text or not, come out exactly as they went in unless a secret is replaced),
 * and `Scrubber` matches each secret's UTF-8 bytes read the same way.
 *
 * What is held back: the last `scrubber.longest` characters (the longest text a secret form can
 * span), since the rest of a secret may be in the next chunk. Server-sent events are never held
 * past the end of an event (a blank line): no secret form spans a blank line, and an LLM's tokens
 * must reach the agent as they are produced. A secret that straddles the point where the held
 * tail starts is found whole (matches are searched in everything not yet sent) and sent redacted.
 */
import { REDACTED, type Scrubber } from './scrubber.js';

/** The end of the last server-sent event in `text` (after its blank line), or 0. */
function lastEventEnd(text: string): number {
  const at = Math.max(text.lastIndexOf('\n\n'), text.lastIndexOf('\r\r'));
  const crlf = text.lastIndexOf('\r\n\r\n');
  if (crlf >= 0 && crlf + 4 > at + 2) return crlf + 4;
  return at < 0 ? 0 : at + 2;
}

export class StreamScrubber {
  #pending = '';

  /** `events`: the body is a server-sent event stream, flushed at the end of every event. */
  constructor(
    private readonly scrubber: Scrubber,
    private readonly events = false,
  ) {}

  /** The scrubbed bytes of what has arrived that can be sent now (maybe none). */
  push(chunk: Buffer): Buffer {
    this.#pending += chunk.toString('latin1');
    let cut = this.#pending.length - this.scrubber.longest;
    if (this.events) cut = Math.max(cut, lastEventEnd(this.#pending));
    return this.#emit(cut);
  }

  /** Everything still held, scrubbed: the body has ended. */
  end(): Buffer {
    return this.#emit(this.#pending.length);
  }

  #emit(at: number): Buffer {
    if (at <= 0 || this.#pending.length === 0) return Buffer.alloc(0);
    let cut = at;
    const ranges = this.scrubber.matches(this.#pending);
    // A secret form across the cut is sent whole (redacted), never in two parts.
    for (const [start, end] of ranges) if (start < cut && end > cut) cut = end;
    let out = '';
    let last = 0;
    for (const [start, end] of ranges) {
      if (end > cut) break;
      out += `${this.#pending.slice(last, start)}${REDACTED}`;
      last = end;
    }
    out += this.#pending.slice(last, cut);
    this.#pending = this.#pending.slice(cut);
    return Buffer.from(out, 'latin1');
  }
}

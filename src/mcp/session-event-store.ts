/**
 * Resumability for 2025-era sessions: every SSE event the session's transport sends gets an id
 * and is kept here, so that a client that loses a stream (mid-approval, say) reconnects with
 * `Last-Event-ID` and is sent what it missed. One store per session, in memory only, bounded in
 * events and bytes (the oldest go first), dropped with the session. It holds only what was
 * already sent to that client: scrubbed tool results, progress, elicitation requests.
 */
import type { EventId, EventStore, JSONRPCMessage, StreamId } from '@modelcontextprotocol/server';

/** How much one session keeps for replay. */
export interface EventStoreLimits {
  readonly maxEvents: number;
  readonly maxBytes: number;
}

/** 1,000 events or 4 MiB per session, whichever is reached first. */
export const DEFAULT_EVENT_LIMITS: EventStoreLimits = { maxEvents: 1000, maxBytes: 4 * 1024 * 1024 };

interface StoredEvent {
  readonly id: EventId;
  readonly seq: number;
  readonly streamId: StreamId;
  readonly message: JSONRPCMessage;
  readonly bytes: number;
}

/** The bounded in-memory event store of one session. */
export class SessionEventStore implements EventStore {
  private readonly events: StoredEvent[] = [];
  private readonly byId = new Map<EventId, StoredEvent>();
  private seq = 0;
  private bytes = 0;

  constructor(private readonly limits: EventStoreLimits = DEFAULT_EVENT_LIMITS) {}

  /** Events held now, and their size in bytes. */
  get size(): { events: number; bytes: number } {
    return { events: this.events.length, bytes: this.bytes };
  }

  async storeEvent(streamId: StreamId, message: JSONRPCMessage): Promise<EventId> {
    const seq = ++this.seq;
    const event: StoredEvent = {
      id: String(seq),
      seq,
      streamId,
      message,
      bytes: Buffer.byteLength(JSON.stringify(message)),
    };
    this.events.push(event);
    this.byId.set(event.id, event);
    this.bytes += event.bytes;
    // The newest event always stays, even alone over the byte bound: it is the one in flight.
    while (
      this.events.length > 1 &&
      (this.events.length > this.limits.maxEvents || this.bytes > this.limits.maxBytes)
    ) {
      const oldest = this.events.shift()!;
      this.byId.delete(oldest.id);
      this.bytes -= oldest.bytes;
    }
    return event.id;
  }

  /** The stream of a held event; `undefined` (the SDK answers 400) once it was dropped or never was. */
  async getStreamIdForEventId(eventId: EventId): Promise<StreamId | undefined> {
    return this.byId.get(eventId)?.streamId;
  }

  async replayEventsAfter(
    lastEventId: EventId,
    { send }: { send: (eventId: EventId, message: JSONRPCMessage) => Promise<void> },
  ): Promise<StreamId> {
    const last = this.byId.get(lastEventId);
    if (!last) return '';
    for (const event of [...this.events]) {
      // Priming events (an empty object that only carries an id) are not messages to replay.
      if (event.streamId !== last.streamId || event.seq <= last.seq || !('jsonrpc' in event.message))
        continue;
      await send(event.id, event.message);
    }
    return last.streamId;
  }

  /** Forgets everything (the session ended). */
  clear(): void {
    this.events.length = 0;
    this.byId.clear();
    this.bytes = 0;
  }
}

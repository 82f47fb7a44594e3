/**
 * Resumability for 2025-era sessions: every SSE event the session's transport sends gets an id
 * and is kept here, so that a client that loses a stream (mid-approval, say) reconnects with
 * `Last-Event-ID` and is sent what it missed. One store per session, in memory only, bounded in
 * events and bytes (the oldest go first), dropped with the session. All the stores of one daemon
 * also share an `EventBudget`, a bound on their bytes together: past it, the oldest events of any
 * session go first. It holds only what was already sent to that client: scrubbed tool results,
 * progress, elicitation requests.
 */
import type { EventId, EventStore, JSONRPCMessage, StreamId } from '@modelcontextprotocol/server';

/** How much one session keeps for replay. */
export interface EventStoreLimits {
  readonly maxEvents: number;
  readonly maxBytes: number;
}

/** 1,000 events or 4 MiB per session, whichever is reached first. */
export const DEFAULT_EVENT_LIMITS: EventStoreLimits = { maxEvents: 1000, maxBytes: 4 * 1024 * 1024 };

/** 64 MiB for the event stores of all sessions together. */
export const DEFAULT_TOTAL_EVENT_BYTES = 64 * 1024 * 1024;

/**
 * A bound on the bytes held by many stores together. Every event gets a place in one order
 * across the stores; while they hold more than `maxBytes`, the oldest event anywhere is dropped
 * (never the one just stored, which is in flight).
 */
export class EventBudget {
  private readonly stores = new Set<SessionEventStore>();
  private order = 0;
  private held = 0;

  constructor(readonly maxBytes: number = DEFAULT_TOTAL_EVENT_BYTES) {}

  /** Bytes held by all the stores now. */
  get bytes(): number {
    return this.held;
  }

  /** @internal A store took an event of `bytes`; returns its place in the order. */
  added(store: SessionEventStore, bytes: number): number {
    this.stores.add(store);
    this.held += bytes;
    return ++this.order;
  }

  /** @internal A store let go of `bytes` (an event dropped, or the store cleared). */
  released(bytes: number): void {
    this.held -= bytes;
  }

  /** @internal A store is empty for good (its session ended). */
  forget(store: SessionEventStore): void {
    this.stores.delete(store);
  }

  /** @internal Drops the oldest events of any store until the bound holds again. */
  trim(): void {
    while (this.held > this.maxBytes) {
      let oldest: SessionEventStore | undefined;
      for (const store of this.stores) {
        const order = store.oldestOrder;
        // The newest event of all (the one just stored) stays, even alone over the bound.
        if (order === undefined || order === this.order) continue;
        if (!oldest || order < oldest.oldestOrder!) oldest = store;
      }
      if (!oldest) return;
      oldest.dropOldest();
    }
  }
}

interface StoredEvent {
  readonly id: EventId;
  readonly seq: number;
  /** Place in the shared budget's order (its own `seq` without a budget). */
  readonly order: number;
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

  constructor(
    private readonly limits: EventStoreLimits = DEFAULT_EVENT_LIMITS,
    private readonly budget?: EventBudget,
  ) {}

  /** Events held now, and their size in bytes. */
  get size(): { events: number; bytes: number } {
    return { events: this.events.length, bytes: this.bytes };
  }

  async storeEvent(streamId: StreamId, message: JSONRPCMessage): Promise<EventId> {
    const seq = ++this.seq;
    const bytes = Buffer.byteLength(JSON.stringify(message));
    const order = this.budget ? this.budget.added(this, bytes) : seq;
    const event: StoredEvent = { id: String(seq), seq, order, streamId, message, bytes };
    this.events.push(event);
    this.byId.set(event.id, event);
    this.bytes += event.bytes;
    // The newest event always stays, even alone over the byte bound: it is the one in flight.
    while (
      this.events.length > 1 &&
      (this.events.length > this.limits.maxEvents || this.bytes > this.limits.maxBytes)
    )
      this.dropOldest();
    this.budget?.trim();
    return event.id;
  }

  /** @internal The budget order of the oldest event held, if any. */
  get oldestOrder(): number | undefined {
    return this.events[0]?.order;
  }

  /** @internal Drops the oldest event held. */
  dropOldest(): void {
    const oldest = this.events.shift();
    if (!oldest) return;
    this.byId.delete(oldest.id);
    this.bytes -= oldest.bytes;
    this.budget?.released(oldest.bytes);
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
    this.budget?.released(this.bytes);
    this.budget?.forget(this);
    this.events.length = 0;
    this.byId.clear();
    this.bytes = 0;
  }
}

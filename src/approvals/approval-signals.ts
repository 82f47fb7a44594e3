/**
 * Wakes calls waiting on an approval when its record changes, in this process and, through
 * PostgreSQL's LISTEN/NOTIFY, on every other daemon sharing the database. A wake-up only means
 * "look again": the record in the database is the truth, and waiters also poll.
 */
import { sql } from 'kysely';
import type { Store } from '../store/index.js';

const CHANNEL = 'keygate_approvals';

export class ApprovalSignals {
  private readonly waiters = new Map<string, Set<() => void>>();
  /** Told of every change (the dashboard's live list), whatever the id. */
  private readonly watchers = new Set<(id: string) => void>();
  private stopListening: (() => Promise<void>) | undefined;
  private isClosed = false;

  private constructor(private readonly store: Store) {}

  /** Starts listening; if the database cannot listen, waiters still poll. */
  static async start(store: Store, onError?: (error: unknown) => void): Promise<ApprovalSignals> {
    const signals = new ApprovalSignals(store);
    try {
      signals.stopListening = await store.listen(CHANNEL, (id) => signals.wake(id));
    } catch (error) {
      onError?.(error);
    }
    return signals;
  }

  /** Tells every waiter, here and on other daemons, that approval `id` changed. */
  readonly notify = async (id: string): Promise<void> => {
    this.wake(id);
    await sql`select pg_notify(${CHANNEL}, ${id})`.execute(this.store.db);
  };

  /** Resolves when `id` changes, after `ms`, or when `signal` aborts, whichever comes first. */
  wait(id: string, ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        const set = this.waiters.get(id);
        set?.delete(done);
        if (set?.size === 0) this.waiters.delete(id);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      if (signal?.aborted || this.isClosed) return done();
      signal?.addEventListener('abort', done, { once: true });
      const set = this.waiters.get(id) ?? new Set();
      this.waiters.set(id, set);
      set.add(done);
    });
  }

  /** Calls `listener` with the id of every approval that changes; returns how to stop. */
  watch(listener: (id: string) => void): () => void {
    this.watchers.add(listener);
    return () => this.watchers.delete(listener);
  }

  /** True once closed: waits return at once, so waiters must stop waiting. */
  get closed(): boolean {
    return this.isClosed;
  }

  async close(): Promise<void> {
    this.isClosed = true;
    this.watchers.clear();
    await this.stopListening?.().catch(() => undefined);
    this.stopListening = undefined;
    for (const set of this.waiters.values()) for (const done of [...set]) done();
  }

  private wake(id: string): void {
    for (const done of [...(this.waiters.get(id) ?? [])]) done();
    for (const listener of [...this.watchers]) listener(id);
  }
}

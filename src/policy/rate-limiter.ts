/**
 * Fixed-window rate limits kept in the store, so that with PostgreSQL they hold across every
 * daemon sharing it. One upsert per rule per call; only agents with a rate_limit pay for it.
 */
import { sql } from 'kysely';
import type { Store } from '../store/index.js';
import type { RateLimitRule } from './engine.js';

export interface RateVerdict {
  readonly allowed: boolean;
  /** When the caller may retry, if refused. */
  readonly retryAfterMs: number;
  readonly rule?: RateLimitRule;
}

export class RateLimiter {
  constructor(private readonly store: Store) {}

  /** Counts this call against every rule; refused when any is over its limit. */
  async hit(rules: readonly RateLimitRule[], now = Date.now()): Promise<RateVerdict> {
    for (const rule of rules) {
      const windowStart = Math.floor(now / rule.windowMs) * rule.windowMs;
      const row = await sql<{ count: number }>`
        insert into rate_limits (key, window_start, count) values (${rule.key}, ${windowStart}, 1)
        on conflict (key, window_start) do update set count = rate_limits.count + 1
        returning count`.execute(this.store.db);
      const count = Number(row.rows[0]?.count ?? 0);
      if (count > rule.calls)
        return { allowed: false, retryAfterMs: windowStart + rule.windowMs - now, rule };
    }
    return { allowed: true, retryAfterMs: 0 };
  }

  /** Calls counted against `rule` in its current window (what the dashboard shows as use). */
  async usage(rule: RateLimitRule, now = Date.now()): Promise<number> {
    const windowStart = Math.floor(now / rule.windowMs) * rule.windowMs;
    const row = await this.store.db
      .selectFrom('rate_limits')
      .select('count')
      .where('key', '=', rule.key)
      .where('window_start', '=', String(windowStart))
      .executeTakeFirst();
    return Number(row?.count ?? 0);
  }

  /** Drops windows that ended long ago. */
  async prune(now = Date.now()): Promise<void> {
    await sql`delete from rate_limits where window_start < ${now - 86_400_000}`.execute(this.store.db);
  }
}

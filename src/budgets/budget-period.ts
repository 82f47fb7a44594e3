/**
 * The periods a spend budget counts over. They are UTC calendar periods, like a card's daily and
 * monthly limits: a day starts at 00:00 UTC, a week on Monday 00:00 UTC (ISO 8601), a month on its
 * 1st; `all_time` never rolls over, and `call` is each call on its own (nothing is kept).
 */
import type { BudgetPeriod } from '../policy/index.js';

const DAY_MS = 86_400_000;

/** Start of the period containing `now`, in ms since the epoch (0 for all_time and call). */
export function periodStart(per: BudgetPeriod, now: Date): number {
  const year = now.getUTCFullYear();
  const month = now.getUTCMonth();
  const midnight = Date.UTC(year, month, now.getUTCDate());
  switch (per) {
    case 'day':
      return midnight;
    case 'week':
      // getUTCDay: Sunday 0 … Saturday 6; ISO weeks start on Monday.
      return midnight - ((now.getUTCDay() + 6) % 7) * DAY_MS;
    case 'month':
      return Date.UTC(year, month, 1);
    case 'all_time':
    case 'call':
      return 0;
  }
}

/** When the period starting at `start` ends (the next one's start); undefined when it never does. */
export function periodEnd(per: BudgetPeriod, start: number): number | undefined {
  switch (per) {
    case 'day':
      return start + DAY_MS;
    case 'week':
      return start + 7 * DAY_MS;
    case 'month': {
      const date = new Date(start);
      return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
    }
    case 'all_time':
    case 'call':
      return undefined;
  }
}

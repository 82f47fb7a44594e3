/**
 * Where a money-moving tool's amount and currency come from (`x-keygate.amount` in a curated
 * spec, `amount:` in its curation file): spend budgets read them before the call is made. Kept
 * with the curation, next to the operation, so that the amount a budget counts and the request
 * that moves it can never drift apart.
 */
import { KeygateError } from '../errors/index.js';
import { isObject, type Json } from './openapi-walk.js';

/**
 * A read of the object a call acts on, for what its arguments leave out (a refund without
 * `amount` refunds what is left of its charge): made with the same service's read tool, through
 * the executor and the same credential.
 */
export interface AmountLookup {
  /** The call's argument that selects this look-up and holds the id looked up (`charge`). */
  readonly when: string;
  /** The read tool of the same service that fetches the object (`stripe_charge_get`). */
  readonly tool: string;
  /** That tool's argument taking the id (`charge`). */
  readonly id: string;
  /** The answer's field holding the amount, in minor units. */
  readonly amount: string;
  /** An answer field taken off `amount` (what was already refunded or captured). */
  readonly minus?: string;
  /** The answer's field holding the ISO currency code. */
  readonly currency: string;
}

/** How a tool's amount is known, or why it cannot be. */
export type AmountBinding =
  | {
      readonly kind: 'arguments';
      /** The argument holding the amount in minor units; absent: always looked up. */
      readonly from?: string;
      /** The argument holding the currency; absent: always looked up. */
      readonly currency?: string;
      /** Tried in order, the first whose `when` argument is present. */
      readonly lookups: readonly AmountLookup[];
      /** The answer's field holding the amount that moved (default `amount`). */
      readonly settle: string;
    }
  /** The amount cannot be known before the call (a subscription's recurring charges): budgeted calls are refused. */
  | { readonly kind: 'unknown'; readonly reason: string };

const FIELD = /^[a-z_][a-z0-9_]{0,63}$/;

/**
 * Reads an `x-keygate.amount` block (snake case, as the curation file writes it), checked: a
 * spec anyone can edit must not turn a budget's amount into something else.
 */
export function amountBindingOf(raw: unknown, tool: string): AmountBinding | undefined {
  if (raw === undefined) return undefined;
  const bad = (why: string) => new KeygateError('catalog.spec_invalid', `${tool}: x-keygate.amount ${why}`);
  if (!isObject(raw as Json)) throw bad('must be an object');
  const block = raw as Record<string, unknown>;
  if (block.unknown !== undefined) {
    if (typeof block.unknown !== 'string' || block.unknown.length === 0 || Object.keys(block).length !== 1)
      throw bad('unknown: takes one non-empty reason and nothing else');
    return { kind: 'unknown', reason: block.unknown };
  }
  const field = (value: unknown, name: string, optional = true): string | undefined => {
    if (value === undefined && optional) return undefined;
    if (typeof value !== 'string' || !FIELD.test(value)) throw bad(`${name} must be a field name`);
    return value;
  };
  for (const key of Object.keys(block))
    if (!['from', 'currency', 'lookup', 'settle'].includes(key)) throw bad(`has an unknown key ${key}`);
  const lookups = block.lookup === undefined ? [] : block.lookup;
  if (!Array.isArray(lookups)) throw bad('lookup must be a list');
  const from = field(block.from, 'from');
  const currency = field(block.currency, 'currency');
  const parsed = lookups.map((entry, i): AmountLookup => {
    if (!isObject(entry as Json)) throw bad(`lookup[${i}] must be an object`);
    const e = entry as Record<string, unknown>;
    for (const key of Object.keys(e))
      if (!['when', 'tool', 'id', 'amount', 'minus', 'currency'].includes(key))
        throw bad(`lookup[${i}] has an unknown key ${key}`);
    const minus = field(e.minus, `lookup[${i}].minus`);
    return {
      when: field(e.when, `lookup[${i}].when`, false)!,
      tool: field(e.tool, `lookup[${i}].tool`, false)!,
      id: field(e.id, `lookup[${i}].id`, false)!,
      amount: field(e.amount, `lookup[${i}].amount`, false)!,
      ...(minus ? { minus } : {}),
      currency: field(e.currency, `lookup[${i}].currency`, false)!,
    };
  });
  // Each of amount and currency must come from somewhere: an argument or a look-up.
  if ((from === undefined || currency === undefined) && parsed.length === 0)
    throw bad('needs from and currency, or a lookup for what they leave out');
  return {
    kind: 'arguments',
    ...(from ? { from } : {}),
    ...(currency ? { currency } : {}),
    lookups: parsed,
    settle: field(block.settle, 'settle') ?? 'amount',
  };
}

/** The arguments a binding reads, for the check that the tool has each of them. */
export function amountBindingArguments(binding: AmountBinding): string[] {
  if (binding.kind === 'unknown') return [];
  return [binding.from, binding.currency, ...binding.lookups.map((l) => l.when)].filter(
    (name): name is string => name !== undefined,
  );
}

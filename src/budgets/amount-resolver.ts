/**
 * The amount and currency a payment call moves, read before it is made: from its arguments where
 * its curation's amount binding says, else from the object it acts on (a refund without `amount`
 * refunds what is left of its charge), fetched with the service's read tool through the executor
 * and the same credential. Anything it cannot determine is `unknown`: a budgeted call is then
 * refused, never let through uncounted.
 */
import type { AmountLookup, Catalog, ToolDefinition } from '../catalog/index.js';
import { FULL_RESULT_ARGUMENT } from '../catalog/index.js';
import type { Executor } from '../executor/index.js';

/** What a call moves: minor units (never negative) of a lower-case ISO currency. */
export interface CallAmount {
  readonly amount: number;
  readonly currency: string;
}

export type AmountVerdict =
  | ({ readonly known: true } & CallAmount)
  | { readonly known: false; readonly reason: string };

/** What a look-up needs: the catalog to find the read tool, the executor to call it. */
export interface AmountSources {
  readonly catalog: Catalog;
  readonly executor: Executor;
}

/** The amount of a call of `tool` with `args` (already validated) made for `agent`. */
export async function resolveAmount(
  sources: AmountSources,
  agent: string,
  tool: ToolDefinition,
  args: Readonly<Record<string, unknown>>,
): Promise<AmountVerdict> {
  const binding = tool.amount;
  if (!binding) return { known: false, reason: `${tool.name} has no amount binding` };
  if (binding.kind === 'unknown') return { known: false, reason: binding.reason };
  let amount = binding.from === undefined ? undefined : minorUnits(own(args, binding.from));
  let currency = binding.currency === undefined ? undefined : currencyCode(own(args, binding.currency));
  if (amount === undefined || currency === undefined) {
    const lookup = binding.lookups.find((candidate) => present(own(args, candidate.when)));
    if (!lookup)
      return {
        known: false,
        reason: `${tool.name} without ${[
          amount === undefined ? binding.from : undefined,
          currency === undefined ? binding.currency : undefined,
        ]
          .filter(Boolean)
          .join(
            ' or ',
          )}${binding.lookups.length > 0 ? ` needs one of ${binding.lookups.map((l) => l.when).join(', ')} to look it up` : ''}`,
      };
    const found = await lookUp(sources, agent, lookup, own(args, lookup.when));
    if (!found.known) return found;
    amount ??= found.amount;
    currency ??= found.currency;
  }
  if (amount === undefined || currency === undefined)
    return { known: false, reason: `the amount of this ${tool.name} call could not be read` };
  return { known: true, amount, currency };
}

/** Reads the object a call acts on and takes its amount (less `minus`) and currency. */
async function lookUp(
  sources: AmountSources,
  agent: string,
  lookup: AmountLookup,
  id: unknown,
): Promise<AmountVerdict> {
  const tool = sources.catalog.find(lookup.tool);
  if (!tool) return { known: false, reason: `the look-up tool ${lookup.tool} is not in the catalog` };
  const what = `${lookup.when} ${typeof id === 'string' ? id : ''}`.trim();
  let body: unknown;
  try {
    const args = sources.catalog.validate(tool, {
      [lookup.id]: id,
      ...(tool.leanResults ? { [FULL_RESULT_ARGUMENT]: true } : {}),
    });
    const result = await sources.executor.call(tool, args, { agent });
    body = JSON.parse(result.text);
  } catch {
    // The upstream's message stays out of the reason: the look-up is keygate's, not the agent's call.
    return { known: false, reason: `the amount of ${what} could not be looked up` };
  }
  const record = body !== null && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  const total = minorUnits(own(record, lookup.amount));
  const less = lookup.minus === undefined ? 0 : minorUnits(own(record, lookup.minus) ?? 0);
  const currency = currencyCode(own(record, lookup.currency));
  if (total === undefined || less === undefined || currency === undefined)
    return { known: false, reason: `${what} has no readable ${lookup.amount} and ${lookup.currency}` };
  return { known: true, amount: Math.max(0, total - less), currency };
}

/** An own property (never one of Object.prototype's). */
function own(record: Readonly<Record<string, unknown>>, key: string): unknown {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function present(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '';
}

/** A safe integer amount, as its absolute value (a negative balance adjustment is a credit). */
function minorUnits(value: unknown): number | undefined {
  const number = typeof value === 'string' && /^-?\d{1,16}$/.test(value) ? Number(value) : value;
  return typeof number === 'number' && Number.isSafeInteger(number) ? Math.abs(number) : undefined;
}

function currencyCode(value: unknown): string | undefined {
  return typeof value === 'string' && /^[A-Za-z]{3}$/.test(value) ? value.toLowerCase() : undefined;
}

/** The amount that moved, from the upstream's answer (`settle` field), else undefined. */
export function settledAmount(text: string, field: string): number | undefined {
  try {
    const body: unknown = JSON.parse(text);
    return body !== null && typeof body === 'object' && !Array.isArray(body)
      ? minorUnits(own(body as Record<string, unknown>, field))
      : undefined;
  } catch {
    return undefined;
  }
}

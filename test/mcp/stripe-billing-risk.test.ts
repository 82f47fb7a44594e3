/**
 * The hand-set risk of Stripe's billing tools. Subscription item changes are writes, not
 * payments, only because their curation leaves `always_invoice` out of `proration_behavior`:
 * Stripe then bills the proration on the next invoice instead of invoicing and charging at once.
 * Such a call must be refused before anything reaches Stripe.
 */
import { describe, expect, it } from 'vitest';
import { useHarnessClient } from '../helpers/harness.js';

/** Tools that charge or refund, and tools that end something for good. */
const RISKS: [string, string][] = [
  ['stripe_subscription_create', 'payment'],
  ['stripe_subscription_resume', 'payment'],
  ['stripe_subscription_schedule_create', 'payment'],
  ['stripe_credit_note_create', 'payment'],
  ['stripe_invoice_delete', 'destructive'],
  ['stripe_invoice_void', 'destructive'],
  ['stripe_invoice_item_delete', 'destructive'],
  ['stripe_credit_note_void', 'destructive'],
  ['stripe_subscription_item_delete', 'destructive'],
  ['stripe_subscription_schedule_cancel', 'destructive'],
  ['stripe_subscription_schedule_release', 'destructive'],
  ['stripe_payout_cancel', 'destructive'],
  ['stripe_dispute_close', 'destructive'],
  ['stripe_invoice_mark_uncollectible', 'write'],
  ['stripe_invoice_item_create', 'write'],
  ['stripe_subscription_item_create', 'write'],
  ['stripe_subscription_item_update', 'write'],
  ['stripe_dispute_update', 'write'],
];

/** Subscription item changes with an otherwise valid call, each asking to invoice at once. */
const ALWAYS_INVOICE: [string, Record<string, unknown>][] = [
  ['stripe_subscription_item_create', { subscription: 'sub_1', price: 'price_1' }],
  ['stripe_subscription_item_update', { item: 'si_1', quantity: 3 }],
  ['stripe_subscription_item_delete', { item: 'si_1' }],
];

describe('Stripe billing tools', () => {
  const ctx = useHarnessClient();

  it.each(RISKS)('%s is %s', (name, risk) => {
    expect(ctx.harness.catalog.get(name).risk).toBe(risk);
  });

  it.each(ALWAYS_INVOICE)('%s offers no proration_behavior that invoices at once', (name) => {
    const schema = ctx.harness.catalog.get(name).inputSchema.properties as Record<
      string,
      { enum?: unknown[] }
    >;
    expect(schema.proration_behavior?.enum).toEqual(['create_prorations', 'none']);
  });

  it.each(ALWAYS_INVOICE)('%s refuses always_invoice and sends nothing to Stripe', async (name, args) => {
    const result = (await ctx.client.callTool({
      name,
      arguments: { ...args, proration_behavior: 'always_invoice' },
    })) as { isError?: boolean; structuredContent?: { error: { code: string } } };

    expect(result.isError).toBe(true);
    expect(result.structuredContent?.error.code).toBe('executor.invalid_arguments');
    expect(ctx.harness.fakes.stripe.requests).toEqual([]);
    expect(ctx.harness.fakes.stripe.refused).toEqual([]);
  });
});

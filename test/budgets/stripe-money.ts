/**
 * Replies of a fake Stripe that moves money, for budget tests: refunds check what Stripe checks
 * (a charge or payment intent, a positive integer amount within what is left of the charge) and
 * answer with the refund, charges answer with their amount and amount_refunded.
 */
import type { FakeReply, RecordedRequest } from '../fakes/fake-upstream.js';

const json = (status: number, body: unknown): FakeReply => ({
  status,
  body: JSON.stringify(body),
  headers: { 'content-type': 'application/json' },
});

const stripeError = (message: string, code?: string) =>
  json(400, { error: { type: 'invalid_request_error', message, ...(code ? { code } : {}) } });

export interface FakeCharge {
  readonly amount: number;
  amount_refunded: number;
  readonly currency: string;
}

/** A fake Stripe's reply function over `charges` (by id); refunds reduce what is left of them. */
export function stripeMoney(charges: Record<string, FakeCharge>): (request: RecordedRequest) => FakeReply {
  let refunds = 0;
  return (request) => {
    const charge = /^\/v1\/charges\/([^/]+)$/.exec(request.path)?.[1];
    if (request.method === 'GET' && charge) {
      const found = charges[charge];
      if (!found)
        return json(404, {
          error: { type: 'invalid_request_error', message: `No such charge: '${charge}'` },
        });
      return json(200, { id: charge, object: 'charge', ...found });
    }
    if (request.method === 'POST' && request.path === '/v1/refunds') {
      const form = new URLSearchParams(request.body);
      const id = form.get('charge');
      if (!id && !form.get('payment_intent'))
        return stripeError('One of charge or payment_intent is required.');
      const found = id ? charges[id] : undefined;
      if (!found) return stripeError(`No such charge: '${id}'`, 'resource_missing');
      const left = found.amount - found.amount_refunded;
      const raw = form.get('amount');
      if (raw !== null && !/^[1-9]\d*$/.test(raw)) return stripeError('Invalid positive integer');
      const amount = raw === null ? left : Number(raw);
      if (amount > left)
        return stripeError(
          `Refund amount ($${amount / 100}) is greater than unrefunded amount on charge ($${left / 100})`,
          'amount_too_large',
        );
      found.amount_refunded += amount;
      refunds++;
      return json(200, {
        id: `re_${refunds}`,
        object: 'refund',
        amount,
        charge: id,
        currency: found.currency,
        status: 'succeeded',
      });
    }
    return json(404, {
      error: {
        type: 'invalid_request_error',
        message: `Unrecognized request URL (${request.method}: ${request.path})`,
      },
    });
  };
}

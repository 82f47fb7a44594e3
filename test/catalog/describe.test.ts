/** Curated descriptions: the first sentence, cut where a reader would cut it. */
import { describe, expect, it } from 'vitest';
import { shortenDescription } from '../../src/catalog/curation/describe.js';

// From GitHub's description of the issue search `sort` parameter.
const GITHUB_SORT =
  'Sorts the results of your query by the number of `comments`, `reactions`, `reactions-+1`, `reactions--1`, `reactions-smile`, `reactions-thinking_face`, `reactions-heart`, `reactions-tada`, or `interactions`. You can also sort results by how recently the items were `created` or `updated`, Default: [best match](https://docs.github.com/rest/search/search#ranking-search-results)';
// From Stripe's description of `proration_behavior`.
const STRIPE_PRORATION =
  "Determines how to handle [prorations](https://stripe.com/docs/billing/subscriptions/prorations) when the billing cycle changes (e.g., when switching plans, resetting `billing_cycle_anchor=now`, or starting a trial), or if an item's `quantity` changes. The default value is `create_prorations`.";

describe('shortenDescription', () => {
  it.each([
    [
      'e.g. inside parentheses',
      'Conflict (e.g. row limit exceeded). Retry later.',
      'Conflict (e.g. row limit exceeded).',
    ],
    [
      'e.g. outside parentheses',
      'Its content under a key of the same name, e.g. {type: paragraph}. Second sentence.',
      'Its content under a key of the same name, e.g. {type: paragraph}.',
    ],
    ['i.e.', 'Use the handle, i.e. the login. Then more.', 'Use the handle, i.e. the login.'],
    ['vs.', 'Sort by created vs. updated time. More.', 'Sort by created vs. updated time.'],
    ['a.k.a.', 'The owner, a.k.a. the account. More.', 'The owner, a.k.a. the account.'],
    ['initials', 'Only in the U.S. for now. More.', 'Only in the U.S. for now.'],
    [
      'etc. running on in lower case',
      'Labels, milestones, etc. are kept. More.',
      'Labels, milestones, etc. are kept.',
    ],
    ['a decimal', 'Rates such as 1.5 are allowed. More.', 'Rates such as 1.5 are allowed.'],
  ])('does not end a sentence at %s', (_case, text, first) => {
    expect(shortenDescription(text)).toBe(first);
  });

  it('ends a sentence at etc. when a capitalised sentence follows', () => {
    expect(shortenDescription('Labels, milestones, etc. The rest is dropped.')).toBe(
      'Labels, milestones, etc.',
    );
  });

  it('cuts a long sentence before a list rather than in the middle of it', () => {
    expect(shortenDescription(GITHUB_SORT)).toBe('Sorts the results of your query by the number of…');
  });

  it('cuts a long sentence after a parenthesis rather than in it, at the clause', () => {
    expect(shortenDescription(STRIPE_PRORATION)).toBe(
      'Determines how to handle prorations when the billing cycle changes (e.g., when switching plans, resetting billing_cycle_anchor=now, or starting a trial)…',
    );
  });

  it('cuts at a word boundary, never inside a word', () => {
    const text =
      'In cases where the source used to pay the invoice has insufficient funds, passing forgive=true controls whether a charge should be attempted for the full amount available on the source.';
    const short = shortenDescription(text)!;
    expect(short).toBe(
      'In cases where the source used to pay the invoice has insufficient funds, passing forgive=true controls whether a charge should be attempted for the full…',
    );
    expect(short.length).toBeLessThanOrEqual(160);
  });

  it('cuts in a parenthesis or list only when no clean cut exists', () => {
    const text = `(${'word '.repeat(50)})`;
    const short = shortenDescription(text, 40)!;
    expect(short).toBe('(word word word word word word word…');
  });

  it('cuts a single long word where it must', () => {
    expect(shortenDescription('x'.repeat(200), 20)).toBe(`${'x'.repeat(19)}…`);
  });
});

/** The catalog checks a call's arguments against its tool's schema, once, before anything else. */
import { beforeAll, describe, expect, it } from 'vitest';
import { type Catalog, loadCatalog } from '../../src/catalog/index.js';
import { isKeygateError } from '../../src/errors/index.js';

const repo = { owner: 'acme', repo: 'api' };

describe('argument validation', () => {
  let catalog: Catalog;
  beforeAll(async () => {
    catalog = await loadCatalog();
  });

  const refusal = (name: string, args: unknown) => {
    try {
      catalog.validate(catalog.get(name), args);
    } catch (error) {
      if (isKeygateError(error)) return { code: error.code, message: error.message, details: error.details };
      throw error;
    }
    throw new Error('the arguments were accepted');
  };

  it.each([
    [
      'an unknown field',
      'github_issue_get',
      { ...repo, issue_number: 1, color: 'red' },
      'unknown argument color',
      'color',
    ],
    [
      'a wrong type',
      'github_issue_get',
      { ...repo, issue_number: 'seven' },
      'issue_number must be integer',
      'issue_number',
    ],
    [
      'a missing required field',
      'github_issue_create',
      { ...repo },
      'missing required argument title',
      'title',
    ],
    [
      'a value outside an enum',
      'github_issue_update',
      { ...repo, issue_number: 1, state: 'deleted' },
      'state must be one of "open", "closed"',
      'state',
    ],
    [
      'arguments that are not an object',
      'github_repo_get',
      'owner=acme',
      'arguments must be a JSON object',
      undefined,
    ],
  ])('refuses %s with executor.invalid_arguments naming the field', (_case, name, args, message, field) => {
    const error = refusal(name, args);
    expect(error.code).toBe('executor.invalid_arguments');
    expect(error.message).toBe(message);
    if (field !== undefined) expect(error.details.field).toBe(field);
  });

  it('takes missing arguments as none', () => {
    expect(catalog.validate(catalog.get('stripe_balance_get'), undefined)).toEqual({});
  });

  it.each([
    [
      'an object',
      'notion_search',
      { filter: '{"property":"object","value":"page"}' },
      { filter: { property: 'object', value: 'page' } },
    ],
    [
      'an array',
      'github_issue_label_add',
      { ...repo, issue_number: 1, labels: '["bug"]' },
      { ...repo, issue_number: 1, labels: ['bug'] },
    ],
    [
      'an object or ""',
      'stripe_refund_create',
      { payment_intent: 'pi_1', metadata: '{"order":"42"}' },
      { payment_intent: 'pi_1', metadata: { order: '42' } },
    ],
    [
      'an address or ""',
      'stripe_customer_update',
      { customer: 'cus_1', address: '{"city":"Paris","country":"FR"}' },
      { customer: 'cus_1', address: { city: 'Paris', country: 'FR' } },
    ],
    [
      'a name or an object, and the string fits the object',
      'github_issue_update',
      { ...repo, issue_number: 1, type: '{"value":"Bug","suggest":true}' },
      { ...repo, issue_number: 1, type: { value: 'Bug', suggest: true } },
    ],
  ])(
    'parses a JSON string where the schema wants %s, and returns what will be sent',
    (_shape, name, args, sent) => {
      expect(catalog.validate(catalog.get(name), args)).toEqual(sent);
    },
  );

  it('keeps "" where the schema takes an object or "", and a JSON-looking string where it wants a string', () => {
    expect(
      catalog.validate(catalog.get('stripe_refund_create'), { payment_intent: 'pi_1', metadata: '' }),
    ).toEqual({
      payment_intent: 'pi_1',
      metadata: '',
    });
    const comment = { ...repo, issue_number: 1, body: '{"a":1}' };
    expect(catalog.validate(catalog.get('github_issue_comment_create'), comment)).toEqual(comment);
  });

  it.each([
    ['Stripe metadata unset with ""', 'stripe_refund_create', { payment_intent: 'pi_1', metadata: '' }],
    ['a text field', 'github_issue_comment_create', { ...repo, issue_number: 1, body: '{"a":1}' }],
    ['a text-or-number field', 'github_issue_update', { ...repo, issue_number: 1, title: '{"a":1}' }],
    [
      'a name-or-object field, where the JSON does not fit the object',
      'github_issue_update',
      { ...repo, issue_number: 1, type: '{"name":"Bug"}' },
    ],
    [
      'a name-or-object field, with a JSON array',
      'github_issue_update',
      { ...repo, issue_number: 1, type: '["Bug"]' },
    ],
  ])('keeps a string as it is: %s', (_case, name, args) => {
    expect(catalog.validate(catalog.get(name), args)).toEqual(args);
  });

  it('returns a copy: the caller’s arguments are left as they were', () => {
    const args = { query: 'Plan', filter: '{"property":"object","value":"page"}' };
    catalog.validate(catalog.get('notion_search'), args);
    expect(args.filter).toBe('{"property":"object","value":"page"}');
  });
});

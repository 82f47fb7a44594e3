import { describe, expect, it } from 'vitest';
import { encodeForm } from '../../src/executor/index.js';

describe('Stripe form encoding', () => {
  it.each([
    [
      'sends nested metadata as metadata[key]=value',
      { metadata: { order_id: '6735', plan: 'pro' } },
      'metadata[order_id]=6735&metadata[plan]=pro',
    ],
    [
      'indexes arrays of objects',
      { items: [{ price: 'p_1', quantity: 2 }, { price: 'p_2' }] },
      'items[0][price]=p_1&items[0][quantity]=2&items[1][price]=p_2',
    ],
    [
      'sends arrays of scalars as key[]',
      { expand: ['customer', 'invoice.subscription'] },
      'expand[]=customer&expand[]=invoice.subscription',
    ],
    ['writes booleans as true and false', { capture: true, livemode: false }, 'capture=true&livemode=false'],
    ['sends an empty string to unset a field', { description: '' }, 'description='],
    ['sends an empty array as an empty value', { default_tax_rates: [] }, 'default_tax_rates='],
    ['leaves out null and undefined', { a: null, b: undefined, c: 'x' }, 'c=x'],
    [
      'nests eight levels deep',
      { a: { b: { c: { d: { e: { f: { g: { h: 'deep' } } } } } } } },
      'a[b][c][d][e][f][g][h]=deep',
    ],
    [
      'percent-encodes values, spaces as %20',
      { name: 'Ada & Co = 100%', email: 'a+b@c.co' },
      'name=Ada%20%26%20Co%20%3D%20100%25&email=a%2Bb%40c.co',
    ],
    [
      'encodes characters in keys but keeps brackets readable',
      { metadata: { 'a b': 'x' } },
      'metadata[a%20b]=x',
    ],
    ['writes numbers as they are', { amount: 2000, rate: 1.5 }, 'amount=2000&rate=1.5'],
  ])('%s', (_name, fields, expected) => {
    expect(encodeForm(fields)).toBe(expected);
  });
});

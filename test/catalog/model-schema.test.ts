/**
 * The advertised schema says with one type and prose what the precise schema says with unions;
 * calls are still checked against the precise one, so nothing the advertised form lets through
 * gets any further than before.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type Catalog,
  describedSchemaOf,
  hasArgumentPath,
  loadCatalog,
  modelSchema,
} from '../../src/catalog/index.js';

const NOTION_ID = '59833787-2cf9-4fdf-8782-e53db20768a5';

describe('modelSchema', () => {
  it.each([
    ['const as an enum of one', { type: 'string', const: 'page' }, { type: 'string', enum: ['page'] }],
    [
      'a nullable type list as the type, with prose',
      { type: ['string', 'null'], description: 'The body.' },
      { type: 'string', description: 'The body. (may be null)' },
    ],
    [
      'null out of an enum',
      { type: ['string', 'null'], enum: ['a', 'b', null] },
      { type: 'string', enum: ['a', 'b'], description: '(may be null)' },
    ],
    [
      'a format only some APIs know as prose, a common one as it is',
      {
        type: 'object',
        properties: { id: { type: 'string', format: 'uuid' }, at: { type: 'string', format: 'date-time' } },
      },
      {
        type: 'object',
        properties: {
          id: { type: 'string', description: '(format: uuid)' },
          at: { type: 'string', format: 'date-time' },
        },
      },
    ],
    [
      'Stripe\'s object or "" as the object, saying how to unset',
      {
        anyOf: [
          { type: 'object', additionalProperties: { type: 'string' } },
          { type: 'string', enum: [''] },
        ],
        description: 'Metadata.',
      },
      {
        type: 'object',
        additionalProperties: { type: 'string' },
        description: 'Metadata. (send "" to unset)',
      },
    ],
    [
      'a choice of scalars as the one that takes the most, naming the others',
      { oneOf: [{ type: 'integer' }, { type: 'string' }, { type: 'null' }], description: 'The title.' },
      { type: 'string', description: 'The title. (or an integer; may be null)' },
    ],
    [
      'listed numbers as prose (Gemini lists only strings)',
      { enum: [1, 2, null] },
      { type: 'integer', description: '(may be null; one of 1, 2)' },
    ],
    ['a constant number as prose', { const: 3 }, { type: 'integer', description: '(always 3)' }],
    [
      'listed values beside a number as the number',
      { anyOf: [{ type: 'string', enum: ['inf'] }, { type: 'integer' }] },
      { type: 'integer', description: '(or "inf")' },
    ],
  ])('writes %s', (_case, precise, advertised) => {
    expect(modelSchema(precise)).toEqual(advertised);
  });

  it('writes a choice of object shapes as the widest object, naming the shapes', () => {
    const parent = {
      oneOf: [
        { type: 'object', properties: { page_id: { type: 'string' } }, required: ['page_id'] },
        {
          type: 'object',
          properties: { type: { type: 'string', const: 'database_id' }, database_id: { type: 'string' } },
          required: ['database_id', 'type'],
        },
        {
          type: 'object',
          properties: { type: { type: 'string', const: 'workspace' }, workspace: { type: 'boolean' } },
          required: ['workspace', 'type'],
        },
      ],
    };
    expect(modelSchema(parent)).toEqual({
      type: 'object',
      properties: {
        page_id: { type: 'string' },
        type: { type: 'string', enum: ['database_id', 'workspace'] },
        database_id: { type: 'string' },
        workspace: { type: 'boolean' },
      },
      description:
        '(one of: {page_id} | {type: "database_id", database_id} | {type: "workspace", workspace})',
    });
  });

  it('requires of the widest object only what every shape requires', () => {
    const advertised = modelSchema({
      anyOf: [
        {
          type: 'object',
          properties: { q: { type: 'string' }, limit: { type: 'integer' } },
          required: ['q', 'limit'],
        },
        {
          type: 'object',
          properties: { q: { type: 'string' }, cursor: { type: 'string' } },
          required: ['q'],
        },
      ],
    });
    expect(advertised.required).toEqual(['q']);
  });

  it('leaves the precise schema as it was', () => {
    const precise = { type: 'object', properties: { a: { type: ['string', 'null'], const: 'x' } } };
    const copy = structuredClone(precise);
    modelSchema(precise);
    expect(precise).toEqual(copy);
  });
});

describe('the catalog validates against the precise schema, not the advertised one', () => {
  let catalog: Catalog;
  beforeAll(async () => {
    catalog = await loadCatalog();
  });

  const outcome = (name: string, args: Record<string, unknown>) => {
    try {
      catalog.validate(catalog.get(name), args);
      return 'accepted';
    } catch (error) {
      return (error as Error).message;
    }
  };

  it("advertises Notion's parent as one object, yet refuses a parent that mixes two shapes", () => {
    const tool = catalog.get('notion_page_create');
    // tools/list folds it to a plain object naming the shapes, to fit; describe shows it whole.
    const parent = (describedSchemaOf(tool).properties as Record<string, Record<string, unknown>>).parent!;
    expect(parent.type).toBe('object');
    expect(Object.keys(parent.properties as object)).toEqual([
      'page_id',
      'type',
      'data_source_id',
      'database_id',
    ]);
    expect(outcome('notion_page_create', { parent: { page_id: NOTION_ID }, properties: {} })).toBe(
      'accepted',
    );
    expect(
      outcome('notion_page_create', {
        parent: { page_id: NOTION_ID, database_id: NOTION_ID },
        properties: {},
      }),
    ).not.toBe('accepted');
  });

  it('still takes the choices the advertised schema names only in prose', () => {
    const issue = { owner: 'acme', repo: 'api', issue_number: 1 };
    expect(outcome('github_issue_update', { ...issue, title: 42 })).toBe('accepted');
    expect(outcome('github_issue_update', { ...issue, state_reason: null })).toBe('accepted');
    expect(outcome('github_issue_update', { ...issue, type: { value: 'Bug' } })).toBe('accepted');
    expect(outcome('github_issue_update', { ...issue, state_reason: 'gone' })).toMatch(
      /state_reason must be one of/,
    );
  });

  it('keeps Stripe\'s "" unset, though the advertised metadata is an object', () => {
    const metadata = (catalog.get('stripe_refund_create').inputSchema.properties as Record<string, unknown>)
      .metadata;
    expect(metadata).toMatchObject({ type: 'object' });
    expect(outcome('stripe_refund_create', { payment_intent: 'pi_1', metadata: '' })).toBe('accepted');
    expect(outcome('stripe_refund_create', { payment_intent: 'pi_1', metadata: 'x' })).not.toBe('accepted');
  });

  it('lets policy name a member of a shape the advertised schema folds into prose', () => {
    expect(hasArgumentPath(catalog.get('github_issue_update'), 'type.value')).toBe(true);
  });
});

/**
 * tools/list's compact form of an advertised schema: what the schema already says is not said
 * twice, and a tool still over its budget is folded only as far as needed, never below what the
 * precise schema checks.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type Catalog,
  compactSchema,
  describedSchemaOf,
  fitSchema,
  type JsonSchema,
  loadCatalog,
} from '../../src/catalog/index.js';

const GITHUB = { tool: 'github_workflow_run_get', service: 'github' };
const object = (properties: Record<string, JsonSchema>): JsonSchema => ({ type: 'object', properties });
const props = (schema: JsonSchema) => schema.properties as Record<string, JsonSchema>;

describe('compactSchema', () => {
  it.each([
    ['its own name and a required sibling', 'owner', 'The account owner of the repository.'],
    ['the tool it belongs to', 'run_id', 'The unique identifier of the workflow run.'],
    ['a spelled-out pull request', 'pull_number', 'The number that identifies the pull request.'],
    ['a generic lead', 'page', 'The page number of the results to fetch.'],
  ])('drops a description that only restates %s', (_case, name, description) => {
    const schema = {
      ...object({ [name]: { type: 'string', description }, repo: { type: 'string' } }),
      required: ['repo'],
    };
    expect(props(compactSchema(schema, GITHUB))[name]).toEqual({ type: 'string' });
  });

  it('keeps a description naming an optional sibling: it says which argument is which', () => {
    const schema = object({
      body: { type: 'string', description: 'The release notes.' },
      generate_release_notes: { type: 'boolean' },
    });
    const release = { tool: 'github_release_create', service: 'github' };
    expect(props(compactSchema(schema, release)).body!.description).toBe('The release notes.');
  });

  it('keeps what a name does not say, and the notes of a restating one', () => {
    const schema = object({
      repo: { type: 'string', description: 'The name of the repository without the .git extension.' },
      per_page: { type: 'integer', description: 'The number of results per page (max 100).' },
      since: {
        type: 'string',
        description: 'Only show results that were last updated after the given time.',
      },
    });
    const out = props(compactSchema(schema, GITHUB));
    expect(out.repo!.description).toBe('The name of the repository without the .git extension.');
    expect(out.per_page!.description).toBe('(max 100)');
    expect(out.since!.description).toBe('Only show results that were last updated after the given time.');
  });

  it('counts the enum as said: a description listing the values goes', () => {
    const schema = object({
      status: {
        type: 'string',
        enum: ['draft', 'open', 'paid'],
        description: 'The status of the invoice, one of draft, open or paid.',
      },
    });
    expect(props(compactSchema(schema, { tool: 'stripe_invoice_list', service: 'stripe' })).status).toEqual({
      type: 'string',
      enum: ['draft', 'open', 'paid'],
    });
  });

  it('drops a false default of a flag, and the unset note below the top level only', () => {
    const schema = object({
      draft: { type: 'boolean', default: false },
      latest: { type: 'boolean', default: true },
      metadata: {
        type: 'object',
        description: 'Pairs. (send "" to unset)',
        properties: { inner: { type: 'object', description: 'Kept as a note. (send "" to unset)' } },
      },
    });
    const out = props(compactSchema(schema, GITHUB));
    expect(out.draft).toEqual({ type: 'boolean' });
    expect(out.latest).toEqual({ type: 'boolean', default: true });
    expect(out.metadata!.description).toBe('Pairs. (send "" to unset)');
    expect(props(out.metadata!).inner!.description).toBe('Kept as a note.');
  });

  it('shows a shape shared by siblings once, naming the others there', () => {
    const text = {
      type: 'object',
      properties: { rich_text: { type: 'array', items: { type: 'object' } }, color: { type: 'string' } },
    };
    const schema = object({
      paragraph: text,
      quote: { ...text, description: 'Text set apart.' },
      code: text,
    });
    const out = props(compactSchema(schema, GITHUB));
    expect(out.paragraph).toEqual({ ...text, description: '(quote, code take the same fields)' });
    expect(out.quote).toEqual({ type: 'object', description: 'Text set apart.' });
    expect(out.code).toEqual({ type: 'object' });
  });

  it('leaves its input as it was', () => {
    const schema = object({ owner: { type: 'string', description: 'The account owner of the repository.' } });
    const copy = structuredClone(schema);
    compactSchema(schema, GITHUB);
    expect(schema).toEqual(copy);
  });
});

describe('fitSchema', () => {
  const statuses = [
    'completed',
    'action_required',
    'cancelled',
    'failure',
    'neutral',
    'skipped',
    'timed_out',
    'in_progress',
    'requested',
    'waiting',
  ];
  const schema = object({
    status: { type: 'string', enum: statuses },
    items: {
      type: 'array',
      items: object({
        price: { type: 'string' },
        price_data: {
          type: 'object',
          required: ['currency'],
          properties: { currency: { type: 'string' }, recurring: object({ interval: { type: 'string' } }) },
        },
      }),
    },
  });
  const size = (s: JsonSchema) => JSON.stringify(s).length;

  it('changes nothing within the budget', () => {
    expect(fitSchema(schema, size(schema))).toBe(schema);
  });

  it('names a long enum by a few values first, then folds the deepest objects, as far as needed', () => {
    const enumOnly = fitSchema(schema, size(schema) - 20);
    expect(props(enumOnly).status).toEqual({
      type: 'string',
      description: '(one of 10 values: completed, action_required, cancelled, failure, neutral, …)',
    });
    expect(props(enumOnly).items).toEqual(props(schema).items);

    const folded = fitSchema(schema, size(enumOnly) - 30);
    const item = props(props(folded).items!.items as JsonSchema);
    expect(item.price).toEqual({ type: 'string' });
    expect(item.price_data).toEqual({
      type: 'object',
      description: '(fields {currency*, recurring}; * required)',
    });
    expect(size(folded)).toBeLessThanOrEqual(size(enumOnly) - 30);
  });

  it('leaves the schema whole when folding cannot get it within the budget', () => {
    expect(fitSchema(schema, 40)).toBe(schema);
  });
});

describe('the catalog', () => {
  let catalog: Catalog;
  beforeAll(async () => {
    catalog = await loadCatalog();
  });

  it('describes each tool with every argument it lists, in full', () => {
    for (const tool of catalog.tools) {
      expect(Object.keys(props(describedSchemaOf(tool))), tool.name).toEqual(
        Object.keys(props(tool.inputSchema)),
      );
      expect(JSON.stringify(describedSchemaOf(tool)).length, tool.name).toBeGreaterThanOrEqual(
        JSON.stringify(tool.inputSchema).length,
      );
    }
  });
});

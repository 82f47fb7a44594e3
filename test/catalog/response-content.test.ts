/** The curation check of untrusted-content rules: every string field of every answer is classified. */
import { describe, expect, it } from 'vitest';
import { checkResponseContent } from '../../src/catalog/curation/response-content.js';
import type { JsonObject } from '../../src/catalog/index.js';

const doc = {
  components: {
    schemas: {
      issue: {
        type: 'object',
        properties: {
          id: { type: 'integer' },
          node_id: { type: 'string' },
          state: { type: 'string', enum: ['open', 'closed'] },
          created_at: { type: 'string', format: 'date-time' },
          title: { type: 'string' },
          body: { type: 'string', nullable: true },
          labels: { type: 'array', items: { $ref: '#/components/schemas/label' } },
          metadata: { type: 'object', additionalProperties: { type: 'string' } },
          parent: { $ref: '#/components/schemas/issue' },
        },
      },
      label: { type: 'object', properties: { name: { type: 'string' }, color: { type: 'string' } } },
      customer: {
        type: 'object',
        properties: {
          invoice: {
            anyOf: [{ type: 'string' }, { $ref: '#/components/schemas/label' }],
            'x-expansionResources': { oneOf: [{ $ref: '#/components/schemas/label' }] },
          },
        },
      },
    },
  },
} as unknown as JsonObject;

const answers = [
  { tool: 'x_issue_list', schema: { type: 'array', items: { $ref: '#/components/schemas/issue' } } },
  { tool: 'x_customer_get', schema: { $ref: '#/components/schemas/customer' } },
  { tool: 'x_undocumented', schema: undefined },
] as const;

const block = (thirdParty: string[], service: string[], operations = {}) => ({
  third_party: thirdParty,
  service,
  operations,
});

describe('checkResponseContent', () => {
  it('names each tool and path no rule covers', () => {
    expect(() => checkResponseContent(doc, block([], ['*_id']), [...answers])).toThrow(
      /x_issue_list: response field \[\]\.title is not classified.*\[\]\.body.*\[\]\.labels\[\]\.name.*\[\]\.metadata\.\* is not classified \(a map/,
    );
  });

  it('passes when names cover every field, enums, dates and expandable ids needing no line', () => {
    const checked = checkResponseContent(
      doc,
      block(['title', 'body', 'name', 'metadata'], ['*_id', 'color']),
      [...answers],
    );
    expect(checked.service.third_party).toEqual(['title', 'body', 'name', 'metadata']);
    // The shaped names are given to the run time, which classifies by name alone.
    expect(checked.service.service).toEqual(['*_id', 'color', 'created_at', 'invoice', 'state']);
  });

  it('covers everything under a third-party field, and a map by `<map>.*` in service', () => {
    expect(() =>
      checkResponseContent(doc, block(['title', 'body', 'labels', 'name'], ['*_id', 'metadata.*', 'color']), [
        ...answers,
      ]),
    ).not.toThrow();
  });

  it('takes per-tool lists over the service lists, and refuses one naming no tool', () => {
    const ops = { x_issue_list: { third_party: ['title', 'body', 'metadata'], service: ['name'] } };
    expect(() =>
      checkResponseContent(doc, block(['name'], ['*_id', 'color'], ops), [...answers]),
    ).not.toThrow();
    expect(() =>
      checkResponseContent(
        doc,
        block(['title', 'body', 'name', 'metadata'], ['*_id', 'color'], { x_nope: ops.x_issue_list }),
        [...answers],
      ),
    ).toThrow(/response_content\.operations\.x_nope: no such tool/);
  });
});

/** Query and path serialisation by OpenAPI style, on a small synthetic spec. */
import { describe, expect, it } from 'vitest';
import { catalogFromDocuments, type JsonObject } from '../../src/catalog/index.js';
import { buildRequest } from '../../src/executor/index.js';

const doc = {
  openapi: '3.0.3',
  info: { title: 'Test API', version: '1' },
  servers: [{ url: 'https://api.example.com/base/' }],
  'x-keygate': { service: 'test', headers: { 'X-Api-Version': '7' }, idempotency_key: false },
  paths: {
    '/things/{id}': {
      get: {
        operationId: 'getThing',
        description: 'Get a thing.',
        parameters: [
          { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
          { name: 'tags', in: 'query', schema: { type: 'array', items: { type: 'string' } } },
          { name: 'ids', in: 'query', explode: false, schema: { type: 'array', items: { type: 'string' } } },
          { name: 'filter', in: 'query', style: 'deepObject', explode: true, schema: { type: 'object' } },
          {
            name: 'pipes',
            in: 'query',
            style: 'pipeDelimited',
            schema: { type: 'array', items: { type: 'string' } },
          },
          { name: 'point', in: 'query', schema: { type: 'object', properties: { x: { type: 'integer' } } } },
        ],
        responses: { 200: { description: 'ok' } },
        'x-keygate': { tool: 'test_thing_get', risk: 'read' },
      },
    },
  },
};

const catalog = catalogFromDocuments([doc as unknown as JsonObject]);
const tool = catalog.get('test_thing_get');
const service = catalog.service('test');
const build = (args: Record<string, unknown>) =>
  buildRequest(tool, service, args, { userAgent: 'keygate-test' });

describe('request building', () => {
  it.each([
    ['form, exploded array', { tags: ['a', 'b'] }, 'tags=a&tags=b'],
    ['form, non-exploded array', { ids: ['1', '2'] }, 'ids=1%2C2'],
    [
      'deepObject',
      { filter: { status: 'open', created: { gte: 5 } } },
      'filter[status]=open&filter[created][gte]=5',
    ],
    ['pipeDelimited', { pipes: ['x', 'y'] }, 'pipes=x%7Cy'],
    ['form, exploded object', { point: { x: 3 } }, 'x=3'],
  ])('serialises %s', (_style, args, query) => {
    expect(build({ id: 't1', ...args }).url.search).toBe(`?${query}`);
  });

  it('joins the path onto a base URL that has its own path', () => {
    expect(build({ id: 'a b' }).url.toString()).toBe('https://api.example.com/base/things/a%20b');
  });

  it('sends the service headers and a user agent, and no body on GET', () => {
    const request = build({ id: 't1' });
    expect(request.headers).toMatchObject({ 'x-api-version': '7', 'user-agent': 'keygate-test' });
    expect(request.body).toBeUndefined();
  });

  it('uses a base URL override (policy base_url)', () => {
    const request = buildRequest(
      tool,
      service,
      { id: 'x' },
      { userAgent: 'k', baseUrl: 'http://127.0.0.1:9/v3' },
    );
    expect(request.url.toString()).toBe('http://127.0.0.1:9/v3/things/x');
  });

  it.each([
    ['..', 'path parameter id must not be "." or "..", nor contain "/" or "\\"'],
    ['.', 'path parameter id must not be "." or "..", nor contain "/" or "\\"'],
    ['a/b', 'path parameter id must not be "." or "..", nor contain "/" or "\\"'],
    ['a\\b', 'path parameter id must not be "." or "..", nor contain "/" or "\\"'],
  ])('refuses the path value %j, saying exactly what is refused', (id, message) => {
    expect(() => build({ id })).toThrow(message);
  });

  it('accepts dots inside a path value (next.js, .github)', () => {
    expect(build({ id: 'next.js' }).url.pathname).toBe('/base/things/next.js');
    expect(build({ id: '.github' }).url.pathname).toBe('/base/things/.github');
  });
});

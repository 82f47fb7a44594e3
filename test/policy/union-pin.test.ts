/** A constraint on a member of a choice of object shapes pins the shape, not just the member. */
import { beforeAll, describe, expect, it } from 'vitest';
import { type Catalog, catalogFromDocuments, type JsonObject, loadCatalog } from '../../src/catalog/index.js';
import { PolicyEngine, parsePolicy } from '../../src/policy/index.js';

const PAGE = '59833787-2cf9-4fdf-8782-e53db20768a5';
const caller = { agent: 'writer', tokenId: 't', tools: null };

function engineFor(catalog: Catalog, text: string): PolicyEngine {
  const result = parsePolicy(text, catalog);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return new PolicyEngine(result.policy, catalog);
}

describe('the catalog keeps the shapes of a union argument', () => {
  it("records notion_page_create's parent: its members, discriminator and each shape's tag", async () => {
    const catalog = await loadCatalog(['notion']);
    expect(catalog.get('notion_page_create').unions.get('parent')).toEqual({
      discriminator: 'type',
      branches: [
        { keys: ['page_id'], tag: 'page_id' },
        { keys: ['type', 'data_source_id'], tag: 'data_source_id' },
        { keys: ['type', 'database_id'], tag: 'database_id' },
      ],
      shared: [],
    });
    expect(
      catalog
        .get('notion_page_move')
        .unions.get('parent')
        ?.branches.map((b) => b.tag),
    ).toEqual(['page_id', 'data_source_id']);
  });
});

describe('a pinned parent.page_id pins the page shape', () => {
  let catalog: Catalog;
  let engine: PolicyEngine;
  beforeAll(async () => {
    catalog = await loadCatalog(['notion']);
    engine = engineFor(
      catalog,
      `services:\n  notion: { spec: builtin:notion, credential: notion }\nagents:\n  writer:\n    tools: [notion_page_create, notion_page_move]\n    constraints:\n      "notion_page_*": { parent.page_id: "${PAGE}" }\n`,
    );
  });
  const decide = (tool: string, parent: unknown) =>
    engine.decide(caller, catalog.get(tool), { page_id: PAGE, parent, properties: {} });

  it.each([
    [
      'a discriminator naming a shape keygate does not know',
      { page_id: PAGE, type: 'workspace', workspace: true },
      'parent.type must be "page_id": parent must be the shape with page_id (policy constrains parent.page_id)',
    ],
    [
      'a discriminator naming another parent',
      { page_id: PAGE, type: 'block_id', block_id: 'other' },
      'parent.type must be "page_id": parent must be the shape with page_id (policy constrains parent.page_id)',
    ],
    [
      'a member of another shape, without a discriminator',
      { page_id: PAGE, database_id: 'other' },
      'parent.database_id is not allowed: parent must be the shape with page_id (members: page_id, type) (policy constrains parent.page_id)',
    ],
    [
      'a member of no shape',
      { page_id: PAGE, workspace: true },
      'parent.workspace is not allowed: parent must be the shape with page_id (members: page_id, type) (policy constrains parent.page_id)',
    ],
    [
      "another shape's discriminator",
      { page_id: PAGE, type: 'data_source_id' },
      'parent.type must be "page_id": parent must be the shape with page_id (policy constrains parent.page_id)',
    ],
  ])('refuses %s', (_case, parent, reason) => {
    expect(decide('notion_page_create', parent)).toEqual({ allowed: false, reason });
  });

  it.each([
    ['the page id alone', { page_id: PAGE }],
    ['the page id with its own discriminator', { type: 'page_id', page_id: PAGE }],
  ])('allows %s', (_case, parent) => {
    expect(decide('notion_page_create', parent).allowed).toBe(true);
    expect(decide('notion_page_move', parent).allowed).toBe(true);
  });

  it('still names the pinned value first when it differs', () => {
    expect(decide('notion_page_create', { page_id: 'other', type: 'workspace' })).toEqual({
      allowed: false,
      reason: `parent.page_id must be "${PAGE}"`,
    });
  });

  it('refuses another shape on notion_page_move too', () => {
    expect(decide('notion_page_move', { page_id: PAGE, type: 'data_source_id' }).allowed).toBe(false);
  });
});

describe('a root body that is a choice of shapes', () => {
  // A body union is offered as one flat set of arguments; pinning one shape's member pins the shape.
  const doc: JsonObject = {
    openapi: '3.1.0',
    info: { title: 'Shapes', version: '1' },
    servers: [{ url: 'https://api.example.com' }],
    'x-keygate': { service: 'shapes' },
    paths: {
      '/v1/{account}/transfers': {
        post: {
          operationId: 'create-transfer',
          'x-keygate': { tool: 'shapes_transfer_create', risk: 'payment' },
          parameters: [{ name: 'account', in: 'path', required: true, schema: { type: 'string' } }],
          requestBody: {
            content: {
              'application/json': {
                schema: {
                  oneOf: [
                    {
                      type: 'object',
                      properties: { kind: { const: 'internal' }, to_account: { type: 'string' } },
                    },
                    {
                      type: 'object',
                      properties: { kind: { const: 'external' }, iban: { type: 'string' } },
                    },
                  ],
                },
              },
            },
          },
        },
      },
    },
  };
  const catalog = catalogFromDocuments([doc]);
  const engine = engineFor(
    catalog,
    `services:\n  shapes: { spec: builtin:shapes, credential: shapes }\nagents:\n  writer:\n    tools: [shapes_transfer_create]\n    constraints:\n      shapes_transfer_create: { to_account: acme-savings }\n`,
  );
  const tool = catalog.get('shapes_transfer_create');

  it('keeps the shapes at the root, with path arguments shared by both', () => {
    expect(tool.unions.get('')).toEqual({
      discriminator: 'kind',
      branches: [
        { keys: ['kind', 'to_account'], tag: 'internal' },
        { keys: ['kind', 'iban'], tag: 'external' },
      ],
      shared: ['account'],
    });
  });

  it.each([
    [{ account: 'a', to_account: 'acme-savings' }, undefined],
    [{ account: 'a', kind: 'internal', to_account: 'acme-savings' }, undefined],
    [
      { account: 'a', to_account: 'acme-savings', iban: 'DE00' },
      'iban is not allowed: the arguments must be the shape with to_account (members: kind, to_account) (policy constrains to_account)',
    ],
    [
      { account: 'a', kind: 'external', to_account: 'acme-savings' },
      'kind must be "internal": the arguments must be the shape with to_account (policy constrains to_account)',
    ],
  ])('decides %j', (args, reason) => {
    const decision = engine.decide(caller, tool, args);
    expect(decision.allowed ? undefined : decision.reason).toBe(reason);
  });
});

describe('a dotted constraint must name a member some matched tool has', () => {
  it.each([
    ['parent.page_idd', 'no tool matching notion_page_create has an argument parent.page_idd'],
    ['parent.page_id.x', 'no tool matching notion_page_create has an argument parent.page_id.x'],
    ['parent.page_id', undefined],
    ['parent.database_id', undefined],
    ['properties.Name', undefined], // an open object: any member may be constrained
  ])('%s', async (arg, message) => {
    const catalog = await loadCatalog(['notion']);
    const result = parsePolicy(
      `services:\n  notion: { spec: builtin:notion, credential: notion }\nagents:\n  writer:\n    tools: [notion_page_create]\n    constraints:\n      notion_page_create: { ${arg}: x }\n`,
      catalog,
    );
    expect(result.ok ? undefined : result.problems.map((p) => p.message).join('\n')).toBe(message);
  });
});

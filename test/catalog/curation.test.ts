/** Curation and tool building on a small synthetic upstream description. */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { curate, parseCuration, validateCurated } from '../../src/catalog/curation/index.js';
import { buildTools, catalogFromDocuments, type JsonObject } from '../../src/catalog/index.js';
import { specCurateCommand } from '../../src/cli/spec-curate.js';
import { buildRequest } from '../../src/executor/index.js';

const upstream = {
  openapi: '3.0.3',
  info: { title: 'Upstream', version: '9.9' },
  paths: {
    '/orgs/{org}/things/{id}': {
      parameters: [{ $ref: '#/components/parameters/org' }],
      get: {
        operationId: 'things/get',
        summary: 'Get a thing. More prose here.',
        parameters: [
          { name: 'id', in: 'path', required: true, schema: { type: 'integer', format: 'int64' } },
          { name: 'X-Trace', in: 'header', schema: { type: 'string' } },
          {
            name: 'verbose',
            in: 'query',
            schema: { type: 'boolean' },
            description: 'Say more. [Docs](https://x)',
          },
        ],
        responses: {
          200: {
            description: 'OK',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Unused' } } },
          },
        },
      },
      patch: {
        operationId: 'things/update',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer' } }],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['name'],
                properties: {
                  org: { type: 'string', description: 'Collides with the path parameter.' },
                  name: { type: 'string', example: 'x' },
                  parent: { $ref: '#/components/schemas/Node' },
                  note: { nullable: true, description: 'Anything.' },
                  owner: { oneOf: [{ type: 'string' }, { type: 'integer' }], nullable: true },
                  secret: { type: 'string', format: 'password' },
                  created: { type: 'string', readOnly: true },
                  tags: { type: 'array' },
                },
              },
            },
          },
        },
        responses: { 200: { description: 'OK' } },
      },
    },
    '/search': {
      post: {
        operationId: 'search',
        requestBody: {
          content: {
            'application/json': {
              schema: {
                oneOf: [
                  {
                    type: 'object',
                    required: ['q', 'limit'],
                    properties: { q: { type: 'string' }, limit: { type: 'integer' } },
                  },
                  {
                    type: 'object',
                    required: ['q'],
                    properties: { q: { type: 'string' }, cursor: { type: 'string' } },
                  },
                ],
              },
            },
          },
        },
        responses: { 200: { description: 'OK' } },
      },
    },
    '/ignored': { get: { operationId: 'ignored', responses: { 200: { description: 'OK' } } } },
  },
  components: {
    parameters: { org: { name: 'org', in: 'path', required: true, schema: { type: 'string' } } },
    schemas: {
      Node: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          child: { $ref: '#/components/schemas/Node' },
          kind: { $ref: '#/components/schemas/Kind' },
        },
      },
      Kind: { type: 'string', enum: ['a', 'b'] },
      Unused: { type: 'object', properties: { x: { type: 'string' } } },
      Orphan: { type: 'string' },
    },
  },
};

const curationYaml = `
service: mini
title: Mini API (test)
upstream: mini.json
server: https://mini.example.com
headers: { X-Mini-Version: "3" }
operations:
  - op: things/get
    tool: mini_thing_get
    risk: read
    description: Get one thing.
  - op: PATCH /orgs/{org}/things/{id}
    tool: mini_thing_update
    risk: write
    description: Update a thing.
    aliases: [mini_thing_edit]
  - op: search
    tool: mini_search
    risk: read
    description: Search things.
`;

describe('curation', () => {
  let doc: JsonObject;
  beforeAll(() => {
    doc = curate(parseCuration(curationYaml, 'mini.curation.yaml'), upstream as unknown as JsonObject);
  });
  const tool = (name: string) => catalogFromDocuments([doc]).get(name);

  it('keeps only the curated operations and the component schemas they reach', () => {
    expect(Object.keys(doc.paths as object).sort()).toEqual(['/orgs/{org}/things/{id}', '/search']);
    expect(Object.keys((doc.components as { schemas: object }).schemas).sort()).toEqual(['Kind', 'Node']);
    expect(doc['x-keygate']).toEqual({
      service: 'mini',
      headers: { 'X-Mini-Version': '3' },
      idempotency_key: false,
    });
  });

  it('finds operations by operationId and by METHOD /path, and keeps aliases', () => {
    expect(tool('mini_thing_get').operation).toEqual({
      method: 'GET',
      path: '/orgs/{org}/things/{id}',
      operationId: 'things/get',
    });
    expect(tool('mini_thing_edit').name).toBe('mini_thing_update');
  });

  it('merges path-item parameters, inlines $ref parameters and drops header parameters', () => {
    expect(Object.keys(tool('mini_thing_get').inputSchema.properties as object)).toEqual([
      'org',
      'id',
      'verbose',
    ]);
  });

  it('suffixes a body field that collides with a path parameter and maps it back', () => {
    const update = tool('mini_thing_update');
    expect(update.inputSchema.properties).toHaveProperty('org_body');
    const catalog = catalogFromDocuments([doc]);
    const request = buildRequest(
      update,
      catalog.service('mini'),
      { org: 'acme', id: 1, name: 'n', org_body: 'other' },
      { userAgent: 't' },
    );
    expect(request.url.pathname).toBe('/orgs/acme/things/1');
    expect(JSON.parse(String(request.body))).toEqual({ org: 'other', name: 'n' });
  });

  it('cuts recursive schemas instead of looping', () => {
    const parent = (tool('mini_thing_update').inputSchema.properties as Record<string, JsonObject>).parent!;
    expect((parent.properties as Record<string, JsonObject>).child).toEqual({
      type: 'object',
      description: '(recursive: fields not described)',
    });
    expect((parent.properties as Record<string, JsonObject>).kind).toEqual({
      type: 'string',
      enum: ['a', 'b'],
    });
  });

  it('turns nullable into JSON Schema, moves vendor formats to prose, marks passwords, drops readOnly', () => {
    const update = tool('mini_thing_update');
    const props = update.argumentSchema!.properties as Record<string, JsonObject>;
    expect(props.note).toEqual({ description: 'Anything.' });
    expect(props.owner).toEqual({ oneOf: [{ type: 'string' }, { type: 'integer' }, { type: 'null' }] });
    expect(props.tags).toEqual({ type: 'array', items: {} });
    expect(props.created).toBeUndefined();
    expect(props.name).toEqual({ type: 'string' });
    expect(update.sensitiveArguments).toEqual(['secret']);
    const id = (tool('mini_thing_get').argumentSchema!.properties as Record<string, JsonObject>).id;
    // `int64` of an integer says nothing the type does not: no note for it.
    expect(id).toEqual({ type: 'integer' });
  });

  it('advertises the nullable union as one type with prose, and validates against the precise one', () => {
    const update = tool('mini_thing_update');
    const advertised = update.inputSchema.properties as Record<string, JsonObject>;
    expect(advertised.owner).toEqual({ type: 'string', description: '(or an integer; may be null)' });
    const catalog = catalogFromDocuments([doc]);
    for (const owner of ['acme', 7, null]) {
      expect(catalog.validate(update, { org: 'o', id: 1, name: 'n', owner })).toMatchObject({ owner });
    }
    expect(() => catalog.validate(update, { org: 'o', id: 1, name: 'n', owner: true })).toThrow(/owner/);
  });

  it('trims descriptions to one plain sentence', () => {
    const verbose = (tool('mini_thing_get').inputSchema.properties as Record<string, JsonObject>).verbose;
    expect(verbose?.description).toBe('Say more.');
  });

  it('flattens a root union body into optional fields, requiring what every branch requires', () => {
    const search = tool('mini_search').inputSchema;
    expect(Object.keys(search.properties as object)).toEqual(['q', 'limit', 'cursor']);
    expect(search.required).toEqual(['q']);
  });

  it('is deterministic', () => {
    const again = curate(
      parseCuration(curationYaml, 'mini.curation.yaml'),
      upstream as unknown as JsonObject,
    );
    expect(JSON.stringify(again)).toBe(JSON.stringify(doc));
  });

  it.each([
    [
      'a tool name outside the pattern',
      curationYaml.replace('mini_search', 'Mini-Search'),
      'operations.2.tool',
    ],
    [
      'a tool without the service prefix',
      curationYaml.replace('mini_search', 'other_search'),
      'must start with mini_',
    ],
    ['an unknown risk', curationYaml.replace('risk: write', 'risk: dangerous'), 'operations.1.risk'],
    [
      'a duplicate tool name',
      curationYaml.replace('tool: mini_search', 'tool: mini_thing_get'),
      'duplicate tool name mini_thing_get',
    ],
    [
      'a managed header',
      curationYaml.replace('X-Mini-Version', 'Authorization'),
      'headers.Authorization: managed by keygate',
    ],
    ['an unknown key', `${curationYaml}\nextra: 1\n`, 'extra'],
    [
      'lean results without a lean_results profile',
      curationYaml.replace(
        '    description: Search things.',
        '    description: Search things.\n    lean: true',
      ),
      'mini_search: lean needs a lean_results profile',
    ],
    [
      'an unknown lean rule',
      `${curationYaml}\nlean_results: { rules: [drop_everything] }\n`,
      'lean_results.rules.0',
    ],
    ['broken YAML', 'service: [', 'not valid YAML'],
  ])('refuses a curation file with %s', (_case, text, message) => {
    expect(() => parseCuration(text, 'mini.curation.yaml')).toThrow(message);
  });

  it('copies the lean_results profile into each operation that opts in, which then takes full', () => {
    const text = `${curationYaml.replace('    description: Search things.', '    description: Search things.\n    lean: true')}
lean_results: { rules: [api_urls, node_ids], paging: link_header }
`;
    const leanDoc = curate(parseCuration(text, 'x'), upstream as unknown as JsonObject);
    const search = (leanDoc.paths as Record<string, Record<string, JsonObject>>)['/search']!.post!;
    expect(search['x-keygate']).toEqual({
      tool: 'mini_search',
      risk: 'read',
      results: { rules: ['api_urls', 'node_ids'], paging: 'link_header' },
    });
    const catalog = catalogFromDocuments([leanDoc]);
    expect(catalog.get('mini_search').leanResults).toEqual({
      rules: ['api_urls', 'node_ids'],
      paging: 'link_header',
    });
    expect(catalog.get('mini_search').inputSchema.properties).toHaveProperty(
      'full',
      expect.objectContaining({ type: 'boolean' }),
    );
    expect(catalog.get('mini_thing_get').leanResults).toBeUndefined();
    expect(catalog.get('mini_thing_get').inputSchema.properties).not.toHaveProperty('full');
  });

  it('replaces a shared argument description in every operation, parameter or body field', () => {
    const text = `${curationYaml}\nargument_descriptions: { verbose: "Say much more.", name: "The thing's name.", org: "" }\n`;
    const shared = catalogFromDocuments([
      curate(parseCuration(text, 'x'), upstream as unknown as JsonObject),
    ]);
    const full = (name: string) => shared.get(name).fullInputSchema!.properties as Record<string, JsonObject>;
    expect(full('mini_thing_get').verbose!.description).toBe('Say much more.');
    expect(full('mini_thing_update').name!.description).toBe("The thing's name.");
    // An empty one drops the description: upstream's body `org` said it collides.
    expect(full('mini_thing_update').org_body).toEqual({ type: 'string' });
    // Without the section, upstream's descriptions stay.
    expect(
      (tool('mini_thing_update').fullInputSchema!.properties as Record<string, JsonObject>).org_body,
    ).toEqual({
      type: 'string',
      description: 'Collides with the path parameter.',
    });
  });

  it('refuses a curated spec naming a lean rule keygate does not have', () => {
    const bad = structuredClone(doc);
    const search = (bad.paths as Record<string, Record<string, JsonObject>>)['/search']!.post!;
    search['x-keygate'] = { tool: 'mini_search', risk: 'read', results: { rules: ['api_urls', 'nope'] } };
    expect(() => catalogFromDocuments([bad])).toThrow('x-keygate.results needs rules among');
  });

  it('refuses an operation the upstream does not have', () => {
    const curation = parseCuration(curationYaml.replace('op: search', 'op: nope'), 'x');
    expect(() => curate(curation, upstream as unknown as JsonObject)).toThrow(
      'operation nope is not in the upstream',
    );
  });

  it('refuses a field that is not in the operation', () => {
    const text = curationYaml.replace(
      '    description: Search things.',
      '    description: Search things.\n    fields: [q, qq]',
    );
    expect(() => curate(parseCuration(text, 'x'), upstream as unknown as JsonObject)).toThrow(
      'fields not in the operation: qq',
    );
  });

  it('writes specs/<service>.json with `spec curate`, and --check tells when it is stale', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'keygate-curate-'));
    await writeFile(join(dir, 'mini.curation.yaml'), curationYaml);
    await writeFile(join(dir, 'mini.json'), JSON.stringify(upstream));
    const from = join(dir, 'mini.json');
    const stale = await specCurateCommand({ service: 'mini', from, specsDir: dir, check: true });
    expect(stale.exitCode).toBe(1);
    const written = await specCurateCommand({ service: 'mini', from, specsDir: dir });
    expect(written.json).toMatchObject({ service: 'mini', tools: 3 });
    const file = JSON.parse(await readFile(join(dir, 'mini.json'), 'utf8')) as JsonObject;
    expect(buildTools(file).map((t) => t.name)).toEqual([
      'mini_thing_get',
      'mini_thing_update',
      'mini_search',
    ]);
    // Curating again from the now-curated file is a different document, so check against a copy of upstream.
    await writeFile(join(dir, 'upstream.json'), JSON.stringify(upstream));
    const fresh = await specCurateCommand({
      service: 'mini',
      from: join(dir, 'upstream.json'),
      specsDir: dir,
      check: true,
    });
    expect(fresh.exitCode).toBe(0);
  });
});

describe('operations keygate describes itself', () => {
  const described = `
  - op: POST /orgs/{org}/uploads/{id}/send
    tool: mini_upload_send
    risk: write
    description: Send an upload's content.
    described:
      source: https://mini.example.com/reference/send (version 3)
      summary: Send an upload
      operation_id: upload-send
      parameters:
        - { name: org, in: path, required: true, schema: { type: string } }
        - { name: id, in: path, required: true, schema: { type: string }, description: The upload. }
        - { name: dry_run, in: query, schema: { type: boolean } }
      request_body:
        content_type: multipart/form-data
        required: true
        schema:
          type: object
          required: [file]
          properties:
            file: { type: string, format: binary }
            part: { type: string }
  - op: PATCH /boxes/{box}
    tool: mini_box_update
    risk: write
    description: Rename a box.
    described:
      source: https://mini.example.com/reference/box-update (version 3)
      summary: Update a box
      parameters:
        - { name: box, in: path, required: true, schema: { type: string } }
      request_body:
        content_type: application/json
        schema:
          type: object
          properties:
            name: { type: string }
            parent: { $ref: "#/components/schemas/Node" }
`;
  const withDescribed = (extra: string) => curationYaml.trimEnd() + extra;
  const build = (extra: string) =>
    curate(parseCuration(withDescribed(extra), 'mini.curation.yaml'), upstream as unknown as JsonObject);

  it('builds a described operation, marks it as written by keygate with its source, and validates it', async () => {
    const doc = build(described);
    const paths = doc.paths as Record<string, Record<string, JsonObject>>;
    const send = paths['/orgs/{org}/uploads/{id}/send']!.post!;
    expect(send['x-keygate-described']).toBe(true);
    expect(send['x-keygate-source']).toBe('https://mini.example.com/reference/send (version 3)');
    expect(send.operationId).toBe('upload-send');
    expect(send.summary).toBe('Send an upload');
    expect(send['x-keygate']).toEqual({ tool: 'mini_upload_send', risk: 'write' });
    expect(paths['/boxes/{box}']!.patch!.operationId).toBe('patch_/boxes/{box}');
    // Upstream operations carry no mark; the document says what the mark means.
    expect(paths['/search']!.post!).not.toHaveProperty('x-keygate-described');
    expect((doc.info as JsonObject).description).toContain('x-keygate-described');
    // Component schemas a described body reaches are kept like an upstream operation's.
    expect(Object.keys((doc.components as { schemas: object }).schemas)).toContain('Node');
    await expect(validateCurated(doc)).resolves.toBeUndefined();

    const catalog = catalogFromDocuments([doc]);
    const tool = catalog.get('mini_upload_send');
    expect(tool.bodyEncoding).toBe('multipart');
    expect(tool.operation).toEqual({
      method: 'POST',
      path: '/orgs/{org}/uploads/{id}/send',
      operationId: 'upload-send',
    });
    expect(tool.inputSchema.required).toEqual(['org', 'id', 'file']);
    expect(tool.bindings.map((b) => `${b.arg}:${b.in}:${b.style}`)).toEqual([
      'org:path:simple',
      'id:path:simple',
      'dry_run:query:form',
      'file:body:multipart-file',
      'part:body:multipart',
    ]);
    const request = buildRequest(
      tool,
      catalog.service('mini'),
      {
        org: 'acme',
        id: 'u1',
        file: { filename: 'a.txt', content_type: 'text/plain', text: 'hi' },
        part: '1',
      },
      { userAgent: 't' },
    );
    const type = request.headers['content-type']!;
    expect(type).toMatch(/^multipart\/form-data; boundary=keygate-[0-9a-f]{32}$/);
    const boundary = type.split('boundary=')[1]!;
    expect(String(request.body)).toBe(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nhi\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="part"\r\n\r\n1\r\n--${boundary}--\r\n`,
    );
    expect(catalog.get('mini_box_update').bodyEncoding).toBe('json');
  });

  it('refuses a described operation that the upstream has, by METHOD /path or by operationId', () => {
    const clash = `
  - op: POST /search
    tool: mini_search_again
    risk: read
    description: Search again.
    described: { source: https://mini.example.com/reference/search, summary: Search }
`;
    expect(() => build(clash)).toThrow(
      'mini_search_again: POST /search is described by keygate but the upstream has POST /search; curate the upstream operation instead',
    );
    const clashId = described.replace('operation_id: upload-send', 'operation_id: search');
    expect(() => build(clashId)).toThrow(
      'mini_upload_send: POST /orgs/{org}/uploads/{id}/send is described by keygate but the upstream has POST /search',
    );
  });

  it('still refuses an operation that is neither upstream nor described', () => {
    const undescribed = `
  - op: POST /boxes
    tool: mini_box_create
    risk: write
    description: Create a box.
`;
    expect(() => build(undescribed)).toThrow('operation POST /boxes is not in the upstream description');
  });

  it.each([
    [
      'an op that is not METHOD /path',
      described.replace('op: PATCH /boxes/{box}', 'op: box-update'),
      'a described operation\'s op is "METHOD /path"',
    ],
    [
      'a path parameter that is not declared',
      described.replace(
        '{ name: box, in: path, required: true, schema: { type: string } }',
        '{ name: boxes, in: query, schema: { type: string } }',
      ),
      'mini_box_update: path parameter {box} is not declared',
    ],
    [
      'a path parameter that is not in the path',
      described.replace('name: dry_run, in: query', 'name: dry_run, in: path, required: true'),
      'path parameter dry_run is not in /orgs/{org}/uploads/{id}/send',
    ],
    [
      'an optional path parameter',
      described.replace('{ name: box, in: path, required: true,', '{ name: box, in: path,'),
      'path parameter box must be required',
    ],
    [
      'a body on a GET',
      described.replace('op: PATCH /boxes/{box}', 'op: GET /boxes/{box}'),
      'a GET request has no body',
    ],
    [
      'a body that is not an object',
      described.replace(
        '          type: object\n          properties:\n            name:',
        '          type: array\n          properties:\n            name:',
      ),
      'request_body.schema must be an object schema',
    ],
    [
      'an unsupported content type',
      described.replace('content_type: application/json', 'content_type: text/csv'),
      'operations.4.described.request_body.content_type',
    ],
    [
      'no source',
      described.replace('      source: https://mini.example.com/reference/box-update (version 3)\n', ''),
      'operations.4.described.source',
    ],
    [
      'an unknown key',
      described.replace('      summary: Update a box', '      summary: Update a box\n      method: PATCH'),
      'operations.4.described',
    ],
  ])('refuses a described operation with %s, saying what is wrong', (_case, extra, message) => {
    expect(() => parseCuration(withDescribed(extra), 'mini.curation.yaml')).toThrow(message);
  });
});

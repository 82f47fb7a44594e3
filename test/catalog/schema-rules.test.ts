/** Rules every tool in the catalog must meet, checked over the whole catalog. */
import { Ajv } from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  argumentSchemaOf,
  type Catalog,
  FULL_RESULT_ARGUMENT,
  loadCatalog,
  TOOL_LIST_BUDGET,
  type ToolDefinition,
} from '../../src/catalog/index.js';
import { mcpTool } from '../../src/mcp/index.js';

const MANAGED_HEADERS = [
  'authorization',
  'notion-version',
  'stripe-version',
  'x-github-api-version',
  'idempotency-key',
];

/** Every sub-schema of `schema`, with its JSON path. */
function* walk(schema: unknown, path = '$'): Generator<[string, Record<string, unknown>]> {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return;
  const node = schema as Record<string, unknown>;
  yield [path, node];
  for (const [name, child] of Object.entries((node.properties as Record<string, unknown>) ?? {})) {
    yield* walk(child, `${path}.${name}`);
  }
  if (node.items) yield* walk(node.items, `${path}[]`);
  if (typeof node.additionalProperties === 'object') yield* walk(node.additionalProperties, `${path}{}`);
  for (const key of ['anyOf', 'oneOf', 'allOf']) {
    for (const [i, branch] of ((node[key] as unknown[]) ?? []).entries())
      yield* walk(branch, `${path}.${key}[${i}]`);
  }
}

describe('catalog schema rules', () => {
  let catalog: Catalog;
  beforeAll(async () => {
    catalog = await loadCatalog();
  });

  it('covers each service at least as the issue asks', () => {
    const count = (service: string) => catalog.tools.filter((tool) => tool.service === service).length;
    expect(count('github')).toBeGreaterThanOrEqual(35);
    expect(count('stripe')).toBeGreaterThanOrEqual(25);
    // Notion: every operation of its 2025-09-03 reference but OAuth (see specs/notion.curation.yaml).
    expect(count('notion')).toBe(32);
  });

  const each = (check: (tool: ToolDefinition) => void) => () => {
    for (const tool of catalog.tools) check(tool);
  };

  it(
    'names every tool <service>_<resource>_<verb> within ^[a-z0-9_]{1,48}$, uniquely',
    each((tool) => {
      expect(tool.name).toMatch(/^[a-z0-9_]{1,48}$/);
      expect(tool.name.startsWith(`${tool.service}_`)).toBe(true);
      expect(catalog.tools.filter((other) => other.name === tool.name)).toHaveLength(1);
    }),
  );

  it(
    'gives every tool a flat object schema with no $ref, $defs or root union',
    each((tool) => {
      const schema = tool.inputSchema;
      expect(schema.type, tool.name).toBe('object');
      for (const key of ['oneOf', 'anyOf', 'allOf', 'not', '$defs', 'definitions'])
        expect(schema[key], tool.name).toBeUndefined();
      expect(JSON.stringify(schema), tool.name).not.toMatch(/"\$ref"|"\$defs"|"definitions"/);
    }),
  );

  it(
    'lists only declared properties as required, and always gives arrays their items',
    each((tool) => {
      for (const [path, node] of walk(tool.inputSchema)) {
        const properties = Object.keys((node.properties as object) ?? {});
        for (const name of (node.required as string[]) ?? [])
          expect(properties, `${tool.name} ${path}`).toContain(name);
        const types = ([] as unknown[]).concat(node.type ?? []);
        if (types.includes('array')) expect(node.items, `${tool.name} ${path}`).toBeDefined();
      }
    }),
  );

  it(
    'keeps only standard formats, and no OpenAPI-only keywords',
    each((tool) => {
      for (const [path, node] of walk(tool.inputSchema)) {
        if (node.format !== undefined) {
          expect([
            'date-time',
            'date',
            'time',
            'duration',
            'email',
            'hostname',
            'ipv4',
            'ipv6',
            'uri',
            'uri-reference',
            'uuid',
          ]).toContain(node.format);
        }
        for (const key of ['nullable', 'example', 'discriminator', 'readOnly', 'xml']) {
          expect(node[key], `${tool.name} ${path}.${key}`).toBeUndefined();
        }
      }
    }),
  );

  it(
    'never lets the model supply a header the server manages',
    each((tool) => {
      const names = Object.keys(tool.inputSchema.properties as object).map((name) => name.toLowerCase());
      for (const header of MANAGED_HEADERS) {
        expect(names).not.toContain(header);
        expect(names).not.toContain(header.replace(/-/g, '_'));
      }
    }),
  );

  it(
    'compiles every schema, advertised and precise, with a strict JSON Schema validator',
    each((tool) => {
      const ajv = new Ajv({
        strict: true,
        strictTypes: false,
        validateFormats: false,
        allowUnionTypes: true,
      });
      expect(() => ajv.compile(tool.inputSchema), tool.name).not.toThrow();
      expect(() => ajv.compile(argumentSchemaOf(tool)), tool.name).not.toThrow();
    }),
  );

  it(
    'maps every argument back to exactly one place in the request',
    each((tool) => {
      const args = tool.bindings.map((binding) => binding.arg);
      // `full` (lean results) is keygate's own: it decides what is returned and is never sent.
      if (tool.leanResults) args.push(FULL_RESULT_ARGUMENT);
      expect(args.sort(), tool.name).toEqual(Object.keys(tool.inputSchema.properties as object).sort());
      for (const binding of tool.bindings.filter((b) => b.in === 'path')) {
        expect(tool.operation.path, tool.name).toContain(`{${binding.name}}`);
        expect(tool.inputSchema.required, tool.name).toContain(binding.arg);
      }
    }),
  );

  it(
    'derives annotations from risk and gives each tool a concise description',
    each((tool) => {
      expect(tool.annotations.readOnlyHint).toBe(tool.risk === 'read');
      expect(tool.annotations.destructiveHint).toBe(tool.risk === 'destructive' || tool.risk === 'payment');
      expect(tool.description.length, tool.name).toBeGreaterThan(15);
      expect(tool.description.length, tool.name).toBeLessThanOrEqual(200);
    }),
  );

  it('classes money movement as payment and searches as reads', () => {
    const risk = (name: string) => catalog.get(name).risk;
    for (const name of [
      'stripe_refund_create',
      'stripe_payout_create',
      'stripe_payment_intent_confirm',
      'stripe_invoice_pay',
      'stripe_payment_intent_capture',
      'stripe_charge_capture',
      'stripe_customer_balance_transaction_create',
    ]) {
      expect(risk(name), name).toBe('payment');
    }
    for (const name of ['notion_search', 'notion_data_source_query', 'github_search_issues'])
      expect(risk(name), name).toBe('read');
    expect(catalog.get('notion_search').operation.method).toBe('POST');
  });

  it('keeps tools/list small: under 1,000 characters per tool on average', () => {
    const size = catalog.tools.reduce((sum, tool) => sum + JSON.stringify(mcpTool(tool)).length, 0);
    expect(size / catalog.tools.length).toBeLessThanOrEqual(1000);
  });

  it('keeps every tool within 1,000 characters of tools/list (issue 14)', () => {
    const over = catalog.tools
      .map((tool) => ({ name: tool.name, size: JSON.stringify(mcpTool(tool)).length }))
      .filter(({ size }) => size > TOOL_LIST_BUDGET)
      .map(({ name, size }) => `${name}: ${size}`);
    expect(over, `tools over ${TOOL_LIST_BUDGET} characters`).toEqual([]);
  });

  it('matches the reviewed snapshot of what agents see', async () => {
    const list = catalog.tools.map((tool) => ({
      ...mcpTool(tool),
      risk: tool.risk,
      operation: tool.operation,
    }));
    await expect(`${JSON.stringify(list, null, 2)}\n`).toMatchFileSnapshot('./__snapshots__/tool-list.json');
  });
});

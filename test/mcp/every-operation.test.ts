/**
 * For every curated operation: call the tool through a real MCP client and assert the exact
 * request the fake upstream received (method, path, query, body, and the service's headers).
 */
import { describe, expect, it } from 'vitest';
import type { FakeService, RecordedRequest } from '../fakes/fake-upstream.js';
import { CASES } from '../fixtures/operation-cases.js';
import { assertNoSecrets, CANARY, useHarnessClient } from '../helpers/harness.js';

/** What every request to a service must carry, whatever the operation. */
const SERVICE_HEADERS: Record<FakeService, Record<string, string>> = {
  github: {
    authorization: `Bearer ${CANARY.github}`,
    'x-github-api-version': '2022-11-28',
    accept: 'application/vnd.github+json',
  },
  stripe: { authorization: `Bearer ${CANARY.stripe}`, 'stripe-version': '2024-04-10' },
  notion: { authorization: `Bearer ${CANARY.notion}`, 'notion-version': '2025-09-03' },
};

/** Operations that pin their own header (Notion's markdown endpoints need a newer API version). */
const HEADER_OVERRIDES: Record<string, Record<string, string>> = {
  notion_page_markdown_get: { 'notion-version': '2026-03-11' },
  notion_page_markdown_update: { 'notion-version': '2026-03-11' },
};

/** A multipart body with its random boundary (from the content type) replaced by `BOUNDARY`. */
function withoutBoundary(received: RecordedRequest): string {
  const boundary = /^multipart\/form-data; boundary=(.+)$/.exec(
    String(received.headers['content-type']),
  )?.[1];
  return boundary ? received.body.split(boundary).join('BOUNDARY') : received.body;
}

describe('every curated operation on the wire', () => {
  const ctx = useHarnessClient();

  it('has a case for every tool in the catalog, and no case for a tool that does not exist', () => {
    const covered = CASES.map(([tool]) => tool).sort();
    expect(covered).toEqual(ctx.harness.catalog.tools.map((tool) => tool.name).sort());
  });

  it.each(CASES)('%s sends exactly the documented request', async (name, args, method, target, body) => {
    const tool = ctx.harness.catalog.get(name);
    const fake = ctx.harness.fakes[tool.service as FakeService];
    const result = await ctx.client.callTool({ name, arguments: args });

    expect(fake.refused).toEqual([]);
    expect(result.isError).toBeFalsy();
    expect(fake.requests).toHaveLength(1);
    const received = fake.requests[0]!;
    const [path, query = ''] = target.split('?');
    expect(received.method).toBe(method);
    expect(received.path).toBe(path);
    expect(received.query).toBe(query);
    const headers = { ...SERVICE_HEADERS[tool.service as FakeService], ...HEADER_OVERRIDES[name] };
    for (const [header, value] of Object.entries(headers)) {
      expect(received.headers[header], header).toBe(value);
    }
    if (body === undefined) expect(received.body).toBe('');
    else if (typeof body === 'string') expect(withoutBoundary(received)).toBe(body);
    else expect(JSON.parse(received.body)).toEqual(body);
    if (tool.service === 'stripe') {
      expect(received.headers['idempotency-key'] !== undefined).toBe(method !== 'GET');
    }
    assertNoSecrets(result, ctx.harness.secrets);
  });
});

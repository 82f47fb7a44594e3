/**
 * Multipart bodies (Notion's file upload send): what reaches the fake Notion byte for byte, what
 * is refused before anything is sent, and what the fake refuses as Notion does.
 */
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MAX_FILE_PART_BYTES } from '../../src/executor/multipart-encoder.js';
import type { RecordedRequest } from '../fakes/fake-upstream.js';
import { assertNoSecrets, CANARY, connectClient, type Harness, startHarness } from '../helpers/harness.js';

type ToolResult = {
  isError?: boolean;
  content: { text: string }[];
  structuredContent?: { error: { code: string; message: string } };
};

const ID = '59833787-2cf9-4fdf-8782-e53db20768a5';
const BOUNDARY_TYPE = /^multipart\/form-data; boundary=(keygate-[0-9a-f]{32})$/;

/** The parts of a multipart body: headers and raw content, split on the declared boundary. */
function partsOf(request: RecordedRequest): { headers: string; content: Buffer }[] {
  const boundary = BOUNDARY_TYPE.exec(String(request.headers['content-type']))![1]!;
  const bytes = request.bytes;
  const delimiter = Buffer.from(`--${boundary}`);
  const out: { headers: string; content: Buffer }[] = [];
  let at = bytes.indexOf(delimiter);
  for (;;) {
    const next = bytes.indexOf(delimiter, at + delimiter.length);
    if (next < 0) break;
    const section = bytes.subarray(at + delimiter.length + 2, next - 2);
    const split = section.indexOf('\r\n\r\n');
    out.push({ headers: section.subarray(0, split).toString('utf8'), content: section.subarray(split + 4) });
    at = next;
  }
  expect(bytes.subarray(at).toString('utf8')).toBe(`--${boundary}--\r\n`);
  return out;
}

describe('multipart file upload', () => {
  let harness: Harness;
  let client: Client;
  const call = async (args: Record<string, unknown>) =>
    (await client.callTool({ name: 'notion_file_upload_send', arguments: args })) as unknown as ToolResult;
  const notion = () => harness.fakes.notion;

  beforeAll(async () => {
    harness = await startHarness();
    client = await connectClient(harness);
  });
  afterAll(async () => {
    await client.close();
    await harness.close();
  });
  beforeEach(() => harness.resetFakes());

  it('sends base64 content byte for byte in a file part, with the part number as a text part', async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff, 0xfe, 0x80]);
    const result = await call({
      file_upload_id: ID,
      file: { filename: 'logo.png', content_type: 'image/png', base64: png.toString('base64') },
      part_number: '2',
    });
    expect(result.isError).toBeFalsy();
    expect(notion().refused).toEqual([]);
    const [request] = notion().requests;
    expect(request!.path).toBe(`/v1/file_uploads/${ID}/send`);
    expect(request!.headers['notion-version']).toBe('2025-09-03');
    expect(request!.headers.authorization).toBe(`Bearer ${CANARY.notion}`);
    const parts = partsOf(request!);
    expect(parts.map((part) => part.headers)).toEqual([
      'Content-Disposition: form-data; name="file"; filename="logo.png"\r\nContent-Type: image/png',
      'Content-Disposition: form-data; name="part_number"',
    ]);
    expect(parts[0]!.content.equals(png)).toBe(true);
    expect(parts[1]!.content.toString('utf8')).toBe('2');
    assertNoSecrets(result, harness.secrets);
  });

  it('sends text content as UTF-8, under a new random boundary on every call', async () => {
    const file = { filename: 'notes.md', content_type: 'text/markdown', text: '# Café ☕\n' };
    await call({ file_upload_id: ID, file });
    await call({ file_upload_id: ID, file });
    const [first, second] = notion().requests;
    const boundaries = [first!, second!].map(
      (r) => BOUNDARY_TYPE.exec(String(r.headers['content-type']))?.[1],
    );
    expect(boundaries[0]).toMatch(/^keygate-/);
    expect(boundaries[1]).toMatch(/^keygate-/);
    expect(boundaries[0]).not.toBe(boundaries[1]);
    expect(partsOf(first!)[0]!.content.toString('utf8')).toBe('# Café ☕\n');
  });

  it('sends a file of exactly the limit', async () => {
    const base64 = Buffer.alloc(MAX_FILE_PART_BYTES, 7).toString('base64');
    const result = await call({
      file_upload_id: ID,
      file: { filename: 'big.bin', content_type: 'application/octet-stream', base64 },
    });
    expect(result.isError).toBeFalsy();
    expect(partsOf(notion().requests[0]!)[0]!.content.length).toBe(MAX_FILE_PART_BYTES);
  });

  it.each([
    [
      'one byte over the limit',
      {
        filename: 'big.bin',
        content_type: 'application/octet-stream',
        base64: Buffer.alloc(MAX_FILE_PART_BYTES + 1).toString('base64'),
      },
      `the file is ${MAX_FILE_PART_BYTES + 1} bytes; keygate sends at most ${MAX_FILE_PART_BYTES} bytes per file`,
    ],
    [
      'text over the limit',
      { filename: 'big.txt', content_type: 'text/plain', text: 'é'.repeat(MAX_FILE_PART_BYTES / 2 + 1) },
      `keygate sends at most ${MAX_FILE_PART_BYTES} bytes per file`,
    ],
    [
      'both text and base64',
      { filename: 'a.txt', content_type: 'text/plain', text: 'a', base64: 'YQ==' },
      'give the content as exactly one of text or base64',
    ],
    ['no content', { filename: 'a.txt', content_type: 'text/plain' }, 'exactly one of text or base64'],
    [
      'invalid base64',
      { filename: 'a.bin', content_type: 'image/png', base64: 'not base64!' },
      'base64 is not valid',
    ],
    [
      'a filename that would inject a header',
      { filename: 'a.txt"\r\nContent-Type: text/html', content_type: 'text/plain', text: 'a' },
      'filename must be a non-empty name without quotes',
    ],
    [
      'a content type that would inject a header',
      { filename: 'a.txt', content_type: 'text/plain\r\nX-Evil: 1', text: 'a' },
      'content_type must be a MIME type',
    ],
  ])('refuses %s with a clear error and sends nothing', async (_case, file, message) => {
    const result = await call({ file_upload_id: ID, file });
    expect(result.isError).toBe(true);
    expect(result.content[0]!.text).toContain(message);
    expect(notion().requests).toEqual([]);
    expect(notion().refused).toEqual([]);
  });

  it('has no way to name a local file: a path argument is refused and nothing is read or sent', async () => {
    const result = await call({
      file_upload_id: ID,
      file: { filename: 'passwd', content_type: 'text/plain', path: '/etc/passwd' },
    });
    expect(result.isError).toBe(true);
    expect(result.content[0]!.text).not.toContain('root:');
    expect(notion().requests).toEqual([]);
    const schema = harness.catalog.get('notion_file_upload_send').inputSchema as {
      properties: { file: { properties: object; additionalProperties: boolean } };
    };
    expect(Object.keys(schema.properties.file.properties).sort()).toEqual([
      'base64',
      'content_type',
      'filename',
      'text',
    ]);
    expect(schema.properties.file.additionalProperties).toBe(false);
  });
});

describe('the fake Notion checks what Notion checks', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(async () => {
    await harness.close();
  });
  beforeEach(() => harness.resetFakes());

  const send = (path: string, body: string, type: string | undefined, version = '2025-09-03') =>
    fetch(`${harness.fakes.notion.url}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${CANARY.notion}`,
        ...(version ? { 'notion-version': version } : {}),
        ...(type ? { 'content-type': type } : {}),
      },
      body,
    });
  const filePart = (boundary: string, name = 'file') =>
    `--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nhi\r\n--${boundary}--\r\n`;
  const sendPath = `/v1/file_uploads/${ID}/send`;

  it.each([
    [
      'JSON instead of multipart',
      '{"file":"hi"}',
      'application/json',
      400,
      'multipart/form-data with a boundary',
    ],
    ['multipart without a boundary', filePart('b1'), 'multipart/form-data', 400, 'with a boundary'],
    ['a body that does not parse', 'garbage', 'multipart/form-data; boundary=b1', 400, 'does not parse'],
    [
      'no file part',
      filePart('b1', 'attachment'),
      'multipart/form-data; boundary=b1',
      400,
      'body.file should be defined',
    ],
    ['a well-formed upload', filePart('b1'), 'multipart/form-data; boundary=b1', 200, ''],
  ])('file upload send: %s', async (_case, body, type, status, message) => {
    const answer = await send(sendPath, body, type);
    expect(answer.status).toBe(status);
    expect(await answer.text()).toContain(message);
  });

  it('refuses a file upload send without Notion-Version or with the wrong token', async () => {
    expect((await send(sendPath, filePart('b1'), 'multipart/form-data; boundary=b1', '')).status).toBe(400);
    const wrong = await fetch(`${harness.fakes.notion.url}${sendPath}`, {
      method: 'POST',
      headers: { authorization: 'Bearer nope', 'notion-version': '2025-09-03' },
    });
    expect(wrong.status).toBe(401);
  });

  it.each([
    ['/v1/databases', {}, 'body.parent should be defined'],
    ['/v1/file_uploads', { mode: 'multi_part', filename: 'a.mp4' }, 'body.number_of_parts should be defined'],
    ['/v1/file_uploads', { mode: 'external_url', filename: 'a.png' }, 'body.external_url should be defined'],
  ])('refuses POST %s without what Notion requires', async (path, body, message) => {
    const answer = await send(path, JSON.stringify(body), 'application/json');
    expect(answer.status).toBe(400);
    expect(await answer.text()).toContain(message);
  });

  it('accepts the same requests once complete', async () => {
    const database = { parent: { type: 'page_id', page_id: ID } };
    expect((await send('/v1/databases', JSON.stringify(database), 'application/json')).status).toBe(200);
    const upload = { mode: 'external_url', filename: 'a.png', external_url: 'https://example.com/a.png' };
    expect((await send('/v1/file_uploads', JSON.stringify(upload), 'application/json')).status).toBe(200);
  });
});

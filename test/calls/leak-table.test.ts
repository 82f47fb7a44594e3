/**
 * The leak table: every secret kind × every encoding a server may echo it in × every place a
 * tool result carries text, through the real pipeline (policy, audit on PGlite, executor) and a
 * fake GitHub that accepts the credential and answers with it echoed back. Canary values only;
 * the assertions say whether a form is present, never print it.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PipelineDeps } from '../../src/calls/index.js';
import { loadCatalog } from '../../src/catalog/index.js';
import type { Credential } from '../../src/executor/index.js';
import { runToolCall } from '../../src/mcp/index.js';
import type { Gateway } from '../../src/server/index.js';
import { secretKind } from '../../src/vault/index.js';
import {
  type FakeReply,
  type FakeUpstream,
  type RecordedRequest,
  startFakeUpstream,
} from '../fakes/fake-upstream.js';
import { buildTestGateway } from '../helpers/gateway.js';
import { PGLITE_BACKEND, type TestStore } from '../helpers/stores.js';

const caller = { agent: 'bot', tokenId: 'tok-1', tools: null };
const args = { owner: 'acme', repo: 'api' };

/** A canary with the characters encoders disagree on: space, `~ ! ' ( ) *`, `/`, `& < > "`, `+`. */
const canary = (kind: string) => `kgc_${kind}_CANARY a~b!c'd(e)f*g/h&i<j>k"l+m0123456789`;

interface KindRow {
  readonly kind: string;
  readonly params: Record<string, string>;
  /** Whether the fake sees the credential on this request. */
  readonly sent: (request: RecordedRequest, value: string) => boolean;
  /** The whole value put on the wire that carries the secret (its base64 is scrubbed whole too). */
  readonly wire: (value: string) => string[];
}

const KINDS: readonly KindRow[] = [
  {
    kind: 'bearer',
    params: {},
    sent: (request, value) => request.headers.authorization === `Bearer ${value}`,
    wire: (value) => [`Bearer ${value}`],
  },
  {
    kind: 'basic',
    params: { username: 'ada' },
    sent: (request, value) =>
      request.headers.authorization === `Basic ${Buffer.from(`ada:${value}`).toString('base64')}`,
    wire: (value) => [`ada:${value}`, `Basic ${Buffer.from(`ada:${value}`).toString('base64')}`],
  },
  {
    kind: 'header',
    params: { header: 'X-Api-Key' },
    sent: (request, value) => request.headers['x-api-key'] === value,
    wire: (value) => [value],
  },
  {
    kind: 'query',
    params: { param: 'key' },
    sent: (request, value) => new URLSearchParams(request.query).get('key') === value,
    wire: (value) => [value, new URLSearchParams({ key: value }).toString()],
  },
  {
    // The vault gives an oauth2 kind the access token it obtained: scrubbed like any value.
    kind: 'oauth2',
    params: { 'token-url': 'https://idp.example/token', 'client-id': 'leak' },
    sent: (request, value) => request.headers.authorization === `Bearer ${value}`,
    wire: (value) => [`Bearer ${value}`],
  },
];

const hex4 = (code: number) => code.toString(16).padStart(4, '0');
const b64 = (text: string) => Buffer.from(text).toString('base64');
const b64url = (text: string) => Buffer.from(text).toString('base64url');
const jsonInner = (text: string) => JSON.stringify(text).slice(1, -1);
/** Python's `urllib.parse.quote()`: everything but letters, digits, `_.-~` and `/` as %XX. */
const pythonQuote = (text: string) =>
  [...Buffer.from(text)]
    .map((byte) =>
      /[A-Za-z0-9_.~/-]/.test(String.fromCharCode(byte))
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('');
const htmlMinimal = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll("'", '&#39;');
const htmlFull = (text: string) =>
  htmlMinimal(text).replaceAll('&#39;', '&#x27;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

const each = (encode: (c: string) => string) => (text: string) => [...text].map(encode).join('');
const code = (c: string) => c.codePointAt(0)!;
const hexOf = (c: string, width: number) => code(c).toString(16).padStart(width, '0');
/** The HTML5 name of each printable ASCII punctuation character (`&hyphen;` and `&tilde;` as servers misuse them). */
const HTML5_NAMES: Readonly<Record<string, string>> = {
  '!': 'excl',
  '"': 'quot',
  '#': 'num',
  $: 'dollar',
  '%': 'percnt',
  '&': 'amp',
  "'": 'apos',
  '(': 'lpar',
  ')': 'rpar',
  '*': 'ast',
  '+': 'plus',
  ',': 'comma',
  '-': 'hyphen',
  '.': 'period',
  '/': 'sol',
  ':': 'colon',
  ';': 'semi',
  '<': 'lt',
  '=': 'equals',
  '>': 'gt',
  '?': 'quest',
  '@': 'commat',
  '[': 'lsqb',
  '\\': 'bsol',
  ']': 'rsqb',
  '^': 'Hat',
  _: 'lowbar',
  '`': 'grave',
  '{': 'lcub',
  '|': 'verbar',
  '}': 'rcub',
  '~': 'tilde',
};
/** Base64 broken into lines of `width` characters. */
const wrapped = (text: string, width: number, eol: string) =>
  b64(text).replace(new RegExp(`(.{${width}})(?=.)`, 'g'), `$1${eol}`);

/** How a server may write the secret back; `wire` rows encode the whole value put on the wire. */
const ENCODINGS: readonly [string, (secret: string, wire: string) => string][] = [
  ['raw', (s) => s],
  ['JSON-escaped', (s) => jsonInner(s)],
  ['every character \\u-escaped', (s) => [...s].map((c) => `\\u${hex4(c.charCodeAt(0))}`).join('')],
  ['PHP JSON (\\/)', (s) => jsonInner(s).replaceAll('/', '\\/')],
  [
    'Go JSON (\\u0026 \\u003c \\u003e)',
    (s) => jsonInner(s).replaceAll('&', '\\u0026').replaceAll('<', '\\u003c').replaceAll('>', '\\u003e'),
  ],
  ['encodeURIComponent', (s) => encodeURIComponent(s)],
  ['URLSearchParams', (s) => new URLSearchParams({ k: s }).toString().slice(2)],
  ['lower-case percent-hex', (s) => encodeURIComponent(s).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase())],
  ["Python quote() (leaves '/')", (s) => pythonQuote(s)],
  ['minimal HTML (&amp; &quot; &#39;)', (s) => htmlMinimal(s)],
  ['HTML (&lt; &gt; &#x27;)', (s) => htmlFull(s)],
  ['hex', (s) => Buffer.from(s).toString('hex')],
  ['HEX', (s) => Buffer.from(s).toString('hex').toUpperCase()],
  ['base64 of the secret', (s) => b64(s)],
  ['base64 of the wire value', (_s, w) => b64(w)],
  ['base64 of the wire value, unpadded', (_s, w) => b64(w).replace(/=+$/, '')],
  ['base64url of the wire value', (_s, w) => b64url(w)],
  ['base64url of the wire value, padded', (_s, w) => b64(w).replaceAll('+', '-').replaceAll('/', '_')],
  ['double percent-encoding (%252F)', (s) => encodeURIComponent(s).replaceAll('%', '%25')],
  ['HTML-escaped numeric references (&amp;#103;)', each((c) => `&amp;#${code(c)};`)],
  ['a percent as a numeric reference (&#37;2F)', (s) => encodeURIComponent(s).replaceAll('%', '&#37;')],
  ['percent-encoded numeric references (%26%23103%3B)', each((c) => `%26%23${code(c)}%3B`)],
  ['base64 in MIME lines (76, CRLF)', (_s, w) => wrapped(w, 76, '\r\n')],
  ["base64 in GitHub contents lines (60, JSON '\\n')", (_s, w) => wrapped(w, 60, '\\n')],
  ['numeric references without a semicolon (&#103)', each((c) => `&#${code(c)}`)],
  ['zero-padded numeric references (&#0000000103;)', each((c) => `&#${String(code(c)).padStart(10, '0')};`)],
  ['HTML5 named entities (&sol; &plus; &excl; …)', each((c) => (HTML5_NAMES[c] ? `&${HTML5_NAMES[c]};` : c))],
  ['\\xNN escapes', each((c) => `\\x${hexOf(c, 2)}`)],
  ['ES6 \\u{...} escapes', each((c) => `\\u{${hexOf(c, 1)}}`)],
  ['%uXXXX escapes', each((c) => `%u${hexOf(c, 4).toUpperCase()}`)],
  [
    'mixed-case hex',
    (s) => {
      let letters = 0;
      return Buffer.from(s)
        .toString('hex')
        .replace(/[a-f]/g, (d) => (letters++ % 2 ? d.toUpperCase() : d));
    },
  ],
];

/** Where a tool result carries upstream text: success body, error JSON message, error plain text. */
const PLACES: readonly [string, (echo: string) => FakeReply][] = [
  ['content text of a success', (echo) => ({ status: 200, body: `{"echo":"${echo}"}` })],
  [
    'error message, structuredContent and details (JSON error)',
    (echo) => ({ status: 401, body: `{"message":"token ${echo} rejected"}` }),
  ],
  [
    'error message (plain-text error)',
    (echo) => ({ status: 400, body: `token ${echo} rejected`, headers: { 'content-type': 'text/plain' } }),
  ],
];

/** Every string in `value`, and every string of JSON documents held in them. */
function stringsOf(value: unknown, into: string[] = []): string[] {
  if (typeof value === 'string') {
    into.push(value);
    try {
      const parsed: unknown = JSON.parse(value);
      if (typeof parsed === 'object' && parsed !== null) stringsOf(parsed, into);
    } catch {
      // plain text
    }
  } else if (Array.isArray(value)) for (const item of value) stringsOf(item, into);
  else if (typeof value === 'object' && value !== null)
    for (const [key, item] of Object.entries(value)) stringsOf(item, stringsOf(key, into));
  return into;
}

/** Which encodings of the secret or of its wire values `result` still holds (names only). */
function leaksIn(result: unknown, secret: string, wires: string[]): string[] {
  const texts = [JSON.stringify(result), ...stringsOf(result)];
  const found = new Set<string>();
  for (const text of texts) {
    if (text.includes('CANARY')) found.add('raw fragment');
    for (const wire of wires)
      for (const [name, encode] of ENCODINGS) if (text.includes(encode(secret, wire))) found.add(name);
  }
  return [...found];
}

describe('leak table', () => {
  let t: TestStore;
  let fake: FakeUpstream;
  let gateway: Gateway;
  let deps: PipelineDeps;
  let current: { row: KindRow; value: string; credential: Credential };

  const use = (row: KindRow) => {
    const value = canary(row.kind);
    current = { row, value, credential: secretKind(row.kind).credential('leak', row.params, value) };
  };

  beforeAll(async () => {
    t = await PGLITE_BACKEND.fresh();
    fake = await startFakeUpstream('github', 'not-this-token', {
      authorized: (request) => current.row.sent(request, current.value),
    });
    gateway = await buildTestGateway(
      t,
      await loadCatalog(['github']),
      `services:\n  github: { spec: builtin:github, credential: github }\nagents:\n  bot:\n    tools: [github_repo_get]\n`,
      {
        credentials: { credentialFor: async () => current.credential },
        baseUrls: { github: fake.url },
      },
    );
    deps = gateway.calls;
  });
  afterAll(async () => {
    await gateway.close();
    await fake.close();
    await t.dispose();
  });
  beforeEach(() => fake.reset());

  describe.each(KINDS.map((row) => [row.kind, row] as const))('%s credential', (_kind, row) => {
    beforeEach(() => use(row));

    it.each(
      PLACES.flatMap(([place, reply]) =>
        ENCODINGS.map(([encoding, encode]) => [encoding, place, encode, reply] as const),
      ),
    )('scrubs it echoed %s in the %s', async (_encoding, _place, encode, reply) => {
      const wires = row.wire(current.value);
      // Rows that encode the wire value echo each wire value of the kind in turn.
      for (const wire of encode.length > 1 ? wires : wires.slice(0, 1)) {
        fake.reset();
        fake.reply = () => reply(encode(current.value, wire));
        const result = await runToolCall(deps, caller, 'github_repo_get', args);
        expect(fake.requests).toHaveLength(1); // the credential was accepted: the echo is real
        expect(JSON.stringify(result).includes('[REDACTED]')).toBe(true);
        expect(leaksIn(result, current.value, wires)).toEqual([]);
      }
    });
  });

  it("decodes nothing back into a secret: a GitHub 401 that escapes every character of the token (issue 10's repro)", async () => {
    use(KINDS[0]!);
    const escaped = [...current.value].map((c) => `\\u${hex4(c.charCodeAt(0))}`).join('');
    fake.reply = () => ({ status: 401, body: `{"message":"token ${escaped} rejected"}` });
    const result = await runToolCall(deps, caller, 'github_repo_get', args);
    expect(result?.isError).toBe(true);
    expect(result?.structuredContent).toMatchObject({
      error: { code: 'upstream.error', upstreamMessage: 'token [REDACTED] rejected' },
    });
    expect(leaksIn(result, current.value, [current.value])).toEqual([]);
  });

  it("scrubs a query credential's URLSearchParams form from a 'no route <request url>' answer", async () => {
    use(KINDS[3]!);
    fake.reply = (request) => ({
      status: 404,
      body: JSON.stringify({ message: `no route ${request.path}?${request.query}` }),
    });
    const result = await runToolCall(deps, caller, 'github_repo_get', args);
    expect(result?.content).toEqual([
      { type: 'text', text: 'GitHub REST API answered HTTP 404: no route /repos/acme/api?key=[REDACTED]' },
    ]);
  });
});

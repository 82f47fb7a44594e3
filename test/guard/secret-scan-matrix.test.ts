/**
 * Recall of the outbound secret scan over a generated matrix: every secret kind of the vault
 * (bearer, basic as the password and as the `user:pass` pair, custom header, query parameter) ×
 * every encoding (raw, percent-encoded, base64, base64url, hex in lower and upper case, JSON
 * escapes) × every place a request can carry it (a tool call's path, query and body arguments
 * and a nested body field; a proxied request's header, query, path, JSON body and form body).
 * Each cell is one assertion: the scan finds it, under rule vault-secret, at the right place.
 * The parts scanned are those the call kinds themselves hand the pipeline.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { httpCalls } from '../../src/calls/http-call.js';
import type { HttpCallRequest, PipelineDeps } from '../../src/calls/index.js';
import { toolCalls } from '../../src/calls/tool-call.js';
import { type Catalog, loadCatalog } from '../../src/catalog/index.js';
import { fixedSecrets, type ScanSecret, SecretScanner } from '../../src/guard/index.js';
import { PolicyEngine, parsePolicy } from '../../src/policy/index.js';
import { secretKind } from '../../src/vault/index.js';

/** Values with characters that every encoding writes differently (`+`, `=`, `:`, `~`). */
const KINDS = [
  { name: 'lab-bearer', kind: 'bearer', params: {}, value: 'Zq8+vW3=kP~x:27bearerAAw' },
  { name: 'lab-basic', kind: 'basic', params: { username: 'svc-user' }, value: 'pA55+wrd=Q~zz:basic9Kq' },
  { name: 'lab-header', kind: 'header', params: { header: 'X-Lab-Key' }, value: 'hdrKey+Val=9~x:headerBq' },
  { name: 'lab-query', kind: 'query', params: { param: 'key' }, value: 'qryKey+Val=7~x:queryCCq' },
] as const;

/** What is looked for in each kind: its value, and for basic the `user:pass` pair as well. */
const FORMS = KINDS.flatMap((secret) => [
  { label: `${secret.kind} value`, text: secret.value },
  ...(secret.kind === 'basic'
    ? [{ label: 'basic user:pass', text: `${secret.params.username}:${secret.value}` }]
    : []),
]);

const hex = (text: string) => Buffer.from(text).toString('hex');
const ENCODINGS: Record<string, (text: string) => string> = {
  raw: (text) => text,
  'url-encoded': (text) => encodeURIComponent(text),
  base64: (text) => Buffer.from(text).toString('base64'),
  base64url: (text) => Buffer.from(text).toString('base64url'),
  'hex lower': (text) => hex(text),
  'hex upper': (text) => hex(text).toUpperCase(),
  'json-escaped': (text) =>
    [...text].map((char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`).join(''),
};

/** What a URL may carry as it is; anything else in a form is percent-encoded, as a client would. */
const inUrl = (text: string) =>
  text.replace(/[^A-Za-z0-9\-._~!$&'()*+,;=:@/%]/g, (c) => encodeURIComponent(c));

type Place = {
  readonly name: string;
  readonly expected: string;
} & (
  | { readonly tool: string; readonly args: (value: string) => Record<string, unknown> }
  | { readonly http: (value: string) => Omit<HttpCallRequest, 'kind' | 'service' | 'mode'> }
);

const PLACES: Place[] = [
  {
    name: 'tool path argument',
    expected: 'argument owner',
    tool: 'github_issue_get',
    args: (value) => ({ owner: value, repo: 'widgets', issue_number: 7 }),
  },
  {
    name: 'tool query argument',
    expected: 'argument labels',
    tool: 'github_issue_list',
    args: (value) => ({ owner: 'acme', repo: 'widgets', labels: value }),
  },
  {
    name: 'tool body argument',
    expected: 'argument body',
    tool: 'github_issue_create',
    args: (value) => ({
      owner: 'acme',
      repo: 'widgets',
      title: 'Build fails',
      body: `Log:\n${value}\nthanks`,
    }),
  },
  {
    name: 'tool nested body field',
    expected: 'argument metadata.note',
    tool: 'stripe_refund_create',
    args: (value) => ({ charge: 'ch_3MmlLrLkdIwHu7ix0snN0B15', metadata: { note: value } }),
  },
  {
    name: 'proxy header',
    expected: 'header x-note',
    http: (value) => ({ method: 'GET', path: '/v1/items', headers: { 'x-note': value } }),
  },
  {
    name: 'proxy query',
    expected: 'query',
    http: (value) => ({ method: 'GET', path: `/v1/items?limit=5&note=${inUrl(value)}`, headers: {} }),
  },
  {
    name: 'proxy path',
    expected: 'path',
    http: (value) => ({ method: 'GET', path: `/v1/items/${inUrl(value)}`, headers: {} }),
  },
  {
    name: 'proxy JSON body',
    expected: 'body',
    http: (value) => ({
      method: 'POST',
      path: '/v1/items',
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(`{"name":"widget","note":"${value}"}`),
    }),
  },
  {
    name: 'proxy form body',
    expected: 'body',
    http: (value) => ({
      method: 'POST',
      path: '/v1/items',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: Buffer.from(`name=widget&note=${encodeURIComponent(value)}`),
    }),
  },
];

const POLICY = `
services:
  github: { spec: builtin:github, credential: github }
  stripe: { spec: builtin:stripe, credential: stripe }
  acme:
    proxy: { base_url: "https://api.acme.example", credential: acme, allow: ["GET /v1/**", "POST /v1/**"] }
agents:
  bot:
    tools: ["github_*", "stripe_*"]
    proxy: { acme: ["GET /v1/**", "POST /v1/**"] }
`;

describe('outbound secret scan: every vault secret, encoding and place', () => {
  let catalog: Catalog;
  let engine: PolicyEngine;
  let scanner: SecretScanner;
  let deps: PipelineDeps;

  beforeAll(async () => {
    catalog = await loadCatalog();
    const parsed = parsePolicy(POLICY, catalog);
    if (!parsed.ok) throw new Error(`bad test policy: ${JSON.stringify(parsed.problems)}`);
    engine = new PolicyEngine(parsed.policy, catalog);
    // The values as each kind's credential puts them on the wire, as the vault source reads them.
    const secrets: ScanSecret[] = KINDS.map((secret) => ({
      name: secret.name,
      values: secretKind(secret.kind).credential(secret.name, secret.params, secret.value).secretValues(),
    }));
    scanner = new SecretScanner(fixedSecrets(secrets));
    deps = { catalog, policy: () => engine } as unknown as PipelineDeps;
  });

  /** The outbound parts the call kind hands the pipeline for this place and value. */
  function outbound(place: Place, value: string) {
    if ('tool' in place) {
      const tool = catalog.find(place.tool)!;
      const args = catalog.validate(tool, place.args(value));
      return toolCalls.outbound({ kind: 'tool', tool, args });
    }
    const found = httpCalls.resolve(deps, {
      kind: 'http',
      service: 'acme',
      mode: 'text',
      ...place.http(value),
    });
    if (found.kind === 'invalid') return found.error;
    if (found.kind !== 'call') throw new Error(`the proxied request is unknown: ${JSON.stringify(found)}`);
    return httpCalls.outbound(found.call);
  }

  const cells = FORMS.flatMap((form) =>
    Object.entries(ENCODINGS).flatMap(([encoding, encode]) =>
      PLACES.map((place) => ({ form, encoding, encode, place })),
    ),
  );

  it('has the whole matrix', () => {
    expect(cells).toHaveLength(5 * 7 * 9);
  });

  it.each(cells.map((cell) => [cell.form.label, cell.encoding, cell.place.name, cell] as const))(
    '%s, %s, in the %s: found',
    async (_form, encoding, _place, { form, encode, place }) => {
      const out = outbound(place, encode(form.text));
      if (out instanceof Error) {
        // A path holding `\\uXXXX` escapes never leaves at all: the proxy's path check refuses an
        // encoded backslash before any scan.
        expect(place.name).toBe('proxy path');
        expect(encoding).toBe('json-escaped');
        expect(out).toMatchObject({ code: 'proxy.refused' });
        return;
      }
      const hit = await scanner.scan(out, engine.credentialFor(out.destination));
      expect(hit?.rule).toBe('vault-secret');
      expect(hit?.place).toBe(place.expected);
    },
  );
});

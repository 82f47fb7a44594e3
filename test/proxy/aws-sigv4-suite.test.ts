/**
 * The AWS SigV4 signing test suite (aws-c-auth's `v4` vectors, vendored under
 * test/fixtures/aws-sigv4 with their licence) through keygate's signer: each vector's request,
 * as it stands on the wire, signed for the vector's context must give the vector's Authorization
 * header byte for byte (so its canonical request, string to sign and signing key too).
 *
 * The vectors sign every header their request has, where keygate signs only host, content-type
 * and x-amz-*: each one is signed with the header set its own Authorization names. Their request
 * lines are taken as they are, raw spaces and UTF-8 included, which `signWireRequest` (the part
 * of `signAwsRequest` after the path and query are put into AWS's encoding) signs as given.
 * Only the header-signed form is checked: keygate signs requests, it never presigns a URL.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { awsEncodedQuery, signWireRequest } from '../../src/proxy/index.js';

const SUITE = join(import.meta.dirname, '../fixtures/aws-sigv4/v4');
const ORIGINAL = join(import.meta.dirname, '../fixtures/aws-sigv4/aws-sig-v4-test-suite');

interface SuiteContext {
  credentials: { access_key_id: string; secret_access_key: string; token?: string };
  normalize: boolean;
  region: string;
  service: string;
  timestamp: string;
}

/** The suite's context where a vector has no context.json of its own (see the fixtures' README). */
function defaultContext(vector: string): SuiteContext {
  return {
    credentials: {
      access_key_id: 'AKIDEXAMPLE',
      secret_access_key: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
    },
    normalize: !vector.endsWith('-unnormalized'),
    region: 'us-east-1',
    service: 'service',
    timestamp: '2015-08-30T12:36:00Z',
  };
}

function contextOf(vector: string): SuiteContext {
  try {
    return {
      ...defaultContext(vector),
      ...JSON.parse(readFileSync(join(SUITE, vector, 'context.json'), 'utf8')),
    };
  } catch {
    return defaultContext(vector);
  }
}

/**
 * A signed request file, split: request line, headers, body; and the signature headers the suite
 * added (the session token only where the context holds one: post-sts-header-before's request
 * carries its own), taken out. A repeated header's values are joined by commas, as one header line
 * carries them; so is a folded line, which the suite's own harness reads as another value.
 */
function parseSigned(text: string, context: SuiteContext) {
  const [head = '', body = ''] = text.split(/\n\n/);
  const [requestLine = '', ...lines] = head.split('\n');
  const method = requestLine.slice(0, requestLine.indexOf(' '));
  const target = requestLine.slice(method.length + 1, requestLine.lastIndexOf(' '));
  const fields: [string, string][] = [];
  for (const line of lines) {
    if (/^\s/.test(line) && fields.length > 0) fields.at(-1)![1] += `,${line.trim()}`;
    else {
      const colon = line.indexOf(':');
      fields.push([line.slice(0, colon).toLowerCase(), line.slice(colon + 1)]);
    }
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of fields) headers[name] = name in headers ? `${headers[name]},${value}` : value;
  const expected = {
    authorization: headers.authorization,
    date: headers['x-amz-date'],
    token: headers['x-amz-security-token'] as string | undefined,
  };
  delete headers.authorization;
  delete headers['x-amz-date'];
  if (context.credentials.token) delete headers['x-amz-security-token'];
  const question = target.indexOf('?');
  return {
    method,
    path: question < 0 ? target : target.slice(0, question),
    query: question < 0 ? '' : target.slice(question + 1),
    headers,
    body,
    expected,
  };
}

const vectors = readdirSync(SUITE)
  .filter((vector) => {
    try {
      readFileSync(join(SUITE, vector, 'header-signed-request.txt'));
      return true;
    } catch {
      return false;
    }
  })
  .sort();

/**
 * The signature headers keygate's signer gives `request` in `context`, signing the headers the
 * vector's own Authorization names (`expected`); the session token only where `withToken`.
 */
function signVector(
  request: ReturnType<typeof parseSigned>,
  context: SuiteContext,
  expected: string,
  withToken: boolean,
): Promise<Record<string, string>> {
  const signedList = /SignedHeaders=([^,]+)/.exec(expected)![1]!.split(';');
  return signWireRequest(
    {
      method: request.method,
      path: request.path,
      query: awsEncodedQuery(request.query).signed,
      headers: request.headers,
      ...(request.body.length > 0 ? { body: request.body } : {}),
    },
    {
      accessKeyId: context.credentials.access_key_id,
      secretAccessKey: context.credentials.secret_access_key,
      ...(withToken && context.credentials.token ? { sessionToken: context.credentials.token } : {}),
    },
    { region: context.region, service: context.service },
    {
      now: new Date(context.timestamp),
      signs: (header) => signedList.includes(header),
      normalizePath: context.normalize,
      encodePath: true,
    },
  );
}

/** The directories of AWS's original suite that hold a vector (`<dir>/<name>.req`), nested ones too. */
function originalVectors(dir = ORIGINAL, prefix = ''): string[] {
  return readdirSync(join(dir), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((entry) => {
      const path = `${prefix}${entry.name}`;
      const files = readdirSync(join(dir, entry.name));
      return files.includes(`${entry.name}.req`)
        ? [path]
        : originalVectors(join(dir, entry.name), `${path}/`);
    })
    .sort();
}

describe('AWS’s original SigV4 test suite', () => {
  const original = originalVectors();

  it('has all 31 vectors', () => {
    expect(original.length).toBe(31);
  });

  it.each(original)('%s', async (vector) => {
    const name = vector.split('/').at(-1)!;
    const file = (ext: string) => readFileSync(join(ORIGINAL, vector, `${name}.${ext}`), 'utf8');
    const context = defaultContext(name);
    // The requests carry their X-Amz-Date (the signing time) and, in post-sts-header-before, the
    // session token as a header of the request itself: both stay, and are signed as they are.
    const request = parseSigned(file('req'), context);
    const authz = file('authz').trim();
    const added = await signVector(request, context, authz, false);
    // Equal Authorization headers mean equal canonical requests and strings to sign (SHA-256
    // chains them); the expected canonical request is shown when they differ.
    expect(added.authorization, `expected canonical request:\n${file('creq')}`).toBe(authz);
  });
});

describe('the aws-c-auth SigV4 suite (header-signed vectors)', () => {
  it('has the vectors the fixtures README lists', () => {
    expect(vectors.length).toBe(36);
  });

  it.each(vectors)('%s', async (vector) => {
    const context = contextOf(vector);
    const request = parseSigned(
      readFileSync(join(SUITE, vector, 'header-signed-request.txt'), 'utf8'),
      context,
    );
    const added = await signVector(request, context, String(request.expected.authorization), true);
    expect(added.authorization).toBe(request.expected.authorization);
    expect(added['x-amz-date']).toBe(request.expected.date);
    expect(added['x-amz-security-token']).toBe(request.expected.token);
  });
});

/**
 * keygate's SigV4 signing of proxied requests (src/proxy/aws-sigv4.ts), checked against an
 * independent implementation (aws4, through the fake AWS's verifier): S3-style and JSON-protocol
 * requests, temporary keys, paths and queries with every character class a client may send, and
 * what keygate decides beyond the signer (which headers are signed, what of the client's own
 * signature is dropped, how the path and query go on the wire).
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isKeygateError } from '../../src/errors/index.js';
import { type AwsKeys, type SignableRequest, signAwsRequest } from '../../src/proxy/index.js';
import { signatureProblem } from '../fakes/fake-aws.js';

const KEYS: AwsKeys = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};
const TEMPORARY: AwsKeys = {
  ...KEYS,
  accessKeyId: 'ASIAEXAMPLE',
  sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLE//token==',
};
const NOW = new Date('2026-12-02T10:00:00Z');

function request(url: string, init: Partial<Omit<SignableRequest, 'url'>> = {}): SignableRequest {
  return { method: 'GET', headers: {}, ...init, url: new URL(url) };
}

/** Signs `req` and has aws4 check it as the server would receive it; returns the signed request. */
async function signedAndVerified(
  req: SignableRequest,
  service: string,
  keys: AwsKeys = KEYS,
): Promise<SignableRequest> {
  await signAwsRequest(req, keys, { region: 'eu-central-1', service }, { now: NOW });
  const body = req.body === undefined ? Buffer.alloc(0) : Buffer.from(req.body);
  const problem = signatureProblem(
    { method: req.method, url: `${req.url.pathname}${req.url.search}`, headers: req.headers },
    body,
    keys,
    'eu-central-1',
    service,
    NOW.getTime(),
  );
  expect(problem).toBeUndefined();
  return req;
}

const signedList = (req: SignableRequest) =>
  /SignedHeaders=([^,]+)/.exec(String(req.headers.authorization))?.[1]?.split(';');

describe('SigV4 signing checked by an independent implementation', () => {
  const paths = [
    '/bucket/plain.txt',
    '/bucket/with%20space%20and%2Bplus.txt',
    "/bucket/r%C3%A9sum%C3%A9%20(final)!*'~.txt",
    '/bucket/sub-delims%24%26%2C%3B%3D%3A.txt',
    '/bucket/%E6%97%A5%E6%9C%AC/%F0%9F%93%84.txt',
    '/bucket/already-(raw)-parens-and-$,;=:',
    '/bucket/trailing/',
    '/',
  ];
  const queries = ['', '?list-type=2&prefix=a%2Fb%20c&max-keys=10', '?acl', '?q=%E2%9C%93&empty=&tilde=~x'];
  // A repeated parameter only where aws4 signs every value (for S3 it signs the first only).
  const repeated = '?b=2&a=1&a=0';
  for (const service of ['s3', 'execute-api'])
    for (const path of paths)
      for (const query of service === 's3' ? queries : [...queries, repeated])
        it(`${service} GET ${path}${query}`, async () => {
          await signedAndVerified(request(`https://aws.example${path}${query}`), service);
        });

  it('signs a JSON-protocol POST with the body’s SHA-256 and its content-type', async () => {
    const body = JSON.stringify({ TableName: 'notes', Key: { id: { S: 'ü-1' } } });
    const req = await signedAndVerified(
      request('https://dynamodb.eu-central-1.amazonaws.com/', {
        method: 'POST',
        headers: {
          'content-type': 'application/x-amz-json-1.0',
          'x-amz-target': 'DynamoDB_20120810.GetItem',
        },
        body,
      }),
      'dynamodb',
    );
    expect(signedList(req)).toEqual(['content-type', 'host', 'x-amz-date', 'x-amz-target']);
    // The hash is signed, not sent (AWS computes it from the body it receives).
    expect(req.headers['x-amz-content-sha256']).toBeUndefined();
    const tampered = { ...req, body: body.replace('ü-1', 'ü-2') };
    expect(
      signatureProblem(
        { method: 'POST', url: '/', headers: tampered.headers },
        Buffer.from(tampered.body),
        KEYS,
        'eu-central-1',
        'dynamodb',
        NOW.getTime(),
      ),
    ).toBe('the signature does not match');
    expect(createHash('sha256').update(body).digest('hex')).toHaveLength(64);
  });

  it('signs an S3 PUT with UNSIGNED-PAYLOAD and temporary keys’ session token', async () => {
    const req = await signedAndVerified(
      request('https://aws.example/bucket/key.bin', {
        method: 'PUT',
        headers: { 'content-type': 'application/octet-stream', 'x-amz-meta-owner': 'ops' },
        body: new Uint8Array([0, 1, 2, 255]),
      }),
      's3',
      TEMPORARY,
    );
    expect(req.headers['x-amz-content-sha256']).toBe('UNSIGNED-PAYLOAD');
    expect(req.headers['x-amz-security-token']).toBe(TEMPORARY.sessionToken);
    expect(signedList(req)).toEqual([
      'content-type',
      'host',
      'x-amz-content-sha256',
      'x-amz-date',
      'x-amz-meta-owner',
      'x-amz-security-token',
    ]);
  });
});

describe('what keygate decides around the signer', () => {
  it('signs only host, content-type and x-amz-*, whatever else the client sends', async () => {
    const req = await signedAndVerified(
      request('https://aws.example/bucket/k', {
        headers: {
          accept: 'application/xml',
          'user-agent': 'aws-sdk-js/3',
          'amz-sdk-invocation-id': 'b0e1',
          'x-custom': 'v',
          range: 'bytes=0-9',
          'x-amz-checksum-mode': 'ENABLED',
        },
      }),
      's3',
    );
    expect(signedList(req)).toEqual(['host', 'x-amz-checksum-mode', 'x-amz-content-sha256', 'x-amz-date']);
    // The unsigned headers are still sent.
    expect(req.headers).toMatchObject({ accept: 'application/xml', range: 'bytes=0-9', 'x-custom': 'v' });
  });

  it('drops the client’s signature headers and a presigned URL’s parameters, and signs for the given target only', async () => {
    const req = request(
      'https://aws.example/bucket/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAFORGED%2F20990101%2Fus-east-1%2Fs3%2Faws4_request&x-amz-signature=ff&X-Amz-Date=20990101T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Security-Token=forged&versionId=3',
      {
        headers: {
          authorization: 'AWS4-HMAC-SHA256 Credential=AKIAFORGED/20990101/us-east-1/s3/aws4_request',
          'x-amz-date': '20990101T000000Z',
          'x-amz-security-token': 'forged',
          'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
          host: 'evil.example',
        },
      },
    );
    await signedAndVerified(req, 's3');
    expect(req.url.search).toBe('?versionId=3');
    expect(req.headers.host).toBe('aws.example');
    expect(req.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20261202\/eu-central-1\/s3\/aws4_request, /,
    );
    expect(JSON.stringify(req.headers)).not.toMatch(/forged|FORGED|2099/);
    expect(req.headers['x-amz-security-token']).toBeUndefined();
  });

  it('sends the path and query in AWS’s encoding, so what AWS recomputes is what was signed', async () => {
    const req = request("https://aws.example/bucket/a b/(c)!*'/%7Ed?x=a+b&y=%7e&z=!");
    await signedAndVerified(req, 's3');
    expect(req.url.pathname).toBe('/bucket/a%20b/%28c%29%21%2A%27/~d');
    expect(req.url.search).toBe('?x=a%20b&y=~&z=%21');
  });

  it('keeps empty path segments, which S3 signs as they are and other services normalise', async () => {
    for (const service of ['s3', 'execute-api']) {
      const req = request('https://aws.example/bucket//a//b/');
      await signedAndVerified(req, service);
      expect(req.url.pathname).toBe('/bucket//a//b/');
    }
  });

  it('refuses a malformed percent-escape with a clear error, before signing', async () => {
    const req = request('https://aws.example/bucket/%E0%A4%A');
    const error = await signAwsRequest(req, KEYS, { region: 'eu-central-1', service: 's3' }).catch(
      (caught: unknown) => caught,
    );
    expect(isKeygateError(error) && error.code).toBe('executor.bad_request');
    expect(req.headers.authorization).toBeUndefined();
  });
});

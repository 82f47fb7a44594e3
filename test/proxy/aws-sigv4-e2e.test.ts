/**
 * aws-sigv4 secrets behind the real gateway: the official AWS SDK clients (S3 and DynamoDB),
 * given the agent's keygate token as their access key id, go through /proxy to a fake AWS that
 * checks every signature with another implementation (aws4). keygate drops the client's own
 * signature and signs with the vault's keys for the region and service its policy names; the
 * secret key, the session token and the signatures never reach the agent, the log or an audit
 * row, and a service whose secret and `aws:` block do not fit together sends nothing.
 */
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog/index.js';
import { type FakeAws, startFakeAws } from '../fakes/fake-aws.js';
import { canaryToken } from '../fakes/fake-oauth2.js';
import { startVaultGateway, type VaultGateway } from '../helpers/vault-gateway.js';

const REGION = 'eu-west-1';
const ACCESS_KEY_ID = 'ASIAKEYGATETEST00001';
const secretAccessKey = canaryToken('awssecret');
const sessionToken = canaryToken('awssession');
/** An object key with the characters S3 clients encode, and a space and non-ASCII ones. */
const KEY = "reports/2026 Q4/résumé (final)+v2=ok!*'~,;:&$ 日本.txt";
const CONTENT = 'quarterly numbers: 42\n';

let fake: FakeAws;
let kg: VaultGateway;
let url: string;
let agentToken: string;
let mcp: VaultGateway['mcp'];
const catalog = await loadCatalog(['notion']);

/** The signatures keygate made: secrets of this test like the keys (they must not leak either). */
function signatures(): string[] {
  return fake.received.flatMap(
    (received) => /Signature=([0-9a-f]{64})/.exec(String(received.headers.authorization))?.[1] ?? [],
  );
}

function expectNoSecret(text: string): void {
  for (const secret of [secretAccessKey, sessionToken, ...signatures()]) expect(text).not.toContain(secret);
}

function s3(): S3Client {
  return new S3Client({
    endpoint: `${url}/proxy/s3`,
    forcePathStyle: true,
    region: REGION,
    credentials: { accessKeyId: agentToken, secretAccessKey: 'not-a-secret-keygate-signs' },
    maxAttempts: 1,
  });
}

beforeAll(async () => {
  fake = await startFakeAws({ accessKeyId: ACCESS_KEY_ID, secretAccessKey, sessionToken }, REGION);
  const ok = `["127.0.0.1:${fake.port}"]`;
  kg = await startVaultGateway({
    policy: `
services:
  notion: { spec: builtin:notion, credential: aws-temp, base_url: "${fake.origin}" }
  s3:
    proxy:
      base_url: ${fake.origin}
      credential: aws-temp
      allow: ["GET /**", "PUT /**"]
      approval: { GET: never, PUT: never }
      private_ok: ${ok}
      aws: { region: ${REGION}, service: s3 }
  dynamodb:
    proxy:
      base_url: ${fake.origin}
      credential: aws-temp
      allow: ["POST /"]
      approval: { POST: never }
      private_ok: ${ok}
      aws: { region: ${REGION}, service: dynamodb }
  sts:
    proxy:
      base_url: ${fake.origin}
      credential: aws-temp
      allow: ["GET /", "POST /"]
      approval: { GET: never, POST: never }
      private_ok: ${ok}
      aws: { region: ${REGION}, service: sts }
  s3-unsigned:
    proxy:
      base_url: ${fake.origin}
      credential: aws-temp
      allow: ["GET /**"]
      approval: { GET: never }
      private_ok: ${ok}
  s3-bearer:
    proxy:
      base_url: ${fake.origin}
      credential: plain
      allow: ["GET /**"]
      approval: { GET: never }
      private_ok: ${ok}
      aws: { region: ${REGION}, service: s3 }
agents:
  bot:
    tools: [notion_user_me_get]
    proxy:
      s3: ["GET /team-bucket/**", "PUT /team-bucket/**"]
      dynamodb: ["POST /"]
      sts: ["GET /", "POST /"]
      s3-unsigned: ["GET /**"]
      s3-bearer: ["GET /**"]
`,
    catalog,
    agent: 'bot',
    secrets: [
      {
        name: 'aws-temp',
        kind: 'aws',
        params: { 'access-key-id': ACCESS_KEY_ID },
        value: JSON.stringify({ secret_access_key: secretAccessKey, session_token: sessionToken }),
      },
      { name: 'plain', kind: 'bearer', params: {}, value: canaryToken('plain') },
    ],
  });
  ({ url, agentToken, mcp } = kg);
}, 120_000);

afterAll(async () => {
  await kg?.close();
  await fake?.close();
});

describe('an aws-sigv4 secret behind the gateway', () => {
  it('signs the S3 SDK’s PUT and GET of a key with special characters; the fake’s verifier accepts both', async () => {
    const client = s3();
    await client.send(new PutObjectCommand({ Bucket: 'team-bucket', Key: KEY, Body: CONTENT }));
    const got = await client.send(new GetObjectCommand({ Bucket: 'team-bucket', Key: KEY }));
    expect(await got.Body?.transformToString()).toBe(CONTENT);
    expect(fake.objects.get(`/team-bucket/${KEY}`)?.toString()).toBe(CONTENT);
    expect(fake.received.map((r) => [r.method, r.refused])).toEqual([
      ['PUT', undefined],
      ['GET', undefined],
    ]);
    for (const received of fake.received) {
      expect(received.headers['x-amz-content-sha256']).toBe('UNSIGNED-PAYLOAD');
      expect(received.headers['x-amz-security-token']).toBe(sessionToken);
      // Only host, content-type and x-amz-* are signed: nothing a hop may rewrite.
      const signed = /SignedHeaders=([^,]+)/.exec(String(received.headers.authorization))![1]!.split(';');
      expect(
        signed.every((name) => name === 'host' || name === 'content-type' || name.startsWith('x-amz-')),
      ).toBe(true);
      // The SDK's own signature (made with the agent's token as key id) never reaches AWS.
      expect(JSON.stringify(received)).not.toContain(agentToken);
    }
    client.destroy();
  });

  it('signs the DynamoDB SDK’s JSON-protocol calls with the body’s hash', async () => {
    const client = new DynamoDBClient({
      endpoint: `${url}/proxy/dynamodb`,
      region: REGION,
      credentials: { accessKeyId: agentToken, secretAccessKey: 'unused' },
      maxAttempts: 1,
    });
    const before = fake.received.length;
    await client.send(
      new PutItemCommand({ TableName: 'notes', Item: { id: { S: 'n-1' }, text: { S: 'hello' } } }),
    );
    const got = await client.send(new GetItemCommand({ TableName: 'notes', Key: { id: { S: 'n-1' } } }));
    expect(got.Item).toEqual({ id: { S: 'n-1' }, text: { S: 'hello' } });
    const calls = fake.received.slice(before);
    expect(calls.map((r) => [r.headers['x-amz-target'], r.refused])).toEqual([
      ['DynamoDB_20120810.PutItem', undefined],
      ['DynamoDB_20120810.GetItem', undefined],
    ]);
    expect(calls[0]!.headers.authorization).toMatch(
      /\/eu-west-1\/dynamodb\/aws4_request, SignedHeaders=content-type;host;x-amz-/,
    );
    client.destroy();
  });

  it('drops a forged signature, date, token, payload hash and presigned query, and signs anew', async () => {
    const before = fake.received.length;
    const response = await request(
      `${url}/proxy/s3/team-bucket/${encodeURIComponent(KEY).replaceAll('%2F', '/')}?X-Amz-Signature=forged0&X-Amz-Credential=AKIAFORGED%2F20990101%2Fus-east-1%2Fs3%2Faws4_request&versionId=v1`,
      {
        headers: {
          'x-keygate-token': agentToken,
          authorization:
            'AWS4-HMAC-SHA256 Credential=AKIAFORGED/20990101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=forged1',
          'x-amz-date': '20990101T000000Z',
          'x-amz-security-token': 'forged-session-token',
          'x-amz-content-sha256': 'forged-hash',
        },
      },
    );
    const answer = await response.body.text();
    expect([response.statusCode, answer]).toEqual([200, CONTENT]);
    const [received] = fake.received.slice(before);
    expect(received!.refused).toBeUndefined();
    expect(received!.target).toMatch(/\?versionId=v1$/);
    const wire = JSON.stringify(received);
    for (const forged of ['forged', 'AKIAFORGED', '20990101']) expect(wire).not.toContain(forged);
    expect(received!.headers.host).toBe(`127.0.0.1:${fake.port}`);
  });

  it('scrubs the signature and the session token from an answer that reflects them', async () => {
    const response = await request(`${url}/proxy/s3/team-bucket/echo-signature`, {
      headers: { 'x-keygate-token': agentToken },
    });
    const text = await response.body.text();
    expect(response.statusCode).toBe(200);
    expect(text).toMatch(
      /^you signed with AWS4-HMAC-SHA256 Credential=\[REDACTED\]\/\S+ SignedHeaders=\S+ Signature=\[REDACTED\] and token \[REDACTED\]$/,
    );
    expect(text).not.toContain(ACCESS_KEY_ID);
    expectNoSecret(text);
  });

  it('signs keygate_http_request calls to the same service', async () => {
    const result = await mcp.callTool({
      name: 'keygate_http_request',
      arguments: { service: 's3', method: 'GET', path: '/team-bucket/echo-signature' },
    });
    expect(result.isError).toBeFalsy();
    const text = JSON.stringify(result);
    expect(text).toContain('[REDACTED]');
    expect(fake.received.at(-1)!.refused).toBeUndefined();
    expectNoSecret(text);
  });

  it('sends nothing when the secret and the service do not fit: no aws: block, a bearer secret, a catalog tool', async () => {
    const before = fake.received.length;
    const unsigned = await request(`${url}/proxy/s3-unsigned/team-bucket/x`, {
      headers: { 'x-keygate-token': agentToken },
    });
    const unsignedText = await unsigned.body.text();
    expect(unsigned.statusCode).toBeGreaterThanOrEqual(500);
    expect(unsignedText).toContain('executor.no_credential');
    expect(unsignedText).toContain('aws-sigv4 secret');
    const bearer = await request(`${url}/proxy/s3-bearer/team-bucket/x`, {
      headers: { 'x-keygate-token': agentToken },
    });
    const bearerText = await bearer.body.text();
    expect(bearerText).toContain('executor.no_credential');
    expect(bearerText).toContain('store it with --kind aws-sigv4');
    const tool = await mcp.callTool({ name: 'notion_user_me_get', arguments: {} });
    expect(tool.isError).toBe(true);
    expect(JSON.stringify(tool)).toContain('aws-sigv4 secret');
    expect(fake.received.length).toBe(before);
    expectNoSecret(unsignedText + bearerText + JSON.stringify(tool));
  });

  it('never proxies an action that mints AWS credentials, in the query, a form body or X-Amz-Target', async () => {
    const before = fake.received.length;
    const asAgent = { 'x-keygate-token': agentToken };
    const query = await request(`${url}/proxy/sts/?Action=GetSessionToken&Version=2011-06-15`, {
      headers: asAgent,
    });
    const form = await request(`${url}/proxy/sts/`, {
      method: 'POST',
      headers: { ...asAgent, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body: 'Version=2011-06-15&Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fadmin',
    });
    const target = await request(`${url}/proxy/dynamodb/`, {
      method: 'POST',
      headers: {
        ...asAgent,
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'AWSCognitoIdentityService.GetCredentialsForIdentity',
      },
      body: '{"IdentityId":"eu-west-1:1"}',
    });
    for (const [response, action] of [
      [query, 'GetSessionToken'],
      [form, 'AssumeRole'],
      [target, 'GetCredentialsForIdentity'],
    ] as const) {
      expect(response.statusCode).toBe(403);
      const text = await response.body.text();
      expect(text).toContain('policy.denied');
      expect(text).toContain(`${action} mints AWS credentials`);
    }
    expect(fake.received.length).toBe(before);
  });

  it('lets an S3 copy read only a source the agent may GET itself', async () => {
    const put = (source: string) =>
      request(`${url}/proxy/s3/team-bucket/copied.txt`, {
        method: 'PUT',
        headers: { 'x-keygate-token': agentToken, 'x-amz-copy-source': source },
      });
    const before = fake.received.length;
    const foreign = await put('/other-bucket/payroll.csv');
    expect(foreign.statusCode).toBe(403);
    expect(await foreign.body.text()).toContain(
      'x-amz-copy-source names /other-bucket/payroll.csv, which bot may not GET through s3',
    );
    const arn = await put('arn:aws:s3:eu-west-1:1:accesspoint/ap/object/x');
    expect(await arn.body.text()).toContain('x-amz-copy-source is not a bucket and key keygate can check');
    expect(fake.received.length).toBe(before);
    const own = await put(`team-bucket/${encodeURIComponent(KEY)}?versionId=1`);
    await own.body.text();
    expect(own.statusCode).toBe(200);
    expect(fake.received.at(-1)).toMatchObject({ method: 'PUT', target: '/team-bucket/copied.txt' });
    expect(fake.received.at(-1)?.refused).toBeUndefined();
  });

  it('refuses what it could not sign as sent before any approval: non-ASCII signed headers, bad escapes, encoded bodies', async () => {
    const before = fake.received.length;
    const call = async (args: Record<string, unknown>) =>
      JSON.stringify(
        await mcp.callTool({ name: 'keygate_http_request', arguments: { service: 's3', ...args } }),
      );
    expect(
      await call({
        method: 'PUT',
        path: '/team-bucket/m.txt',
        headers: { 'x-amz-meta-city': 'Zürich' },
        body: 'x',
      }),
    ).toContain('header x-amz-meta-city has a character outside printable ASCII');
    expect(await call({ method: 'GET', path: '/team-bucket/m.txt?a=%zz' })).toContain(
      'malformed percent-escape',
    );
    expect(
      await call({
        method: 'PUT',
        path: '/team-bucket/m.txt',
        headers: { 'content-encoding': 'aws-chunked' },
        body: 'x',
      }),
    ).toContain('request.unsupported_encoding');
    expect(fake.received.length).toBe(before);
  });

  it('sends a space in keygate_http_request’s query as %20, as the approver read it', async () => {
    const result = await mcp.callTool({
      name: 'keygate_http_request',
      arguments: {
        service: 's3',
        method: 'GET',
        path: '/team-bucket/echo-signature',
        query: { prefix: 'my reports/a+b' },
      },
    });
    expect(result.isError).toBeFalsy();
    expect(fake.received.at(-1)).toMatchObject({
      target: '/team-bucket/echo-signature?prefix=my%20reports%2Fa%2Bb',
    });
    expect(fake.received.at(-1)?.refused).toBeUndefined();
  });

  it('records the credential kind and target in audit rows, and no secret in them, the log or secret list', async () => {
    await kg.gateway.audit.drain();
    const rows = await kg.t.store.db.selectFrom('audit_events').selectAll().execute();
    const signed = rows.filter((row) => row.tool === 'proxy:s3' && row.credential !== null);
    expect(signed.length).toBeGreaterThanOrEqual(3);
    for (const row of signed)
      expect(JSON.parse(String(row.credential))).toEqual({
        kind: 'aws-sigv4',
        scope: { access_key_id: ACCESS_KEY_ID, temporary: true, region: REGION, service: 's3' },
      });
    expectNoSecret(JSON.stringify(rows));
    expectNoSecret(kg.logged.join('\n'));
    const { secrets } = await kg.gateway.admin.listSecrets();
    const listed = secrets.find((secret) => secret.name === 'aws-temp');
    expect(listed).toMatchObject({ kind: 'aws-sigv4', params: { 'access-key-id': ACCESS_KEY_ID } });
    expectNoSecret(JSON.stringify(secrets));
  });
});

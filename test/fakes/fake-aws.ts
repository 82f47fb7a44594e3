/**
 * A fake AWS on 127.0.0.1: an S3-style object store (path-style `/<bucket>/<key>`, PUT and GET)
 * and a DynamoDB-style JSON-protocol endpoint (`POST /` with `X-Amz-Target`). Every request's
 * SigV4 signature is checked the way AWS checks it, by a different implementation than keygate's
 * (the `aws4` package): the access key id, the credential scope's region and service, the time
 * (15 minutes of skew, as AWS allows), the session token of temporary keys, the payload hash (S3:
 * UNSIGNED-PAYLOAD accepted; others: the body's SHA-256), and the signature recomputed over the
 * headers the request says it signed. A bad signature gets S3's 403 SignatureDoesNotMatch, which
 * (like S3's) reflects the signature it was given. Everything received is recorded.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import aws4 from 'aws4';

export interface FakeAwsKeys {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** One request as the fake received it. */
export interface ReceivedAwsRequest {
  readonly method: string;
  /** The request target as sent (raw path and query). */
  readonly target: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
  /** Why the signature was refused, or undefined when it was accepted. */
  readonly refused?: string;
}

export interface FakeAws {
  readonly origin: string;
  readonly port: number;
  readonly received: ReceivedAwsRequest[];
  /** Objects stored, by `/<bucket>/<key>` (decoded key). */
  readonly objects: Map<string, Buffer>;
  /** Items stored through PutItem, by table and key. */
  readonly items: Map<string, unknown>;
  close(): Promise<void>;
}

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/;
const SKEW_MS = 15 * 60 * 1000;

/** A request as a server receives it: its raw target and lower-case headers. */
export interface ArrivedRequest {
  readonly method?: string | undefined;
  /** The raw path and query. */
  readonly url?: string | undefined;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/**
 * Why `req` is not signed by `keys` for `region`/`service`, or undefined when it is: AWS's checks,
 * with the signature recomputed by aws4 (another implementation than keygate's signer). `now` is
 * what the date is compared with.
 */
export function signatureProblem(
  req: ArrivedRequest,
  body: Buffer,
  keys: FakeAwsKeys,
  region: string,
  service: string,
  now = Date.now(),
): string | undefined {
  const auth = AUTHORIZATION.exec(String(req.headers.authorization ?? ''));
  if (!auth) return 'no AWS4-HMAC-SHA256 Authorization header';
  const [, keyId, day, scopeRegion, scopeService, signedList, signature] = auth;
  if (keyId !== keys.accessKeyId) return `unknown access key ${keyId}`;
  if (scopeRegion !== region || scopeService !== service)
    return `credential scope ${scopeRegion}/${scopeService}, expected ${region}/${service}`;
  const date = String(req.headers['x-amz-date'] ?? '');
  const when = Date.parse(
    date.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'),
  );
  if (!Number.isFinite(when) || Math.abs(when - now) > SKEW_MS) return `x-amz-date ${date} is off`;
  if (date.slice(0, 8) !== day) return 'the scope date is not the x-amz-date day';
  if ((keys.sessionToken ?? undefined) !== req.headers['x-amz-security-token'])
    return 'the session token is wrong or missing';
  const signed = signedList!.split(';');
  if (!signed.includes('host') || !signed.includes('x-amz-date')) return 'host and x-amz-date must be signed';
  if (keys.sessionToken && !signed.includes('x-amz-security-token')) return 'the session token is not signed';
  const payload = req.headers['x-amz-content-sha256'];
  const bodyHash = createHash('sha256').update(body).digest('hex');
  if (service === 's3' && payload !== 'UNSIGNED-PAYLOAD' && payload !== bodyHash)
    return 'x-amz-content-sha256 is neither UNSIGNED-PAYLOAD nor the body hash';
  if (service !== 's3' && payload !== undefined && payload !== bodyHash)
    return 'x-amz-content-sha256 is not the body hash';
  const headers: Record<string, string> = {};
  for (const name of signed) {
    const value = req.headers[name];
    if (value === undefined) return `signed header ${name} is missing`;
    headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const redo = new aws4.RequestSigner(
    {
      host: String(req.headers.host),
      method: req.method,
      path: req.url,
      service,
      region,
      headers,
      body,
      doNotModifyHeaders: true,
    },
    keys,
  );
  // Unmodified headers leave aws4 to take the time from the clock: give it the request's.
  redo.datetime = date;
  redo.sign();
  const expected = AUTHORIZATION.exec(String(redo.request.headers?.Authorization ?? ''));
  if (expected?.[5] !== signedList) return `signed headers ${signedList}, recomputed ${expected?.[5]}`;
  return expected?.[6] === signature ? undefined : 'the signature does not match';
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { 'content-type': type });
  res.end(body);
}

/** Starts the fake; `keys` are the only ones it accepts, for `region` (S3 at /, service by path). */
export async function startFakeAws(keys: FakeAwsKeys, region = 'eu-west-1'): Promise<FakeAws> {
  const received: ReceivedAwsRequest[] = [];
  const objects = new Map<string, Buffer>();
  const items = new Map<string, unknown>();
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const dynamo = typeof req.headers['x-amz-target'] === 'string';
    const problem = signatureProblem(req, body, keys, region, dynamo ? 'dynamodb' : 's3');
    received.push({
      method: String(req.method),
      target: String(req.url),
      headers: { ...req.headers },
      body: body.toString('utf8'),
      ...(problem ? { refused: problem } : {}),
    });
    if (problem) {
      const given = /Signature=([0-9a-f]+)/.exec(String(req.headers.authorization ?? ''))?.[1] ?? '';
      return send(
        res,
        403,
        'application/xml',
        `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SignatureDoesNotMatch</Code><Message>${problem}</Message><SignatureProvided>${given}</SignatureProvided></Error>`,
      );
    }
    if (dynamo) return dynamoDb(req, body, res, items);
    const path = new URL(String(req.url), 'http://fake').pathname;
    const key = decodeURIComponent(path);
    if (req.method === 'PUT') {
      objects.set(key, body);
      res.writeHead(200, { etag: `"${createHash('md5').update(body).digest('hex')}"` });
      return res.end();
    }
    if (req.method === 'GET' && path.endsWith('/echo-signature'))
      return send(
        res,
        200,
        'text/plain',
        `you signed with ${req.headers.authorization} and token ${req.headers['x-amz-security-token'] ?? '-'}`,
      );
    const object = objects.get(key);
    if (req.method === 'GET' && object) return send(res, 200, 'application/octet-stream', object);
    return send(
      res,
      404,
      'application/xml',
      '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>',
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    received,
    objects,
    items,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** DynamoDB's JSON protocol: PutItem and GetItem on a map, by table and the item's `id`. */
function dynamoDb(
  req: IncomingMessage,
  body: Buffer,
  res: ServerResponse,
  items: Map<string, unknown>,
): void {
  const type = 'application/x-amz-json-1.0';
  if (req.headers['content-type'] !== type) {
    send(res, 400, type, JSON.stringify({ __type: 'SerializationException' }));
    return;
  }
  const input = JSON.parse(body.toString('utf8')) as {
    TableName: string;
    Item?: { id: unknown };
    Key?: { id: unknown };
  };
  const operation = String(req.headers['x-amz-target']);
  if (operation === 'DynamoDB_20120810.PutItem' && input.Item) {
    items.set(`${input.TableName}/${JSON.stringify(input.Item.id)}`, input.Item);
    send(res, 200, type, '{}');
    return;
  }
  if (operation === 'DynamoDB_20120810.GetItem' && input.Key) {
    const item = items.get(`${input.TableName}/${JSON.stringify(input.Key.id)}`);
    send(res, 200, type, JSON.stringify(item ? { Item: item } : {}));
    return;
  }
  send(res, 400, type, JSON.stringify({ __type: 'UnknownOperationException' }));
}

/**
 * Fake GitHub, Stripe and Notion servers on 127.0.0.1. Each refuses what the real API refuses
 * (a missing or wrong credential, a missing version header, a wrong content type, a body that
 * does not parse) with the real API's error shape, and records every request it receives.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FakeService = 'github' | 'stripe' | 'notion';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  /** The raw query string, without `?`. */
  readonly query: string;
  readonly headers: IncomingHttpHeaders;
  /** The body as UTF-8 text. */
  readonly body: string;
  /** The body's bytes as received (a binary file part is not UTF-8). */
  readonly bytes: Buffer;
}

export interface FakeReply {
  readonly status: number;
  readonly body: string;
  readonly headers?: Record<string, string>;
  /** Answers this long after the request arrived (a slow upstream). */
  readonly afterMs?: number;
  /** Closes the connection instead of answering, once the whole request has arrived. */
  readonly hangUp?: boolean;
}

export interface FakeUpstream {
  readonly service: FakeService;
  readonly url: string;
  /** Requests that passed the checks (what the API would have acted on). */
  readonly requests: RecordedRequest[];
  /** Requests refused by the checks, with the status returned. */
  readonly refused: { request: RecordedRequest; status: number }[];
  /** Replaces the default `200 {"object":"ok"}` answer for accepted requests. */
  reply: (request: RecordedRequest) => FakeReply;
  reset(): void;
  close(): Promise<void>;
}

export type Check = (request: RecordedRequest, token: string) => FakeReply | undefined;

const json = (status: number, body: unknown): FakeReply => ({
  status,
  body: JSON.stringify(body),
  headers: { 'content-type': 'application/json' },
});

const hasBody = (request: RecordedRequest) => request.body.length > 0;

export const githubCheck: Check = (request, token) => {
  const auth = request.headers.authorization;
  if (auth !== `Bearer ${token}` && auth !== `token ${token}`) {
    return json(401, {
      message: 'Bad credentials',
      documentation_url: 'https://docs.github.com/rest',
      status: '401',
    });
  }
  if (!request.headers['user-agent']) {
    return json(403, {
      message:
        'Request forbidden by administrative rules. Please make sure your request has a User-Agent header',
    });
  }
  if (request.headers['x-github-api-version'] !== '2022-11-28') {
    return json(400, {
      message: `API version ${request.headers['x-github-api-version'] ?? '(none)'} is not supported.`,
    });
  }
  if (request.headers.accept !== 'application/vnd.github+json')
    return json(415, { message: 'Unsupported Accept header' });
  if (hasBody(request)) {
    if (request.headers['content-type'] !== 'application/json')
      return json(415, { message: 'Unsupported Media Type' });
    try {
      JSON.parse(request.body);
    } catch {
      return json(400, { message: 'Problems parsing JSON' });
    }
  }
  return undefined;
};

const stripeCheck: Check = (request, token) => {
  if (request.headers.authorization !== `Bearer ${token}`) {
    const given = (request.headers.authorization ?? '').replace(/^Bearer /, '');
    return json(401, {
      error: { message: `Invalid API Key provided: ${given.slice(0, 8)}****`, type: 'invalid_request_error' },
    });
  }
  if (!/^\d{4}-\d{2}-\d{2}$/.test(String(request.headers['stripe-version'] ?? ''))) {
    return json(400, { error: { message: 'Invalid Stripe API version', type: 'invalid_request_error' } });
  }
  if ((request.method === 'GET' || request.method === 'DELETE') && hasBody(request)) {
    return json(400, { error: { message: 'GET and DELETE requests take parameters in the query string' } });
  }
  if (request.method === 'POST') {
    if (hasBody(request) && request.headers['content-type'] !== 'application/x-www-form-urlencoded') {
      return json(400, {
        error: {
          message: 'Invalid request: bodies must be application/x-www-form-urlencoded',
          type: 'invalid_request_error',
        },
      });
    }
    if (hasBody(request) && !isStripeForm(request.body)) {
      return json(400, { error: { message: 'Invalid form body', type: 'invalid_request_error' } });
    }
  }
  return undefined;
};

/** Every pair is `key=value`, keys are `name` or `name[a][0][]`, and everything decodes. */
function isStripeForm(body: string): boolean {
  return body.split('&').every((pair) => {
    const [key, value, extra] = pair.split('=');
    if (key === undefined || value === undefined || extra !== undefined) return false;
    try {
      return (
        /^[A-Za-z0-9_]+(\[[A-Za-z0-9_]*\])*$/.test(decodeURIComponent(key)) &&
        decodeURIComponent(value) !== undefined
      );
    } catch {
      return false;
    }
  });
}

const notionCheck: Check = (request, token) => {
  if (request.headers.authorization !== `Bearer ${token}`) {
    return json(401, {
      object: 'error',
      status: 401,
      code: 'unauthorized',
      message: 'API token is invalid.',
    });
  }
  if (!request.headers['notion-version']) {
    return json(400, {
      object: 'error',
      status: 400,
      code: 'missing_version',
      message: 'Notion-Version header failed validation: Notion-Version header should be defined.',
    });
  }
  // Sending a file upload's content is the one multipart/form-data endpoint; everything else is JSON.
  if (request.method === 'POST' && /^\/v1\/file_uploads\/[^/]+\/send$/.test(request.path))
    return notionMultipartCheck(request);
  if (hasBody(request)) {
    if (request.headers['content-type'] !== 'application/json') {
      return json(400, {
        object: 'error',
        status: 400,
        code: 'invalid_request',
        message: 'Content-Type must be JSON.',
      });
    }
    let body: unknown;
    try {
      body = JSON.parse(request.body);
    } catch {
      return json(400, {
        object: 'error',
        status: 400,
        code: 'invalid_json',
        message: 'Error parsing JSON body.',
      });
    }
    const missing = notionRequiredFields(request, body as Record<string, unknown>);
    if (missing)
      return notionValidationError(`body.${missing} should be defined, instead was \`undefined\`.`);
  }
  return undefined;
};

const notionValidationError = (message: string) =>
  json(400, {
    object: 'error',
    status: 400,
    code: 'validation_error',
    message: `body failed validation: ${message}`,
  });

/** The first body field Notion requires and the request lacks, for the endpoints it checks here. */
function notionRequiredFields(request: RecordedRequest, body: Record<string, unknown>): string | undefined {
  const route = `${request.method} ${request.path.replace(/\/[0-9a-f-]{32,36}(?=\/|$)/g, '/{id}')}`;
  const has = (field: string) => body[field] !== undefined;
  if (route === 'POST /v1/databases' && !has('parent')) return 'parent';
  if (route === 'POST /v1/file_uploads') {
    if (body.mode === 'multi_part') return ['number_of_parts', 'filename'].find((field) => !has(field));
    if (body.mode === 'external_url') return ['external_url', 'filename'].find((field) => !has(field));
  }
  return undefined;
}

/**
 * What Notion checks of a file upload's content: a multipart/form-data body with its boundary,
 * whose parts parse, with a `file` part that has a filename.
 */
function notionMultipartCheck(request: RecordedRequest): FakeReply | undefined {
  const invalid = (message: string) =>
    json(400, { object: 'error', status: 400, code: 'invalid_request', message });
  const type = String(request.headers['content-type'] ?? '');
  const boundary = /^multipart\/form-data;\s*boundary=([^;\s]+)$/.exec(type)?.[1];
  if (!boundary) return invalid('Content-Type must be multipart/form-data with a boundary.');
  const sections = request.body.split(`--${boundary}`);
  if (sections.length < 3 || sections.at(-1)?.replace(/\r\n$/, '') !== '--' || sections[0] !== '')
    return invalid('The multipart body does not parse.');
  const parts = sections.slice(1, -1).map((section) => {
    const end = section.indexOf('\r\n\r\n');
    const head = end < 0 ? '' : section.slice(2, end);
    return {
      ok: section.startsWith('\r\n') && section.endsWith('\r\n') && end >= 0,
      name: /name="([^"]*)"/.exec(head)?.[1],
      filename: /filename="([^"]*)"/.exec(head)?.[1],
    };
  });
  if (parts.some((part) => !part.ok || part.name === undefined))
    return invalid('The multipart body does not parse.');
  const file = parts.find((part) => part.name === 'file');
  if (!file?.filename) return notionValidationError('body.file should be defined, instead was `undefined`.');
  return undefined;
}

const CHECKS: Record<FakeService, Check> = { github: githubCheck, stripe: stripeCheck, notion: notionCheck };

export interface FakeOptions {
  /**
   * Accepts a credential of another kind (basic, a custom header, a query parameter) in place of
   * the service's bearer token; a request it refuses gets the service's own 401.
   */
  readonly authorized?: (request: RecordedRequest) => boolean;
}

/** Starts a fake of `service` accepting only `token` (or what `options.authorized` accepts). */
export async function startFakeUpstream(
  service: FakeService,
  token: string,
  options: FakeOptions = {},
): Promise<FakeUpstream> {
  const fake: FakeUpstream = {
    service,
    url: '',
    requests: [],
    refused: [],
    reply: () => json(200, { object: 'ok' }),
    reset() {
      this.requests.length = 0;
      this.refused.length = 0;
      this.reply = () => json(200, { object: 'ok' });
    },
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.search.replace(/^\?/, ''),
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        bytes: Buffer.concat(chunks),
      };
      const checked = options.authorized?.(recorded)
        ? { ...recorded, headers: { ...recorded.headers, authorization: `Bearer ${token}` } }
        : recorded;
      const refusal = CHECKS[service](checked, token);
      if (refusal) fake.refused.push({ request: recorded, status: refusal.status });
      else fake.requests.push(recorded);
      const answer = refusal ?? fake.reply(recorded);
      setTimeout(() => {
        if (answer.hangUp) {
          res.socket?.destroy();
          return;
        }
        res.writeHead(answer.status, answer.headers ?? { 'content-type': 'application/json' });
        res.end(answer.body);
      }, answer.afterMs ?? 0);
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (fake as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}

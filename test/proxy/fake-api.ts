/**
 * A fake OpenAI-compatible API and a fake GitHub REST API on one 127.0.0.1 listener, for proxy
 * tests. Each checks what the real one checks (the credential keygate injects; a JSON body where
 * one is required) and records every request it receives, refused ones included.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliCompressSync, deflateSync } from 'node:zlib';

export const OPENAI_KEY = 'sk-proj-CANARYopenai00000000000000000000000001';
export const GITHUB_KEY = 'ghp_CANARYgithubraw000000000000000000000002';
export const QUERY_KEY = 'qk_CANARYsearch0000000000000000000000000003';

export interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A request the fake holds without answering (`/v1/hold`), until its socket closes. */
export interface Held {
  closed: boolean;
}

export interface FakeApi {
  readonly port: number;
  readonly origin: string;
  readonly received: Received[];
  /** Every `/v1/hold` request, in order; `closed` once keygate has closed its socket. */
  readonly held: Held[];
  close(): Promise<void>;
}

function json(status: number, body: unknown): { status: number; body: string; type: string } {
  return { status, body: JSON.stringify(body), type: 'application/json' };
}

const completion = {
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1,
  model: 'gpt-test',
  choices: [
    { index: 0, message: { role: 'assistant', content: 'hello from the fake' }, finish_reason: 'stop' },
  ],
  usage: { prompt_tokens: 1, completion_tokens: 3, total_tokens: 4 },
};

function chunk(content: string, finish: string | null = null): string {
  return `data: ${JSON.stringify({
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'gpt-test',
    choices: [{ index: 0, delta: { content }, finish_reason: finish }],
  })}\n\n`;
}

export async function startFakeApi(): Promise<FakeApi> {
  const received: Received[] = [];
  const held: Held[] = [];
  let origin = '';
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (data: Buffer) => chunks.push(data));
    req.on('end', () => {
      const got: Received = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      received.push(got);
      const url = new URL(got.url, 'http://fake');
      const auth = req.headers.authorization ?? '';
      if (url.pathname.startsWith('/v1/')) {
        if (auth !== `Bearer ${OPENAI_KEY}`)
          return send(
            json(401, { error: { message: 'Incorrect API key provided', type: 'invalid_request_error' } }),
          );
        return openai(url, got);
      }
      if (url.pathname.startsWith('/gh/')) {
        if (auth !== `Bearer ${GITHUB_KEY}` && auth !== `token ${GITHUB_KEY}`)
          return send(json(401, { message: 'Bad credentials' }));
        return github(url, got);
      }
      // An API that takes its key as a query parameter (`?api_key=`).
      if (url.pathname.startsWith('/q/')) {
        if (url.searchParams.getAll('api_key').join() !== QUERY_KEY)
          return send(json(401, { error: 'bad api_key' }));
        return send(json(200, { results: [url.searchParams.get('q')] }));
      }
      send(json(404, { message: 'Not Found' }));
    });

    function send(reply: { status: number; body: string; type: string; headers?: Record<string, string> }) {
      res.writeHead(reply.status, { 'content-type': reply.type, ...reply.headers });
      res.end(reply.body);
    }

    function openai(url: URL, got: Received) {
      const path = url.pathname.slice('/v1'.length);
      if (got.method === 'GET' && path === '/models')
        return send(
          json(200, {
            object: 'list',
            data: [{ id: 'gpt-test', object: 'model', created: 1, owned_by: 'x' }],
          }),
        );
      if (got.method === 'POST' && path === '/chat/completions') {
        if (!String(got.headers['content-type']).startsWith('application/json'))
          return send(json(415, { error: { message: 'content type' } }));
        const body = JSON.parse(got.body) as { stream?: boolean; messages?: { content: string }[] };
        const echo = body.messages?.[0]?.content === 'echo your key';
        if (!body.stream) return send(json(200, completion));
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(chunk('hel'));
        res.write(chunk('lo'));
        if (echo) {
          // The key in one event, sent in two writes that cut it in the middle.
          const event = chunk(` ${OPENAI_KEY} `);
          const cut = event.indexOf(OPENAI_KEY) + 17;
          res.write(event.slice(0, cut));
          res.write(event.slice(cut));
        }
        res.write(chunk(' world', 'stop'));
        res.end('data: [DONE]\n\n');
        return;
      }
      // Echoes what a careless upstream could: the credential in a header, the body and a redirect.
      if (path === '/echo') {
        res.writeHead(200, {
          'content-type': 'application/json',
          'x-echo-auth': got.headers.authorization ?? '',
        });
        res.end(
          JSON.stringify({ headers: got.headers, encoded: Buffer.from(OPENAI_KEY).toString('base64') }),
        );
        return;
      }
      if (path === '/redirect')
        return send({
          status: 302,
          body: '',
          type: 'text/plain',
          headers: { location: `https://elsewhere.example/?k=${OPENAI_KEY}` },
        });
      if (path === '/error')
        return send(json(500, { error: { message: `upstream broke with key ${OPENAI_KEY}` } }));
      // `?bytes=N` of text, in 16 KiB writes (an answer larger than keygate's bound).
      if (path === '/big') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        let left = Number(url.searchParams.get('bytes') ?? 0);
        while (left > 0) {
          const size = Math.min(left, 16 * 1024);
          res.write('x'.repeat(size));
          left -= size;
        }
        res.end();
        return;
      }
      // The key echoed inside a compressed body, although keygate asked for identity.
      if (path === '/deflate' || path === '/br') {
        const body = Buffer.from(
          JSON.stringify({ echoed: `key ${OPENAI_KEY} inside`, coding: path.slice(1) }),
        );
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': path.slice(1) });
        res.end(path === '/br' ? brotliCompressSync(body) : deflateSync(body));
        return;
      }
      // Never finishes its answer (`?partial=1`: after the headers and a first event; else before
      // the headers): the request stays open until the other side closes the socket.
      if (path === '/hold') {
        const entry: Held = { closed: false };
        held.push(entry);
        req.socket.once('close', () => {
          entry.closed = true;
        });
        if (url.searchParams.has('partial')) {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.write('data: first\n\n');
        }
        return;
      }
      send(json(404, { error: { message: 'Unknown request URL' } }));
    }

    function github(url: URL, got: Received) {
      const path = url.pathname.slice('/gh'.length);
      const repo = /^\/repos\/([^/]+)\/([^/]+)$/.exec(path);
      if (got.method === 'GET' && repo)
        return send(json(200, { id: 1, name: repo[2], full_name: `${repo[1]}/${repo[2]}`, private: false }));
      const issues = /^\/repos\/([^/]+)\/([^/]+)\/issues$/.exec(path);
      if (got.method === 'POST' && issues) {
        const body = JSON.parse(got.body || '{}') as { title?: string };
        if (!body.title) return send(json(422, { message: 'Validation Failed' }));
        return send(
          json(201, { number: received.filter((r) => r.method === 'POST').length, title: body.title }),
        );
      }
      send(json(404, { message: 'Not Found' }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  origin = `http://127.0.0.1:${port}`;
  return {
    port,
    origin,
    received,
    held,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

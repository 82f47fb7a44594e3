/**
 * The executor: one tool call in, one bounded and scrubbed upstream answer out. It builds the
 * request from arguments the catalog has already validated, injects the credential, sends it, and
 * never lets a secret back.
 */
import { randomUUID } from 'node:crypto';
import { type Catalog, FULL_RESULT_ARGUMENT, type ToolDefinition } from '../catalog/index.js';
import { KeygateError } from '../errors/index.js';
import type { GuardOptions } from '../proxy/index.js';
import { type AnswerText, answerText, type UntrustedLabels, wholeText } from './answer-text.js';
import {
  type CredentialProvider,
  type CredentialScope,
  type CredentialUse,
  injectCredential,
} from './credential.js';
import {
  DEFAULT_LIMITS,
  HttpClient,
  type HttpLimits,
  type TailRead,
  type UpstreamResponse,
} from './http-client.js';
import type { ForwardedResponse } from './http-forwarder.js';
import { pagingArgument } from './lean-result.js';
import { buildRequest } from './request-builder.js';
import type { Scrubber } from './scrubber.js';

export interface ExecutorOptions {
  readonly catalog: Catalog;
  readonly credentials: CredentialProvider;
  /** Per-service base URL overrides (policy `base_url`); a function is asked on every call. */
  readonly baseUrls?: Readonly<Record<string, string>> | ((service: string) => string | undefined);
  readonly limits?: Partial<HttpLimits>;
  /** Keygate's own listeners, which no upstream call may reach (the SSRF guard's `selfAddresses`). */
  readonly selfAddresses?: () => readonly { address: string; port: number }[];
  /**
   * The SSRF guard's resolver and trusted CAs, and hosts it lets reach private addresses beyond the
   * base URL overrides' (tests: a fake log host named like a public one, with a private CA).
   */
  readonly egress?: Pick<GuardOptions, 'lookup' | 'ca'> & { readonly allowPrivateHosts?: readonly string[] };
  /** Characters of response text returned at most (default 50,000). */
  readonly maxResultChars?: number;
  readonly userAgent?: string;
}

/** Who is calling, and the id that makes a retried write idempotent upstream. */
export interface CallContext {
  readonly agent?: string;
  /** Unique per call (or per approval); default a fresh UUID. */
  readonly callId?: string;
  /**
   * Given, before anything is sent, the scrubber for the secrets this call puts on the wire, so
   * that whatever the caller returns from the outcome can be scrubbed as its very last step.
   */
  readonly onScrubber?: (scrubber: Scrubber) => void;
  /** The caller's narrowed scope on a service, for a credential minted per call (see CredentialContext.scope). */
  readonly credentialScope?: (service: string) => CredentialScope;
  /** Given the kind and narrowed scope of the credential the call uses, for its audit row. */
  readonly onCredentialUse?: (use: CredentialUse) => void;
}

/** A successful upstream answer, already scrubbed and bounded. */
export interface CallResult {
  readonly status: number;
  readonly text: string;
  /** Bytes of the upstream body (as far as known). */
  readonly bytes: number;
  readonly truncated: boolean;
  /** Where its third-party text is (the tool result's `_meta` and notice say so), if it has any. */
  readonly untrusted?: UntrustedLabels;
  /**
   * A proxied answer that streams (raw-HTTP proxy mode): `text` is empty, the body is read from
   * here, already scrubbed chunk by chunk, and `finished` says when it has passed.
   */
  readonly stream?: ForwardedResponse;
}

export const DEFAULT_MAX_RESULT_CHARS = 50_000;

export class Executor {
  private readonly http: HttpClient;
  private readonly maxResultChars: number;
  private readonly userAgent: string;

  constructor(private readonly options: ExecutorOptions) {
    this.maxResultChars = options.maxResultChars ?? DEFAULT_MAX_RESULT_CHARS;
    // Read enough bytes to fill the text limit even with multi-byte characters.
    const maxResponseBytes = Math.max(this.maxResultChars * 4 + 4096, options.limits?.maxResponseBytes ?? 0);
    // The hosts the admin configured (policy base_url overrides, the gateway's baseUrls) may be
    // private; a default public host that redirects or resolves to a private address may not.
    this.http = new HttpClient(
      { ...DEFAULT_LIMITS, ...options.limits, maxResponseBytes },
      {
        allowPrivateHosts: () => [...this.configuredHosts(), ...(options.egress?.allowPrivateHosts ?? [])],
        ...(options.selfAddresses ? { selfAddresses: options.selfAddresses } : {}),
        ...(options.egress?.lookup ? { lookup: options.egress.lookup } : {}),
        ...(options.egress?.ca ? { ca: options.egress.ca } : {}),
      },
    );
    this.userAgent = options.userAgent ?? 'keygate';
  }

  /**
   * Calls `tool` with `args`, which `Catalog.validate` has checked and coerced (nothing here checks
   * them again). Throws a KeygateError for every failure, upstream ones included.
   */
  async call(
    tool: ToolDefinition,
    args: Readonly<Record<string, unknown>>,
    context: CallContext = {},
  ): Promise<CallResult> {
    const service = this.options.catalog.service(tool.service);
    const baseUrl = this.baseUrlFor(tool.service);
    const { credentialScope } = context;
    const credential = await this.options.credentials.credentialFor({
      service: tool.service,
      tool: tool.name,
      baseUrl: baseUrl ?? service.baseUrl,
      ...(context.agent ? { agent: context.agent } : {}),
      ...(credentialScope ? { scope: () => credentialScope(tool.service) } : {}),
    });
    if (!credential) {
      throw new KeygateError('executor.no_credential', `no credential is configured for ${tool.service}`);
    }
    if (credential.use) context.onCredentialUse?.(credential.use);
    const request = buildRequest(tool, service, args, {
      baseUrl,
      idempotencyKey: `keygate-${context.callId ?? randomUUID()}`,
      userAgent: this.userAgent,
    });
    const scrubber = injectCredential(credential, request);
    context.onScrubber?.(scrubber);
    let response: UpstreamResponse;
    try {
      response = await this.http.send(request, (next) => credential.inject(next), {
        operation: { service: tool.service, template: tool.operation.path },
        ...(tool.redirectHosts ? { redirectHosts: tool.redirectHosts } : {}),
      });
    } catch (error) {
      throw scrubError(error, scrubber);
    }
    const { text, untrusted } = this.boundedText(response, scrubber, tool, args);
    if (response.status >= 400) {
      // Parsing decodes escapes the text scrub may not know: scrub what was decoded as well, whole,
      // and only then cut it short (a cut first would leave a secret's start that no scrub finds).
      const decoded = upstreamMessage(text);
      const message = decoded && scrubber.scrub(decoded.message).slice(0, decoded.limit);
      const who = response.tail ? response.tail.host : service.title.split(' (')[0];
      throw new KeygateError(
        'upstream.error',
        `${who} answered HTTP ${response.status}${message ? `: ${message}` : ''}`,
        { details: { status: response.status, ...(message ? { upstreamMessage: message } : {}) } },
      );
    }
    return {
      status: response.status,
      text,
      bytes: response.totalBytes ?? response.body.length,
      truncated: response.truncated,
      ...(untrusted ? { untrusted } : {}),
    };
  }

  async close(): Promise<void> {
    await this.http.close();
  }

  /** The `host[:port]` of every base URL override, asked at each new connection (policy reloads). */
  private configuredHosts(): string[] {
    const { baseUrls, catalog } = this.options;
    const urls =
      typeof baseUrls === 'function'
        ? [...catalog.services.keys()].map((service) => baseUrls(service))
        : Object.values(baseUrls ?? {});
    return urls.flatMap((url) => {
      try {
        return url ? [new URL(url).host] : [];
      } catch {
        return [];
      }
    });
  }

  private baseUrlFor(service: string): string | undefined {
    const { baseUrls } = this.options;
    return typeof baseUrls === 'function' ? baseUrls(service) : baseUrls?.[service];
  }

  private boundedText(
    response: UpstreamResponse,
    scrubber: Scrubber,
    tool: ToolDefinition,
    args: Readonly<Record<string, unknown>>,
  ): AnswerText {
    if (response.tail) return this.tailText(response, response.tail, scrubber);
    // The projection and the labels come first and the scrub after them, on the text actually
    // returned: parsing decodes JSON escapes, so a secret the upstream sent escaped is plain text
    // only from here on.
    const shaped = shapedAnswer(response, tool, args);
    const markers = shaped.untrusted?.markers;
    let text = scrubber.scrub(shaped.text);
    // A secret cut by the byte limit survives scrubbing as a prefix: drop the tail it may be in.
    // Cutting before scrubbing could cut a whole secret in two, so the scrub comes first.
    if (response.truncated) text = scrubber.withoutPartialTail(text);
    if (!response.truncated && text.length <= this.maxResultChars) return { ...shaped, text };
    const total = response.totalBytes === undefined ? 'more' : `${response.totalBytes}`;
    // A span the cut leaves open is closed before keygate's note, which is not third-party text.
    const cut = text.slice(0, this.maxResultChars);
    return {
      ...shaped,
      text: `${markers ? markers.closeCut(cut) : cut}\n\n[keygate: response truncated: showing the first ${this.maxResultChars} characters of ${total} bytes. ${pagingHint(tool)}]`,
    };
  }

  /**
   * The end of a log read off-host, as text: its last `maxResultChars` characters, after a note
   * saying what was left out. Scrubbed whole first, then cut, then stripped of whatever at each cut
   * edge could be part of a secret (a scrub cannot recognise half of one).
   */
  private tailText(response: UpstreamResponse, tail: TailRead, scrubber: Scrubber): AnswerText {
    // A log is third-party text as a whole (it prints what a commit or a pull request wrote).
    const log = this.tailLog(response, tail, scrubber);
    const labelled = wholeText(log.text);
    return { ...labelled, text: log.note ? `${log.note}\n${labelled.text}` : labelled.text };
  }

  /** The log's text, bounded, and the note saying what was left out (if anything was). */
  private tailLog(
    response: UpstreamResponse,
    tail: TailRead,
    scrubber: Scrubber,
  ): { text: string; note?: string } {
    let text = scrubber.scrub(response.body.toString('utf8'));
    const cutStart = tail.skippedBytes > 0 || text.length > this.maxResultChars;
    if (!tail.complete) text = scrubber.withoutPartialTail(text);
    if (text.length > this.maxResultChars) text = text.slice(-this.maxResultChars);
    if (cutStart) text = scrubber.withoutPartialHead(text);
    if (!cutStart && tail.complete) return { text };
    const read = tail.skippedBytes + response.body.length;
    const note = tail.complete
      ? `[keygate: log trimmed: showing its last ${text.length} characters of ${read} bytes; the start is left out.]`
      : `[keygate: log too long: showing the last ${text.length} characters of the first ${read} bytes${response.totalBytes === undefined ? '' : ` of ${response.totalBytes}`}; its end is not shown.]`;
    return { text, note };
  }
}

/**
 * The text of an answer as the model reads it. An error is left as sent (its message is read from
 * it). A whole 2xx JSON answer is projected when its tool has lean results (unless the call asked
 * for `full: true`) and its third-party text labelled; a body cut by the byte limit or not JSON is
 * third-party text as a whole.
 */
function shapedAnswer(
  response: UpstreamResponse,
  tool: ToolDefinition,
  args: Readonly<Record<string, unknown>>,
): AnswerText {
  const body = response.body.toString('utf8');
  if (response.status >= 400) return { text: body };
  if (response.truncated) return wholeText(body);
  const json = /\bjson\b/i.test(response.contentType);
  const lean = response.status < 300 && args[FULL_RESULT_ARGUMENT] !== true ? tool.leanResults : undefined;
  // The next page is announced only to a tool that can ask for it.
  const next = lean?.paging && pagingArgument(lean.paging);
  const pages = next !== undefined && tool.bindings.some((binding) => binding.arg === next);
  return answerText(body, {
    json,
    ...(lean ? { lean: pages ? lean : { rules: lean.rules } } : {}),
    ...(pages && response.headers.link ? { link: response.headers.link } : {}),
    ...(tool.responseContent ? { rules: tool.responseContent } : {}),
  });
}

/** Tells the model how to ask for less, from the paging arguments the tool offers. */
function pagingHint(tool: ToolDefinition): string {
  const args = new Set(tool.bindings.map((binding) => binding.arg));
  if (args.has('per_page')) return 'Ask for fewer results with per_page and fetch more with page.';
  // Stripe's searches page with `page` (the answer's next_page), its lists with `starting_after`.
  if (args.has('limit') && !args.has('starting_after') && args.has('page'))
    return "Ask for fewer results with limit, then fetch more with page set to the answer's next_page.";
  if (args.has('limit')) return 'Ask for fewer results with limit and fetch more with starting_after.';
  if (args.has('page_size')) return 'Ask for fewer results with page_size and fetch more with start_cursor.';
  return 'Narrow the request to get a smaller answer.';
}

/**
 * The human-readable message from GitHub (`message`), Notion (`message`) or Stripe (`error.message`),
 * whole, with how much of it to show (the first 500 characters, or 200 of a plain-text answer).
 */
function upstreamMessage(text: string): { message: string; limit: number } | undefined {
  try {
    const body = JSON.parse(text) as { message?: unknown; error?: { message?: unknown } | unknown };
    const nested =
      typeof body.error === 'object' && body.error !== null
        ? (body.error as { message?: unknown }).message
        : undefined;
    const message = body.message ?? nested ?? (typeof body.error === 'string' ? body.error : undefined);
    return typeof message === 'string' && message.length > 0 ? { message, limit: 500 } : undefined;
  } catch {
    const plain = text.trim();
    return plain.length > 0 ? { message: plain, limit: 200 } : undefined;
  }
}

function scrubError(error: unknown, scrubber: Scrubber): unknown {
  if (error instanceof KeygateError) {
    const message = scrubber.scrub(error.message);
    return message === error.message
      ? error
      : new KeygateError(error.code, message, { details: { ...error.details } });
  }
  return new KeygateError('internal', 'the upstream call failed unexpectedly', { cause: error });
}

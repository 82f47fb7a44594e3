/**
 * One OAuth 2.0 token request (RFC 6749 §6 refresh, §4.4 client credentials): a form POST to the
 * token URL with the client authenticated by HTTP Basic (§2.3.1, the default every server must
 * accept) or in the body, through the SSRF guard, bounded in time and size, no redirect followed.
 * Its answer is parsed into a token or a classified failure; no value reaches a message.
 */
import { type Dispatcher, request } from 'undici';
import { KeygateError } from '../errors/index.js';
import { Scrubber } from '../executor/index.js';
import { boundedText, jsonObjectOf } from './json-object.js';

/** What a token request needs; `clientSecret` and `refreshToken` are secret parts. */
export interface TokenRequest {
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly grant: 'refresh_token' | 'client_credentials';
  readonly refreshToken?: string;
  readonly scope?: string;
  readonly clientAuth: 'basic' | 'post';
}

/** A token endpoint's successful answer. */
export interface TokenAnswer {
  readonly accessToken: string;
  /** Seconds the token lives, when the endpoint said (RFC 6749 §5.1 makes it optional). */
  readonly expiresIn: number | undefined;
  /** A new refresh token when the endpoint rotates them. */
  readonly refreshToken: string | undefined;
  readonly scope: string | undefined;
}

/** A refusal that only setting the secret again can cure (the refresh token or client is refused). */
export class TokenRefused extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
  ) {
    super(`the token endpoint refused the grant: ${error}${description ? ` (${description})` : ''}`);
  }
}

/** Errors after which retrying with the same secret cannot succeed (RFC 6749 §5.2). */
const PERMANENT = new Set(['invalid_grant', 'invalid_client', 'unauthorized_client']);

const MAX_ANSWER_BYTES = 64 * 1024;
const TIMEOUT_MS = 15_000;

/**
 * Sends the token request through `dispatcher`. Resolves with the token; rejects with
 * `TokenRefused` for a permanent refusal, or `vault.token_refresh_failed` for anything else.
 */
export async function requestToken(token: TokenRequest, dispatcher: Dispatcher): Promise<TokenAnswer> {
  const form = new URLSearchParams({ grant_type: token.grant });
  if (token.grant === 'refresh_token') form.set('refresh_token', token.refreshToken ?? '');
  if (token.scope) form.set('scope', token.scope);
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
    'user-agent': 'keygate',
  };
  if (token.clientAuth === 'basic') {
    // §2.3.1: the id and secret are form-encoded before they are joined and base64-encoded.
    const pair = `${formEncode(token.clientId)}:${formEncode(token.clientSecret)}`;
    headers.authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
  } else {
    form.set('client_id', token.clientId);
    form.set('client_secret', token.clientSecret);
  }
  const scrubber = new Scrubber([token.clientSecret, ...(token.refreshToken ? [token.refreshToken] : [])]);
  const host = new URL(token.tokenUrl).host;
  let response: Dispatcher.ResponseData;
  try {
    response = await request(token.tokenUrl, {
      method: 'POST',
      headers,
      body: form.toString(),
      dispatcher,
      signal: AbortSignal.timeout(TIMEOUT_MS),
      headersTimeout: TIMEOUT_MS,
      bodyTimeout: TIMEOUT_MS,
    });
  } catch (cause) {
    // The guard's refusal already says why in words safe to show.
    if (cause instanceof KeygateError) throw failure(`${cause.message}`, cause);
    const timedOut = (cause as Error)?.name === 'TimeoutError';
    throw failure(
      `the token endpoint ${host} ${timedOut ? 'did not answer in time' : 'could not be reached'}`,
      cause,
    );
  }
  const text = await readBounded(response.body);
  const body = jsonObjectOf(text);
  if (response.statusCode >= 300 || typeof body?.error === 'string') {
    const error = typeof body?.error === 'string' ? safeText(body.error, scrubber, 64) : '';
    const description =
      typeof body?.error_description === 'string' ? safeText(body.error_description, scrubber, 200) : '';
    if (PERMANENT.has(error)) throw new TokenRefused(error, description);
    throw failure(
      `the token endpoint ${host} answered HTTP ${response.statusCode}${error ? `: ${error}` : ''}${description ? ` (${description})` : ''}`,
    );
  }
  const accessToken = body?.access_token;
  if (typeof accessToken !== 'string' || accessToken.length === 0 || /[\s\0]/.test(accessToken))
    throw failure(`the token endpoint ${host} answered without a usable access_token`);
  const tokenType = body?.token_type;
  if (typeof tokenType !== 'string' || tokenType.toLowerCase() !== 'bearer')
    throw failure(`the token endpoint ${host} issued a token that is not a bearer token`);
  const expiresIn = Number(body?.expires_in);
  const refreshToken = body?.refresh_token;
  return {
    accessToken,
    expiresIn: Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : undefined,
    refreshToken: typeof refreshToken === 'string' && refreshToken.length > 0 ? refreshToken : undefined,
    scope: typeof body?.scope === 'string' ? safeText(body.scope, scrubber, 500) : undefined,
  };
}

function failure(message: string, cause?: unknown): KeygateError {
  return new KeygateError('vault.token_refresh_failed', message, cause === undefined ? {} : { cause });
}

/** application/x-www-form-urlencoded, as §2.3.1 asks of the Basic credentials. */
function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

async function readBounded(body: Dispatcher.ResponseData['body']): Promise<string> {
  const text = await boundedText(body, MAX_ANSWER_BYTES);
  if (text === undefined)
    throw failure(`the token endpoint's answer is larger than ${MAX_ANSWER_BYTES} bytes`);
  return text;
}

/** Endpoint text fit for a message: scrubbed of the secrets sent, printable, bounded. */
function safeText(value: string, scrubber: Scrubber, limit: number): string {
  return scrubber
    .scrub(value)
    .replace(/[^\x20-\x7e]/g, '')
    .slice(0, limit);
}

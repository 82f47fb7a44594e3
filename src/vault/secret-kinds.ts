/**
 * Secret kinds: how each kind of credential is described and put on a request. The value is
 * the only secret part; everything else (a username, a header or parameter name) is a
 * non-secret parameter shown in metadata. A minted kind (github-app) makes a credential per call
 * through its `minter`, from the call's context, instead of one per secret version; a brokered
 * kind (oauth2) gets its access token through the vault's OAuth2 broker. A kind whose secret has
 * several parts (oauth2: client secret and refresh token) stores its value as a JSON object of them.
 * A signing kind (aws-sigv4) signs each proxied request whole instead of adding a value to it.
 */

import { KeygateError } from '../errors/index.js';
import { type Credential, type OutgoingRequest, redactedCredential } from '../executor/index.js';
import { signAwsRequest } from '../proxy/index.js';
import { GithubAppMinter, type Minter, privateKeyProblems } from './github-app.js';

export interface SecretKind {
  readonly name: string;
  /** Parameter names this kind needs (each set by a `secret set` flag of the same name). */
  readonly params: readonly string[];
  /** Parameters that may be left out (each also a flag). */
  readonly optionalParams?: readonly string[];
  /**
   * The names of the secret parts, for a kind whose value is a JSON object of them (given the
   * parameters: oauth2's refresh token exists only for the refresh_token grant); none for a kind
   * with a single value.
   */
  parts?(params: Readonly<Record<string, string>>): readonly string[];
  /** Parts that may be left out (aws-sigv4's session token, for long-lived keys). */
  readonly optionalParts?: readonly string[];
  /**
   * True for a kind whose credential is derived per use (oauth2: an access token): the vault
   * obtains it and `credential()` is given the derived value instead of the stored one.
   */
  readonly minted?: boolean;
  /** Problems of this kind's parameters beyond presence (formats, allowed values). */
  checkParams?(params: Readonly<Record<string, string>>): string[];
  /** Builds the credential for one request from the stored parameters and the value. */
  credential(label: string, params: Readonly<Record<string, string>>, value: string): Credential;
  /** Problems of the value beyond the common checks (its format); messages never quote it. */
  valueProblems?(value: string): string[];
  /** Whether the value may span lines (a PEM key, which never goes into a header as it is). */
  readonly multiline?: boolean;
  /** A minted kind's minter for one secret version, asked for a credential on every call. */
  minter?(label: string, params: Readonly<Record<string, string>>, value: string, now: () => number): Minter;
}

const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
const FORBIDDEN_HEADERS = ['host', 'content-length', 'content-type', 'transfer-encoding', 'connection'];

const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '[::1]'];
const OAUTH2_GRANTS = ['refresh_token', 'client_credentials'];

/** The problems of an OAuth 2.0 token URL: https, or http to this machine only (tests, a local IdP). */
function tokenUrlProblems(url: string): string[] {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return ['--token-url is not a URL'];
  }
  const problems: string[] = [];
  if (
    !(
      parsed.protocol === 'https:' ||
      (parsed.protocol === 'http:' && LOOPBACK_HOSTS.includes(parsed.hostname))
    )
  )
    problems.push(
      '--token-url must be https (http only to 127.0.0.1, localhost or [::1]): the client secret travels to it',
    );
  if (parsed.username !== '' || parsed.password !== '')
    problems.push('--token-url carries no user or password: the client secret is a secret part');
  if (parsed.hash !== '' || url.includes('#')) problems.push('--token-url has no fragment');
  return problems;
}

/**
 * OAuth 2.0: an access token obtained from the token URL with the client's secret and a refresh
 * token (or the client-credentials grant), sent as a bearer token. The vault's OAuth2Broker
 * obtains and refreshes it; `credential()` is given the access token.
 */
const oauth2: SecretKind = {
  name: 'oauth2',
  params: ['token-url', 'client-id'],
  optionalParams: ['grant', 'scope', 'client-auth'],
  minted: true,
  parts: (params) =>
    params.grant === 'client_credentials' ? ['client_secret'] : ['client_secret', 'refresh_token'],
  checkParams: (params) => {
    const problems = params['token-url'] ? tokenUrlProblems(params['token-url']) : [];
    if (params.grant !== undefined && !OAUTH2_GRANTS.includes(params.grant))
      problems.push(`--grant is ${OAUTH2_GRANTS.join(' or ')}`);
    if (params['client-auth'] !== undefined && !['basic', 'post'].includes(params['client-auth']))
      problems.push('--client-auth is basic or post');
    // RFC 6749 §3.3: space-separated tokens of printable ASCII but `"` and `\`.
    if (
      params.scope !== undefined &&
      !/^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/.test(params.scope)
    )
      problems.push('--scope is space-separated scope tokens of printable ASCII');
    // Printable characters only: the id goes into a header (Basic) and into messages.
    if (params['client-id'] !== undefined && !/^[\x20-\x7e]+$/.test(params['client-id']))
      problems.push('--client-id is printable ASCII');
    return problems;
  },
  credential: (label, params, accessToken) =>
    redactedCredential({
      label: `oauth2 ${label}`,
      use: {
        kind: 'oauth2',
        scope: { grant: params.grant ?? 'refresh_token', ...(params.scope ? { scope: params.scope } : {}) },
      },
      inject: (request: OutgoingRequest) => {
        request.headers.authorization = `Bearer ${accessToken}`;
      },
      secretValues: () => [accessToken],
    }),
};

const bearer: SecretKind = {
  name: 'bearer',
  params: [],
  credential: (label, _params, value) =>
    redactedCredential({
      label: `bearer ${label}`,
      inject: (request: OutgoingRequest) => {
        request.headers.authorization = `Bearer ${value}`;
      },
      secretValues: () => [value],
    }),
};

const basic: SecretKind = {
  name: 'basic',
  params: ['username'],
  credential: (label, params, value) => {
    const pair = `${params.username}:${value}`;
    const encoded = Buffer.from(pair).toString('base64');
    return redactedCredential({
      label: `basic ${label}`,
      inject: (request: OutgoingRequest) => {
        request.headers.authorization = `Basic ${encoded}`;
      },
      // The pair too, so every encoding of `user:pass` is scrubbed whole, not only around the password.
      secretValues: () => [value, pair, encoded],
    });
  },
};

const header: SecretKind = {
  name: 'header',
  params: ['header'],
  credential: (label, params, value) => {
    const name = String(params.header).toLowerCase();
    return redactedCredential({
      label: `header ${label}`,
      inject: (request: OutgoingRequest) => {
        request.headers[name] = value;
      },
      secretValues: () => [value],
    });
  },
};

const query: SecretKind = {
  name: 'query',
  params: ['param'],
  credential: (label, params, value) =>
    redactedCredential({
      label: `query ${label}`,
      inject: (request: OutgoingRequest) => {
        request.url.searchParams.set(String(params.param), value);
      },
      secretValues: () => [value],
    }),
};

/**
 * AWS access keys (an access key id, its secret access key and, for temporary credentials, a
 * session token): every request to a proxy service with an `aws:` block is signed with SigV4 for
 * the region and service that block names. The secret key never goes on the wire, only
 * signatures made with it.
 */
const awsSigv4: SecretKind = {
  name: 'aws-sigv4',
  params: ['access-key-id'],
  parts: () => ['secret_access_key', 'session_token'],
  optionalParts: ['session_token'],
  // AWS's ids are 16-128 word characters (AKIA…, ASIA…); S3-compatible stores allow a little more,
  // but never `/` or `,`, which would break the Authorization header's Credential field.
  checkParams: (params) =>
    params['access-key-id'] !== undefined && !/^[A-Za-z0-9_.+=@-]{3,128}$/.test(params['access-key-id'])
      ? ['--access-key-id is 3-128 of A-Z a-z 0-9 _ . + = @ - (AWS shows it beside the secret key)']
      : [],
  credential: (label, params, value) => {
    const parts = JSON.parse(value) as { secret_access_key: string; session_token?: string };
    const keys = {
      accessKeyId: String(params['access-key-id']),
      secretAccessKey: parts.secret_access_key,
      ...(parts.session_token ? { sessionToken: parts.session_token } : {}),
    };
    return redactedCredential({
      label: `aws-sigv4 ${label}`,
      use: {
        kind: 'aws-sigv4',
        scope: { access_key_id: keys.accessKeyId, temporary: keys.sessionToken !== undefined },
      },
      inject: () => {
        throw new KeygateError(
          'executor.no_credential',
          `${label} is an aws-sigv4 secret: it signs the requests of a proxy service with an aws: { region, service } block, and no catalog tool`,
        );
      },
      sign: async (request, target) => {
        const signature = await signAwsRequest(request, keys, target);
        return { secrets: [signature], envelopes: [String(request.headers.authorization)] };
      },
      // The key id too: not a secret to AWS, but it names the account, and no answer needs it.
      secretValues: () => [
        keys.secretAccessKey,
        keys.accessKeyId,
        ...(keys.sessionToken ? [keys.sessionToken] : []),
      ],
    });
  },
};

const githubApp: SecretKind = {
  name: 'github-app',
  params: ['app-id', 'installation-id'],
  multiline: true,
  credential: (label) => {
    // Every call mints its own narrowed token (the minter); there is no credential per version.
    throw new KeygateError(
      'executor.no_credential',
      `${label} is a github-app secret: its tokens are minted per call, for an agent's GitHub tools`,
    );
  },
  valueProblems: privateKeyProblems,
  minter: (label, params, value, now) =>
    new GithubAppMinter(label, String(params['app-id']), String(params['installation-id']), value, now),
};

export const SECRET_KINDS: ReadonlyMap<string, SecretKind> = new Map(
  [bearer, basic, header, query, githubApp, oauth2, awsSigv4].map((kind) => [kind.name, kind]),
);

/** Other names a kind is known by (DESIGN.md's `--kind aws`); a secret stores the kind's own name. */
const KIND_ALIASES: Readonly<Record<string, string>> = { aws: 'aws-sigv4' };

/** The kind called `name`; throws `vault.invalid_secret` for an unknown one. */
export function secretKind(name: string): SecretKind {
  const kind = SECRET_KINDS.get(Object.hasOwn(KIND_ALIASES, name) ? KIND_ALIASES[name]! : name);
  if (!kind) {
    throw new KeygateError(
      'vault.invalid_secret',
      `unknown secret kind ${name} (known: ${[...SECRET_KINDS.keys()].join(', ')})`,
    );
  }
  return kind;
}

/** Checks a secret's name, kind and parameters (everything but the value), before asking for it. */
export function checkSecretShape(name: string, kindName: string, params: Record<string, string>): SecretKind {
  const kind = secretKind(kindName);
  const problems = shapeProblems(name, kind, params);
  if (problems.length > 0)
    throw new KeygateError('vault.invalid_secret', `secret ${name}: ${problems.join('; ')}`);
  return kind;
}

/** Checks a new secret completely; messages never include the value. */
export function validateSecret(
  name: string,
  kind: SecretKind,
  params: Record<string, string>,
  value: string,
): void {
  const problems = shapeProblems(name, kind, params);
  if (kind.parts) problems.push(...partProblems(kind.parts(params), kind.optionalParts ?? [], value));
  else {
    if (value.length === 0) problems.push('the value is empty');
    if (value.length > 16_384) problems.push('the value is longer than 16 KiB');
    // A line break in a header value would let the value add headers of its own.
    if (kind.name !== 'query' && !kind.multiline && /[\r\n\0]/.test(value))
      problems.push('the value contains a line break or NUL');
    if (value.length > 0 && kind.valueProblems) problems.push(...kind.valueProblems(value));
  }
  if (problems.length > 0)
    throw new KeygateError('vault.invalid_secret', `secret ${name}: ${problems.join('; ')}`);
}

/**
 * The problems of a multi-part value: a JSON object of `parts` (all but the `optional` ones
 * required), each a one-line string.
 */
function partProblems(parts: readonly string[], optional: readonly string[], value: string): string[] {
  let object: unknown;
  try {
    object = JSON.parse(value);
  } catch {
    return [`the value is a JSON object of ${parts.join(', ')} (it is not JSON)`];
  }
  if (typeof object !== 'object' || object === null || Array.isArray(object))
    return [`the value is a JSON object of ${parts.join(', ')} (got ${describe(object)})`];
  const problems: string[] = [];
  for (const [part, content] of Object.entries(object as Record<string, unknown>)) {
    if (!parts.includes(part))
      problems.push(`${part} is not a part of this secret (parts: ${parts.join(', ')})`);
    else if (typeof content !== 'string')
      problems.push(`${part} must be a string (got ${describe(content)})`);
    else if (content.length === 0) problems.push(`${part} is empty`);
    else if (content.length > 16_384) problems.push(`${part} is longer than 16 KiB`);
    else if (/[\r\n\0]/.test(content)) problems.push(`${part} contains a line break or NUL`);
  }
  for (const part of parts)
    if (!Object.hasOwn(object, part) && !optional.includes(part)) problems.push(`${part} is missing`);
  return problems;
}

function shapeProblems(name: string, kind: SecretKind, params: Record<string, string>): string[] {
  const problems: string[] = [];
  if (!/^[a-z0-9][a-z0-9._-]{0,63}$/.test(name)) {
    problems.push('names are 1-64 of a-z 0-9 . _ - and start with a letter or digit');
  }
  // Parameters arrive as JSON over the admin API: anything but an object of strings is refused
  // here, before a string method is called on an object.
  if (typeof params !== 'object' || params === null || Array.isArray(params))
    return [...problems, `parameters must be an object of strings (got ${describe(params)})`];
  const wrongType = Object.entries(params as Record<string, unknown>).filter(
    ([, value]) => typeof value !== 'string',
  );
  if (wrongType.length > 0)
    return [
      ...problems,
      ...wrongType.map(([param, value]) => `--${param} must be a string (got ${describe(value)})`),
    ];
  for (const param of kind.params)
    if (!Object.hasOwn(params, param) || !params[param])
      problems.push(`--${param} is required for kind ${kind.name}`);
  for (const param of Object.keys(params)) {
    if (!kind.params.includes(param) && !kind.optionalParams?.includes(param))
      problems.push(`--${param} does not apply to kind ${kind.name}`);
  }
  if (kind.checkParams) problems.push(...kind.checkParams(params));
  if (params.header !== undefined) {
    if (!HEADER_NAME.test(params.header)) problems.push(`${params.header} is not a valid header name`);
    if (FORBIDDEN_HEADERS.includes(params.header.toLowerCase()))
      problems.push(`${params.header} cannot carry a credential`);
  }
  if (params.username?.includes(':')) problems.push('a basic-auth username cannot contain ":"');
  for (const id of ['app-id', 'installation-id'])
    if (params[id] !== undefined && params[id] !== '' && !/^[1-9][0-9]{0,19}$/.test(params[id]!))
      problems.push(`--${id} must be a number (GitHub shows it on the app's settings page)`);
  return problems;
}

/** The JSON type of a value, for messages that must not quote it. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * The one error type keygate throws on purpose. Every code is stable: scripts, tests and the
 * error-code reference in docs/errors.md rely on it. Messages never contain a secret value.
 */

/** Stable error codes, each with the situation it names. */
export const ERROR_CODES = {
  /** The command line was wrong: unknown command, missing or bad flag. */
  'cli.usage': 'the command line was wrong',
  /** A request to the admin API (or an admin operation) was malformed or asked for something invalid. */
  'request.invalid': 'the request was malformed or invalid',
  /** An HTTP request's body is larger than the endpoint accepts (declared or as it arrived): HTTP 413. */
  'request.too_large': 'the request body is too large',
  /** The client closed the connection before the answer was complete: the upstream request was cancelled. */
  'request.cancelled': 'the client went away; the upstream request was cancelled',
  /** A proxied request's body is compressed (`Content-Encoding`): keygate must read what it approves and audits. */
  'request.unsupported_encoding': 'the request body is compressed',
  /** The HTTP request was refused before anything ran: a foreign Host or Origin, or an agent token on the admin API. */
  forbidden: 'the request is not allowed here',
  /** No HTTP route at that path (and method). */
  not_found: 'no such route',
  /** A curation file is missing or does not match its schema. */
  'catalog.curation_invalid': 'a curation file is invalid',
  /** The upstream OpenAPI description could not be read or lacks a curated operation. */
  'catalog.upstream_invalid': 'the upstream OpenAPI description is unusable',
  /** A curated spec in specs/ could not be loaded or produced an invalid tool. */
  'catalog.spec_invalid': 'a curated spec is invalid',
  /** A service or tool name is not in the catalog. */
  'catalog.unknown': 'no such service or tool',
  /** Tool arguments do not match the tool's input schema. */
  'executor.invalid_arguments': 'the arguments do not match the tool schema',
  /** The upstream request could not be built (e.g. a path parameter that escapes its segment). */
  'executor.bad_request': 'the request could not be built safely',
  /** No credential is configured for the service. */
  'executor.no_credential': 'no credential is available for the service',
  /** The upstream did not answer in time. */
  'executor.timeout': 'the upstream did not answer in time',
  /** The upstream could not be reached. */
  'executor.network': 'the upstream could not be reached',
  /** The upstream answered with a redirect to another host, which keygate never follows. */
  'executor.redirect_refused': 'a redirect to another host was refused',
  /** A proxied path could change the upstream host or leave the base path (`//`, `..`, `%2f`, a backslash, …): nothing was sent. */
  'proxy.refused': 'the proxied path is not allowed',
  /** The upstream host is, or resolves to, a special-purpose address (loopback, private, metadata, …) or keygate itself. */
  'egress.refused': 'the upstream address is not allowed',
  /** The upstream answered with an HTTP error status. */
  'upstream.error': 'the upstream answered with an error',
  /** The embedded store is held by another process (PGlite allows one); the message names it. */
  'store.locked': 'the store is in use by another process',
  /** The database could not be opened or reached. */
  'store.unavailable': 'the database could not be opened',
  /** A schema migration failed; nothing after it was applied. */
  'store.migration_failed': 'a database migration failed',
  /** The home folder has no vault yet. */
  'vault.not_initialized': 'the vault is not initialised',
  /** `init` found a vault already there and changed nothing. */
  'vault.already_initialized': 'the vault already exists',
  /** No master key was found (no KEYGATE_MASTER_KEY, master.key or passphrase). */
  'vault.no_master_key': 'no master key is available',
  /** The master key is malformed (not base64 of 32 bytes). */
  'vault.master_key_invalid': 'the master key is malformed',
  /** master.key is readable by group or others, so it is refused. */
  'vault.master_key_permissions': 'the master key file is too open',
  /** The master key is not the one the vault was sealed with. */
  'vault.wrong_master_key': 'the master key does not open this vault',
  /** The passphrase (typed, or KEYGATE_PASSPHRASE) is not the one the vault was sealed with. */
  'vault.wrong_passphrase': 'the passphrase does not open this vault',
  /** Stored ciphertext failed authentication: corrupt or tampered data. */
  'vault.integrity': 'stored secret data failed its integrity check',
  /** No secret with that name. */
  'vault.secret_not_found': 'no such secret',
  /** A secret's name, kind, parameters or value is not acceptable. */
  'vault.invalid_secret': 'the secret is not acceptable',
  /** A minted credential (a GitHub App installation token) could not be obtained from the upstream. */
  'vault.mint_failed': 'the upstream did not mint a credential',
  /** An oauth2 secret's refresh token or client was refused (`invalid_grant`…): no request is made until it is set again. */
  'vault.needs_reauth': 'the secret needs re-authorisation',
  /** An oauth2 token request failed (unreachable, timed out, an error answer): the call was not made. */
  'vault.token_refresh_failed': 'an access token could not be obtained',
  /** The audit log could not be written, so the call was not made (fail closed). */
  'audit.unavailable': 'the audit log could not be written',
  /** Policy does not allow this call; the message says why in terms the agent can act on. */
  'policy.denied': 'policy does not allow this call',
  /** The agent exceeded a rate limit; `retryAfterMs` says when to try again. */
  'policy.rate_limited': 'a rate limit was reached',
  /**
   * The outbound secret scan found a vault secret or a credential-shaped value in what the call
   * would send; the message names the rule and the place, never the value.
   */
  'policy.secret_detected': 'the request carries a secret',
  /** A spend budget would be exceeded; the message names the budget and what is left. */
  'policy.over_budget': 'a spend budget would be exceeded',
  /** A budgeted call's amount could not be determined, or its budget could not be checked: not made. */
  'policy.budget_unavailable': 'the spend budget could not be checked',
  /** The policy file is invalid; every problem is listed with its path. */
  'policy.invalid': 'the policy file is invalid',
  /**
   * The agent's policy leaves open what a narrowed credential needs pinned (a GitHub App token's
   * repositories): nothing is minted and nothing sent.
   */
  'policy.unpinned': "the agent's policy does not pin what its credential must be narrowed to",
  /** The call waits for a human's approval; the details give its id and the command to approve it. */
  'approval.pending': 'the call is waiting for a human to approve it',
  /** A human denied (or cancelled) the approval: the call was not made. */
  'approval.denied': 'a human denied the call',
  /** Nobody decided in time, or an approved call was not used in time: not made. */
  'approval.expired': 'the approval expired',
  /** An approval was presented for another call, agent or policy, replayed, or forged: refused. */
  'approval.refused': 'the approval does not fit this call',
  /** No approval with that id. */
  'approval.not_found': 'no such approval',
  /** The approval was already decided, so it cannot be decided again. */
  'approval.not_pending': 'the approval is not waiting for a decision',
  /**
   * Missing, unknown, expired or revoked token. Over HTTP the body's `reason` (and the
   * `WWW-Authenticate` challenge) says which: `missing`, `invalid`, `expired` or `revoked`.
   */
  'auth.unauthorized': 'the token is missing, unknown, expired or revoked',
  /** No agent with that name (or token id). */
  'agent.not_found': 'no such agent or token',
  /** An agent with that name already exists. */
  'agent.exists': 'the agent already exists',
  /** The daemon could not be reached or answered with an error. */
  'daemon.unavailable': 'the daemon could not be reached',
  /** A daemon answers at the URL, but it serves another home (another checkout's, or a stale daemon.json). */
  'daemon.foreign': 'the daemon answering serves another home',
  /** Something failed that keygate did not expect; details stay in the daemon's log. */
  internal: 'an internal error',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** A failure with a stable code; `details` holds machine-readable, secret-free context. */
export class KeygateError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KeygateError';
    this.code = code;
    this.details = Object.freeze({ ...(options.details ?? {}) });
  }
}

/** True when `error` is a KeygateError, optionally with the given code. */
export function isKeygateError(error: unknown, code?: ErrorCode): error is KeygateError {
  return error instanceof KeygateError && (code === undefined || error.code === code);
}

/** How a credential reaches a request, without the rest of keygate ever handling its value. */
import { inspect } from 'node:util';
import { KeygateError } from '../errors/index.js';
import type { AwsSigningTarget } from '../proxy/index.js';
import type { OutgoingRequest } from './outgoing-request.js';
import { Scrubber } from './scrubber.js';

/**
 * Which kind of credential a call used and the narrowed scope it carried (never a value): what
 * the outcome audit row records.
 */
export interface CredentialUse {
  readonly kind: string;
  readonly scope?: Readonly<Record<string, unknown>>;
}

/** A credential ready to be put on one request. Its value never leaves through any other path. */
export interface Credential {
  /** A label safe to print: kind and secret name, never the value. */
  readonly label: string;
  /** The kind and narrowed scope of a minted or derived credential, for the audit row. */
  readonly use?: CredentialUse;
  /** Adds the credential to a request that is about to leave (header or query parameter). */
  inject(request: OutgoingRequest): void;
  /**
   * For a credential that signs the whole request instead (aws-sigv4): signs `request`, in place,
   * for `target`, and returns what the signature put on the wire, for the scrubber. Such a
   * credential's `inject` refuses: it signs proxied requests of a service with an `aws:` block.
   */
  sign?(request: OutgoingRequest, target: AwsSigningTarget): Promise<SignedValues>;
  /** Every secret string this credential can put on the wire, so responses can be scrubbed of it. */
  secretValues(): readonly string[];
}

/** What a signature put on a request: scrubbed from answers like the credential's own values. */
export interface SignedValues {
  /** Values secret in themselves (the signature: with it, the request can be replayed). */
  readonly secrets: readonly string[];
  /** Header values that carry them (the Authorization value), whose base64 is looked for too. */
  readonly envelopes: readonly string[];
}

/**
 * The narrowest app credential an agent's policy allows on a service (computed by policy): the
 * repository names and the permission → level map a minted token is limited to.
 */
export interface CredentialScope {
  readonly repositories: readonly string[];
  readonly permissions: Readonly<Record<string, 'read' | 'write' | 'admin'>>;
}

/** Context of one tool call that a provider may use to pick or mint a credential. */
export interface CredentialContext {
  readonly service: string;
  readonly tool: string;
  readonly agent?: string;
  /** Where the service's API is (its base URL override or its spec's server): minted kinds ask there. */
  readonly baseUrl?: string;
  /**
   * The caller's narrowed scope on this service, computed by policy when a minted kind asks for it;
   * throws `policy.unpinned` when the policy leaves it open. Absent where no policy narrows (a
   * proxied request): a kind that needs one then refuses.
   */
  readonly scope?: () => CredentialScope;
}

/** Supplies the credential for a service; implemented by the vault. */
export interface CredentialProvider {
  /** The credential to use, or `undefined` when none is configured (the call then fails closed). */
  credentialFor(context: CredentialContext): Promise<Credential | undefined>;
}

/** Gives a credential object a redacted form in JSON, `util.inspect` and string conversion. */
export function redactedCredential<T extends Credential>(credential: T): T {
  const redacted = `[credential ${credential.label}]`;
  Object.defineProperties(credential, {
    toJSON: { value: () => redacted },
    toString: { value: () => redacted },
    [inspect.custom]: { value: () => redacted },
  });
  return credential;
}

/** A credential sent as `Authorization: Bearer <token>`. */
export function bearerCredential(label: string, token: string): Credential {
  return redactedCredential({
    label: `bearer ${label}`,
    inject(request) {
      request.headers.authorization = `Bearer ${token}`;
    },
    secretValues: () => [token],
  });
}

/** A provider with one fixed credential per service (tests, demos). */
export function staticCredentialProvider(credentials: Record<string, Credential>): CredentialProvider {
  return { credentialFor: async ({ service }) => credentials[service] };
}

/**
 * The last scrubber made for each credential: a Scrubber is immutable, preparing its forms costs
 * more than the rest of a small request, and a credential (the vault keeps one per secret
 * version) puts the same values on every request.
 */
const scrubbers = new WeakMap<Credential, { key: string; scrubber: Scrubber }>();

/**
 * Puts `credential` on `request` and returns the scrubber of what it put there: its secret
 * values, and each header value or query parameter the injection added as it went on the wire
 * (`Bearer …`, `key=…`), whose encodings are looked for as well.
 */
export function injectCredential(credential: Credential, request: OutgoingRequest): Scrubber {
  if (credential.sign) credential.inject(request); // refuses, with the signing kind's own message
  const headers = { ...request.headers };
  const pairs = new Set(request.url.search.slice(1).split('&'));
  credential.inject(request);
  const envelopes = Object.entries(request.headers)
    .filter(([name, value]) => headers[name] !== value)
    .map(([, value]) => value);
  for (const pair of request.url.search.slice(1).split('&'))
    if (pair.length > 0 && !pairs.has(pair)) envelopes.push(pair, pair.slice(pair.indexOf('=') + 1));
  const secrets = credential.secretValues();
  const key = JSON.stringify([secrets, envelopes]);
  const cached = scrubbers.get(credential);
  if (cached?.key === key) return cached.scrubber;
  const scrubber = new Scrubber(secrets, envelopes);
  scrubbers.set(credential, { key, scrubber });
  return scrubber;
}

/**
 * Puts `credential` on a proxied request, as its service says: signed for the service's `aws:`
 * target by a signing credential (the signature is last: every header is final), injected
 * otherwise. A mismatch fails closed before anything is sent: a signing credential with no
 * target, or a target whose credential cannot sign (the service expects AWS to see a signature).
 */
export async function applyCredential(
  credential: Credential,
  request: OutgoingRequest,
  service: string,
  target: AwsSigningTarget | undefined,
): Promise<Scrubber> {
  if (!target) return injectCredential(credential, request);
  if (!credential.sign)
    throw new KeygateError(
      'executor.no_credential',
      `proxy service ${service} signs with AWS SigV4 (aws:), but its credential is ${credential.label}: store it with --kind aws-sigv4`,
    );
  const signed = await credential.sign(request, target);
  // The credential's own values are prepared once; each request adds only its signature.
  return fixedScrubber(credential).with(signed.secrets, signed.envelopes);
}

/** The scrubber of a signing credential's own values (the keys), made once per credential. */
function fixedScrubber(credential: Credential): Scrubber {
  const secrets = credential.secretValues();
  const key = JSON.stringify(secrets);
  const cached = scrubbers.get(credential);
  if (cached?.key === key) return cached.scrubber;
  const scrubber = new Scrubber(secrets);
  scrubbers.set(credential, { key, scrubber });
  return scrubber;
}

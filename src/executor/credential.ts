/** How a credential reaches a request, without the rest of keygate ever handling its value. */
import { inspect } from 'node:util';
import type { OutgoingRequest } from './outgoing-request.js';

/** A credential ready to be put on one request. Its value never leaves through any other path. */
export interface Credential {
  /** A label safe to print: kind and secret name, never the value. */
  readonly label: string;
  /** Adds the credential to a request that is about to leave (header or query parameter). */
  inject(request: OutgoingRequest): void;
  /** Every secret string this credential can put on the wire, so responses can be scrubbed of it. */
  secretValues(): readonly string[];
}

/** Context of one tool call that a provider may use to pick or mint a credential. */
export interface CredentialContext {
  readonly service: string;
  readonly tool: string;
  readonly agent?: string;
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

/**
 * Egress for the vault's own requests (an OAuth 2.0 token request, a GitHub App token mint):
 * through the SSRF guard, to a host an administrator named (a token URL, a service's base URL).
 * Such a host may be private or loopback, as a `base_url` may; never cloud metadata or
 * link-local, which the guard refuses for a name, and which are not vouched for when the
 * administrator wrote one as an address either.
 */
import type { Dispatcher } from 'undici';
import { addressRefusal, guardedDispatcher } from '../proxy/index.js';

/** A new dispatcher of the guard's for requests to `host` (`name[:port]`); its owner closes it. */
export function adminHostDispatcher(host: string): Dispatcher {
  const literal = new URL(`http://${host}`).hostname.replace(/^\[|\]$/g, '');
  const refusal = addressRefusal(literal);
  const vouched = refusal === undefined || !/cloud metadata|link.local/i.test(refusal);
  return guardedDispatcher({ allowPrivateHosts: vouched ? [host] : [] });
}

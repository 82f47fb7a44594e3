/**
 * Public surface of the SSRF guard, shared by the raw-HTTP proxy and the executor: the check of a
 * proxied path, the classes of addresses keygate never connects to, and the dispatcher that only
 * connects to checked addresses. A low room: it imports only errors/, node and undici.
 */
export { addressRefusal } from './address-classes.js';
export { checkProxyPath, type ProxyPath } from './proxy-path.js';
export { type GuardOptions, guardedDispatcher, type ResolvedAddress } from './ssrf-guard.js';

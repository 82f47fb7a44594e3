/**
 * Public surface of the SSRF guard, shared by the raw-HTTP proxy and the executor: the check of a
 * proxied path, the classes of addresses keygate never connects to, and the dispatcher that only
 * connects to checked addresses, and AWS SigV4 signing of proxied requests. A low room: it
 * imports only errors/, node, undici and the AWS signer.
 */

export { addressRefusal } from './address-classes.js';
export { type AwsRequest, awsCredentialAction, s3CopySource } from './aws-actions.js';
export {
  AWS_SIGNATURE_HEADERS,
  type AwsKeys,
  type AwsSigningTarget,
  awsEncodedQuery,
  awsUriEncode,
  isSignedHeader,
  type SignableRequest,
  type SigningOptions,
  signAwsRequest,
  signWireRequest,
  type WireRequest,
} from './aws-sigv4.js';
export { checkProxyPath, type ProxyPath } from './proxy-path.js';
export { type GuardOptions, guardedDispatcher, type ResolvedAddress } from './ssrf-guard.js';

/** Public surface of the executor: tool call → HTTP request → bounded, scrubbed result. */

export { type AnswerText, answerText, type UntrustedLabels, wholeText } from './answer-text.js';
export {
  applyCredential,
  bearerCredential,
  type Credential,
  type CredentialContext,
  type CredentialProvider,
  type CredentialScope,
  type CredentialUse,
  injectCredential,
  redactedCredential,
  type SignedValues,
  staticCredentialProvider,
} from './credential.js';
export {
  type CallContext,
  type CallResult,
  DEFAULT_MAX_RESULT_CHARS,
  Executor,
  type ExecutorOptions,
} from './executor.js';
export { encodeForm, flattenFormValue } from './form-encoder.js';
export { DEFAULT_LIMITS, type HttpLimits } from './http-client.js';
export {
  DEFAULT_FORWARD_LIMITS,
  type ForwardContext,
  type ForwardedResponse,
  type ForwardLimits,
  type ForwardRequest,
  HttpForwarder,
  type HttpForwarderOptions,
  outgoingHeaders,
  upstreamUrl,
} from './http-forwarder.js';
export type { OutgoingRequest } from './outgoing-request.js';
export { buildRequest } from './request-builder.js';
export { REDACTED, Scrubber } from './scrubber.js';
export { StreamScrubber } from './stream-scrubber.js';
export {
  labelDocument,
  stripHidden,
  UNTRUSTED_META_KEY,
  UntrustedMarkers,
  WHOLE_ANSWER,
} from './untrusted-content.js';

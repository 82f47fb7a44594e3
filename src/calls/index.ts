/**
 * Public surface of calls: the one pipeline every call an agent makes goes through (validate →
 * policy → rate limit → approval → audit intent → execute → audit outcome), the calls it takes,
 * and their identity (arguments hash and redacted form).
 */
export type {
  Call,
  CallOutcome,
  CallRequest,
  HttpCall,
  HttpCallRequest,
  PipelineDeps,
  ToolCall,
  ToolCallRequest,
} from './call.js';
export { type ArgumentsIdentity, LONG_STRING, redactArguments, toolCallIdentity } from './call-identity.js';
export { MAX_HTTP_TEXT, proxyToolName, refuseEncodedBody } from './http-call.js';
export { PLAIN_EXCHANGE, rateLimitedError, runCall } from './pipeline.js';

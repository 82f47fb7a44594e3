/** The one place where outcomes become MCP tool results. */
import type { CallToolResult, InputRequiredResult } from '@modelcontextprotocol/server';
import type { CallOutcome } from '../calls/index.js';
import { isKeygateError } from '../errors/index.js';
import { type CallResult, Scrubber, UNTRUSTED_META_KEY } from '../executor/index.js';
import { inputRequiredResult } from './approval-questions.js';

/** A finished call, or a question for the client (an approval) before it can finish. */
export type ToolResult = CallToolResult | InputRequiredResult;

/** A call's outcome as MCP shows it; `undefined` when the call named no tool (a protocol fault). */
export function toolResultOf(outcome: CallOutcome): ToolResult | undefined {
  switch (outcome.kind) {
    case 'unknown':
      return undefined;
    case 'ask':
      return inputRequiredResult(outcome.result);
    case 'done':
      return toolSuccessResult(outcome.result, outcome.scrubber);
    case 'failed':
      return toolErrorResult(outcome.error, outcome.scrubber);
  }
}

/**
 * A successful upstream answer as a tool result, scrubbed last with the call's scrubber. An answer
 * holding third-party text starts with one block saying what its markers mean (the answer's own
 * block stays JSON where it is JSON), and its `_meta` lists where that text is.
 */
export function toolSuccessResult(result: CallResult, scrubber: Scrubber): CallToolResult {
  const { untrusted } = result;
  if (!untrusted) return scrubber.scrubValue({ content: [{ type: 'text', text: result.text }] });
  return scrubber.scrubValue({
    content: [
      { type: 'text', text: untrusted.markers.notice() },
      { type: 'text', text: result.text },
    ],
    _meta: { [UNTRUSTED_META_KEY]: [...untrusted.paths] },
  });
}

/**
 * A failure as a tool result (`isError: true`) with a machine-readable code. Only KeygateError
 * messages are shown: they are written to be safe. Anything else becomes a generic message.
 * `scrubber` is the failed call's (when it reached a credential): every string of the result —
 * text, message, details — is scrubbed with it as the last step, after all decoding.
 */
export function toolErrorResult(error: unknown, scrubber: Scrubber = Scrubber.NONE): CallToolResult {
  if (isKeygateError(error) && error.code !== 'internal') {
    return scrubber.scrubValue({
      isError: true,
      content: [{ type: 'text', text: error.message }],
      structuredContent: { error: { code: error.code, message: error.message, ...error.details } },
    });
  }
  return {
    isError: true,
    content: [{ type: 'text', text: 'keygate hit an internal error; the call may not have been made' }],
    structuredContent: { error: { code: 'internal', message: 'internal error' } },
  };
}

/**
 * Approval questions in MCP terms. The approvals ask in neutral terms (a form or a page, a
 * message, signed state); here a question becomes an `input_required` result, which the SDK
 * serves to 2026-07-28 clients as is and to 2025-era ones, through its legacy shim, as an
 * `elicitation/create` on the request's own stream; and the client's answers come back neutral.
 */
import {
  type ElicitRequestFormParams,
  type InputRequiredResult,
  inputRequired,
  inputResponse,
} from '@modelcontextprotocol/server';
import type { ApprovalQuestion, ClientAnswer } from '../approvals/index.js';

/** The `input_required` result that asks `question`. */
export function inputRequiredResult(question: ApprovalQuestion): InputRequiredResult {
  const request =
    question.kind === 'form'
      ? inputRequired.elicit({
          message: question.message,
          // The form schema is the flat subset of elicitation's schema; only readonly-ness differs.
          requestedSchema: question.schema as unknown as ElicitRequestFormParams['requestedSchema'],
        })
      : inputRequired.elicitUrl({ message: question.message, url: question.url });
  return inputRequired({ inputRequests: { [question.key]: request }, requestState: question.state });
}

/**
 * The elicitation answers among a retried request's `inputResponses`, by key. Anything else
 * under a key (sampling, roots, junk) reads as no answer, as it did to the channels before.
 */
export function answersOf(responses: Record<string, unknown> | undefined): Record<string, ClientAnswer> {
  if (!responses || typeof responses !== 'object') return {};
  return Object.fromEntries(
    Object.keys(responses).flatMap((key) => {
      const view = inputResponse(responses, key);
      if (view.kind !== 'elicit') return [];
      const answer: ClientAnswer = {
        action: view.action,
        ...(view.content ? { content: view.content } : {}),
      };
      return [[key, answer]];
    }),
  );
}

/**
 * The MCP side of approval questions: a neutral question becomes the SDK's `input_required`
 * result (form or URL elicitation, with the signed state), and a retried request's
 * `inputResponses` come back as neutral answers, keeping only elicitation answers.
 */
import { inputRequired } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import type { ApprovalQuestion, FormSchema } from '../../src/approvals/index.js';
import { answersOf, inputRequiredResult } from '../../src/mcp/index.js';

const SCHEMA: FormSchema = {
  type: 'object',
  properties: { decision: { type: 'string', title: 'Decision', enum: ['approve', 'deny'] } },
  required: ['decision'],
};

describe('approval questions in MCP terms', () => {
  it('asks a form question as a form elicitation, under its key, with its state', () => {
    const question: ApprovalQuestion = {
      kind: 'form',
      key: 'k',
      message: 'approve?',
      schema: SCHEMA,
      state: 's1',
    };
    expect(inputRequiredResult(question)).toEqual(
      inputRequired({
        inputRequests: { k: inputRequired.elicit({ message: 'approve?', requestedSchema: SCHEMA as never }) },
        requestState: 's1',
      }),
    );
    expect(inputRequiredResult(question)).toMatchObject({
      resultType: 'input_required',
      inputRequests: { k: { method: 'elicitation/create', params: { mode: 'form', message: 'approve?' } } },
      requestState: 's1',
    });
  });

  it('asks a URL question as a URL elicitation', () => {
    const question: ApprovalQuestion = {
      kind: 'url',
      key: 'page',
      message: 'open the page',
      url: 'http://127.0.0.1:1/approvals/apr_1',
      state: 's2',
    };
    expect(inputRequiredResult(question)).toMatchObject({
      resultType: 'input_required',
      inputRequests: {
        page: {
          method: 'elicitation/create',
          params: { mode: 'url', message: 'open the page', url: 'http://127.0.0.1:1/approvals/apr_1' },
        },
      },
      requestState: 's2',
    });
  });

  it('reads elicitation answers and drops anything else under a key', () => {
    expect(
      answersOf({
        a: { action: 'accept', content: { decision: 'approve' } },
        b: { action: 'decline' },
        c: { action: 'cancel', content: 'not an object' },
        roots: { roots: [] },
        junk: 'yes',
        odd: { action: 'approve' },
      }),
    ).toEqual({
      a: { action: 'accept', content: { decision: 'approve' } },
      b: { action: 'decline' },
      c: { action: 'cancel' },
    });
    expect(answersOf(undefined)).toEqual({});
  });

  it('keeps a key named __proto__ a key', () => {
    const answers = answersOf(JSON.parse('{"__proto__": {"action": "accept"}}'));
    expect(Object.getPrototypeOf(answers)).toBe(Object.prototype);
    expect(Object.hasOwn(answers, '__proto__')).toBe(true);
  });
});

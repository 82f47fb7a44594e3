/**
 * The one rule for using an approval: which call a record (or the signed state naming it) may
 * serve, and what each state of the record means for that call, in the words agents are told.
 */
import { describe, expect, it } from 'vitest';
import { type Approval, type ApprovalStatus, bindingRefusal, useVerdict } from '../../src/approvals/index.js';

const CALL = { agent: 'alice', tool: 'github_issue_create', argsHash: 'a'.repeat(64), policyVersion: 'v1' };

function approval(status: ApprovalStatus, overrides: Partial<Approval> = {}): Approval {
  return {
    id: 'apr_1',
    ...CALL,
    tokenId: 'tok-1',
    args: { title: 'x' },
    argsRedacted: { title: 'x' },
    status,
    createdAt: '2026-01-01T00:00:00.000Z',
    expiresAt: '2026-01-01T00:05:00.000Z',
    decidedAt: null,
    decidedBy: null,
    reason: null,
    usedAt: null,
    notice: null,
    ...overrides,
  };
}

describe('the binding rule', () => {
  it('lets a record serve exactly the call it was asked for', () => {
    expect(bindingRefusal('apr_1', CALL, { ...CALL })).toBeUndefined();
  });

  it.each([
    ['another agent', { agent: 'mallory' }, 'approval apr_1 belongs to another agent', undefined],
    [
      'another tool',
      { tool: 'github_issue_close' },
      'the arguments differ from the ones approval apr_1 was asked for',
      undefined,
    ],
    [
      'other arguments',
      { argsHash: 'b'.repeat(64) },
      'the arguments differ from the ones approval apr_1 was asked for',
      undefined,
    ],
    [
      'another policy version',
      { policyVersion: 'v2' },
      'the policy changed since approval apr_1 was asked for; call again to ask anew',
      true,
    ],
  ])('refuses %s, saying why', (_, change, reason, retire) => {
    expect(bindingRefusal('apr_1', CALL, { ...CALL, ...change })).toEqual({
      reason,
      ...(retire ? { retire } : {}),
    });
  });

  it('checks the agent before the arguments and the arguments before the policy', () => {
    const everything = { agent: 'mallory', tool: 'other', argsHash: 'c', policyVersion: 'v9' };
    expect(bindingRefusal('apr_1', CALL, everything)?.reason).toContain('another agent');
    expect(bindingRefusal('apr_1', CALL, { ...everything, agent: 'alice' })?.reason).toContain(
      'the arguments differ',
    );
  });
});

describe('what a record means for a call', () => {
  it('uses an approved record bound to the call', () => {
    expect(useVerdict('apr_1', approval('approved'), CALL)).toEqual({ kind: 'use' });
  });

  it('refuses an unknown record, one bound to another call and a used one', () => {
    expect(useVerdict('apr_9', undefined, CALL)).toEqual({
      kind: 'refuse',
      refusal: { reason: 'no approval apr_9' },
    });
    expect(useVerdict('apr_1', approval('approved', { agent: 'bob' }), CALL)).toMatchObject({
      kind: 'refuse',
      refusal: { reason: 'approval apr_1 belongs to another agent' },
    });
    expect(useVerdict('apr_1', approval('used'), CALL)).toEqual({
      kind: 'refuse',
      refusal: { reason: 'approval apr_1 was already used: the approved call ran once' },
    });
  });

  it('checks the binding before the state: a used record of another agent is "another agent"', () => {
    expect(useVerdict('apr_1', approval('used', { agent: 'bob' }), CALL)).toMatchObject({
      refusal: { reason: 'approval apr_1 belongs to another agent' },
    });
  });

  it('tells a waiting agent who approves and how, with the command of this install and the page', () => {
    const verdict = useVerdict('apr_1', approval('pending'), CALL, {
      command: (args) => `./bin/keygate ${args} --home /h`,
      pageUrl: (id) => `http://127.0.0.1:1/approvals/${id}`,
    });
    expect(verdict.kind).toBe('stop');
    const error = verdict.kind === 'stop' ? verdict.error : undefined;
    expect(error?.code).toBe('approval.pending');
    expect(error?.message).toContain(
      'A human approves it with: ./bin/keygate approvals approve apr_1 --home /h',
    );
    expect(error?.details).toMatchObject({
      approvalId: 'apr_1',
      approve: './bin/keygate approvals approve apr_1 --home /h',
      page: 'http://127.0.0.1:1/approvals/apr_1',
    });
  });

  it.each<[string, Approval, string, string]>([
    [
      'an undecided record that lapsed',
      approval('expired'),
      'approval.expired',
      'no human approved github_issue_create in time (approval apr_1 expired at 2026-01-01T00:05:00.000Z): the call was not made. Call again to ask anew.',
    ],
    [
      'an approved record that lapsed unused',
      approval('expired', { decidedAt: '2026-01-01T00:01:00.000Z' }),
      'approval.expired',
      'approval apr_1 for github_issue_create was not used in time (it expired at 2026-01-01T00:05:00.000Z): the call was not made. Call again to ask anew.',
    ],
    [
      'a denied record',
      approval('denied', { reason: 'not today' }),
      'approval.denied',
      'approval apr_1 for github_issue_create was denied (not today): the call was not made',
    ],
    [
      'a cancelled record',
      approval('cancelled'),
      'approval.denied',
      'approval apr_1 for github_issue_create was cancelled: the call was not made',
    ],
  ])('stops on %s', (_, record, code, message) => {
    const verdict = useVerdict('apr_1', record, CALL);
    expect(verdict).toMatchObject({ kind: 'stop', error: { code, message } });
  });
});

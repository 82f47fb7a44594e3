/** The multi-round-trip request state: integrity-protected, bound to one call, refused if touched. */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RequestStateCodec } from '../../src/approvals/index.js';

const STATE = {
  approvalId: 'apr_abc',
  agent: 'alice',
  tool: 'github_issue_create',
  argsHash: 'a'.repeat(64),
  policyVersion: 'v1',
  channel: 'elicitation',
};

describe('request state', () => {
  const codec = new RequestStateCodec(randomBytes(32));
  const minted = codec.mint(STATE);

  it('round-trips what it minted', () => {
    expect(codec.open(minted)).toEqual(STATE);
  });

  it.each([
    ['another key', () => new RequestStateCodec(randomBytes(32)).mint(STATE)],
    [
      'an edited body',
      () => {
        const [v, body, mac] = minted.split('.');
        const edited = Buffer.from(
          Buffer.from(body!, 'base64url').toString('utf8').replace('alice', 'bobby'),
        ).toString('base64url');
        return `${v}.${edited}.${mac}`;
      },
    ],
    ['a truncated mac', () => minted.slice(0, -4)],
    ['an extra segment', () => `${minted}.x`],
    ['another version', () => minted.replace(/^kg1/, 'kg2')],
    ['garbage', () => 'not a state'],
    ['an empty string', () => ''],
  ])('refuses %s', (_name, make) => {
    expect(codec.open(make())).toBeUndefined();
  });

  it('refuses a key too short to protect anything', () => {
    expect(() => new RequestStateCodec(Buffer.alloc(8))).toThrow();
  });
});

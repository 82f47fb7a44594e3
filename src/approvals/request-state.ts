/**
 * The multi-round-trip `requestState`: it travels through the client, so it comes back as
 * attacker-controlled input. It is HMAC'd with a key derived from the master key (so every
 * daemon of one vault accepts it, and none other) and binds the approval id, the agent, the
 * tool, the arguments' hash and the policy version. It carries no secret and grants nothing by
 * itself: the approval record it names still has to be pending.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Which channel asked, and for exactly which call. */
export interface ApprovalState {
  readonly approvalId: string;
  readonly agent: string;
  readonly tool: string;
  readonly argsHash: string;
  readonly policyVersion: string;
  readonly channel: string;
}

const VERSION = 'kg1';
const FIELDS = ['approvalId', 'agent', 'tool', 'argsHash', 'policyVersion', 'channel'] as const;

export class RequestStateCodec {
  constructor(private readonly key: Buffer) {
    if (key.length < 32) throw new Error('the request-state key must be at least 32 bytes');
  }

  mint(state: ApprovalState): string {
    const body = Buffer.from(JSON.stringify(FIELDS.map((field) => state[field])), 'utf8').toString(
      'base64url',
    );
    return `${VERSION}.${body}.${this.mac(body)}`;
  }

  /** The state, or `undefined` when it is malformed, forged or altered. */
  open(text: string): ApprovalState | undefined {
    const [version, body, mac, extra] = text.split('.');
    if (version !== VERSION || !body || !mac || extra !== undefined) return undefined;
    const expected = Buffer.from(this.mac(body), 'base64url');
    const given = Buffer.from(mac, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    let values: unknown;
    try {
      values = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
    if (
      !Array.isArray(values) ||
      values.length !== FIELDS.length ||
      !values.every((v) => typeof v === 'string')
    )
      return undefined;
    return Object.fromEntries(FIELDS.map((field, i) => [field, values[i]])) as unknown as ApprovalState;
  }

  private mac(body: string): string {
    return createHmac('sha256', this.key).update(`${VERSION}.${body}`).digest('base64url');
  }
}

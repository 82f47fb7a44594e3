/**
 * The approval step of the call pipeline. A call that policy marks `required` or `out-of-band`
 * passes only with an approved record for exactly this call, claimed once. The gate opens (or
 * joins) the record, asks a human through the first channel that can reach one, and turns the
 * record's state into an outcome: execute these stored arguments, return this question to the
 * client, or stop with a reason the model can relay.
 */
import type { ToolDefinition } from '../catalog/index.js';
import { isKeygateError, KeygateError } from '../errors/index.js';
import type { ApprovalMode } from '../policy/index.js';
import type { Approval, CallIdentity } from './approval.js';
import type { ApprovalBook } from './approval-book.js';
import { bindingRefusal, noApproval, useVerdict } from './approval-rule.js';
import { describeCall, type KeygateCommand } from './call-summary.js';
import type { ApprovalChannel, ApprovalQuestion, CallExchange, ChannelStep, PendingCall } from './channel.js';
import type { RequestStateCodec } from './request-state.js';

/** A call that needs an approval, as the pipeline hands it over (arguments already valid). */
export interface GatedCall extends CallIdentity {
  readonly tool: string;
  readonly definition: ToolDefinition;
  readonly args: Record<string, unknown>;
  readonly argsRedacted: unknown;
  readonly mode: Exclude<ApprovalMode, 'never'>;
  readonly timeoutMs: number;
  readonly waitMs: number;
  /** A warning the human reads before the arguments (the secret scan's hit, in `approve` mode). */
  readonly notice?: string;
}

export type GateOutcome =
  /** Run the approved record's stored arguments; the record is already `used`. */
  | { readonly kind: 'execute'; readonly approval: Approval }
  /** Return this question to the client as the result of its call (the MCP layer words it). */
  | { readonly kind: 'ask'; readonly result: ApprovalQuestion }
  /** Not executed, for the reason given (already audited). */
  | { readonly kind: 'stop'; readonly error: KeygateError };

export class ApprovalGate {
  constructor(
    private readonly book: ApprovalBook,
    private readonly codec: RequestStateCodec,
    /** In the order they are tried; the last must always be usable. */
    private readonly channels: readonly ApprovalChannel[],
    /** The address of an approval's page, named wherever a human is told how to see a call. */
    private readonly pageUrl?: (id: string) => string,
    /** How a human runs keygate here (`./bin/keygate … --home DIR`), for the pending message. */
    private readonly command: KeygateCommand = (args) => `keygate ${args}`,
  ) {}

  async pass(call: GatedCall, exchange: CallExchange): Promise<GateOutcome> {
    try {
      if (exchange.requestState !== undefined) return await this.resume(call, exchange);
      for (const stale of await this.book.retireStale(call)) {
        if (stale.status === 'approved')
          await this.book.refuse(
            call,
            stale.id,
            `approval ${stale.id} was granted under another policy version; asking again`,
          );
      }
      const { approval } = await this.book.open(call);
      if (approval.status !== 'pending') return await this.settle(call, approval);
      const pending = this.pending(call, approval);
      const channel = this.channels.find((candidate) =>
        candidate.usable(call.mode, exchange.client, pending),
      );
      if (!channel) throw new KeygateError('internal', 'no approval channel is usable');
      return await this.follow(call, await channel.ask(pending, exchange), exchange);
    } catch (error) {
      if (isKeygateError(error) && error.code.startsWith('approval.')) return { kind: 'stop', error };
      throw error;
    }
  }

  /** A retried request carrying the state a channel minted: verify it binds to this very call. */
  private async resume(call: GatedCall, exchange: CallExchange): Promise<GateOutcome> {
    const state = this.codec.open(exchange.requestState ?? '');
    if (!state) throw await this.book.refuse(call, undefined, 'the request state is forged or damaged');
    const id = state.approvalId;
    const approval = await this.book.get(id);
    if (!approval) throw await this.book.refuse(call, id, noApproval(id));
    const refusal = bindingRefusal(id, state, call);
    if (refusal) throw await this.book.refuseUse(call, id, refusal, approval);
    const channel = this.channels.find((candidate) => candidate.name === state.channel);
    if (!channel) throw await this.book.refuse(call, id, 'the request state names no channel');
    if (approval.status !== 'pending') return this.settle(call, approval);
    return this.follow(call, await channel.answer(this.pending(call, approval), exchange), exchange);
  }

  private async follow(call: GatedCall, step: ChannelStep, exchange: CallExchange): Promise<GateOutcome> {
    if (step.kind === 'ask') return { kind: 'ask', result: step.question };
    // Nothing runs for a request its client cancelled or abandoned, even if the approval came
    // meanwhile: the approval keeps for the agent's next identical call.
    if (exchange.signal?.aborted) {
      const error = new KeygateError(
        'approval.pending',
        `the request was cancelled while ${call.tool} waited for approval ${step.approval.id}: the call was not made`,
        { details: { approvalId: step.approval.id } },
      );
      return { kind: 'stop', error };
    }
    return this.settle(call, step.approval);
  }

  /** What the record's state means for this call. */
  private async settle(call: GatedCall, approval: Approval): Promise<GateOutcome> {
    const verdict = useVerdict(approval.id, approval, call, { command: this.command, pageUrl: this.pageUrl });
    switch (verdict.kind) {
      case 'use':
        return { kind: 'execute', approval: await this.book.claim(approval.id, call) };
      case 'refuse':
        throw await this.book.refuseUse(call, approval.id, verdict.refusal, approval);
      case 'stop':
        return { kind: 'stop', error: verdict.error };
    }
  }

  private pending(call: GatedCall, approval: Approval): PendingCall {
    const summary = describeCall(approval, call.definition, {
      pageUrl: this.pageUrl?.(approval.id),
      command: this.command,
    });
    return {
      approval,
      summary: summary.lines,
      shownInFull: summary.complete,
      payment: call.definition.risk === 'payment',
      waitMs: call.waitMs,
    };
  }
}

/**
 * What a human is shown before deciding: who asks, which operation (service, method and path),
 * the risk, the amount for payments, and the arguments with sensitive values already redacted.
 */
import type { ToolDefinition } from '../catalog/index.js';
import type { Approval } from './approval-book.js';

export interface SummarisedCall {
  readonly id: string;
  readonly agent: string;
  readonly tool: string;
  readonly argsRedacted: unknown;
  readonly expiresAt: string;
}

const MAX_ARGUMENTS = 12;
const MAX_VALUE = 120;

function shortValue(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}

/** The amount a payment moves, as far as its arguments say. */
function amountLine(args: Record<string, unknown>): string | undefined {
  if (typeof args.amount !== 'number') return undefined;
  const currency = typeof args.currency === 'string' ? ` ${args.currency.toUpperCase()}` : '';
  return `Amount: ${args.amount}${currency} (in the currency's smallest unit, e.g. cents)`;
}

/** The lines of a summary, for a terminal, an elicitation message or the approval page. */
export function summariseCall(call: SummarisedCall, tool: ToolDefinition | undefined): string[] {
  const args = (call.argsRedacted ?? {}) as Record<string, unknown>;
  const lines = [`Agent "${call.agent}" wants to call ${call.tool}.`];
  if (tool) {
    lines.push(
      `${tool.service}: ${tool.operation.method.toUpperCase()} ${tool.operation.path} (risk: ${tool.risk})`,
    );
    if (tool.risk === 'payment') {
      const amount = amountLine(args);
      if (amount) lines.push(amount);
    }
  }
  const entries = Object.entries(args);
  for (const [name, value] of entries.slice(0, MAX_ARGUMENTS)) lines.push(`  ${name}: ${shortValue(value)}`);
  if (entries.length > MAX_ARGUMENTS) lines.push(`  … and ${entries.length - MAX_ARGUMENTS} more arguments`);
  if (entries.length === 0) lines.push('  (no arguments)');
  lines.push(`Approval ${call.id}, open until ${call.expiresAt}.`);
  return lines;
}

/** An approval as people and scripts see it: everything but the unredacted arguments. */
export function approvalView(approval: Approval, tool: ToolDefinition | undefined) {
  const { args: _unredacted, ...shown } = approval;
  return {
    ...shown,
    service: tool?.service ?? null,
    risk: tool?.risk ?? null,
    operation: tool ? `${tool.operation.method.toUpperCase()} ${tool.operation.path}` : null,
    summary: summariseCall(approval, tool),
  };
}

export type ApprovalView = ReturnType<typeof approvalView>;

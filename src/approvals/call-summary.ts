/**
 * What a human is shown before deciding: who asks, which operation (service, method and path),
 * the risk, the amount for payments, and the arguments. The arguments are the agent's own, so
 * they are shown as they are: only fields the catalog marks secret (`format: password`,
 * `writeOnly`) are hidden, and a call with a hidden value is never complete. The audit log's
 * redaction by field name is not applied here: the agent chooses the keys of free-form objects
 * (Notion `properties`, Stripe `metadata`), and a key such as "Token budget" must not hide from
 * the approver what the call sends.
 *
 * A summary holds every argument in full when their rendering fits FORM_ARGUMENTS_LIMIT
 * characters; only such a summary may be the message of a form a human approves in. Beyond
 * that it shows the first arguments, each cut short, says exactly what it cut, and points to
 * the views that show everything (`keygate approvals show ID`, the approval in the dashboard).
 */
import { canonicalJson, REDACTED_VALUE } from '../audit/index.js';
import type { ToolDefinition } from '../catalog/index.js';
import type { Approval } from './approval.js';

export interface SummarisedCall {
  readonly id: string;
  readonly agent: string;
  readonly tool: string;
  /** The canonical arguments, as the call will send them. */
  readonly args: unknown;
  readonly expiresAt: string;
  /** A warning read before the arguments (the secret scan's hit). */
  readonly notice?: string | null;
}

/** What a human is shown of one call. */
export interface CallSummary {
  readonly lines: string[];
  /** Whether `lines` hold every argument, every character of it. */
  readonly complete: boolean;
}

/**
 * The most characters of argument lines a summary shows in full (and so the most a form that
 * approves a call may carry). Clients show a message this long in a scrolling dialog; a call
 * whose arguments render longer is approved only where all of it can be read.
 */
export const FORM_ARGUMENTS_LIMIT = 4000;
/** In a cut summary: how many arguments are shown, and how many characters of each. */
const MAX_ARGUMENTS = 12;
const MAX_VALUE = 120;

/**
 * One line of plain text: shown as it is. Anything else is shown as JSON. Not plain: control,
 * format and default-ignorable characters (zero-width, variation selectors, Hangul fillers),
 * blank-looking ones (braille blank, spaces other than U+0020) and runs of spaces, any of which
 * could make a value look shorter than it is.
 */
const PLAIN =
  /^(?![\s"])(?!.* {2})[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}\u2800\u3000\u00a0\u1680\u2000-\u200a\u202f\u205f]+(?<!\s)$/u;
/** An argument name shown as it is; any other name is shown as a JSON string. */
const PLAIN_NAME = /^[\w.[\]-]+$/;
/**
 * Invisible, blank-looking or line-breaking characters JSON.stringify leaves alone, and the
 * second and later spaces of a run: escaped, so none hides and each counts.
 */
const HIDDEN =
  /[\p{Cf}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}\u2800\u3000\u00a0\u1680\u2000-\u200a\u202f\u205f]|(?<= ) /gu;

/** The characters of a text, counted and cut as people count them (not UTF-16 units). */
const chars = (text: string): string[] => Array.from(text);

function escapeHidden(json: string): string {
  return json.replace(HIDDEN, (c) => {
    const code = c.codePointAt(0)!;
    return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/**
 * The arguments as an approver sees them: the agent's values as they are, but for the fields
 * the catalog marks secret, whose names are returned in `hidden`.
 */
function approverArguments(
  tool: ToolDefinition | undefined,
  args: unknown,
): { shown: Record<string, unknown>; hidden: string[] } {
  const record = (args ?? {}) as Record<string, unknown>;
  const secret = new Set(tool?.sensitiveArguments ?? []);
  const hidden = Object.keys(record).filter((name) => secret.has(name) && record[name] !== undefined);
  const shown = Object.fromEntries(
    Object.entries(record).map(([name, value]) => [name, secret.has(name) ? REDACTED_VALUE : value]),
  );
  return { shown, hidden: hidden.sort() };
}

/**
 * A value as shown: a one-line string as it is; any other string as a JSON string (so a line
 * break or an invisible character cannot pass for another argument); anything else as
 * canonical JSON.
 */
export function renderValue(value: unknown): string {
  if (typeof value === 'string') return PLAIN.test(value) ? value : escapeHidden(JSON.stringify(value));
  return escapeHidden(canonicalJson(value));
}

/** The arguments in canonical (sorted) order, their names ready to show. */
function argumentEntries(args: Record<string, unknown>): [string, unknown][] {
  return Object.entries(args)
    .filter(([, value]) => value !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => [PLAIN_NAME.test(name) ? name : escapeHidden(JSON.stringify(name)), value]);
}

/** Every argument in full, one `  name: value` line each: what `approvals show` and the page show. */
export function renderArguments(tool: ToolDefinition | undefined, args: unknown): string[] {
  const entries = argumentEntries(approverArguments(tool, args).shown);
  if (entries.length === 0) return ['  (no arguments)'];
  return entries.map(([name, value]) => `  ${name}: ${renderValue(value)}`);
}

/** The command that prints approval `id` with every argument in full. */
export function showCommand(id: string, command: KeygateCommand = plainCommand): string {
  return command(`approvals show ${id}`);
}

/** How a human runs keygate here, given the words after `keygate` (`./bin/keygate … --home DIR`). */
export type KeygateCommand = (args: string) => string;

const plainCommand: KeygateCommand = (args) => `keygate ${args}`;

/** How a human sees every argument of approval `id` in full. The one place this hint is written. */
export function seeEverythingHint(id: string, pageUrl?: string, command?: KeygateCommand): string {
  return `See every argument in full with: ${showCommand(id, command)}${pageUrl ? `, or in the dashboard at ${pageUrl} (sign in with the admin token or keygate dashboard)` : ''}.`;
}

/** One argument cut to MAX_VALUE characters; `cut` is how many were left out (0: none). */
function shortArgument(name: string, value: unknown): { line: string; total: number; cut: number } {
  // A string is cut before it is rendered, so the counts are of its own characters.
  const text = chars(typeof value === 'string' ? value : renderValue(value));
  if (text.length <= MAX_VALUE)
    return { line: `  ${name}: ${renderValue(value)}`, total: text.length, cut: 0 };
  const head = text.slice(0, MAX_VALUE).join('');
  // The ellipsis follows the head, so a space it ends with is not lost from view.
  const shown = typeof value !== 'string' || PLAIN.test(`${head}…`) ? head : renderValue(head);
  return {
    line: `  ${name}: ${shown}… [cut: ${MAX_VALUE} of ${text.length} characters shown]`,
    total: text.length,
    cut: text.length - MAX_VALUE,
  };
}

/** The argument lines of a summary that cannot show everything, and what they leave out. */
function cutArguments(entries: [string, unknown][], fullLength: number): string[] {
  const lines: string[] = [];
  const cuts: string[] = [];
  for (const [name, value] of entries.slice(0, MAX_ARGUMENTS)) {
    const short = shortArgument(name, value);
    lines.push(short.line);
    if (short.cut > 0) cuts.push(`${name} (${short.cut} of its ${short.total} characters)`);
  }
  const hidden = entries.slice(MAX_ARGUMENTS).map(([name]) => name);
  if (hidden.length > 0) {
    lines.push(`  … and ${hidden.length} more arguments, not shown here: ${hidden.join(', ')}`);
    cuts.push(`${hidden.length} whole arguments (${hidden.join(', ')})`);
  }
  lines.push(
    `NOT SHOWN IN FULL: the arguments take ${fullLength} characters, more than the ${FORM_ARGUMENTS_LIMIT} a summary shows. Cut here: ${cuts.join('; ')}.`,
  );
  return lines;
}

/** The amount a payment moves, as far as its arguments say. */
function amountLine(args: Record<string, unknown>): string | undefined {
  if (typeof args.amount !== 'number') return undefined;
  const currency = typeof args.currency === 'string' ? ` ${args.currency.toUpperCase()}` : '';
  return `Amount: ${args.amount}${currency} (in the currency's smallest unit, e.g. cents)`;
}

/**
 * The summary of a call, for a terminal, an elicitation message or the dashboard. With
 * `pageUrl`, its last line also names the approval's dashboard page.
 */
export function describeCall(
  call: SummarisedCall,
  tool: ToolDefinition | undefined,
  options: { pageUrl?: string; command?: KeygateCommand } = {},
): CallSummary {
  const { shown: args, hidden } = approverArguments(tool, call.args);
  const lines = [`Agent "${call.agent}" wants to call ${call.tool}.`];
  if (call.notice) lines.push(call.notice);
  if (tool) {
    lines.push(
      `${tool.service}: ${tool.operation.method.toUpperCase()} ${tool.operation.path} (risk: ${tool.risk})`,
    );
    if (tool.risk === 'payment') {
      const amount = amountLine(args);
      if (amount) lines.push(amount);
    }
  }
  const full = renderArguments(tool, call.args);
  const fullLength = full.reduce((sum, line) => sum + chars(line).length + 1, 0);
  const fits = fullLength <= FORM_ARGUMENTS_LIMIT;
  lines.push(...(fits ? full : cutArguments(argumentEntries(args), fullLength)));
  if (hidden.length > 0)
    lines.push(
      `NOT SHOWN: the values of ${hidden.join(', ')} (marked secret by the catalog), so this call is approved out of band only.`,
    );
  const complete = fits && hidden.length === 0;
  lines.push(`Approval ${call.id}, open until ${call.expiresAt}.`);
  lines.push(seeEverythingHint(call.id, options.pageUrl, options.command));
  return { lines, complete };
}

/** The lines of a call's summary (see describeCall). */
export function summariseCall(call: SummarisedCall, tool: ToolDefinition | undefined): string[] {
  return describeCall(call, tool).lines;
}

/**
 * An approval as people and scripts see it: everything but the unredacted arguments, with the
 * summary and every argument rendered in full.
 */
export function approvalView(approval: Approval, tool: ToolDefinition | undefined) {
  const { args: _unredacted, ...shown } = approval;
  const summary = describeCall(approval, tool);
  return {
    ...shown,
    service: tool?.service ?? null,
    risk: tool?.risk ?? null,
    operation: tool ? `${tool.operation.method.toUpperCase()} ${tool.operation.path}` : null,
    summary: summary.lines,
    /** Whether `summary` shows every argument in full. */
    summaryComplete: summary.complete,
    arguments: renderArguments(tool, approval.args),
    /** A payment's amount, in the currency's smallest unit, for the approver to see first. */
    amount: paymentAmount(tool, approval.args),
  };
}

/** The amount and currency a payment moves, when its arguments say (a refund may not: all of it). */
function paymentAmount(
  tool: ToolDefinition | undefined,
  args: Record<string, unknown>,
): { value: number; currency: string | null } | null {
  if (tool?.risk !== 'payment') return null;
  const { shown } = approverArguments(tool, args);
  if (typeof shown.amount !== 'number') return null;
  return {
    value: shown.amount,
    currency: typeof shown.currency === 'string' ? shown.currency.toUpperCase() : null,
  };
}

export type ApprovalView = ReturnType<typeof approvalView>;

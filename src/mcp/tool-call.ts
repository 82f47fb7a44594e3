/** One tools/call of a catalog tool, through the call pipeline, as an MCP tool result. */
import type { CallExchange } from '../approvals/index.js';
import { type PipelineDeps, PLAIN_EXCHANGE, runCall } from '../calls/index.js';
import type { CallerIdentity } from '../policy/index.js';
import { type ToolResult, toolResultOf } from './tool-result.js';

/** Runs one tools/call for `caller`; `undefined` when `name` is no tool at all. */
export async function runToolCall(
  deps: PipelineDeps,
  caller: CallerIdentity,
  name: string,
  args: Record<string, unknown>,
  exchange: CallExchange = PLAIN_EXCHANGE,
): Promise<ToolResult | undefined> {
  return toolResultOf(await runCall(deps, caller, { kind: 'tool', name, args }, exchange));
}

/** `keygate budgets [--agent A] [--json]`: each agent's spend budgets, with use and remainder now. */
import type { BudgetRow } from '../admin/index.js';
import { homePaths, resolveHome } from '../config/index.js';
import { withAdmin } from './admin-session.js';
import { type CommandOutput, formatTable } from './output.js';
import { requirePolicyAgent } from './policy-agents.js';
import { requireInitializedHome } from './vault-session.js';

export interface BudgetsOptions {
  readonly agent?: string;
  readonly home?: string;
}

export async function budgetsCommand(options: BudgetsOptions): Promise<CommandOutput> {
  const paths = homePaths(resolveHome(options.home));
  await requireInitializedHome(paths);
  if (options.agent) await requirePolicyAgent(paths, options.agent);
  const { budgets } = await withAdmin(options.home, 'keygate budgets', (admin) =>
    admin.listBudgets(options.agent ? { agent: options.agent } : {}),
  );
  const header = ['AGENT', 'TOOLS', 'PER', 'CURRENCY', 'LIMIT', 'USED', 'RESERVED', 'REMAINING', 'RESETS'];
  const rows = budgets.map((b: BudgetRow) => [
    b.agent,
    b.tools,
    b.per,
    b.currency,
    String(b.limit),
    String(b.used),
    String(b.reserved),
    String(b.remaining),
    b.periodEnd ?? (b.per === 'all_time' ? 'never' : ''),
  ]);
  return {
    json: { budgets },
    text:
      budgets.length === 0
        ? `no spend budgets${options.agent ? ` for ${options.agent}` : ''}: set them under agents.<name>.budgets in keygate.yaml`
        : `${formatTable([header, ...rows])}\namounts in minor units (cents); periods are UTC`,
  };
}

/** Which of an agent's spend budgets a call counts against, and how each is named. */
import type { ToolDefinition } from '../catalog/index.js';
import { type BudgetRule, globMatches, type PolicyEngine } from '../policy/index.js';

/** A budget rule of one agent, as the ledger keeps and shows it. */
export interface AgentBudget {
  readonly rule: BudgetRule;
  /** Its index in `agents.<name>.budgets`. */
  readonly index: number;
  /** Stable across reloads while tools, currency and period stay (a raised limit keeps what was used). */
  readonly key: string;
  /** `stripe_refund_* 50000 usd per day`: how refusals and listings name it. */
  readonly label: string;
}

/** The key a rule's holds are kept under. */
export function ruleKey(rule: BudgetRule): string {
  return `${rule.tools}|${rule.currency ?? '*'}|${rule.per}`;
}

/** How a refusal or a listing names a rule. */
export function ruleLabel(rule: BudgetRule): string {
  const per = rule.per === 'all_time' ? 'in all' : `per ${rule.per}`;
  return `${rule.tools} ${rule.amount} ${rule.currency ?? 'in each currency'} ${per}`;
}

/** Every budget of `agent` under `policy`, in file order. */
export function agentBudgets(policy: PolicyEngine, agent: string): AgentBudget[] {
  return (policy.agentPolicy(agent)?.budgets ?? []).map((rule, index) => ({
    rule,
    index,
    key: ruleKey(rule),
    label: ruleLabel(rule),
  }));
}

/**
 * The budgets a call of `tool` counts against. Only tools that move money (those with an amount
 * binding) are budgeted: `stripe_*` counts refunds and payouts, never reads.
 */
export function budgetsFor(policy: PolicyEngine, agent: string, tool: ToolDefinition): AgentBudget[] {
  if (!tool.amount) return [];
  return agentBudgets(policy, agent).filter((budget) => globMatches(budget.rule.tools, tool.name));
}

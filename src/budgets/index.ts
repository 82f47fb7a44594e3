/**
 * Public surface of spend budgets: per-agent limits on what payment tools move, per call or per
 * UTC day, week, month or all time; the ledger that reserves, settles and releases holds in the
 * store; and the pipeline's budget step.
 */
export { type AmountVerdict, type CallAmount, resolveAmount } from './amount-resolver.js';
export { BudgetLedger, type BudgetUsage, type Hold } from './budget-ledger.js';
export { periodEnd, periodStart } from './budget-period.js';
export { type AgentBudget, agentBudgets, budgetsFor, ruleKey, ruleLabel } from './budget-rules.js';
export {
  type BudgetDeps,
  HOLD_MARGIN_MS,
  NO_SPEND,
  type Spend,
  type SpendRequest,
  type SpendStart,
  startSpend,
} from './spend-step.js';

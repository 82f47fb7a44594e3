/** Public surface of approvals: records, the rule for using one, the gate of the call pipeline and its channels. */
export {
  APPROVAL_STATUSES,
  type Approval,
  type ApprovalRequest,
  type ApprovalStatus,
  type CallIdentity,
  type Verdict,
} from './approval.js';
export { ApprovalBook, MAX_PENDING_PER_AGENT } from './approval-book.js';
export { ApprovalGate, type GatedCall, type GateOutcome } from './approval-gate.js';
export { bindingRefusal, noApproval, useVerdict } from './approval-rule.js';
export { ApprovalSignals } from './approval-signals.js';
export {
  type ApprovalView,
  approvalView,
  type CallSummary,
  describeCall,
  FORM_ARGUMENTS_LIMIT,
  type KeygateCommand,
  renderArguments,
  seeEverythingHint,
  showCommand,
  summariseCall,
} from './call-summary.js';
export type {
  ApprovalChannel,
  ApprovalQuestion,
  CallExchange,
  ChannelName,
  ClientAbilities,
  ClientAnswer,
  FormSchema,
} from './channel.js';
export { ElicitationChannel } from './elicitation-channel.js';
export { OutOfBandChannel, SILENT_WAIT_MS } from './out-of-band-channel.js';
export { RequestStateCodec } from './request-state.js';
export { type Approvals, type ApprovalsOptions, startApprovals } from './start.js';
export { UrlChannel } from './url-channel.js';

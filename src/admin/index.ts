/** Public surface of admin: the operations an administrator can do, locally or through a daemon. */
export type {
  AddedAgent,
  AdminOperations,
  AdminStatus,
  ApprovalListRequest,
  AuditQueryRequest,
  AuditVerification,
  BudgetListRequest,
  BudgetRow,
  DecideRequest,
  MintedToken,
  MintTokenRequest,
  SetSecretRequest,
  ToolList,
  ToolListRequest,
} from './admin-operations.js';
export { type DaemonClient, findDaemon } from './daemon-client.js';
export { type AdminParts, APPROVAL_FILTERS, LocalAdmin } from './local-admin.js';
export { RemoteAdmin } from './remote-admin.js';
export { type ToolJson, toolJson } from './tool-json.js';

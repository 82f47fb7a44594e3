/** Public surface of agents: identities, their tokens, authentication. */
export {
  type AgentIdentity,
  AgentRegistry,
  type AgentSummary,
  type TokenCheck,
  type TokenRefusal,
} from './agent-registry.js';
export { createAdminToken, hashToken, mintToken, type TokenKind } from './tokens.js';

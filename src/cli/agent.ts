/** `keygate agent add | token | list | revoke | rm`: agent identities and their tokens. */
import { keygateCommand, parseDuration } from '../config/index.js';
import { withAdmin } from './admin-session.js';
import { type CommandOutput, formatTable } from './output.js';

export async function agentAddCommand(options: { home?: string; name: string }): Promise<CommandOutput> {
  const created = await withAdmin(options.home, 'keygate agent add', (admin) => admin.addAgent(options.name));
  return {
    json: created,
    text: [
      `added agent ${created.agent}; its token (shown once, stored only as a hash):`,
      '',
      `  ${created.token}`,
      '',
      `token id ${created.tokenId}. Give ${created.agent} tools in keygate.yaml, then: ${keygateCommand(options.home)(`mcp-config --client claude-code --agent ${created.agent}`)}`,
    ].join('\n'),
  };
}

export async function agentTokenCommand(options: {
  home?: string;
  name: string;
  ttl?: string;
  tools: string[];
}): Promise<CommandOutput> {
  const ttl = options.ttl ?? '1h';
  // The flag is checked before anything is opened; the operation checks it again for the API.
  if (ttl !== 'never') parseDuration(ttl, '--ttl');
  const minted = await withAdmin(options.home, 'keygate agent token', (admin) =>
    admin.mintToken({ agent: options.name, ttl, tools: options.tools }),
  );
  return {
    json: { agent: options.name, ...minted },
    text: [
      `token for ${options.name}, ${minted.expiresAt ? `valid until ${minted.expiresAt}` : 'valid until revoked'}${minted.tools ? `, limited to ${minted.tools.join(' ')}` : ''} (shown once):`,
      '',
      `  ${minted.token}`,
      '',
      `token id ${minted.tokenId}`,
    ].join('\n'),
  };
}

export async function agentListCommand(options: { home?: string }): Promise<CommandOutput> {
  const { agents } = await withAdmin(options.home, 'keygate agent list', (admin) => admin.listAgents());
  const rows = agents.flatMap((agent) =>
    agent.tokens.map((token) => [
      agent.name,
      token.id,
      token.revokedAt
        ? 'revoked'
        : token.expiresAt && Date.parse(token.expiresAt) < Date.now()
          ? 'expired'
          : 'active',
      token.expiresAt?.slice(0, 19).replace('T', ' ') ?? 'never',
      token.tools?.join(' ') ?? 'all',
    ]),
  );
  return {
    json: { agents },
    text:
      agents.length === 0
        ? `no agents yet: ${keygateCommand(options.home)('agent add NAME')}`
        : formatTable([['AGENT', 'TOKEN ID', 'STATE', 'EXPIRES', 'TOOLS'], ...rows]),
  };
}

export async function agentRevokeCommand(options: { home?: string; target: string }): Promise<CommandOutput> {
  const result = await withAdmin(options.home, 'keygate agent revoke', (admin) =>
    admin.revoke(options.target),
  );
  return { json: result, text: `revoked ${result.revoked.length} token(s) of ${options.target}` };
}

export async function agentRemoveCommand(options: { home?: string; name: string }): Promise<CommandOutput> {
  const result = await withAdmin(options.home, 'keygate agent rm', (admin) =>
    admin.removeAgent(options.name),
  );
  return {
    json: result,
    text: `removed agent ${result.removed} and its ${result.tokens.length} token(s); its audit rows stay. Its entry in keygate.yaml (if any) is untouched.`,
  };
}

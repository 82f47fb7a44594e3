/** `keygate agent add | token | list | revoke | rm`: agent identities and their tokens. */
import { AgentRegistry, type AgentSummary } from '../agents/index.js';
import { loadCatalog } from '../catalog/index.js';
import { homePaths, keygateCommand, parseDuration, resolveHome } from '../config/index.js';
import { KeygateError } from '../errors/index.js';
import { globMatches, loadPolicy } from '../policy/index.js';
import { findDaemon } from './daemon-client.js';
import { type CommandOutput, formatTable } from './output.js';
import { openHomeStore } from './vault-session.js';

async function withRegistry<T>(
  home: string | undefined,
  command: string,
  work: (registry: AgentRegistry) => Promise<T>,
): Promise<T> {
  const { store } = await openHomeStore({ home, command });
  try {
    return await work(new AgentRegistry(store));
  } finally {
    await store.close();
  }
}

export async function agentAddCommand(options: { home?: string; name: string }): Promise<CommandOutput> {
  const daemon = await findDaemon(options.home);
  const created = daemon
    ? await daemon.request<{ agent: string; tokenId: string; token: string }>('POST', '/api/agents', {
        name: options.name,
      })
    : await withRegistry(options.home, 'keygate agent add', (registry) => registry.add(options.name));
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
  // `never`: a long-lived token, like the one `agent add` prints (the way back after a revoke).
  const ttlMs = ttl === 'never' ? null : parseDuration(ttl, '--ttl');
  const daemon = await findDaemon(options.home);
  let minted: { token: string; tokenId: string; expiresAt: string | null; tools: readonly string[] | null };
  if (daemon) {
    minted = await daemon.request('POST', `/api/agents/${encodeURIComponent(options.name)}/tokens`, {
      ttl,
      tools: options.tools,
    });
  } else {
    if (options.tools.length > 0) await checkNarrowing(options.home, options.name, options.tools);
    minted = await withRegistry(options.home, 'keygate agent token', (registry) =>
      registry.mintTaskToken(options.name, ttlMs, options.tools.length > 0 ? options.tools : null),
    );
  }
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

/** A task token narrows the agent's tools: a pattern outside them is refused. */
async function checkNarrowing(home: string | undefined, agent: string, tools: string[]): Promise<void> {
  const catalog = await loadCatalog();
  const engine = await loadPolicy(homePaths(resolveHome(home)).policy, catalog);
  const allowed = engine.toolsFor({ agent, tokenId: '', tools: null });
  for (const pattern of tools) {
    if (!allowed.some((tool) => globMatches(pattern.replace(/^!/, ''), tool.name))) {
      throw new KeygateError('cli.usage', `${pattern} matches none of ${agent}'s tools`);
    }
  }
}

export async function agentListCommand(options: { home?: string }): Promise<CommandOutput> {
  const daemon = await findDaemon(options.home);
  const agents = daemon
    ? (await daemon.request<{ agents: AgentSummary[] }>('GET', '/api/agents')).agents
    : await withRegistry(options.home, 'keygate agent list', (registry) => registry.list());
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
  const daemon = await findDaemon(options.home);
  const result = daemon
    ? await daemon.request<{ revoked: string[] }>('POST', '/api/revoke', { target: options.target })
    : await withRegistry(options.home, 'keygate agent revoke', (registry) => registry.revoke(options.target));
  return { json: result, text: `revoked ${result.revoked.length} token(s) of ${options.target}` };
}

export async function agentRemoveCommand(options: { home?: string; name: string }): Promise<CommandOutput> {
  const daemon = await findDaemon(options.home);
  const result = daemon
    ? await daemon.request<{ removed: string; tokens: string[] }>(
        'DELETE',
        `/api/agents/${encodeURIComponent(options.name)}`,
      )
    : await withRegistry(options.home, 'keygate agent rm', (registry) => registry.remove(options.name));
  return {
    json: result,
    text: `removed agent ${result.removed} and its ${result.tokens.length} token(s); its audit rows stay. Its entry in keygate.yaml (if any) is untouched.`,
  };
}

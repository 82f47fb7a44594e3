/** `keygate policy check [FILE]`: validate a policy against the catalog; exit 1 with every reason. */
import { loadCatalog } from '../catalog/index.js';
import { homePaths, resolveHome } from '../config/index.js';
import { loadPolicyFile } from '../policy/index.js';
import type { CommandOutput } from './output.js';

export async function policyCheckCommand(options: { home?: string; file?: string }): Promise<CommandOutput> {
  const file = options.file ?? homePaths(resolveHome(options.home)).policy;
  const result = await loadPolicyFile(file, await loadCatalog());
  if (result.ok) {
    const agents = Object.keys(result.policy.file.agents);
    // Each agent's raw-HTTP proxy routes, by service: what its kg_ token may send where.
    const proxy = Object.fromEntries(
      agents.flatMap((agent) => {
        const grants = Object.entries(result.policy.file.agents[agent]?.proxy ?? {}).filter(
          ([, routes]) => routes.length > 0,
        );
        return grants.length > 0 ? [[agent, Object.fromEntries(grants)]] : [];
      }),
    ) as Record<string, Record<string, string[]>>;
    const lines = Object.entries(proxy).flatMap(([agent, grants]) =>
      Object.entries(grants).map(
        ([service, routes]) => `  ${agent} → proxy ${service}: ${routes.join(', ')}`,
      ),
    );
    return {
      json: { ok: true, file, version: result.policy.version, agents, proxy },
      text: [
        `${file} is valid (version ${result.policy.version}, ${agents.length} agent(s))`,
        ...(lines.length > 0 ? ['proxy routes:', ...lines] : []),
      ].join('\n'),
    };
  }
  const notChecked = result.notChecked ?? [];
  return {
    json: { ok: false, file, problems: result.problems, notChecked },
    text: [
      `${file} is invalid:`,
      ...result.problems.map(
        (p) => `  ${p.path}${p.line === undefined ? '' : ` (line ${p.line})`}: ${p.message}`,
      ),
      ...(notChecked.length > 0
        ? ['not checked until those are fixed:', ...notChecked.map((n) => `  ${n}`)]
        : []),
    ].join('\n'),
    exitCode: 1,
  };
}

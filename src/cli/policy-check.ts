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
    return {
      json: { ok: true, file, version: result.policy.version, agents },
      text: `${file} is valid (version ${result.policy.version}, ${agents.length} agent(s))`,
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

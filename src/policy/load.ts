/**
 * The one way to put a policy file in force: the daemon at start and the CLI offline use it, so
 * both refuse an invalid file with the same error and decide under the same compiled engine.
 * (`policy check` reads the problems themselves through `loadPolicyFile`.)
 */
import type { Catalog } from '../catalog/index.js';
import { KeygateError } from '../errors/index.js';
import { PolicyEngine } from './engine.js';
import { formatProblems, loadPolicyFile, type PolicyProblem } from './policy-loader.js';

/** The engine for `file`; `policy.invalid` with every problem when the file cannot be used. */
export async function loadPolicy(file: string, catalog: Catalog): Promise<PolicyEngine> {
  const result = await loadPolicyFile(file, catalog);
  if (!result.ok) throw invalidPolicy(file, result.problems);
  return new PolicyEngine(result.policy, catalog);
}

function invalidPolicy(file: string, problems: readonly PolicyProblem[]): KeygateError {
  return new KeygateError('policy.invalid', `${file} is invalid: ${formatProblems(problems, '; ')}`, {
    details: { problems },
  });
}

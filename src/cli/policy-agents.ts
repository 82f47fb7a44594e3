/** Checking that a name given with --agent is an agent the policy lists, before acting on it. */
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import type { HomePaths } from '../config/index.js';
import { KeygateError } from '../errors/index.js';
import { didYouMean } from './suggest.js';

/** The agents `keygate.yaml` lists, or `undefined` when the file cannot be read as YAML. */
async function policyAgents(paths: HomePaths): Promise<string[] | undefined> {
  let text: string;
  try {
    text = await readFile(paths.policy, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return undefined;
    throw new KeygateError(
      'vault.not_initialized',
      `${paths.root} has no keygate.yaml: check --home or KEYGATE_HOME, or create the home with keygate init`,
      { details: { home: paths.root } },
    );
  }
  try {
    const doc = parse(text) as { agents?: unknown } | null;
    const agents = doc?.agents;
    return agents && typeof agents === 'object' ? Object.keys(agents) : [];
  } catch {
    return undefined;
  }
}

/**
 * Refuses an agent the policy does not list (`agent.not_found`), naming the ones it does, so a
 * typo is not answered with an empty tool list or a client config that can never work. A home
 * without keygate.yaml is `vault.not_initialized`; a policy that does not parse is left to the
 * checks that say why.
 */
export async function requirePolicyAgent(paths: HomePaths, agent: string): Promise<void> {
  const names = await policyAgents(paths);
  if (names === undefined || names.includes(agent)) return;
  const listed = names.length > 0 ? `it lists ${names.join(', ')}` : 'it lists no agents yet';
  throw new KeygateError(
    'agent.not_found',
    `the policy has no agent "${agent}"${didYouMean(agent, names, (s) => `"${s}"`)}: ${listed}; give an agent its tools under agents: in ${paths.policy}`,
    { details: { agent } },
  );
}

/** A proxy service an agent has routes on, and the AWS target it is signed for, if any. */
export interface AgentProxyService {
  readonly service: string;
  readonly aws?: { readonly region: string; readonly service: string };
}

/**
 * The proxy services agent `agent` has routes on (`agents.<agent>.proxy`), as `keygate.yaml`
 * says; empty when it has none or the file does not parse (the policy checks say why).
 */
export async function proxyServicesOf(paths: HomePaths, agent: string): Promise<AgentProxyService[]> {
  try {
    const doc = parse(await readFile(paths.policy, 'utf8')) as {
      agents?: Record<string, { proxy?: Record<string, unknown> } | null>;
      services?: Record<string, { proxy?: { aws?: { region?: unknown; service?: unknown } } } | null>;
    } | null;
    const entry = doc?.agents && Object.hasOwn(doc.agents, agent) ? doc.agents[agent] : undefined;
    const proxy = entry?.proxy;
    if (!proxy || typeof proxy !== 'object') return [];
    return Object.keys(proxy).map((service) => {
      const aws =
        doc?.services && Object.hasOwn(doc.services, service) ? doc.services[service]?.proxy?.aws : undefined;
      return typeof aws?.region === 'string' && typeof aws.service === 'string'
        ? { service, aws: { region: aws.region, service: aws.service } }
        : { service };
    });
  } catch {
    return [];
  }
}

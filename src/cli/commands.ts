/**
 * The command table: every `keygate` command, its flags and help, in one place. Each command's
 * module is imported only when it runs, so a quick command never loads what a slow one needs.
 */
import type { ParseArgsConfig } from 'node:util';
import { KeygateError } from '../errors/index.js';
import type { CommandOutput } from './output.js';

type Options = NonNullable<ParseArgsConfig['options']>;
export type ParsedValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** One command: its words, usage line, flags and the function that runs it. */
export interface CommandSpec {
  readonly words: readonly string[];
  readonly usage: string;
  readonly summary: string;
  readonly options: Options;
  /** Number of positional arguments taken after the command words. */
  readonly positionals: number;
  run(values: ParsedValues, positionals: string[]): Promise<CommandOutput>;
}

const json = { type: 'boolean' } as const;
/** Every command that touches the home folder takes --home (default: KEYGATE_HOME, ./vault, ~/.keygate). */
const home = { type: 'string' } as const;
const text = (value: unknown) => (typeof value === 'string' ? value : undefined);

export const COMMANDS: readonly CommandSpec[] = [
  {
    words: ['tools'],
    usage: 'keygate tools [--agent NAME] [--service S] [--home DIR] [--json]',
    summary:
      'what an agent can call (or the whole catalog), with risk class and approval, and its raw-HTTP proxy routes',
    options: { agent: { type: 'string' }, service: { type: 'string' }, home, json },
    positionals: 0,
    run: async (values) =>
      (await import('./tools.js')).toolsCommand({
        service: text(values.service),
        agent: text(values.agent),
        home: text(values.home),
        json: values.json === true,
      }),
  },
  {
    words: ['init'],
    usage: 'keygate init [--passphrase] [--from-stdin] [--home DIR] [--json]',
    summary: 'create the home folder: master key, vault, admin token, starter keygate.yaml',
    options: { passphrase: { type: 'boolean' }, 'from-stdin': { type: 'boolean' }, home, json },
    positionals: 0,
    run: async (values) =>
      (await import('./init.js')).initCommand({
        home: text(values.home),
        passphrase: values.passphrase === true,
        fromStdin: values['from-stdin'] === true,
      }),
  },
  {
    words: ['secret', 'set'],
    usage:
      'keygate secret set NAME [--kind bearer|basic|header|query|github-app|oauth2|aws-sigv4] [--from-stdin] [--service S] [--username U] [--header H] [--param P] [--app-id N --installation-id N] [--token-url URL --client-id ID [--grant refresh_token|client_credentials] [--scope "A B"] [--client-auth basic|post]] [--access-key-id ID] [--home DIR] [--json]',
    summary:
      'store or replace a secret; the value (for github-app: the app private key PEM; for oauth2 and aws-sigv4 (alias aws): its parts as JSON, or one hidden prompt each) comes from a hidden prompt or stdin, never argv',
    options: {
      kind: { type: 'string' },
      'from-stdin': { type: 'boolean' },
      service: { type: 'string' },
      username: { type: 'string' },
      header: { type: 'string' },
      param: { type: 'string' },
      'app-id': { type: 'string' },
      'installation-id': { type: 'string' },
      'token-url': { type: 'string' },
      'client-id': { type: 'string' },
      grant: { type: 'string' },
      scope: { type: 'string' },
      'client-auth': { type: 'string' },
      'access-key-id': { type: 'string' },
      home,
      json,
    },
    positionals: 1,
    run: async (values, [name]) =>
      (await import('./secret.js')).secretSetCommand({
        home: text(values.home),
        name: requireArgument(name, 'NAME'),
        kind: text(values.kind),
        service: text(values.service),
        fromStdin: values['from-stdin'] === true,
        params: {
          username: text(values.username),
          header: text(values.header),
          param: text(values.param),
          'app-id': text(values['app-id']),
          'installation-id': text(values['installation-id']),
          'token-url': text(values['token-url']),
          'client-id': text(values['client-id']),
          grant: text(values.grant),
          scope: text(values.scope),
          'client-auth': text(values['client-auth']),
          'access-key-id': text(values['access-key-id']),
        },
      }),
  },
  {
    words: ['secret', 'list'],
    usage: 'keygate secret list [--home DIR] [--json]',
    summary: 'list secrets: name, kind, fingerprint, dates (values are never shown)',
    options: { home, json },
    positionals: 0,
    run: async (values) => (await import('./secret.js')).secretListCommand({ home: text(values.home) }),
  },
  {
    words: ['secret', 'rm'],
    usage: 'keygate secret rm NAME [--home DIR] [--json]',
    summary: 'delete a secret',
    options: { home, json },
    positionals: 1,
    run: async (values, [name]) =>
      (await import('./secret.js')).secretRemoveCommand({
        home: text(values.home),
        name: requireArgument(name, 'NAME'),
      }),
  },
  {
    words: ['vault', 'rotate-key'],
    usage: 'keygate vault rotate-key [--from-stdin] [--verbose] [--home DIR] [--json]',
    summary: 're-wrap every secret under a new master key, in one transaction',
    options: { 'from-stdin': { type: 'boolean' }, verbose: { type: 'boolean' }, home, json },
    positionals: 0,
    run: async (values) =>
      (await import('./vault-rotate-key.js')).vaultRotateKeyCommand({
        home: text(values.home),
        fromStdin: values['from-stdin'] === true,
        verbose: values.verbose === true,
      }),
  },
  {
    words: ['serve'],
    usage: 'keygate serve [--port N] [--host H] [--init] [--home DIR]',
    summary: 'run the daemon (default 127.0.0.1:7787); --init creates the home first if needed',
    options: { port: { type: 'string' }, host: { type: 'string' }, init: { type: 'boolean' }, home },
    positionals: 0,
    run: async (values) =>
      (await import('./serve.js')).serveCommand({
        home: text(values.home),
        port: text(values.port),
        host: text(values.host),
        init: values.init === true,
      }),
  },
  {
    words: ['dashboard'],
    usage: 'keygate dashboard [--no-open] [--home DIR] [--json]',
    summary:
      "a one-time sign-in link to the running daemon's dashboard (approvals, audit, agents), opened in the browser where there is one",
    options: { 'no-open': { type: 'boolean' }, home, json },
    positionals: 0,
    run: async (values) =>
      (await import('./dashboard.js')).dashboardCommand({
        home: text(values.home),
        open: values['no-open'] !== true,
      }),
  },
  {
    words: ['admin', 'rotate-token'],
    usage: 'keygate admin rotate-token [--home DIR] [--json]',
    summary: 'replace the admin token (admin.token); the old one and its dashboard sessions stop working',
    options: { home, json },
    positionals: 0,
    run: async (values) =>
      (await import('./dashboard.js')).adminRotateTokenCommand({ home: text(values.home) }),
  },
  {
    words: ['stdio'],
    usage: 'keygate stdio [--home DIR]',
    summary:
      'MCP over stdio, bridged to the daemon with KEYGATE_TOKEN (starts a local daemon if none answers)',
    options: { home },
    positionals: 0,
    run: async (values) => (await import('./stdio.js')).stdioCommand({ home: text(values.home) }),
  },
  {
    words: ['agent', 'add'],
    usage: 'keygate agent add NAME [--home DIR] [--json]',
    summary: 'create an agent and print its token once (give it tools in keygate.yaml)',
    options: { home, json },
    positionals: 1,
    run: async (values, [name]) =>
      (await import('./agent.js')).agentAddCommand({
        home: text(values.home),
        name: requireArgument(name, 'NAME'),
      }),
  },
  {
    words: ['agent', 'token'],
    usage: 'keygate agent token NAME [--ttl 1h|never] [--tools PATTERN…] [--home DIR] [--json]',
    summary:
      "mint a short-lived token (--ttl never: one valid until revoked), optionally narrowed to some of the agent's tools (proxy:SERVICE for a proxy service)",
    options: { ttl: { type: 'string' }, tools: { type: 'string', multiple: true }, home, json },
    positionals: 99,
    run: async (values, [name, ...more]) =>
      (await import('./agent.js')).agentTokenCommand({
        home: text(values.home),
        name: requireArgument(name, 'NAME'),
        ttl: text(values.ttl),
        // `--tools a b` and `--tools a --tools b` both work.
        tools: [...((values.tools as string[] | undefined) ?? []), ...more],
      }),
  },
  {
    words: ['agent', 'list'],
    usage: 'keygate agent list [--home DIR] [--json]',
    summary: 'list agents and their tokens (ids, state, expiry; never the tokens)',
    options: { home, json },
    positionals: 0,
    run: async (values) => (await import('./agent.js')).agentListCommand({ home: text(values.home) }),
  },
  {
    words: ['agent', 'revoke'],
    usage: 'keygate agent revoke NAME|TOKEN_ID [--home DIR] [--json]',
    summary: "revoke all of an agent's tokens, or one token; takes effect on the next request",
    options: { home, json },
    positionals: 1,
    run: async (values, [target]) =>
      (await import('./agent.js')).agentRevokeCommand({
        home: text(values.home),
        target: requireArgument(target, 'NAME|TOKEN_ID'),
      }),
  },
  {
    words: ['agent', 'rm'],
    usage: 'keygate agent rm NAME [--home DIR] [--json]',
    summary:
      'remove an agent and all its tokens (its audit rows stay); `agent add NAME` can then start afresh',
    options: { home, json },
    positionals: 1,
    run: async (values, [name]) =>
      (await import('./agent.js')).agentRemoveCommand({
        home: text(values.home),
        name: requireArgument(name, 'NAME'),
      }),
  },
  {
    words: ['budgets'],
    usage: 'keygate budgets [--agent NAME] [--home DIR] [--json]',
    summary:
      "agents' spend budgets on payment tools: limit, used (settled), reserved (held) and what is left in the current UTC period",
    options: { agent: { type: 'string' }, home, json },
    positionals: 0,
    run: async (values) =>
      (await import('./budgets.js')).budgetsCommand({ agent: text(values.agent), home: text(values.home) }),
  },
  ...(['approvals', 'approvals list'] as const).map(
    (words): CommandSpec => ({
      words: words.split(' '),
      usage: `keygate ${words} [--status pending|approved|denied|expired|cancelled|used|all] [--agent A] [--home DIR] [--json]`,
      summary: 'calls waiting for a human (or, with --status, decided ones), with what each would do',
      options: { status: { type: 'string' }, agent: { type: 'string' }, home, json },
      positionals: 0,
      run: async (values) =>
        (await import('./approvals.js')).approvalsListCommand({
          home: text(values.home),
          status: text(values.status),
          agent: text(values.agent),
        }),
    }),
  ),
  ...(
    [
      ['approve', 'approved', 'approve one pending call: it runs once, with the arguments shown'],
      ['deny', 'denied', 'deny one pending call: it is not made, and the agent is told why'],
    ] as const
  ).map(
    ([action, verdict, summary]): CommandSpec => ({
      words: ['approvals', action],
      usage: `keygate approvals ${action} ID [--reason R] [--home DIR] [--json]`,
      summary,
      options: { reason: { type: 'string' }, home, json },
      positionals: 1,
      run: async (values, [id]) =>
        (await import('./approvals.js')).approvalsDecideCommand({
          home: text(values.home),
          id: requireArgument(id, 'ID'),
          verdict,
          reason: text(values.reason),
        }),
    }),
  ),
  {
    words: ['approvals', 'show'],
    usage: 'keygate approvals show ID [--home DIR] [--json]',
    summary:
      'one approval in full: every argument (secrets redacted), agent, tool, operation, risk, status, expiry, policy version, arguments hash',
    options: { home, json },
    positionals: 1,
    run: async (values, [id]) =>
      (await import('./approvals.js')).approvalsShowCommand({
        home: text(values.home),
        id: requireArgument(id, 'ID'),
      }),
  },
  {
    words: ['audit', 'tail'],
    usage: 'keygate audit tail [--limit N] [--home DIR] [--json]',
    summary: 'the latest audit events (default 20)',
    options: { limit: { type: 'string' }, home, json },
    positionals: 0,
    run: async (values) =>
      (await import('./audit.js')).auditQueryCommand(
        { home: text(values.home), limit: text(values.limit) },
        20,
      ),
  },
  {
    words: ['audit', 'query'],
    usage: 'keygate audit query [--agent A] [--tool T] [--since 1h] [--limit N] [--home DIR] [--json]',
    summary: 'audit events filtered by agent, tool and age',
    options: {
      agent: { type: 'string' },
      tool: { type: 'string' },
      since: { type: 'string' },
      limit: { type: 'string' },
      home,
      json,
    },
    positionals: 0,
    run: async (values) =>
      (await import('./audit.js')).auditQueryCommand({
        home: text(values.home),
        agent: text(values.agent),
        tool: text(values.tool),
        since: text(values.since),
        limit: text(values.limit),
      }),
  },
  {
    words: ['audit', 'export'],
    usage: 'keygate audit export --format jsonl [--agent A] [--tool T] [--since 1h] [--home DIR]',
    summary: 'audit events as JSON lines',
    options: {
      format: { type: 'string' },
      agent: { type: 'string' },
      tool: { type: 'string' },
      since: { type: 'string' },
      home,
    },
    positionals: 0,
    run: async (values) =>
      (await import('./audit.js')).auditExportCommand({
        home: text(values.home),
        format: text(values.format),
        agent: text(values.agent),
        tool: text(values.tool),
        since: text(values.since),
      }),
  },
  {
    words: ['audit', 'verify'],
    usage: 'keygate audit verify [--home DIR] [--json]',
    summary: 'check the hash chain: exit 1 if a row was edited or deleted',
    options: { home, json },
    positionals: 0,
    run: async (values) => (await import('./audit.js')).auditVerifyCommand({ home: text(values.home) }),
  },
  {
    words: ['policy', 'check'],
    usage: 'keygate policy check [FILE] [--home DIR] [--json]',
    summary: 'validate a policy against the catalog; exit 1 listing every problem with its path',
    options: { home, json },
    positionals: 1,
    run: async (values, [file]) =>
      (await import('./policy-check.js')).policyCheckCommand({ home: text(values.home), file }),
  },
  {
    words: ['mcp-config'],
    usage:
      'keygate mcp-config --client claude-desktop|claude-code|cursor|vscode --agent NAME [--url URL | --port N] [--home DIR] [--json]',
    summary:
      "print the exact configuration snippet for that client (daemon: --url, --port, KEYGATE_URL, the running daemon's, KEYGATE_PORT, 7787)",
    options: {
      client: { type: 'string' },
      agent: { type: 'string' },
      url: { type: 'string' },
      port: { type: 'string' },
      home,
      json,
    },
    positionals: 0,
    run: async (values) =>
      (await import('./mcp-config.js')).mcpConfigCommand({
        home: text(values.home),
        client: text(values.client),
        agent: text(values.agent),
        url: text(values.url),
        port: text(values.port),
      }),
  },
  {
    words: ['spec', 'curate'],
    usage: 'keygate spec curate SERVICE [--from FILE] [--check] [--json]',
    summary: 'regenerate specs/SERVICE.json from its curation file and the upstream description',
    options: { from: { type: 'string' }, check: { type: 'boolean' }, json },
    positionals: 1,
    run: async (values, [service]) =>
      (await import('./spec-curate.js')).specCurateCommand({
        service: requireArgument(service, 'SERVICE'),
        from: values.from as string | undefined,
        check: values.check === true,
      }),
  },
];

function requireArgument(value: string | undefined, name: string): string {
  if (!value) throw new KeygateError('cli.usage', `missing ${name}`);
  return value;
}

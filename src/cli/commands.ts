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
    usage: 'keygate tools [--service S] [--json]',
    summary: 'list the catalog: every tool with its risk class and description',
    options: { service: { type: 'string' }, json },
    positionals: 0,
    run: async (values) =>
      (await import('./tools.js')).toolsCommand({
        service: values.service as string | undefined,
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
      'keygate secret set NAME [--kind bearer|basic|header|query] [--from-stdin] [--service S] [--username U] [--header H] [--param P] [--home DIR] [--json]',
    summary: 'store or replace a secret; the value comes from a hidden prompt or stdin, never argv',
    options: {
      kind: { type: 'string' },
      'from-stdin': { type: 'boolean' },
      service: { type: 'string' },
      username: { type: 'string' },
      header: { type: 'string' },
      param: { type: 'string' },
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
        params: { username: text(values.username), header: text(values.header), param: text(values.param) },
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

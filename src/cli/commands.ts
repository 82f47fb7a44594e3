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

import { parseArgs } from 'node:util';
import { ENVIRONMENT, VERSION, withEnvironment } from '../config/index.js';
import { isKeygateError, KeygateError } from '../errors/index.js';
import { COMMANDS, type CommandSpec } from './commands.js';
import { type StandardInput, withStandardInput } from './secret-input.js';
import { closest, didYouMean } from './suggest.js';

/** What one command line printed and its exit code. */
export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function helpText(): string {
  const lines = COMMANDS.map((c) => `  ${c.usage}\n      ${c.summary}`);
  const width = Math.max(...Object.keys(ENVIRONMENT).map((name) => name.length));
  const env = Object.entries(ENVIRONMENT).map(([name, what]) => `  ${name.padEnd(width)}  ${what}`);
  return [
    'keygate: MCP tools for GitHub, Stripe and Notion, without handing agents the keys.',
    '',
    'Usage:',
    ...lines,
    '',
    'Environment:',
    ...env,
    '',
    'Every command exits non-zero with a one-line reason on bad input.',
  ].join('\n');
}

/** The commands under a group word (`agent` → add, token, list, …); empty for a plain command. */
function subcommandsOf(word: string | undefined): CommandSpec[] {
  return COMMANDS.filter((c) => c.words[0] === word && c.words.length > 1);
}

function groupHelp(word: string): string {
  const commands = COMMANDS.filter((c) => c.words[0] === word);
  return [
    `usage: keygate ${word} <command>`,
    '',
    ...commands.map((c) => `  ${c.usage}\n      ${c.summary}`),
    '',
    `keygate ${word} COMMAND --help shows one command's flags.`,
  ].join('\n');
}

function findCommand(argv: string[]): { spec: CommandSpec; rest: string[] } | undefined {
  const matches = COMMANDS.filter((c) => c.words.every((word, i) => argv[i] === word));
  const spec = matches.sort((a, b) => b.words.length - a.words.length)[0];
  return spec ? { spec, rest: argv.slice(spec.words.length) } : undefined;
}

const quoted = (text: string) => `"${text}"`;

function unknownCommand(argv: string[]): KeygateError {
  const [first = '', second] = argv;
  const subcommands = subcommandsOf(first);
  if (subcommands.length > 0) {
    const names = subcommands.map((c) => c.words[1]!);
    return new KeygateError(
      'cli.usage',
      `unknown command "${first} ${second}"${didYouMean(second ?? '', names, (s) => quoted(`${first} ${s}`))}; run keygate ${first} --help`,
    );
  }
  const top = closest(first, new Set(COMMANDS.map((c) => c.words[0]!)));
  const wholeTypo = top !== undefined && subcommandsOf(top).some((c) => c.words[1] === second);
  const shown = second !== undefined && !second.startsWith('-') ? `${first} ${second}` : first;
  const hint = top === undefined ? '' : ` (did you mean ${quoted(wholeTypo ? `${top} ${second}` : top)}?)`;
  return new KeygateError('cli.usage', `unknown command "${shown}"${hint}; run keygate --help`);
}

/**
 * Checks flags before util.parseArgs, whose messages read badly on a terminal ("argument is
 * ambiguous", a suggestion ending in an open quote), so every mistake gets one clear line.
 */
function checkFlags(spec: CommandSpec, args: readonly string[]): void {
  const usage = ` (usage: ${spec.usage})`;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') return;
    if (!arg.startsWith('-') || arg === '-') continue;
    const equals = arg.indexOf('=');
    const name = arg.startsWith('--') ? arg.slice(2, equals === -1 ? undefined : equals) : '';
    const option = Object.hasOwn(spec.options, name) ? spec.options[name] : undefined;
    if (!option) {
      const flag = arg.startsWith('--') ? `--${name}` : arg;
      const hint = didYouMean(name || arg.replace(/^-+/, ''), Object.keys(spec.options), (s) => `--${s}`);
      throw new KeygateError('cli.usage', `unknown option ${flag}${hint}${usage}`);
    }
    if (option.type === 'boolean') {
      if (equals !== -1) throw new KeygateError('cli.usage', `--${name} takes no value${usage}`);
      continue;
    }
    if (equals !== -1) continue;
    const value = args[i + 1];
    if (value === undefined) throw new KeygateError('cli.usage', `--${name} needs a value${usage}`);
    if (value.startsWith('-') && value !== '-') {
      const how = /^-\d/.test(value)
        ? `to pass a negative number write --${name}=${value}`
        : `${value} is read as a flag; to pass a value starting with "-" write --${name}=${value}`;
      throw new KeygateError('cli.usage', `--${name} needs a value; ${how}`);
    }
    i++;
  }
}

async function execute(input: string[]): Promise<{ code: number; stdout: string }> {
  // `keygate help agent add` is `keygate agent add --help`.
  const argv = input[0] === 'help' && input.length > 1 ? [...input.slice(1), '--help'] : input;
  if (argv.length === 0 || argv[0] === 'help' || argv[0] === '--help' || argv[0] === '-h') {
    return { code: argv.length === 0 ? 1 : 0, stdout: helpText() };
  }
  if (argv[0] === '--version' || argv[0] === '-v') return { code: 0, stdout: VERSION };
  const found = findCommand(argv);
  const group = argv[0]!;
  if (subcommandsOf(group).length > 0 && (!found || found.spec.words.length === 1)) {
    // A group word alone or with --help lists its commands; a group word and an unknown word is a typo.
    const next = argv[1];
    if (next === '--help' || next === '-h') return { code: 0, stdout: groupHelp(group) };
    if (next === undefined && !found) return { code: 1, stdout: groupHelp(group) };
    if (!found || (next !== undefined && !next.startsWith('-'))) throw unknownCommand(argv);
  }
  if (!found) throw unknownCommand(argv);
  const { spec, rest } = found;
  if (rest.includes('--help') || rest.includes('-h')) {
    return { code: 0, stdout: `usage: ${spec.usage}\n  ${spec.summary}` };
  }
  checkFlags(spec, rest);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: rest, options: spec.options, allowPositionals: true, strict: true });
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
    throw new KeygateError('cli.usage', `${reason} (usage: ${spec.usage})`);
  }
  if (parsed.positionals.length > spec.positionals) {
    throw new KeygateError(
      'cli.usage',
      `unexpected argument "${parsed.positionals[spec.positionals]}" (usage: ${spec.usage})`,
    );
  }
  const output = await spec.run(parsed.values, parsed.positionals);
  const asJson = parsed.values.json === true;
  const stdout =
    asJson && output.json !== undefined ? JSON.stringify(output.json, null, 2) : (output.text ?? '');
  return { code: output.exitCode ?? 0, stdout };
}

/**
 * What a command line runs with when not this process's own: a test runs commands in-process
 * with the environment and standard input a child process would have been given.
 */
export interface CliContext {
  /** The whole environment the command sees (not merged with process.env). */
  readonly env?: NodeJS.ProcessEnv;
  readonly stdin?: StandardInput;
}

/** Runs one command line (without the program name) and returns what to print and the exit code. */
export async function runCli(argv: readonly string[], context: CliContext = {}): Promise<CliResult> {
  const { env, stdin } = context;
  const work = () => execute([...argv]);
  const withInput = stdin ? () => withStandardInput(stdin, work) : work;
  try {
    const { code, stdout } = await (env ? withEnvironment(env, withInput) : withInput());
    return { code, stdout: stdout ? `${stdout}\n` : '', stderr: '' };
  } catch (error) {
    if (isKeygateError(error)) {
      return {
        // A bad request to an admin operation is the caller's mistake too, as it was when it was `cli.usage`.
        code: error.code === 'cli.usage' || error.code === 'request.invalid' ? 2 : 1,
        stdout: '',
        stderr: `keygate: ${error.message} [${error.code}]\n`,
      };
    }
    const message = error instanceof Error ? error.message : String(error);
    return { code: 1, stdout: '', stderr: `keygate: internal error: ${message}\n` };
  }
}

/** The CLI entry point: the only place that prints and exits. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ENVIRONMENT, PACKAGE_ROOT } from '../config/index.js';
import { isKeygateError, KeygateError } from '../errors/index.js';
import { COMMANDS, type CommandSpec } from './commands.js';

function version(): string {
  const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
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

function findCommand(argv: string[]): { spec: CommandSpec; rest: string[] } | undefined {
  const matches = COMMANDS.filter((c) => c.words.every((word, i) => argv[i] === word));
  const spec = matches.sort((a, b) => b.words.length - a.words.length)[0];
  return spec ? { spec, rest: argv.slice(spec.words.length) } : undefined;
}

export async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === 'help' || argv[0] === '--help' || argv[0] === '-h') {
    process.stdout.write(`${helpText()}\n`);
    return argv.length === 0 ? 1 : 0;
  }
  if (argv[0] === '--version' || argv[0] === '-v') {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  const found = findCommand(argv);
  if (!found) throw new KeygateError('cli.usage', `unknown command "${argv.join(' ')}"; run keygate --help`);
  const { spec, rest } = found;
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`usage: ${spec.usage}\n  ${spec.summary}\n`);
    return 0;
  }
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
  if (asJson && output.json !== undefined) process.stdout.write(`${JSON.stringify(output.json, null, 2)}\n`);
  else if (output.text) process.stdout.write(`${output.text}\n`);
  return output.exitCode ?? 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (isKeygateError(error)) {
      process.stderr.write(`keygate: ${error.message} [${error.code}]\n`);
      process.exitCode = error.code === 'cli.usage' ? 2 : 1;
    } else {
      process.stderr.write(
        `keygate: internal error: ${error instanceof Error ? error.message : String(error)}\n`,
      );
      process.exitCode = 1;
    }
  },
);

/**
 * Reading a secret value: from standard input (piped, or with --from-stdin), or from a hidden
 * prompt on a terminal. Never from argv or the environment.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { KeygateError } from '../errors/index.js';

/** Standard input as a stream that may be a terminal. */
export type StandardInput = NodeJS.ReadableStream & { readonly isTTY?: boolean };

/** The standard input of one command line run in-process (tests), set by `withStandardInput`. */
const commandInput = new AsyncLocalStorage<StandardInput>();

/** Runs `work` reading `stdin` instead of this process's standard input. */
export function withStandardInput<T>(stdin: StandardInput, work: () => T): T {
  return commandInput.run(stdin, work);
}

/** The standard input of the command running now. */
function standardInput(): StandardInput {
  return commandInput.getStore() ?? process.stdin;
}

/** Reads all of stdin, dropping one trailing newline. */
export async function readStdin(stdin: NodeJS.ReadableStream = standardInput()): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** The last line of a PEM block: a multi-line value typed or pasted at the prompt ends there. */
const PEM_END = /-----END [A-Z0-9 ]+-----[ \t]*$/;

/**
 * Asks for a value on the terminal without echoing it. A `multiline` value (a PEM key) takes
 * every line up to its `-----END …-----` line, so a pasted key arrives whole.
 */
export async function promptHidden(question: string, options: { multiline?: boolean } = {}): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) throw new KeygateError('cli.usage', 'no terminal to ask on: pipe the value on stdin');
  process.stderr.write(question);
  stdin.setRawMode(true);
  stdin.resume();
  stdin.setEncoding('utf8');
  return new Promise((resolve, reject) => {
    let value = '';
    const done = (error?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.removeListener('data', onData);
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === '\r' || char === '\n') {
          if (!options.multiline || PEM_END.test(value)) return done();
          // A pasted \r\n is one line break; an empty line before the key starts is dropped.
          if (value.length > 0 && !value.endsWith('\n')) value += '\n';
          continue;
        }
        if (char === '\u0003') return done(new KeygateError('cli.usage', 'cancelled'));
        if (char === '\u007f' || char === '\b') value = value.slice(0, -1);
        else value += char;
      }
    };
    stdin.on('data', onData);
  });
}

/**
 * The secret value for a command: stdin when asked for or piped, else a hidden prompt (`multiline`:
 * up to a PEM block's END line).
 */
export async function readSecretValue(
  fromStdin: boolean,
  question: string,
  options: { multiline?: boolean } = {},
): Promise<string> {
  const value =
    fromStdin || !standardInput().isTTY ? await readStdin() : await promptHidden(question, options);
  if (value.length === 0) throw new KeygateError('vault.invalid_secret', 'the value is empty');
  return value;
}

/**
 * The value of a secret with several parts, as the JSON object of them the vault stores: read
 * whole from stdin (when asked for or piped), or asked part by part at hidden prompts (an
 * `optional` part left empty is left out).
 */
export async function readSecretParts(
  fromStdin: boolean,
  name: string,
  parts: readonly string[],
  optional: readonly string[] = [],
): Promise<string> {
  if (fromStdin || !standardInput().isTTY) return readSecretValue(true, '');
  const value: Record<string, string> = {};
  for (const part of parts) {
    const skippable = optional.includes(part);
    const answer = await promptHidden(`${part} for ${name} (hidden${skippable ? ', empty if none' : ''}): `);
    if (answer.length === 0 && skippable) continue;
    if (answer.length === 0) throw new KeygateError('vault.invalid_secret', `${part} is empty`);
    value[part] = answer;
  }
  return JSON.stringify(value);
}

/**
 * Asks twice on a terminal (typos in a passphrase lock you out), checking the length after the
 * first entry so nobody types a refused passphrase twice; reads stdin once otherwise.
 */
export async function readNewPassphrase(
  fromStdin: boolean,
  ask: (question: string) => Promise<string> = promptHidden,
  onTerminal = standardInput().isTTY === true,
): Promise<string> {
  // Imported here: every command loads this module (run.ts), and the vault brings the executor
  // and undici with it, which `keygate stdio` and most commands never need.
  const { checkNewPassphrase } = await import('../vault/index.js');
  if (fromStdin || !onTerminal) return checkNewPassphrase(await readSecretValue(true, ''));
  const first = checkNewPassphrase(await ask('New passphrase (at least 12 characters): '));
  const second = await ask('Repeat it: ');
  if (first !== second) throw new KeygateError('cli.usage', 'the two passphrases differ');
  return first;
}

/**
 * The CLI as tests run it: in this process through the CLI's own entry (`runInProcess`, the
 * default), or as ./bin/keygate in a child process (`keygate`, for the few end-to-end cases that
 * prove the real binary). Both get the same clean environment and stdin, and keep every output.
 */
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { cleanEnv, runChild } from './child.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  /** Standard input, closed after it (empty by default, as a pipe with nothing in it). */
  readonly input?: string;
  /** Variables besides PATH and HOME (the environment is otherwise empty, not this process's). */
  readonly env?: Record<string, string>;
}

/** Everything any command printed in this test file, to check for leaked secrets at the end. */
export const transcript: string[] = [];

/** Runs ./bin/keygate as a user would, in a child process killed if it outlives its bound. */
export async function keygate(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  const result = await runChild(`${ROOT}bin/keygate`, args, {
    cwd: ROOT,
    env: cleanEnv(options.env),
    input: options.input ?? '',
  });
  transcript.push(result.stdout, result.stderr);
  return result;
}

/**
 * Runs a command line in this process through the CLI's own entry (no child process, no build):
 * the same parsing, command and error mapping as ./bin/keygate, in milliseconds, with the
 * environment and stdin `keygate` would give the child. Pass `--home` explicitly.
 */
export async function runInProcess(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  const { runCli } = await import('../../src/cli/run.js');
  const result = await runCli(args, {
    env: cleanEnv(options.env),
    stdin: Readable.from([Buffer.from(options.input ?? '')]),
  });
  transcript.push(result.stdout, result.stderr);
  return result;
}

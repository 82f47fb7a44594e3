/** Runs ./bin/keygate as a user would, with a clean environment, and keeps every output. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Everything any command printed in this test file, to check for leaked secrets at the end. */
export const transcript: string[] = [];

export function keygate(
  args: readonly string[],
  options: { input?: string; env?: Record<string, string> } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(`${ROOT}bin/keygate`, args, {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      transcript.push(stdout, stderr);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/**
 * Runs a command line in this process through the CLI's own entry (no child process, no build):
 * the same parsing, command and error mapping as ./bin/keygate, in milliseconds. Commands that
 * read stdin or need a terminal still go through `keygate`. Pass `--home` explicitly.
 */
export async function runInProcess(args: readonly string[]): Promise<CliResult> {
  const { runCli } = await import('../../src/cli/run.js');
  const result = await runCli(args);
  transcript.push(result.stdout, result.stderr);
  return result;
}

/** The CLI entry point: the only place that prints and sets the exit code (run.ts does the work). */
import { runCli } from './run.js';

const result = await runCli(process.argv.slice(2));
if (result.stdout) process.stdout.write(result.stdout);
if (result.stderr) process.stderr.write(result.stderr);
process.exitCode = result.code;

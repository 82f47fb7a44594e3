/**
 * Every child process a test starts goes through here. Each has a bound: past it, it is killed
 * with SIGKILL and the test is told so in words, instead of a hung child keeping a store lock or
 * a port and failing the next test for the wrong reason.
 */
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { StdioClientTransport, type StdioServerParameters } from '@modelcontextprotocol/client/stdio';

export interface ChildOptions {
  readonly cwd?: string;
  /** The whole environment of the child (not merged with this process's). */
  readonly env?: NodeJS.ProcessEnv;
  /** Written to its stdin, which is then closed; without it stdin is ignored. */
  readonly input?: string;
  /** How long it may live before it is killed (SIGKILL). */
  readonly timeoutMs?: number;
}

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface Child {
  readonly process: ChildProcess;
  readonly pid: number;
  /** Everything it printed so far, on each stream. */
  stdout(): string;
  stderr(): string;
  /** Resolves when it has exited, however that came about. */
  readonly exited: Promise<ExitStatus>;
  /** Whether it was killed for outliving its bound. */
  timedOut(): boolean;
  /** Sends `signal` (default SIGTERM) and waits for the exit; SIGKILL if it is not gone in `graceMs`. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<ExitStatus>;
}

/** The bound of a child that runs one command and exits: below vitest's own test timeout (120 s). */
export const COMMAND_TIMEOUT_MS = 90_000;

/** Children still running, killed when this test process exits so none outlives its tests. */
const live = new Set<ChildProcess>();
/** The same for the children of stdio transports, which the SDK starts and only we can bound. */
const liveTransports = new Set<StdioClientTransport>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
  for (const transport of liveTransports) killPid(transport.pid);
});

function killPid(pid: number | null): void {
  if (pid === null) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** The smallest environment a child needs: PATH and HOME, and what the test adds. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...extra };
}

/** Starts a child with a bound on its life; its output is kept. */
export function startChild(command: string, args: readonly string[], options: ChildOptions = {}): Child {
  const stdin = options.input !== undefined ? 'pipe' : 'ignore';
  const spawnOptions: SpawnOptions = {
    env: options.env ?? cleanEnv(),
    stdio: [stdin, 'pipe', 'pipe'],
    ...(options.cwd ? { cwd: options.cwd } : {}),
  };
  const child = spawn(command, args, spawnOptions);
  live.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  let timedOut = false;
  const timeoutMs = options.timeoutMs ?? COMMAND_TIMEOUT_MS;
  const killer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  // A child still running must not keep the test process alive; the exit hook kills it.
  killer.unref();
  const exited = new Promise<ExitStatus>((resolve) => {
    const done = (status: ExitStatus) => {
      clearTimeout(killer);
      live.delete(child);
      resolve(status);
    };
    // 'close' comes once its output is all read; a grandchild holding the pipes could delay it
    // for ever, so the exit status is taken a moment after 'exit' at the latest.
    child.once('exit', (code, signal) => {
      clearTimeout(killer);
      live.delete(child);
      setTimeout(() => done({ code, signal }), 2000).unref();
    });
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => done({ code, signal }));
    // A command that cannot be started at all (ENOENT) emits 'error' and no 'exit'.
    child.once('error', (error) => {
      stderr += `could not start ${command}: ${error.message}\n`;
      done({ code: -1, signal: null });
    });
  });
  if (options.input !== undefined) child.stdin?.end(options.input);
  return {
    process: child,
    pid: child.pid ?? -1,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    timedOut: () => timedOut,
    stop: async (signal = 'SIGTERM', graceMs = 10_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill(signal);
      const grace = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(grace);
      }
    },
  };
}

/** What a child that ran to its end printed, and its exit code (-1 when a signal ended it). */
export interface ChildResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a child to its end; one that outlives its bound is killed and fails the test, saying so. */
export async function runChild(
  command: string,
  args: readonly string[],
  options: ChildOptions = {},
): Promise<ChildResult> {
  const child = startChild(command, args, { ...options, input: options.input ?? '' });
  const { code } = await child.exited;
  if (child.timedOut()) throw timeoutError(command, args, options.timeoutMs ?? COMMAND_TIMEOUT_MS, child);
  return { code: code ?? -1, stdout: child.stdout(), stderr: child.stderr() };
}

/** The failure of a child killed at its bound, with the end of what it printed. */
export function timeoutError(
  command: string,
  args: readonly string[],
  timeoutMs: number,
  child: Child,
): Error {
  const tail = (text: string) => (text.length > 2000 ? `…${text.slice(-2000)}` : text);
  return new Error(
    `${[command, ...args].join(' ')} did not exit within ${timeoutMs / 1000} s and was killed (SIGKILL)` +
      `\n--- stdout ---\n${tail(child.stdout())}\n--- stderr ---\n${tail(child.stderr())}`,
  );
}

/**
 * An MCP stdio client transport (the SDK starts the child) whose child is killed past its bound,
 * like every other child here. The SDK forgets the child on close, so a closed one is not killed.
 */
export function stdioTransport(params: StdioServerParameters, timeoutMs = 120_000): StdioClientTransport {
  const transport = new StdioClientTransport(params);
  liveTransports.add(transport);
  const killer = setTimeout(() => {
    liveTransports.delete(transport);
    if (transport.pid === null) return;
    process.stderr.write(
      `${[params.command, ...(params.args ?? [])].join(' ')} (pid ${transport.pid}) did not exit within ${timeoutMs / 1000} s and was killed (SIGKILL)\n`,
    );
    killPid(transport.pid);
  }, timeoutMs);
  killer.unref();
  const close = transport.close.bind(transport);
  transport.close = async () => {
    clearTimeout(killer);
    liveTransports.delete(transport);
    await close();
  };
  return transport;
}

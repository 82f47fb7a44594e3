// Child processes and temp folders of bench/peers, cleaned up however the bench ends: every
// child is tracked, stopped with SIGTERM (SIGKILL after a grace period) when done, and killed
// with SIGKILL by an exit hook if the bench fails or is interrupted; temp folders are removed.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const live = new Set();
const folders = [];
/** Functions run (synchronously) on exit, before children are killed. */
const exitHooks = [];

export function trackPid(pid) {
  if (pid) live.add(pid);
}
export function untrackPid(pid) {
  live.delete(pid);
}
export function onExit(hook) {
  exitHooks.push(hook);
}

/** `spawn`, tracked until it exits. */
export function spawnTracked(command, args, options) {
  const child = spawn(command, args, options);
  trackPid(child.pid);
  child.once('exit', () => untrackPid(child.pid));
  return child;
}

/** SIGTERM, then SIGKILL if it has not exited within `graceMs`; resolves once it has exited. */
export function stop(child, graceMs = 10_000) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * `keygate serve` on `home` as a tracked child (`nodeArgs` go before the script: a CPU profile),
 * resolved once `daemon.json` names a URL whose /healthz answers ok, with the milliseconds from
 * spawn; a daemon that exits or is not ready within `timeoutMs` is stopped and reported with the
 * end of its stderr.
 */
export async function serveUntilReady({ bin, home, env, nodeArgs = [], pollMs = 5, timeoutMs = 60_000 }) {
  rmSync(join(home, 'daemon.json'), { force: true });
  const started = performance.now();
  const child = spawnTracked(process.execPath, [...nodeArgs, bin, 'serve', '--port', '0', '--home', home], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  for (;;) {
    let url;
    try {
      url = JSON.parse(readFileSync(join(home, 'daemon.json'), 'utf8')).url;
    } catch {}
    if (
      url &&
      (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) })
        .then((response) => response.ok)
        .catch(() => false))
    )
      return { child, url, started, readyMs: performance.now() - started };
    if (child.exitCode !== null || performance.now() - started > timeoutMs) {
      await stop(child);
      throw new Error(`keygate serve on ${home} did not start: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

export function tempFolder(prefix) {
  const folder = mkdtempSync(join(tmpdir(), prefix));
  folders.push(folder);
  return folder;
}

/** Resident memory of `pid` in MiB (VmRSS, Linux); `null` where /proc is not there. */
export function rssMiB(pid) {
  try {
    const kib = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
    return Number.isFinite(kib) ? Math.round((kib / 1024) * 10) / 10 : null;
  } catch {
    return null;
  }
}

function cleanupSync() {
  // Children first (a daemon still connected could hold a lock its schema's drop waits for).
  for (const pid of live) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
  live.clear();
  for (const hook of exitHooks.splice(0)) {
    try {
      hook();
    } catch {}
  }
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
}
process.on('exit', cleanupSync);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => process.exit(130));

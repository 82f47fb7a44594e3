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

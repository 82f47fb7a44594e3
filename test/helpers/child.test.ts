/** The bound every test child runs under: past it the child is killed and the test says so. */
import { describe, expect, it } from 'vitest';
import { runChild, startChild } from './child.js';

const HANG = ['-e', 'setInterval(() => {}, 1000); process.stdout.write("started\\n")'];

describe('a child that outlives its bound', () => {
  it('is killed with SIGKILL, and runChild fails naming it, its bound and its output', async () => {
    const started = Date.now();
    await expect(runChild(process.execPath, HANG, { timeoutMs: 500 })).rejects.toThrow(
      /-e setInterval.* did not exit within 0\.5 s and was killed \(SIGKILL\)\n--- stdout ---\nstarted/,
    );
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('reports the kill to a test holding it, which can still stop it earlier', async () => {
    const bounded = startChild(process.execPath, HANG, { timeoutMs: 500 });
    expect(await bounded.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(bounded.timedOut()).toBe(true);

    const stopped = startChild(process.execPath, HANG, { timeoutMs: 60_000 });
    expect(await stopped.stop('SIGTERM')).toEqual({ code: null, signal: 'SIGTERM' });
    expect(stopped.timedOut()).toBe(false);
  });
});

describe('a child that ends in time', () => {
  it('gives its exit code, output and the input it was given', async () => {
    const script = 'process.stdin.pipe(process.stdout); process.stdin.on("end", () => process.exit(3))';
    expect(await runChild(process.execPath, ['-e', script], { input: 'hello' })).toEqual({
      code: 3,
      stdout: 'hello',
      stderr: '',
    });
  });
});

/**
 * The home lock across processes: of several processes that try to take it at the same moment,
 * exactly one holds it. (A lock file seen before its owner was written used to be taken for a
 * stale one and removed, so two processes could hold one PGlite store.)
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { cleanEnv, startChild } from '../helpers/child.js';

const LOCK_MODULE = fileURLToPath(new URL('../../dist/store/home-lock.js', import.meta.url));

it('is held by exactly one of several processes taking it at once', async () => {
  const file = join(await mkdtemp(join(tmpdir(), 'keygate-lock-')), 'data.lock');
  // Each child waits for the same wall-clock instant, tries once, and holds what it got a while.
  const at = Date.now() + 1500;
  const script = `
    const { acquireLock } = await import(${JSON.stringify(LOCK_MODULE)});
    while (Date.now() < ${at}) {}
    try { await acquireLock(${JSON.stringify(file)}, 'test'); console.log('held'); await new Promise((r) => setTimeout(r, 1500)); }
    catch (error) { console.log(error.code); }`;
  const children = Array.from({ length: 6 }, () =>
    startChild(process.execPath, ['--input-type=module', '-e', script], {
      env: cleanEnv(),
      timeoutMs: 30_000,
    }),
  );
  await Promise.all(children.map((child) => child.exited));
  const outcomes = children.map((child) => child.stdout().trim()).sort();
  expect(outcomes).toEqual(['held', ...Array(5).fill('store.locked')]);
}, 60_000);

import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests that spawn the CLI or a daemon take seconds each on a loaded 2-core machine; the
    // children themselves are killed by their own timeouts, so a hang still fails, only later.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Most test files spend their time waiting on child processes, sockets and PGlite files, not
    // on the CPU: three at once on two cores took the suite from 13 to 7 minutes (README).
    maxWorkers: 3,
  },
});

import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Most test files spend their time waiting on child processes, sockets and PGlite files, not
    // on the CPU: three at once on two cores took the suite from 13 to 7 minutes (README).
    maxWorkers: 3,
  },
});

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
    // on the CPU: two at once on two cores (vitest's default is one) roughly halves the suite's
    // time (README). Three was faster still but made load-sensitive daemon starts flaky.
    maxWorkers: 2,
  },
});

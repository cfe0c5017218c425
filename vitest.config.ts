import { defineConfig } from 'vitest/config';

// Worker counts are fixed, not derived from the CPU count: CI is a 2-core machine, and in a
// container os.availableParallelism() may report the host's CPUs (vitest would then start one
// worker per host CPU). Unit tests are in-process and short: two at a time. hil-tests start
// brokers, simulators and kedge processes of their own, so one file at a time: two such files
// side by side on 2 cores starve each other's children and make timing-free tests time out.
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'mappers/**/*.test.ts', 'bench/**/*.test.ts'],
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'hil',
          include: ['hil-tests/**/*.test.ts'],
          maxWorkers: 1,
          // Each wait inside a test has its own limit and message; the test as a whole (several
          // process starts of a few seconds each on a loaded machine) gets room for all of them.
          testTimeout: 120_000,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});

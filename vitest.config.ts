import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Socket and nats-server tests bind to port 0 and use temp dirs, so files can run in parallel;
    // two workers match the 2-core machines this project is built and tested on.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});

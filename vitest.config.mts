import { defineConfig } from 'vitest/config';

// TF reads these when the library loads; a worker cannot set them for itself (docs/libtensorflow-facts.md#logging), so the
// config sets them before any test process starts. Users turn logs on with TF_CPP_MIN_LOG_LEVEL=0.
process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
process.env.TF_ENABLE_ONEDNN_OPTS ??= '0';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Loading libtensorflow costs ~0.5 s and ~275 MB per process: few processes, each reused.
    pool: 'forks',
    maxWorkers: 2,
    isolate: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['default', './test/support/count-reporter.ts'],
    // Type tests (*.test-d.ts): tsc checks them against tsconfig.test.json; each is counted as a test.
    typecheck: {
      enabled: true,
      include: ['test/types/**/*.test-d.ts'],
      tsconfig: './tsconfig.test.json',
    },
  },
});

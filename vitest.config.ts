import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';

// bench/ imports the library by its package name; in tests that is the sources (the package's exports point at dist/).
const alias = [
  { find: /^winoconv$/, replacement: fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
  { find: /^winoconv\/node$/, replacement: fileURLToPath(new URL('./src/node/index.ts', import.meta.url)) },
];
// The GPU projects find WebGPU (or install it, as root with apt-get) before their workers start, and set the Vulkan
// environment Dawn needs there: forked workers inherit this process's environment at spawn time.
const gpuSetup = ['test/setup/gpu-global.ts'];

// Two test files at a time even on a 2-core machine: a GPU file spends much of its time in single-threaded JS
// (float64 references, verification) while SwiftShader's threads run another file's dispatches. Measured here:
// the whole suite passed with 2 workers under a load average of 14 (README, "Tests").
const maxWorkers = Math.max(2, Math.min(4, availableParallelism() - 1));

export default defineConfig({
  test: {
    reporters: ['default'],
    maxWorkers,
    projects: [
      {
        resolve: { alias },
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'gpu-node',
          include: ['test/gpu/node.test.ts'],
          environment: 'node',
          pool: 'forks',
          globalSetup: gpuSetup,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'gpu-browser',
          include: ['test/gpu/browser.test.ts'],
          environment: 'node',
          pool: 'forks',
          globalSetup: gpuSetup,
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
      {
        // Whole models through `winoconv onnx-test` (test data generated from ONNX Runtime; libonnx-testdata).
        resolve: { alias },
        test: {
          name: 'models',
          include: ['test/models/**/*.test.ts'],
          environment: 'node',
          pool: 'forks',
          globalSetup: gpuSetup,
          testTimeout: 120_000,
          hookTimeout: 1_800_000,
        },
      },
      {
        // The package as a user gets it: npm pack (the build runs in prepack), installed into a new project.
        resolve: { alias },
        test: {
          name: 'consumer',
          include: ['test/consumer/**/*.test.ts'],
          environment: 'node',
          pool: 'forks',
          globalSetup: gpuSetup,
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
      {
        // The demo pages (demo/*.html) on the demo's Vite dev server, in one headless Chromium (test/demo/pages.test.ts).
        resolve: { alias },
        test: {
          name: 'demo',
          include: ['test/demo/**/*.test.ts'],
          environment: 'node',
          pool: 'forks',
          globalSetup: gpuSetup,
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});

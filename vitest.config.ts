import { defineConfig } from 'vitest/config';
import { vulkanLoaderEnv } from './src/node/vulkan-env.ts';

// Forked test workers inherit this process's environment at spawn time, so a Vulkan loader that is only
// reachable through LD_LIBRARY_PATH (Chromium's bundled libvulkan.so.1) is visible to Dawn in gpu-node.
Object.assign(process.env, vulkanLoaderEnv(process.env));

export default defineConfig({
  test: {
    reporters: process.env.CI ? ['default'] : ['default'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'gpu-node',
          include: ['test/gpu/node.test.ts'],
          environment: 'node',
          pool: 'forks',
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'gpu-browser',
          include: ['test/gpu/browser.test.ts'],
          environment: 'node',
          pool: 'forks',
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});

/**
 * Cases that must NOT pass: the fixture has to turn them into a failure or a skip. The GPU test files run
 * them and assert the fixture's verdict, so a fixture that swallowed errors would be caught.
 */
import type { GpuCase } from '../harness/types.ts';

export const fixtureSelfTests: Record<'validationError' | 'missingFeature' | 'wrongResult', GpuCase> = {
  validationError: {
    name: 'fixture: a validation error fails the case',
    async run(t) {
      // A storage binding of 0 bytes with usage STORAGE but bound as uniform: invalid.
      const buf = t.buffer({ size: 16, usage: GPUBufferUsage.STORAGE });
      const layout = t.device.createBindGroupLayout({ entries: [{ binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform' } }] });
      t.device.createBindGroup({ layout, entries: [{ binding: 0, resource: { buffer: buf } }] });
    },
  },
  missingFeature: {
    name: 'fixture: a missing feature skips the case',
    features: ['winoconv-no-such-feature' as GPUFeatureName],
    async run() {
      throw new Error('must not run');
    },
  },
  wrongResult: {
    name: 'fixture: a thrown mismatch fails the case',
    async run(t) {
      const got = await t.readF32(t.upload(new Float32Array([1, 2, 3, 4])), 4);
      if (got[2] !== 4) throw new Error(`expected 4 at [2], got ${got[2]}`);
    },
  },
};

/**
 * The op kernel generators (src/kernels/ops/*), without a GPU: every variant's WGSL parses with wgsl_reflect and
 * declares exactly its binding/uniform table, IDs differ whenever configs differ, and bad configs are refused.
 */
import { describe, expect, it } from 'vitest';
import { generateConvTransposeKernel } from '../../../src/kernels/ops/conv-transpose.ts';
import { generateCopyKernel, generateGatherKernel, generatePadKernel, type PadMode } from '../../../src/kernels/ops/data-movement.ts';
import { ELEMENTWISE_OPS, type ElementwiseOp, generateElementwiseKernel } from '../../../src/kernels/ops/elementwise.ts';
import { generateMatmulKernel, packMatmulB } from '../../../src/kernels/ops/matmul.ts';
import { generatePoolKernel } from '../../../src/kernels/ops/pool.ts';
import { generateReduceKernel, generateSoftmaxKernel } from '../../../src/kernels/ops/reduce.ts';
import { RESIZE_COORDINATE_MODES, RESIZE_NEAREST_MODES, generateResizeKernel } from '../../../src/kernels/ops/resize.ts';
import { linearWork } from '../../../src/kernels/ops/common.ts';
import { kernelContractMismatches, reflectWgsl } from '../../../src/kernels/reflect.ts';
import type { KernelSource } from '../../../src/kernels/types.ts';

function all(): KernelSource[] {
  const out: KernelSource[] = [];
  for (const op of Object.keys(ELEMENTWISE_OPS) as ElementwiseOp[]) {
    const arity = ELEMENTWISE_OPS[op].arity;
    for (const rank of [0, 1, 4, 6]) {
      const n = arity > 0 ? arity : 3;
      out.push(generateElementwiseKernel({ op, rank, inputs: Array.from({ length: n }, (_, k) => (k === 1 ? 'constant' : 'value')) }));
    }
  }
  out.push(generateElementwiseKernel({ op: 'add', rank: 2, inputs: ['value', 'value'], sources: [0, 0] }));
  out.push(generateElementwiseKernel({ op: 'max', rank: 3, inputs: ['value', 'constant', 'value', 'value'], sources: [0, 1, 0, 3] }));
  for (const rank of [1, 2, 3]) out.push(generateElementwiseKernel({ op: 'affine', rank, inputs: ['value', 'constant', 'constant'], perThread: 4 }));
  out.push(generateElementwiseKernel({ op: 'mul', rank: 2, inputs: ['value', 'value'], sources: [0, 0], perThread: 4 }));
  for (const rank of [1, 2, 3]) out.push(generateElementwiseKernel({ op: 'affine', rank, inputs: ['value', 'constant', 'constant'], vec4: [true, false, true] }));
  out.push(generateElementwiseKernel({ op: 'max', rank: 2, inputs: ['value', 'value', 'value'], sources: [0, 1, 0], vec4: [true, false, true] }));
  for (const rank of [0, 1, 3, 4, 6]) {
    out.push(generateCopyKernel({ rank, input: 'value' }), generateCopyKernel({ rank, input: 'constant' }));
    out.push(generateCopyKernel({ rank, inRank: 6 - rank, input: 'value' }));
    out.push(generateGatherKernel({ rank, input: 'value' }), generateGatherKernel({ rank, input: 'constant' }));
    for (const mode of ['constant', 'reflect', 'edge', 'wrap'] as PadMode[]) out.push(generatePadKernel({ rank, mode, input: 'value' }));
  }
  out.push(generatePoolKernel({ kind: 'max' }), generatePoolKernel({ kind: 'avg' }), generatePoolKernel({ kind: 'avg', countIncludePad: true }));
  for (const op of ['mean', 'sum', 'max'] as const) for (const [r, q] of [[0, 1], [2, 2], [5, 1], [0, 6]]) out.push(generateReduceKernel({ op, outRank: r, redRank: q }));
  for (const [r, q] of [[0, 1], [3, 1], [1, 3]]) out.push(generateSoftmaxKernel({ outRank: r, redRank: q }));
  for (const coordinate of RESIZE_COORDINATE_MODES) {
    out.push(generateResizeKernel({ mode: 'linear', coordinate }));
    for (const nearest of RESIZE_NEAREST_MODES) out.push(generateResizeKernel({ mode: 'nearest', coordinate, nearest }));
  }
  for (const tm of [1, 4] as const) {
    for (const batchRank of [0, 1, 4]) {
      out.push(generateMatmulKernel({ tm, batchRank, a: 'value', b: 'constant', bias: 'none' }));
      out.push(generateMatmulKernel({ tm, batchRank, a: 'value', b: 'value', bias: 'constant' }));
      out.push(generateMatmulKernel({ tm, batchRank, a: 'constant', b: 'value', bias: 'value' }));
    }
  }
  for (const tm of [1, 4] as const) {
    for (const tn of [4, 8] as const) {
      out.push(generateMatmulKernel({ tm, tn, batchRank: 0, a: 'value', b: 'constant', bias: 'constant', packedB: true }));
      out.push(generateMatmulKernel({ tm, tn, batchRank: 2, a: 'value', b: 'value', bias: 'none' }));
    }
  }
  out.push(generateConvTransposeKernel({ bias: false }), generateConvTransposeKernel({ bias: true }));
  return out;
}

const KERNELS = all();

describe('op kernel generators', () => {
  it.each(KERNELS.map((k) => [k.id, k] as const))('%s declares exactly its binding table', (_, k) => {
    expect(kernelContractMismatches(k)).toEqual([]);
    const r = reflectWgsl(k.code);
    expect(r.entryPoints).toEqual([k.entryPoint]);
    expect(k.code.startsWith(`// ${k.id}\n// `)).toBe(true);
    expect(k.code).toMatch(/Dispatch: /);
    // arena values read_write, constants read-only, and nothing else but the uniform
    for (const b of k.bindings) {
      if (b.kind === 'uniform') expect(b.name).toBe('params');
      else if (['weight', 'bias', 'idx'].includes(b.name)) expect(b.kind).toBe('read-only-storage');
      else if (['out', 'mat_c'].includes(b.name)) expect(b.kind).toBe('storage');
    }
  });

  it('IDs are distinct across distinct configs', () => {
    const byId = new Map<string, string>();
    for (const k of KERNELS) {
      const prev = byId.get(k.id);
      if (prev !== undefined) expect(k.code, k.id).toBe(prev);
      byId.set(k.id, k.code);
    }
    expect(byId.size).toBeGreaterThan(200);
  });

  it('an operand bound twice is one binding', () => {
    const k = generateElementwiseKernel({ op: 'add', rank: 2, inputs: ['value', 'value'], sources: [0, 0] });
    expect(k.bindings.map((b) => b.name)).toEqual(['params', 'in0', 'out']);
    expect(k.code).toContain('let x1 = in0[');
  });

  it('refuses bad configs, naming what is wrong', () => {
    expect(() => generateElementwiseKernel({ op: 'add', rank: 2, inputs: ['value'] })).toThrow(/1 inputs, expected 2/);
    expect(() => generateElementwiseKernel({ op: 'relu', rank: 7, inputs: ['value'] })).toThrow(/rank 7/);
    expect(() => generateElementwiseKernel({ op: 'relu', rank: 0, inputs: ['value'], perThread: 4 })).toThrow(/perThread 4/);
    expect(() => generateElementwiseKernel({ op: 'relu', rank: 1, inputs: ['value'], perThread: 0 })).toThrow(/perThread 0/);
    expect(() => generateElementwiseKernel({ op: 'add', rank: 2, inputs: ['value', 'value'], sources: [0, 0], vec4: [true, false] })).toThrow(/vec4/);
    expect(() => generateElementwiseKernel({ op: 'relu', rank: 0, inputs: ['value'], vec4: [true] })).toThrow(/vec4/);
    expect(() => generateElementwiseKernel({ op: 'add', rank: 2, inputs: ['value', 'constant'], sources: [0, 0] })).toThrow(/sources/);
    expect(() => generateMatmulKernel({ tm: 2 as 4, batchRank: 0, a: 'value', b: 'value', bias: 'none' })).toThrow(/tm 2/);
    expect(() => generateMatmulKernel({ tm: 4, batchRank: 0, a: 'value', b: 'value', bias: 'none', packedB: true })).toThrow(/packedB needs a constant B/);
    expect(() => generateMatmulKernel({ tm: 4, tn: 6 as 8, batchRank: 0, a: 'value', b: 'value', bias: 'none' })).toThrow(/tn 6/);
    expect(() => generateMatmulKernel({ tm: 4, batchRank: 5, a: 'value', b: 'value', bias: 'none' })).toThrow(/batchRank 5/);
  });

  it('packMatmulB packs B(k, n) as zero-padded vec4 rows', () => {
    // B as [N, K] (transB): B(k, n) = b[n · K + k]
    const b = [1, 2, 3, 4, 5, 6]; // N = 2, K = 3
    expect([...packMatmulB(b, 3, 2, 1, 3)]).toEqual([1, 4, 0, 0, 2, 5, 0, 0, 3, 6, 0, 0]);
    // columns 1.. only, padded to 8
    expect([...packMatmulB(b, 3, 1, 1, 3, 1, 8)]).toEqual([4, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('linearWork splits over y within the limit and covers every invocation', () => {
    for (const [total, max] of [[1, 65535], [64 * 65535 + 1, 65535], [500, 3], [3000, 7]]) {
      const w = linearWork(total, max);
      expect(w.workgroups[0]).toBeLessThanOrEqual(max);
      expect(w.workgroups[1]).toBeLessThanOrEqual(max);
      expect(w.workgroups[0] * w.workgroups[1] * 64).toBeGreaterThanOrEqual(total);
      expect(w.uniforms.pitch).toBe(w.workgroups[0] * 64);
    }
    expect(() => linearWork(64 * 9 + 1, 3)).toThrow(/exceeds/);
  });
});

/**
 * The 8-bit op kernel generators (src/kernels/ops/quant.ts), without a GPU: every variant's WGSL parses with
 * wgsl_reflect and declares exactly its binding/uniform table, IDs are derived from the config (distinct configs,
 * distinct IDs; equal configs, equal kernels), bad configs and bad call parameters are refused with the parameter
 * named, and the dispatch helpers size the work (one invocation per output word, y-split).
 */
import { describe, expect, it } from 'vitest';
import {
  type ByteDType, DQ_MAX_GROUPS, byteConcatDispatch, byteMapDispatch, generateByteConcatKernel, dequantizeLinearDispatch, dynamicQuantizeDispatches, generateByteCopyKernel, generateDequantizeLinearKernel,
  generateDynamicQuantizeKernels, generateMaxPoolI8Kernel, generateQLinearBinaryKernel, generateQLinearGlobalAveragePoolKernel, generateQLinearLutKernel,
  generateQuantizeLinearKernel, maxPoolI8Dispatch, packAxisParams, packLutTable, qlinearBinaryDispatch, qlinearGapDispatch, quantizeLinearDispatch,
} from '../../../../src/kernels/ops/quant.ts';
import { kernelContractMismatches, reflectWgsl } from '../../../../src/kernels/reflect.ts';
import type { KernelSource } from '../../../../src/kernels/types.ts';

const DT: ByteDType[] = ['int8', 'uint8'];

function all(): KernelSource[] {
  const out: KernelSource[] = [];
  for (const rank of [0, 1, 4, 6]) {
    for (const dtype of DT) {
      for (const params of ['tensor', 'axis', 'buffer'] as const) out.push(generateQuantizeLinearKernel({ rank, dtype, params, input: 'value' }));
      out.push(generateQLinearBinaryKernel({ op: 'add', rank, dtype, inputs: ['value', 'constant'] }));
      out.push(generateQLinearBinaryKernel({ op: 'mul', rank, dtype, inputs: ['value', 'value'] }));
    }
    out.push(generateQuantizeLinearKernel({ rank, dtype: 'int8', params: 'tensor', input: 'constant' }));
    for (const dtype of ['int8', 'uint8', 'int32'] as const) {
      for (const params of ['tensor', 'axis'] as const) out.push(generateDequantizeLinearKernel({ rank, dtype, params, input: 'value' }));
    }
    out.push(generateDequantizeLinearKernel({ rank, dtype: 'int8', params: 'axis', input: 'constant' }));
    for (const dtype of DT) out.push(generateDequantizeLinearKernel({ rank, dtype, params: 'buffer', input: 'value' }));
    const d = generateDynamicQuantizeKernels({ rank, input: 'value' });
    out.push(d.reduce);
    expect(d.quantize).toEqual(generateQuantizeLinearKernel({ rank, dtype: 'uint8', params: 'buffer', input: 'value' }));
    out.push(generateQLinearLutKernel({ rank, input: 'value' }), generateByteCopyKernel({ rank, input: 'value' }), generateByteCopyKernel({ rank, input: 'constant' }));
  }
  out.push(generateDynamicQuantizeKernels({ rank: 2, input: 'value' }).finish);
  for (const [rank, axis] of [[1, 0], [4, 1], [4, 3], [6, 5]]) {
    out.push(generateByteConcatKernel({ rank, axis, inputs: ['value', 'constant', 'value'] }));
    out.push(generateByteConcatKernel({ rank, axis, inputs: ['value', 'value'], tables: [true, false] }));
  }
  out.push(generateByteConcatKernel({ rank: 2, axis: 1, inputs: Array.from({ length: 8 }, () => 'value' as const) }));
  out.push(generateQLinearBinaryKernel({ op: 'add', rank: 2, dtype: 'uint8', inputs: ['value', 'value'], sameInput: true }));
  for (const dtype of DT) {
    out.push(generateQLinearGlobalAveragePoolKernel({ dtype, input: 'value' }), generateMaxPoolI8Kernel({ dtype, input: 'value' }));
  }
  return out;
}

describe('8-bit op kernels (src/kernels/ops/quant.ts)', () => {
  const kernels = all();
  it('every variant parses and matches its binding/uniform contract', () => {
    for (const k of kernels) {
      expect(() => reflectWgsl(k.code), k.id).not.toThrow();
      expect(kernelContractMismatches(k), k.id).toEqual([]);
      expect(k.code.startsWith(`// ${k.id}\n`), k.id).toBe(true);
    }
  });
  it('every helper function a kernel calls is defined in it (wgsl_reflect does not resolve calls)', () => {
    for (const k of kernels) {
      const called = new Set([...k.code.matchAll(/\b(read_\w+|div_rne|rne_shift|i32_to_f32_rne|no_contract|quantize_f32|byte_at)\(/g)].map((m) => m[1]));
      for (const f of called) expect(k.code, `${k.id} calls ${f}`).toContain(`fn ${f}(`);
    }
  });
  it('IDs are unique per config and stable', () => {
    const ids = kernels.map((k) => k.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(generateQuantizeLinearKernel({ rank: 3, dtype: 'int8', params: 'axis', input: 'value' })).toEqual(generateQuantizeLinearKernel({ rank: 3, dtype: 'int8', params: 'axis', input: 'value' }));
    expect(generateQuantizeLinearKernel({ rank: 3, dtype: 'int8', params: 'axis', input: 'value' }).id).toBe('q_quantize_int8_r3_v_ax');
    expect(generateDynamicQuantizeKernels({ rank: 2, input: 'value' }).quantize.id).toBe('q_quantize_uint8_r2_v_buf');
  });
  it('8-bit outputs are written one whole word per invocation, never bytewise or atomically', () => {
    for (const k of kernels) {
      if (!k.bindings.some((b) => b.name === 'out') || !/out: array<u32>/.test(k.code)) continue;
      expect(k.code, k.id).toContain('out[params.obase + i] = word;');
      expect(k.code, k.id).not.toMatch(/atomic/);
    }
  });
  it('refuses bad configs, naming the parameter', () => {
    expect(() => generateQuantizeLinearKernel({ rank: 7, dtype: 'int8', params: 'tensor', input: 'value' })).toThrow(/rank 7/);
    expect(() => generateQuantizeLinearKernel({ rank: 2, dtype: 'int16' as ByteDType, params: 'tensor', input: 'value' })).toThrow(/dtype 'int16'/);
    expect(() => generateDequantizeLinearKernel({ rank: 2, dtype: 'int32', params: 'buffer', input: 'value' })).toThrow(/params 'buffer'/);
    expect(() => generateQLinearBinaryKernel({ op: 'sub' as 'add', rank: 2, dtype: 'int8', inputs: ['value', 'value'] })).toThrow(/op 'sub'/);
    expect(() => generateQLinearBinaryKernel({ op: 'add', rank: 2, dtype: 'int8', inputs: ['value', 'constant'], sameInput: true })).toThrow(/sameInput/);
    expect(() => generateByteConcatKernel({ rank: 2, axis: 2, inputs: ['value'] })).toThrow(/axis 2/);
    expect(() => generateByteConcatKernel({ rank: 2, axis: 0, inputs: Array.from({ length: 9 }, () => 'value' as const) })).toThrow(/9 inputs/);
    expect(() => generateByteConcatKernel({ rank: 2, axis: 0, inputs: ['value', 'value'], tables: [true] })).toThrow(/tables has 1 flags/);
  });
});

describe('8-bit op dispatch helpers', () => {
  const q = { rank: 2, dtype: 'int8' as const, params: 'tensor' as const, input: 'value' as const };
  it('one invocation per output word, y-split past the per-dimension limit', () => {
    const d = quantizeLinearDispatch(q, { shape: [3, 7], inStrides: [7, 1], scale: 0.5, zeroPoint: -3, outWord: 5 }, 65535);
    expect(d.uniforms).toMatchObject({ total: 6, count: 21, obase: 5, os0: 3, os1: 7, ist0: 7, ist1: 1, ibase: 0, scale: 0.5, zp: -3 });
    expect(d.workgroups).toEqual([1, 1, 1]);
    const big = quantizeLinearDispatch(q, { shape: [1000, 1001], inStrides: [1001, 1], scale: 1, zeroPoint: 0 }, 100);
    expect(big.workgroups[1]).toBeGreaterThan(1);
    expect(big.workgroups[0] * big.workgroups[1] * 64).toBeGreaterThanOrEqual(250250);
  });
  it('per-axis uniforms and the parameter constant', () => {
    const d = quantizeLinearDispatch({ ...q, params: 'axis' }, { shape: [2, 3], inStrides: [3, 1], axis: 0 }, 65535);
    expect(d.uniforms).toMatchObject({ adim: 2, astride: 3 });
    expect(Array.from(packAxisParams([0.5, 2], [-3, 4], 'int8'))).toEqual([0.5, -3, 2, 4]);
    expect(() => quantizeLinearDispatch({ ...q, params: 'axis' }, { shape: [2, 3], inStrides: [3, 1], axis: 2 }, 65535)).toThrow(/axis 2/);
  });
  it('refuses bad scales, zero points, views and tables', () => {
    expect(() => quantizeLinearDispatch(q, { shape: [2], inStrides: [1], scale: 0, zeroPoint: 0 }, 65535)).toThrow(/rank 2/);
    expect(() => quantizeLinearDispatch(q, { shape: [2, 1], inStrides: [1, 1], scale: 0, zeroPoint: 0 }, 65535)).toThrow(/scale\[0\] = 0/);
    expect(() => quantizeLinearDispatch(q, { shape: [2, 1], inStrides: [1, 1], scale: 1, zeroPoint: 128 }, 65535)).toThrow(/zero_point\[0\] = 128.*int8/);
    expect(() => packAxisParams([1, 1], [0], 'uint8')).toThrow(/zero_point has 1 elements, scale has 2/);
    expect(() => packAxisParams([1, -2], [0, 0], 'uint8')).toThrow(/scale\[1\] = -2/);
    expect(() => dequantizeLinearDispatch({ rank: 1, dtype: 'uint8', params: 'tensor', input: 'value' }, { shape: [4], inStrides: [1], outStrides: [1], scale: 1, zeroPoint: -1 }, 65535)).toThrow(/zero_point\[0\] = -1/);
    expect(() => packLutTable(new Array(255).fill(0))).toThrow(/255 entries/);
    expect(() => packLutTable(new Array(256).fill(256))).toThrow(/entry 0 = 256/);
    expect(() => maxPoolI8Dispatch({ dtype: 'int8', input: 'value' }, { shape: [1, 1, 4, 4], inStrides: [16, 16, 4, 1], out: [2, 2], kernel: [2, 0], strides: [1, 1], dilations: [1, 1], pads: [0, 0] }, 65535)).toThrow(/kernel \[2, 0\]/);
    expect(() => qlinearGapDispatch({ dtype: 'uint8', input: 'value' }, { shape: [1, 2, 3, 3], inStrides: [18, 9, 3, 1], x: { scale: 1e-30, zeroPoint: 0 }, y: { scale: 1e30, zeroPoint: 0 } }, 65535)).toThrow(/must be a finite float32 > 0/);
  });
  it('DynamicQuantizeLinear: bounded partial count, scale and zero point offsets passed on', () => {
    const d = dynamicQuantizeDispatches({ rank: 1, input: 'value' }, { shape: [10_000_000], inStrides: [1], scaleBase: 3, zpWord: 2, outWord: 1 }, 65535);
    expect(d.reduce.workgroups[0]).toBe(DQ_MAX_GROUPS);
    expect(d.partialBytes).toBe(DQ_MAX_GROUPS * 8);
    expect(d.finish.uniforms).toEqual({ groups: DQ_MAX_GROUPS, sbase: 3, zword: 2 });
    expect(d.quantize.uniforms).toMatchObject({ sbase: 3, zoff: 8, obase: 1, count: 10_000_000 });
    expect(dynamicQuantizeDispatches({ rank: 0, input: 'value' }, { shape: [], inStrides: [] }, 65535).reduce.workgroups).toEqual([1, 1, 1]);
  });
  it('concat: cumulative extents along the axis, shapes checked', () => {
    const cfg = { rank: 3, axis: 1, inputs: ['value', 'value'] as ('value' | 'constant')[] };
    const d = byteConcatDispatch(cfg, { inputs: [{ shape: [2, 3, 5], strides: [15, 5, 1] }, { shape: [2, 1, 5], strides: [5, 5, 1], base: 2 }] }, 65535);
    expect(d.uniforms).toMatchObject({ count: 40, total: 10, os1: 4, i0end: 3, i1end: 4, i1base: 2 });
    expect(() => byteConcatDispatch(cfg, { inputs: [{ shape: [2, 3, 5], strides: [15, 5, 1] }, { shape: [2, 1, 4], strides: [4, 4, 1] }] }, 65535)).toThrow(/input 1 has shape \[2, 1, 4\]/);
  });
  it('binary, table and copy calls', () => {
    const b = qlinearBinaryDispatch({ op: 'add', rank: 2, dtype: 'uint8', inputs: ['value', 'value'] }, { shape: [2, 3], a: { strides: [3, 1], scale: 0.5, zeroPoint: 3 }, b: { strides: [0, 1], scale: 0.25, zeroPoint: 7 }, c: { scale: 1, zeroPoint: 9 } }, 65535);
    expect(b.uniforms).toMatchObject({ count: 6, total: 2, sa: 0.5, za: 3, sb: 0.25, zb: 7, sc: 1, zc: 9, zero: 0, bst0: 0 });
    expect(byteMapDispatch({ rank: 1, input: 'value' }, { shape: [9], inStrides: [-1], inBase: 8 }, 65535).uniforms).toMatchObject({ total: 3, count: 9, ibase: 8, ist0: -1 });
  });
});

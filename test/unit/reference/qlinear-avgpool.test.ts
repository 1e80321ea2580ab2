/**
 * qlinearAveragePoolRef (src/reference/quant-ops.ts) against ONNX Runtime's com.microsoft QLinearAveragePool
 * (onnxruntime-web's wasm backend, Node): every output byte equal, on seeded full-range 8-bit inputs, with scale
 * pairs that put many averages on float ties (the same x and y scale: the sum of 4 over 4 lands on .5 often).
 */
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { attr, writeOnnx } from '../../../src/graph/onnx-writer.ts';
import { qlinearAveragePoolRef } from '../../../src/reference/quant-ops.ts';
import { mulberry32 } from '../../../src/util/random.ts';

ort.env.wasm.numThreads = 1;
ort.env.logLevel = 'error';

type Case = { dtype: 'uint8' | 'int8'; shape: [number, number, number, number]; kernel: [number, number]; strides: [number, number]; pads: [number, number, number, number]; ceil?: boolean; includePad?: boolean; xq: { scale: number; zeroPoint: number }; yq: { scale: number; zeroPoint: number } };

const CASES: Case[] = [
  { dtype: 'uint8', shape: [1, 3, 8, 10], kernel: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0], xq: { scale: 0.0371, zeroPoint: 131 }, yq: { scale: 0.0371, zeroPoint: 131 } },
  { dtype: 'uint8', shape: [2, 2, 7, 9], kernel: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1], xq: { scale: 0.02, zeroPoint: 7 }, yq: { scale: 0.015, zeroPoint: 3 } },
  { dtype: 'int8', shape: [1, 4, 9, 6], kernel: [3, 2], strides: [2, 1], pads: [1, 0, 1, 1], includePad: true, xq: { scale: 0.5, zeroPoint: -3 }, yq: { scale: 0.25, zeroPoint: 5 } },
  { dtype: 'int8', shape: [1, 2, 7, 7], kernel: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0], ceil: true, xq: { scale: 0.1, zeroPoint: 0 }, yq: { scale: 0.1, zeroPoint: 1 } },
];

function outSize(i: number, k: number, s: number, p0: number, p1: number, ceil: boolean): number {
  const v = (i + p0 + p1 - k) / s;
  return (ceil ? Math.ceil(v) : Math.floor(v)) + 1;
}

describe('qlinearAveragePoolRef', () => {
  it.each(CASES.map((c, i) => [i, c] as const))('equals ONNX Runtime\'s QLinearAveragePool, case %i', async (k, c) => {
    const rng = mulberry32(40 + k);
    const n = c.shape.reduce((a, b) => a * b, 1);
    const x = c.dtype === 'uint8' ? Uint8Array.from({ length: n }, () => Math.floor(rng() * 256)) : Int8Array.from({ length: n }, () => Math.floor(rng() * 256) - 128);
    const zp = (v: number) => ({ name: '', dtype: c.dtype, dims: [], data: c.dtype === 'uint8' ? Uint8Array.of(v) : Int8Array.of(v) });
    const model = writeOnnx({
      opset: { '': 13, 'com.microsoft': 1 },
      inputs: [{ name: 'x', dtype: c.dtype, shape: c.shape }],
      outputs: [{ name: 'y', dtype: c.dtype, shape: undefined }],
      initializers: [
        { name: 'xs', dtype: 'float32', dims: [], data: Float32Array.of(c.xq.scale) }, { ...zp(c.xq.zeroPoint), name: 'xz' },
        { name: 'ys', dtype: 'float32', dims: [], data: Float32Array.of(c.yq.scale) }, { ...zp(c.yq.zeroPoint), name: 'yz' },
      ],
      nodes: [{
        opType: 'QLinearAveragePool', domain: 'com.microsoft', inputs: ['x', 'xs', 'xz', 'ys', 'yz'], outputs: ['y'],
        attributes: { kernel_shape: attr.ints(c.kernel), strides: attr.ints(c.strides), pads: attr.ints(c.pads), ceil_mode: attr.int(c.ceil ? 1 : 0), count_include_pad: attr.int(c.includePad ? 1 : 0) },
      }],
    });
    const s = await ort.InferenceSession.create(model, { executionProviders: ['wasm'] });
    const r = (await s.run({ x: new ort.Tensor(c.dtype, x, c.shape) })).y;
    await s.release();
    const out: [number, number] = [outSize(c.shape[2], c.kernel[0], c.strides[0], c.pads[0], c.pads[2], !!c.ceil), outSize(c.shape[3], c.kernel[1], c.strides[1], c.pads[1], c.pads[3], !!c.ceil)];
    expect(r.dims.slice(2)).toEqual(out);
    const want = qlinearAveragePoolRef(x, c.shape, { kernel: c.kernel, strides: c.strides, pads: c.pads, dilations: [1, 1], out, countIncludePad: c.includePad }, c.xq, c.yq, c.dtype);
    expect(Array.from(r.data as ArrayLike<number>)).toEqual(Array.from(want));
  });
});

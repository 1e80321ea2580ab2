/**
 * The repo's own conformance cases (`test/conformance/cases/*.json`, the schema of ../shared/conformance/SCHEMA.md),
 * written by `npm run conformance:cases`: float16 ONNX Conv models (float16 input, weights, bias and output) whose
 * expected outputs ONNX Runtime computes on the CPU (onnxruntime-web's wasm backend in Node, one thread, graph
 * optimization 'basic'; its CPU EP runs a float16 Conv in float32 between Casts and rounds the output to float16).
 * Seeded: the same files every time. Data are the exact decimal values of the binary16 numbers.
 *
 *   npx tsx scripts/make-conformance-cases.ts [--out DIR]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { attr, writeOnnx } from '../src/graph/onnx-writer.ts';
import { runOrt } from '../src/node/ort-runner.ts';
import { f16Bits, f16Value } from '../src/util/float16.ts';
import { mulberry32 } from '../src/util/random.ts';
import { convOutputDim } from '../src/conv/geometry.ts';

const { values } = parseArgs({ options: { out: { type: 'string' } } });
const OUT = path.resolve(values.out ?? 'test/conformance/cases');

interface Spec {
  id: string;
  n: number;
  c: number;
  o: number;
  h: number;
  w: number;
  k: [number, number];
  strides?: [number, number];
  pads?: [number, number, number, number];
  dilations?: [number, number];
  group?: number;
  bias?: boolean;
  /** What the case exercises (written to `notes`). */
  why: string;
}

const SPECS: Spec[] = [
  { id: 'winoconv_fp16_conv3x3_pad1_c8_k12_11x13_bias', n: 2, c: 8, o: 12, h: 11, w: 13, k: [3, 3], pads: [1, 1, 1, 1], bias: true, why: '3×3 stride 1: Winograd F(4×4) (alt points) or F(2×2) in auto, partial tiles on both edges' },
  { id: 'winoconv_fp16_conv3x3_c64_k16_10x10_bias', n: 1, c: 64, o: 16, h: 10, w: 10, k: [3, 3], pads: [1, 1, 1, 1], bias: true, why: 'wide 3×3: F(4×4) in float16 with 576 terms per output' },
  { id: 'winoconv_fp16_conv3x3_c13_k7_9x10_asympad', n: 1, c: 13, o: 7, h: 9, w: 10, k: [3, 3], pads: [0, 2, 1, 0], why: 'channels not multiples of 4 (scalar f16 stores, halves of a word owned by two invocations), asymmetric pads' },
  { id: 'winoconv_fp16_conv5x5_s2_c6_k8_13x11', n: 1, c: 6, o: 8, h: 13, w: 11, k: [5, 5], strides: [2, 2], pads: [2, 2, 2, 2], bias: true, why: '5×5 stride 2: im2col or direct' },
  { id: 'winoconv_fp16_conv3x3_d2_g2_c8_k6_10x9', n: 2, c: 8, o: 6, h: 10, w: 9, k: [3, 3], dilations: [2, 2], pads: [2, 2, 2, 2], group: 2, why: 'dilation 2, groups 2' },
  { id: 'winoconv_fp16_depthwise3x3_c12_8x7', n: 1, c: 12, o: 12, h: 8, w: 7, k: [3, 3], pads: [1, 1, 1, 1], group: 12, bias: true, why: 'depthwise: the dedicated depthwise kernel' },
  { id: 'winoconv_fp16_conv1x1_c16_k24_7x5_bias', n: 1, c: 16, o: 24, h: 7, w: 5, k: [1, 1], bias: true, why: '1×1 stride 1: a plain GEMM' },
  { id: 'winoconv_fp16_conv3x1_c4_k5_9x6', n: 1, c: 4, o: 5, h: 9, w: 6, k: [3, 1], pads: [1, 0, 1, 0], why: 'non-square kernel, odd output channel count' },
];

/** Seeded values in [-1, 1) (scaled by `scale`) rounded to binary16: their bit patterns. */
function halves(count: number, rng: () => number, scale = 1): Uint16Array {
  return Uint16Array.from({ length: count }, () => f16Bits((rng() * 2 - 1) * scale));
}

const decimals = (h: Uint16Array) => Array.from(h, f16Value);

mkdirSync(OUT, { recursive: true });
for (const [i, s] of SPECS.entries()) {
  const rng = mulberry32(0xf16 + i);
  const group = s.group ?? 1;
  const strides = s.strides ?? [1, 1];
  const pads = s.pads ?? [0, 0, 0, 0];
  const dil = s.dilations ?? [1, 1];
  const cg = s.c / group;
  const oh = convOutputDim(s.h, s.k[0], strides[0], dil[0], pads[0], pads[2]);
  const ow = convOutputDim(s.w, s.k[1], strides[1], dil[1], pads[1], pads[3]);
  const x = halves(s.n * s.c * s.h * s.w, rng);
  // Weights scaled by 1/√fan-in, as a trained layer's: outputs stay O(1), well inside float16's range.
  const wgt = halves(s.o * cg * s.k[0] * s.k[1], rng, 1 / Math.sqrt(cg * s.k[0] * s.k[1]));
  const b = s.bias ? halves(s.o, rng, 0.5) : undefined;
  const model = writeOnnx({
    name: s.id,
    opset: 17,
    inputs: [{ name: 'x', dtype: 'float16', shape: [s.n, s.c, s.h, s.w] }],
    outputs: [{ name: 'y', dtype: 'float16', shape: [s.n, s.o, oh, ow] }],
    initializers: [
      { name: 'W', dtype: 'float16', dims: [s.o, cg, s.k[0], s.k[1]], data: wgt },
      ...(b ? [{ name: 'B', dtype: 'float16' as const, dims: [s.o], data: b }] : []),
    ],
    nodes: [{
      opType: 'Conv', inputs: b ? ['x', 'W', 'B'] : ['x', 'W'], outputs: ['y'],
      attributes: { kernel_shape: attr.ints(s.k), strides: attr.ints(strides), pads: attr.ints([pads[0], pads[1], pads[2], pads[3]]), dilations: attr.ints(dil), group: attr.int(group) },
    }],
  });
  const r = await runOrt(model, { x: { name: 'x', dtype: 'float16', dims: [s.n, s.c, s.h, s.w], data: x } });
  const y = r.outputs[0];
  if (y.dtype !== 'float16') throw new Error(`${s.id}: ONNX Runtime returned ${y.dtype}, expected float16`);
  // max_abs_dot: the largest Σ|x·w| + |b| over the outputs (the error scale of SCHEMA.md's tolerance suggestion).
  const xv = decimals(x);
  const wv = decimals(wgt);
  const bv = b ? decimals(b) : undefined;
  let maxAbsDot = 0;
  for (let n = 0; n < s.n; n++) for (let o = 0; o < s.o; o++) for (let yy = 0; yy < oh; yy++) for (let xx = 0; xx < ow; xx++) {
    const g0 = Math.floor(o / (s.o / group)) * cg;
    let sum = bv ? Math.abs(bv[o]) : 0;
    for (let c = 0; c < cg; c++) for (let ky = 0; ky < s.k[0]; ky++) for (let kx = 0; kx < s.k[1]; kx++) {
      const iy = yy * strides[0] + ky * dil[0] - pads[0];
      const ix = xx * strides[1] + kx * dil[1] - pads[1];
      if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w) continue;
      sum += Math.abs(xv[((n * s.c + g0 + c) * s.h + iy) * s.w + ix] * wv[((o * cg + c) * s.k[0] + ky) * s.k[1] + kx]);
    }
    maxAbsDot = Math.max(maxAbsDot, sum);
  }
  const json = {
    id: s.id,
    source: {
      repo: 'winoconv',
      path: 'scripts/make-conformance-cases.ts',
      expected_computed_by: 'ONNX Runtime CPU kernels (onnxruntime-web wasm in Node, one thread, graph optimization basic) on the float16 model',
      onnx_op: 'Conv',
      opset: [{ domain: '', version: 17 }],
      onnx_attributes: { kernel_shape: s.k, strides, pads: [pads[0], pads[1], pads[2], pads[3]], dilations: dil, group },
    },
    op: 'conv',
    layout: 'NCHW',
    input: { name: 'x', shape: [s.n, s.c, s.h, s.w], dtype: 'float16', data: xv },
    weight: { name: 'W', shape: [s.o, cg, s.k[0], s.k[1]], dtype: 'float16', layout: 'OIHW', data: wv },
    ...(bv ? { bias: { name: 'B', shape: [s.o], dtype: 'float16', data: bv, broadcast: 'channel' } } : {}),
    strides,
    pads,
    dilations: dil,
    group,
    auto_pad: 'NOTSET',
    activation: { type: 'linear' },
    expected: { shape: [s.n, s.o, oh, ow], dtype: 'float16', data: decimals(y.data as Uint16Array) },
    tolerance: {
      rule: '|got - expected| <= atol + rtol * |expected|, elementwise',
      max_abs_dot: Number(maxAbsDot.toPrecision(6)),
      fp32: { atol: Math.max(1e-5 * maxAbsDot, 1e-6), rtol: 1e-4 },
      fp16: { atol: Math.max(2e-3 * maxAbsDot, 1e-3), rtol: 1e-2, note: 'inputs/weights rounded to fp16, fp32 accumulation (SCHEMA.md)' },
    },
    notes: [s.why],
    summary: `conv NCHW x[${[s.n, s.c, s.h, s.w]}] float16 w[${[s.o, cg, ...s.k]}] OIHW s=${strides} d=${dil} g=${group} pads(t,l,b,r)=${pads}${bv ? ' bias' : ''} -> y[${[s.n, s.o, oh, ow]}] float16`,
  };
  const file = path.join(OUT, `${s.id}.json`);
  writeFileSync(file, `${JSON.stringify(json)}\n`);
  console.log(`${file}: ${s.n * s.o * oh * ow} outputs, max_abs_dot ${maxAbsDot.toFixed(3)}`);
}
process.exit(0);

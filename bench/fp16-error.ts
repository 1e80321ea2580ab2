/**
 * `npx tsx bench/fp16-error.ts [--c C] [--size N] [--seeds K]`: what fp16 storage costs each Winograd variant, on the
 * CPU (issue 14, point 4: tolerances from measurement). For a 3×3 layer (C → C channels, N×N, pad 1, ReLU-like input
 * in [0, 1), weights ~ U(−1, 1)/√(9C)), the staged Winograd reference (src/quant/winograd-stages.ts, 'f32': every
 * operation rounded to float32) runs twice: with float32 storage, and with float16 storage of the input, the weights,
 * the transformed operands U and V and the output (float32 arithmetic, what `pack2x16float` storage gives). Reported:
 * max |y − ref| / max |ref| against the float64 direct convolution of the unrounded data (the engine's relative error),
 * and, for scale, the direct convolution with the same float16 input/weight/output rounding. Pure CPU, no GPU.
 */
import { parseArgs } from 'node:util';
import { conv2dReference } from '../src/reference/conv2d.ts';
import { winogradFilterTransform, winogradInputTransform, winogradOutputTransform, winogradTapProducts, type WinogradConvShape } from '../src/quant/winograd-stages.ts';
import { cookToom } from '../src/winograd/cook-toom.ts';
import { winograd2D } from '../src/winograd/winograd-2d.ts';
import type { Winograd2D } from '../src/winograd/types.ts';
import { mulberry32 } from '../src/util/random.ts';
import { roundF16 } from '../src/util/float16.ts';

const { values } = parseArgs({ options: { c: { type: 'string' }, size: { type: 'string' }, seeds: { type: 'string' } } });
const C = Number(values.c ?? 32);
const N = Number(values.size ?? 24);
const SEEDS = Number(values.seeds ?? 3);

const r16 = (a: ArrayLike<number>) => Float64Array.from(a, roundF16);

function side(m: number, points: string[]) {
  return cookToom(m, 3, points);
}
const sq = (m: number, points: string[]) => winograd2D(side(m, points), side(m, points));
/** Finite interpolation points (the point at infinity is always added). */
const ALGOS: { name: string; algo: Winograd2D }[] = [
  { name: 'F(2x2,3x3) {0, ±1, ∞}', algo: sq(2, ['0', '1', '-1']) },
  { name: 'F(4x4,3x3) {0, ±1, ±2, ∞} (default)', algo: sq(4, ['0', '1', '-1', '2', '-2']) },
  { name: 'F(4x4,3x3) {0, ±1, 1/2, −2, ∞} (alt)', algo: sq(4, ['0', '1', '-1', '1/2', '-2']) },
  { name: 'F(4x4,3x3) {0, ±1, ±1/2, ∞}', algo: sq(4, ['0', '1', '-1', '1/2', '-1/2']) },
  { name: 'F(4x4,3x3) {0, ±1, 1/2, 2, ∞}', algo: sq(4, ['0', '1', '-1', '1/2', '2']) },
  { name: 'F(6x6,3x3) {0, ±1, ±2, ±1/2, ∞}', algo: sq(6, ['0', '1', '-1', '2', '-2', '1/2', '-1/2']) },
];

const shape: WinogradConvShape = { batch: 1, inHeight: N, inWidth: N, inChannels: C, outChannels: C, pads: [1, 1, 1, 1] };
const geom = { batch: 1, inChannels: C, outChannels: C, inHeight: N, inWidth: N, kernelH: 3, kernelW: 3, strides: [1, 1] as [number, number], pads: [1, 1, 1, 1] as [number, number, number, number], dilations: [1, 1] as [number, number], groups: 1 };
const relErr = (y: ArrayLike<number>, ref: ArrayLike<number>) => {
  let e = 0;
  let m = 0;
  for (let i = 0; i < ref.length; i++) {
    e = Math.max(e, Math.abs(y[i] - ref[i]));
    m = Math.max(m, Math.abs(ref[i]));
  }
  return e / m;
};
function stages(algo: Winograd2D, x: ArrayLike<number>, w: ArrayLike<number>, f16: boolean): Float64Array {
  const q = f16 ? r16 : (a: ArrayLike<number>) => Float64Array.from(a);
  let U = winogradFilterTransform(algo, q(w), C, C, 'f32');
  let V = winogradInputTransform(algo, q(x), shape, 'f32');
  if (f16) {
    U = r16(U);
    V = r16(V);
  }
  const M = winogradTapProducts(algo, U, V, shape, 'f32');
  return q(winogradOutputTransform(algo, M, shape, 'f32'));
}

const rows: Record<string, { f32: number[]; f16: number[] }> = {};
const direct16: number[] = [];
for (let s = 0; s < SEEDS; s++) {
  const rng = mulberry32(100 + s);
  const x = Float64Array.from({ length: N * N * C }, () => Math.fround(rng()));
  const w = Float64Array.from({ length: C * C * 9 }, () => Math.fround(((rng() * 2 - 1) / Math.sqrt(9 * C))));
  const ref = conv2dReference(geom, { input: x, inputLayout: 'NHWC', weight: w, weightLayout: 'OIHW' }).data;
  const d16 = conv2dReference(geom, { input: r16(x), inputLayout: 'NHWC', weight: r16(w), weightLayout: 'OIHW' }).data;
  direct16.push(relErr(r16(d16), ref));
  for (const a of ALGOS) {
    rows[a.name] ??= { f32: [], f16: [] };
    rows[a.name].f32.push(relErr(stages(a.algo, x, w, false), ref));
    rows[a.name].f16.push(relErr(stages(a.algo, x, w, true), ref));
  }
}
const max = (a: number[]) => Math.max(...a);
console.log(`# fp16 storage error, 3×3, C = ${C} → ${C}, ${N}×${N}, pad 1, ${SEEDS} seeds (max over seeds of max|y − ref| / max|ref|)`);
console.log('');
console.log('| algorithm | f32 storage | f16 storage (f32 math) | f16 / f32 |');
console.log('|---|---|---|---|');
console.log(`| direct (f16 input, weights, output) | — | ${max(direct16).toExponential(2)} | — |`);
for (const [name, r] of Object.entries(rows)) console.log(`| ${name} | ${max(r.f32).toExponential(2)} | ${max(r.f16).toExponential(2)} | ${(max(r.f16) / max(r.f32)).toFixed(0)}× |`);

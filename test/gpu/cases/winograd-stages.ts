/**
 * GPU cases for the Winograd input and output transforms, each stage ALONE against the float32-emulating
 * staged reference (src/reference/winograd.ts, mode 'f32'): every comparison is of one kernel on its own data,
 * and a failure message names that kernel's ID. One case per (algorithm, layout) runs both stages (SwiftShader
 * spends most of a case building pipelines and its device, so fewer, fuller cases keep both environments fast).
 *
 *   input stage:  V from the GPU (padded layout V[ξ][t][C4·4]) vs winogradInputTransform; padded lanes must be 0.
 *   output stage: M from the reference (winogradConvReference 'f32', packed as M[ξ][t][O4·4]) through the
 *                 GPU kernel, vs the reference's Y with bias and activation applied on the CPU (float64).
 * Both run on ugly shapes (odd H/W, C and O = 1, 3, 13, batch 2, asymmetric pads, partial tiles) in NHWC and
 * NCHW, with the channel-aligned (vec4) and the channel-bounded kernels, for F(2x2,3x3), F(4x4,3x3),
 * F(6x6,3x3), F(2x1,3x3), F(4x4,5x5) and a user-supplied (learned, inexact) transform. Outputs are
 * pre-filled with a NaN sentinel (a missed write fails) and the output buffer has a sentinel tail (a write
 * past the tensor fails). One more case corrupts a matrix entry and checks that the comparison fails.
 *
 * Tolerance (per element, derived, not fitted). Each stage computes X → L · X · Rᵀ as two rounds of short
 * dot products with the same f32 constants as the reference. For a dot product of k terms, fl(Σ) differs
 * from the exact Σ by at most γ_k · Σ|terms| (γ_k = k·u / (1 − k·u), u = 2⁻²⁴), whether or not the compiler
 * fuses multiply-adds. Chaining the two rounds, GPU and reference each lie within (k₁ + k₂)·u·S(1 + O(u))
 * of the exact value, with k₁, k₂ the largest numbers of nonzero entries in a row of L and of R and
 *   S = Σ_{a,b} |L[i][a]| · |X[a][b]| · |R[j][b]|   (the transform of |X| by |L|, |R|),
 * so |gpu − ref| ≤ K·u·S with K = 2(k₁ + k₂) + 1 (the +1 absorbs the O(u²) terms). S = 0 (an all-padding
 * patch, a padded lane) demands an exact 0.
 * The output stage adds the epilogue: the bias add rounds once (≤ u·|y + b|, taken as 2u(|y| + |b|)), the
 * activations are 1-Lipschitz (so they pass the error on), leaky/PReLU multiply once (u·|r|), and exp-based
 * ones (sigmoid, elu) add WGSL's exp accuracy (3 + 2|x| ULP, 1 ULP ≤ 2u relative) plus an add and a divide:
 * ≤ (8 + 4|z|)·u·max(1, |r|).
 * The bound is tight enough to catch a wrong literal: a constant off by 1e-4 relative or a dropped term moves
 * V or Y by far more than K·u·S (shown by the corruption case and by test/unit/kernels/winograd-kernels.test.ts).
 *
 * Measured (SwiftShader, Node/Dawn and Chromium alike): both transforms are bit-identical to the 'f32'
 * reference (max |gpu − ref| = 0 for every algorithm: no FMA contraction, same order); with the epilogue
 * (bias add in f32, exp) the worst output is 3.0·u·S (F(2x2,3x3), sigmoid), i.e. err/bound ≤ 0.12. Against
 * the float64 reference the transforms' own rounding is ≤ 3.0·u·S (input) and ≤ 1.9·u·S (output) for all
 * algorithms (N2 23x19 C16). A corrupted literal (1 → 1.0001) gives err/bound ≈ 240, a dropped term ≈ 10⁶.
 */
import { generateWinogradInputKernel, winogradInputInvocations, winogradInputUniforms } from '../../../src/kernels/winograd-input.ts';
import { generateWinogradOutputKernel, winogradOutputInvocations, winogradOutputUniforms } from '../../../src/kernels/winograd-output.ts';
import { type WinogradLayout, winogradLayout } from '../../../src/kernels/winograd-layout.ts';
import { type EpilogueConfig, epilogueIdPart } from '../../../src/kernels/epilogue.ts';
import { packUniforms } from '../../../src/kernels/types.ts';
import { applyActivation, transposeActivation } from '../../../src/reference/conv2d.ts';
import {
  type WinogradConvShape,
  winogradConvReference,
  winogradInputTransform,
  winogradOutputTransform,
} from '../../../src/reference/winograd.ts';
import type { Layout } from '../../../src/conv/types.ts';
import { type BuiltPipeline, createKernelBindGroup, createKernelPipeline, linearDispatch } from '../../../src/runtime/pipeline.ts';
import { mulberry32, randomF32 } from '../../../src/util/random.ts';
import {
  type RationalMatrix,
  type Winograd1D,
  type Winograd2D,
  directAlgorithm,
  freezeMatrix,
  toFloat64,
  toRational,
  userTransform1D,
  winograd1D,
  winograd2D,
  winogradSquare,
} from '../../../src/winograd/index.ts';
import type { GpuCase, GpuTestContext } from '../harness/types.ts';

const U32 = 2 ** -24;
const WG = 64;
/** A quiet NaN with a recognisable payload: what every output element holds before the kernel runs. */
const SENTINEL = 0x7fc0dead;
const TAIL = 64;

// ---------------------------------------------------------------------------------------------------------
// Algorithms and shapes (data shared with the unit tests).

/**
 * A "learned" F(4,3): every nonzero entry of the exact F(4,3) matrices scaled by (1 + ε), |ε| ≤ 0.02,
 * from a seeded RNG, as plain float64 numbers (what a training run would hand over). Not an exact
 * algorithm; the stages must still implement exactly these matrices.
 */
export function learnedF43(seed: number): Winograd1D {
  const base = winograd1D(4, 3);
  const rng = mulberry32(seed);
  const perturb = (m: RationalMatrix) => toFloat64(m).map((row) => row.map((v) => (v === 0 ? 0 : v * (1 + 0.04 * (rng() - 0.5)))));
  return userTransform1D({ AT: perturb(base.AT), G: perturb(base.G), BT: perturb(base.BT) }, { m: 4, r: 3, name: `F(4,3)-learned${seed}` });
}

/** Different learned transforms along H and W, so the W side is checked against its own matrices. */
export function learnedTransform2D(): Winograd2D {
  return winograd2D(learnedF43(11), learnedF43(12));
}

export interface StageAlgo {
  label: string;
  algo: Winograd2D;
}

export const STAGE_ALGOS: readonly StageAlgo[] = [
  { label: 'F(2x2,3x3)', algo: winogradSquare(2, 3) },
  { label: 'F(4x4,3x3)', algo: winogradSquare(4, 3) },
  { label: 'F(6x6,3x3)', algo: winogradSquare(6, 3) },
  { label: 'F(2x1,3x3)', algo: winograd2D(winograd1D(2, 3), directAlgorithm(3)) },
  { label: 'F(4x4,5x5)', algo: winogradSquare(4, 5) },
  { label: 'user F(4x4,3x3)-learned', algo: learnedTransform2D() },
];

export interface StageShape {
  name: string;
  shape: WinogradConvShape;
}

/**
 * Ugly shapes: odd H/W, batch 2, asymmetric pads, tile grids that do not divide the output. The first three
 * have C and O not multiples of 4 (13, 3, 1 / 5, 13, 3: the channel-bounded kernels), the last two multiples
 * of 4 (the vec4 kernels).
 */
export const STAGE_SHAPES: readonly StageShape[] = [
  { name: 'N2 7x9 C13 O5 pads 1,0,2,1', shape: { batch: 2, inHeight: 7, inWidth: 9, inChannels: 13, outChannels: 5, pads: [1, 0, 2, 1] } },
  { name: 'N1 11x6 C3 O13 pads 2,1,0,2', shape: { batch: 1, inHeight: 11, inWidth: 6, inChannels: 3, outChannels: 13, pads: [2, 1, 0, 2] } },
  { name: 'N2 5x13 C1 O3 pads 0,2,1,0', shape: { batch: 2, inHeight: 5, inWidth: 13, inChannels: 1, outChannels: 3, pads: [0, 2, 1, 0] } },
  { name: 'N1 9x7 C8 O8 pads 1,2,1,0', shape: { batch: 1, inHeight: 9, inWidth: 7, inChannels: 8, outChannels: 8, pads: [1, 2, 1, 0] } },
  { name: 'N2 6x11 C4 O4 pads 0,1,2,2', shape: { batch: 2, inHeight: 6, inWidth: 11, inChannels: 4, outChannels: 4, pads: [0, 1, 2, 2] } },
];

/** Epilogues rotated over the output-stage runs: every bias mode and activation appears. */
export const STAGE_EPILOGUES: readonly EpilogueConfig[] = [
  { bias: 'channel', activation: 'relu' },
  { bias: 'none', activation: 'linear' },
  { bias: 'channel', activation: 'sigmoid' },
  { bias: 'tensor', activation: 'leakyrelu' },
  { bias: 'channel', activation: 'prelu', prelu: 'channel' },
  { bias: 'channel', activation: 'elu' },
  { bias: 'none', activation: 'relu6' },
  { bias: 'tensor', activation: 'prelu', prelu: 'tensor' },
];

// ---------------------------------------------------------------------------------------------------------
// Error bounds and comparison (exported for the unit tests, which prove the comparison can fail).

function maxRowTerms(m: RationalMatrix): number {
  return Math.max(...m.map((row) => row.filter((v) => v.n !== 0n).length));
}

/** K of the bound K·u·S for X → L · X · Rᵀ (see the file comment). */
export function stageErrorFactor(left: RationalMatrix, right: RationalMatrix): number {
  return 2 * (maxRowTerms(left) + maxRowTerms(right)) + 1;
}

const absMatrix = (m: RationalMatrix): RationalMatrix => freezeMatrix(m.map((row) => row.map((v) => v.abs())));
const abs1D = (a: Winograd1D): Winograd1D => ({ ...a, AT: absMatrix(a.AT), G: absMatrix(a.G), BT: absMatrix(a.BT) });

/** The algorithm with every matrix entry replaced by its absolute value: the reference applied to |X| gives S. */
export function absAlgorithm(algo: Winograd2D): Winograd2D {
  return winograd2D(abs1D(algo.h), abs1D(algo.w));
}

export interface StageComparison {
  pass: boolean;
  /** max |got − ref| */
  maxAbs: number;
  /** max |got − ref| / (u·S) over elements with S > 0: the measured error in units of the scale. */
  maxErrUS: number;
  /** max |got − ref| / bound (≤ 1 passes). */
  worstRatio: number;
  message: string;
}

/**
 * Element-wise |got − ref| ≤ bound[i]; `scale` (S) only for reporting. NaN/Inf fail. `where(i)` names an
 * element for the message.
 */
export function compareStage(
  got: ArrayLike<number>,
  ref: ArrayLike<number>,
  scale: ArrayLike<number>,
  bound: ArrayLike<number>,
  where: (i: number) => string,
): StageComparison {
  let maxAbs = 0;
  let maxErrUS = 0;
  let worstRatio = 0;
  let worst = -1;
  let bad = 0;
  let firstBad = -1;
  for (let i = 0; i < ref.length; i++) {
    const y = got[i];
    if (!Number.isFinite(y)) {
      bad++;
      if (firstBad < 0) firstBad = i;
      continue;
    }
    const err = Math.abs(y - ref[i]);
    maxAbs = Math.max(maxAbs, err);
    if (scale[i] > 0) maxErrUS = Math.max(maxErrUS, err / (U32 * scale[i]));
    const ratio = bound[i] > 0 ? err / bound[i] : err > 0 ? Infinity : 0;
    if (ratio > worstRatio || worst < 0) {
      worstRatio = Math.max(worstRatio, ratio);
      worst = i;
    }
  }
  const pass = bad === 0 && worstRatio <= 1;
  const lines = [`${pass ? 'ok' : 'MISMATCH'}: ${ref.length} values, maxAbs ${maxAbs.toExponential(3)}, max err/(u·S) ${maxErrUS.toFixed(3)}, worst err/bound ${worstRatio.toFixed(3)}`];
  if (!pass && worst >= 0 && worstRatio > 1) {
    lines.push(`worst at ${where(worst)}: got ${got[worst]}, ref ${ref[worst]}, bound ${bound[worst].toExponential(3)}, S ${scale[worst].toExponential(3)}`);
  }
  if (bad) lines.push(`${bad} non-finite values, first at ${where(firstBad)} = ${got[firstBad]}`);
  return { pass, maxAbs, maxErrUS, worstRatio, message: lines.join('\n') };
}

/** Reference V in the padded GPU layout V[ξ][t][cPad], its scale S and its bound K·u·S (0 in padded lanes). */
export function expectedInputStage(algo: Winograd2D, inputNHWC: ArrayLike<number>, shape: WinogradConvShape, l: WinogradLayout) {
  const C = shape.inChannels;
  const ref = winogradInputTransform(algo, inputNHWC, shape, 'f32');
  const absIn = Float64Array.from(inputNHWC, Math.abs);
  const S = winogradInputTransform(absAlgorithm(algo), absIn, shape, 'f64');
  const K = stageErrorFactor(algo.h.BT, algo.w.BT);
  const n = l.taps * l.tiles * l.cPad;
  const value = new Float64Array(n);
  const scale = new Float64Array(n);
  const bound = new Float64Array(n);
  for (let xi = 0; xi < l.taps; xi++) {
    for (let t = 0; t < l.tiles; t++) {
      for (let c = 0; c < C; c++) {
        const src = (xi * l.tiles + t) * C + c;
        const dst = (xi * l.tiles + t) * l.cPad + c;
        value[dst] = ref[src];
        scale[dst] = S[src];
        bound[dst] = K * U32 * S[src];
      }
    }
  }
  const where = (i: number) => {
    const c = i % l.cPad;
    const t = Math.floor(i / l.cPad) % l.tiles;
    const xi = Math.floor(i / (l.cPad * l.tiles));
    const tw = t % l.tilesW;
    const th = Math.floor(t / l.tilesW) % l.tilesH;
    const nb = Math.floor(t / (l.tilesW * l.tilesH));
    return `V[ξ=${xi} (${Math.floor(xi / algo.nw)},${xi % algo.nw})][t=${t} (n ${nb}, th ${th}, tw ${tw})][c=${c}${c >= C ? ' (padding)' : ''}]`;
  };
  return { value, scale, bound, where, K };
}

export interface EpilogueData {
  bias?: Float32Array;
  prelu?: Float32Array;
  alpha: number;
}

/** Host buffers for the epilogue (channel: oPad values; tensor: [pix][oPad], zero in padded lanes). */
export function epilogueData(epi: EpilogueConfig, pixels: number, O: number, oPad: number, rng: () => number): EpilogueData {
  const make = (mode: 'channel' | 'tensor', lo: number, hi: number) => {
    const rows = mode === 'tensor' ? pixels : 1;
    const out = new Float32Array(rows * oPad);
    const vals = randomF32(rows * O, rng, lo, hi);
    for (let r = 0; r < rows; r++) for (let o = 0; o < O; o++) out[r * oPad + o] = vals[r * O + o];
    return out;
  };
  return {
    bias: epi.bias === 'none' ? undefined : make(epi.bias, -1, 1),
    prelu: epi.activation === 'prelu' ? make(epi.prelu!, 0, 0.5) : undefined,
    alpha: Math.fround(0.2),
  };
}

/**
 * Reference Y (caller's layout) with the epilogue applied in float64, the scale S of the transform and the
 * per-element bound (file comment).
 */
export function expectedOutputStage(
  algo: Winograd2D,
  M: Float64Array,
  shape: WinogradConvShape,
  l: WinogradLayout,
  layout: Layout,
  epi: EpilogueConfig,
  data: EpilogueData,
) {
  const O = shape.outChannels;
  const { outHeight: Ho, outWidth: Wo } = l;
  const y = winogradOutputTransform(algo, M, shape, 'f32');
  const S = winogradOutputTransform(absAlgorithm(algo), Float64Array.from(M, Math.abs), shape, 'f64');
  const K = stageErrorFactor(algo.h.AT, algo.w.AT);
  const count = shape.batch * Ho * Wo * O;
  const value = new Float64Array(count);
  const scale = new Float64Array(count);
  const bound = new Float64Array(count);
  const act = { type: epi.activation, alpha: data.alpha };
  const expBased = epi.activation === 'sigmoid' || epi.activation === 'elu';
  const multiplies = epi.activation === 'leakyrelu' || epi.activation === 'prelu';
  for (let pix = 0; pix < shape.batch * Ho * Wo; pix++) {
    for (let o = 0; o < O; o++) {
      const i = pix * O + o;
      const b = data.bias ? data.bias[(epi.bias === 'tensor' ? pix * l.oPad : 0) + o] : 0;
      const slope = data.prelu ? data.prelu[(epi.prelu === 'tensor' ? pix * l.oPad : 0) + o] : 0;
      const z = y[i] + b;
      const r = applyActivation(z, act, slope);
      value[i] = r;
      scale[i] = S[i];
      let e = K * U32 * S[i] + (data.bias ? 2 * U32 * (Math.abs(y[i]) + Math.abs(b)) : 0);
      if (multiplies) e += U32 * Math.abs(r);
      if (expBased) e += (8 + 4 * Math.abs(z)) * U32 * Math.max(1, Math.abs(r));
      bound[i] = e;
    }
  }
  const N = shape.batch;
  const toLayout = (a: Float64Array) => (layout === 'NHWC' ? a : transposeActivation(a, 'NHWC', 'NCHW', N, O, Ho, Wo));
  const where = (i: number) => {
    const [n, c, oh, ow] =
      layout === 'NHWC'
        ? [Math.floor(i / (Ho * Wo * O)), i % O, Math.floor(i / (Wo * O)) % Ho, Math.floor(i / O) % Wo]
        : [Math.floor(i / (O * Ho * Wo)), Math.floor(i / (Ho * Wo)) % O, Math.floor(i / Wo) % Ho, i % Wo];
    return `Y[n ${n}, oh ${oh}, ow ${ow}, c ${c}] (tile th ${Math.floor(oh / algo.mh)}, tw ${Math.floor(ow / algo.mw)}; ${layout} index ${i})`;
  };
  return { value: toLayout(value), scale: toLayout(scale), bound: toLayout(bound), where, K };
}

// ---------------------------------------------------------------------------------------------------------
// GPU runs.

function sentinelBuffer(t: GpuTestContext, floats: number): GPUBuffer {
  return t.upload(new Uint32Array(floats).fill(SENTINEL));
}

/**
 * One dispatch of an already built pipeline. (The binding/uniform contract of every generated Winograd kernel
 * is checked with wgsl_reflect in test/unit/kernels/winograd-kernels.test.ts, so the GPU cases do not pay
 * for reflecting each kernel again.)
 */
async function dispatch(
  t: GpuTestContext,
  built: BuiltPipeline,
  buffers: Record<string, GPUBuffer>,
  uniforms: Record<string, number>,
  invocations: number,
): Promise<string> {
  const k = built.kernel;
  // As if the device allowed only 2 workgroups per dimension: grids of more than 2 workgroups wrap over y, so
  // the kernels' row_pitch indexing and their idx ≥ total guard are exercised (e.g. 3 groups → 2x2).
  const d = linearDispatch(invocations, k.workgroupSize[0], Math.min(2, t.device.limits.maxComputeWorkgroupsPerDimension));
  const all = { ...buffers, params: t.upload(new Uint32Array(packUniforms(k.uniforms, { ...uniforms, row_pitch: d.rowPitch })), GPUBufferUsage.UNIFORM) };
  const enc = t.device.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(built.pipeline);
  pass.setBindGroup(0, createKernelBindGroup(t.device, built, all));
  pass.dispatchWorkgroups(d.x, d.y);
  pass.end();
  t.device.queue.submit([enc.finish()]);
  return `dispatch ${d.x}x${d.y}`;
}

export interface StageRun {
  label: string;
  cmp: StageComparison;
}

/**
 * The input kernel of `algo` for `layout` (vec4 when every shape's C % 4 == 0), built once and run on each
 * shape; compared with the reference of `refAlgo` (normally the same algorithm).
 */
export async function runInputStage(t: GpuTestContext, algo: Winograd2D, layout: Layout, shapes: readonly StageShape[], seed: number, refAlgo = algo): Promise<StageRun[]> {
  const kernel = generateWinogradInputKernel({ algo, layout, dtype: 'f32', channelsAligned: shapes.every((s) => s.shape.inChannels % 4 === 0) });
  const built = createKernelPipeline(t.device, kernel);
  const runs: StageRun[] = [];
  for (const [si, sc] of shapes.entries()) {
    const { shape } = sc;
    const { batch: N, inHeight: H, inWidth: W, inChannels: C } = shape;
    const l = winogradLayout(algo, shape);
    const rng = mulberry32(seed + si);
    const inputNHWC = randomF32(N * H * W * C, rng);
    const upload = layout === 'NHWC' ? inputNHWC : Float32Array.from(transposeActivation(inputNHWC, 'NHWC', 'NCHW', N, C, H, W));
    const count = l.vBytes / 4;
    const V = sentinelBuffer(t, count);
    const how = await dispatch(t, built, { input: t.upload(upload), wino_v: V }, winogradInputUniforms(l, shape, 0), winogradInputInvocations(l));
    const got = await t.readF32(V, count);
    const exp = expectedInputStage(refAlgo, inputNHWC, shape, l);
    const cmp = compareStage(got, exp.value, exp.scale, exp.bound, exp.where);
    runs.push({ label: `${kernel.id} ${sc.name} seed ${seed + si} (K = ${exp.K}, tiles ${l.tilesH}x${l.tilesW}x${N}, ${how})`, cmp });
  }
  return runs;
}

/**
 * The output kernel of `algo` for `layout` and `epi` (vec4 stores when every shape's O % 4 == 0), built once
 * and run on each shape with M from the reference of `refAlgo` (normally the same algorithm); also checks
 * the sentinel tail after the tensor.
 */
export async function runOutputStage(
  t: GpuTestContext,
  algo: Winograd2D,
  layout: Layout,
  shapes: readonly StageShape[],
  epi: EpilogueConfig,
  seed: number,
  refAlgo = algo,
): Promise<StageRun[]> {
  const cfg = { algo, layout, dtype: 'f32' as const, channelsAligned: shapes.every((s) => s.shape.outChannels % 4 === 0), epilogue: epi };
  const kernel = generateWinogradOutputKernel(cfg);
  const built = createKernelPipeline(t.device, kernel);
  const runs: StageRun[] = [];
  for (const [si, sc] of shapes.entries()) {
    const { shape } = sc;
    const { batch: N, inHeight: H, inWidth: W, inChannels: C, outChannels: O } = shape;
    const l = winogradLayout(algo, shape);
    const rng = mulberry32(seed + si);
    const input = randomF32(N * H * W * C, rng);
    const weights = randomF32(O * C * algo.rh * algo.rw, rng);
    const { M } = winogradConvReference(refAlgo, input, weights, shape, 'f32');
    const packed = new Float32Array(l.mBytes / 4);
    for (let xi = 0; xi < l.taps; xi++)
      for (let tt = 0; tt < l.tiles; tt++) for (let o = 0; o < O; o++) packed[(xi * l.tiles + tt) * l.oPad + o] = M[(xi * l.tiles + tt) * O + o];
    const pixels = N * l.outHeight * l.outWidth;
    const data = epilogueData(epi, pixels, O, l.oPad, rng);
    const count = pixels * O;
    const out = sentinelBuffer(t, count + TAIL);
    const buffers: Record<string, GPUBuffer> = { wino_m: t.upload(packed), output: out };
    if (data.bias) buffers.epi_bias = t.upload(data.bias);
    if (data.prelu) buffers.epi_prelu = t.upload(data.prelu);
    const how = await dispatch(t, built, buffers, winogradOutputUniforms(cfg, l, shape, 0, data.alpha), winogradOutputInvocations(l));
    const raw = await t.read(out, (count + TAIL) * 4);
    const got = new Float32Array(raw, 0, count);
    const tail = new Uint32Array(raw, count * 4, TAIL);
    const exp = expectedOutputStage(refAlgo, M, shape, l, layout, epi, data);
    const cmp = compareStage(got, exp.value, exp.scale, exp.bound, exp.where);
    const clobbered = tail.findIndex((v) => v !== SENTINEL);
    if (clobbered >= 0) {
      cmp.pass = false;
      cmp.message = `MISMATCH: write past the output tensor: element ${count + clobbered} (tensor has ${count}) = ${new Float32Array(raw, (count + clobbered) * 4, 1)[0]}\n${cmp.message}`;
    }
    runs.push({ label: `${kernel.id} ${sc.name} seed ${seed + si} (K = ${exp.K}, out ${l.outHeight}x${l.outWidth}, tiles ${l.tilesH}x${l.tilesW}x${N}, ${how})`, cmp });
  }
  return runs;
}

function check(t: GpuTestContext, runs: StageRun[]): void {
  const failed = runs.filter((r) => !r.cmp.pass);
  for (const r of runs) t.log(`${r.label}: ${r.cmp.message.split('\n')[0]}`);
  if (failed.length) throw new Error(failed.map((r) => `${r.label}\n${r.cmp.message}`).join('\n\n'));
}

const LAYOUTS: readonly Layout[] = ['NHWC', 'NCHW'];

/**
 * One case per (algorithm, layout), running the two stages independently (each on its own data against its
 * own reference; a failure message names the kernel ID of the stage that failed). Per stage one kernel, built
 * once and run on two shapes: pipeline compilation and the per-case device dominate the time on SwiftShader.
 * The vec4 and channel-bounded variants alternate so that every (algorithm, layout) runs one variant in the
 * input stage and the other in the output stage, and each layout sees both variants of both stages.
 */
function shapesFor(ci: number, aligned: boolean): StageShape[] {
  return aligned ? [STAGE_SHAPES[3], STAGE_SHAPES[4]] : [STAGE_SHAPES[ci % 3], STAGE_SHAPES[(ci + 1) % 3]];
}

const stageCases: GpuCase[] = [];
STAGE_ALGOS.forEach((a, ai) => {
  LAYOUTS.forEach((layout, li) => {
    const ci = ai * LAYOUTS.length + li;
    const inAligned = (ai + li) % 2 === 0;
    const epi = STAGE_EPILOGUES[ci % STAGE_EPILOGUES.length];
    const variant = (aligned: boolean) => (aligned ? 'vec4' : 'cbound');
    stageCases.push({
      name: `winograd-stage ${a.label} ${layout.toLowerCase()}: input ${variant(inAligned)}, output ${variant(!inAligned)} ${epilogueIdPart(epi) || 'linear'}`,
      async run(t) {
        const runs = [
          ...(await runInputStage(t, a.algo, layout, shapesFor(ci, inAligned), 5000 + 10 * ci)),
          ...(await runOutputStage(t, a.algo, layout, shapesFor(ci + 1, !inAligned), epi, 6000 + 10 * ci)),
        ];
        check(t, runs);
      },
    });
  });
});

/** A copy of a 1-D algorithm with one matrix entry replaced (by the exact value of `value`). */
export function withEntry(a: Winograd1D, which: 'AT' | 'BT', i: number, j: number, value: number): Winograd1D {
  const m = a[which].map((row, r) => row.map((v, c) => (r === i && c === j ? toRational(value) : v)));
  return { ...a, [which]: freezeMatrix(m) };
}

/**
 * Corrupted kernels must fail the same comparison: the input kernel generated with one BT literal off by
 * 1e-4 relative (1 → 1.0001), and the output kernel with one AT term dropped (AT[1][2] = −1 → 0), both
 * compared against the correct reference. F(2x1,3x3): the cheapest kernels to build.
 */
const corruptionCase: GpuCase = {
  name: 'winograd-stage corrupted matrices are caught (F(2x1,3x3) nhwc)',
  async run(t) {
    const good = winograd1D(2, 3);
    const direct = directAlgorithm(3);
    const badLiteral = withEntry(good, 'BT', 1, 2, 1.0001);
    const dropped = withEntry(good, 'AT', 1, 2, 0);
    const ref = winograd2D(good, direct);
    const runs = [
      ...(await runInputStage(t, winograd2D(badLiteral, direct), 'NHWC', [STAGE_SHAPES[3]], 7001, ref)),
      ...(await runOutputStage(t, winograd2D(dropped, direct), 'NHWC', [STAGE_SHAPES[3]], { bias: 'channel', activation: 'relu' }, 7002, ref)),
    ];
    for (const r of runs) {
      t.log(`${r.label} (corrupted, must mismatch): ${r.cmp.message.split('\n')[0]}`);
      if (r.cmp.pass) throw new Error(`${r.label}: a corrupted transform passed the comparison:\n${r.cmp.message}`);
    }
  },
};

export const winogradStageCases: GpuCase[] = [...stageCases, corruptionCase];

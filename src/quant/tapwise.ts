/**
 * Tap-wise quantized Winograd convolution (the "winograd*-tap" int8 schemes) for any nested algorithm
 * (F(2×2,3×3), F(4×4,3×3), F(2×1,3×3), F(4×1,3×3), …): the Winograd-domain operands are quantized with one
 * scale per tap ξ (input) and per output channel × tap (weights), so that taps with large dynamic range (the
 * ones F(4,3)'s big transform coefficients produce) do not crush the small ones.
 *
 * ## Units
 * Everything works on the integer operands of QLinearConv: x' = x − x_zp (padding holds x_zp, so x' = 0 there)
 * and g' = w − w_zp[o]. The Winograd output Y then approximates the exact integer accumulator
 * Σ x'·g' (ConvInteger), and the epilogue is QLinearConv's: acc = round(Y) + B[o], requantized with
 * M[o] = x_scale · w_scale[o] / y_scale by the shared fixed-point `requantize` (src/quant/requant.ts). With
 * exact Winograd arithmetic the result would equal `qlinearConvReference` bit for bit; every difference comes
 * from the int8 quantization of U and V (and is what `sqnrDb` measures).
 *
 * ## Quantization
 * - Weights, offline, CPU: U = Gh · g' · Gwᵀ in float64 (src/quant/winograd-stages.ts 'f64'), then per (o, ξ)
 *   Uq = clamp(round_half_even(U / s_w[o][ξ]), −127, 127) (symmetric int8, division in float64).
 * - Input, per tap ξ: V = Bhᵀ · d' · Bw, quantized to int8 [−127, 127] or, for UNSIGNED taps, uint8 [0, 255].
 *   A tap (a, b) is unsigned-capable when every coefficient of its linear form, Bhᵀ[a][i] · Bwᵀ[b][j], is ≥ 0
 *   (`nonnegativeTaps`, read from the exact matrices); then V[ξ] ≥ 0 whenever d' ≥ 0, which holds when
 *   x_zp is the lowest value of the input type (uint8 zp 0 or int8 zp −128, e.g. after ReLU). Unsigned taps:
 *   F(2×2,3×3): (1,1) only; F(2×1,3×3): (1,0), (1,1), (1,2); F(4×4,3×3), F(4×1,3×3): none (every Bᵀ row of
 *   F(4,3) has mixed signs).
 * - Scales: `calibrateTapScales` (from sample inputs) or `staticTapScales` (from the worst case of the input
 *   type: never clips, coarse). Granularity 'tap' (the scheme) or 'tensor' (one input scale for every tap,
 *   all taps int8, and one weight scale per output channel: the baseline tap-wise is compared with).
 *
 * ## The pipeline a GPU kernel reproduces (`tapwiseWinogradConv`), in order
 * Constants the host computes (`tapwiseKernelParams`): invS[ξ] = fround(1 / s_x[ξ]) (float64 division, then
 * float32 rounding), qlo/qhi[ξ] (0/255 or −127/127), deq[o][ξ] = fround(fround(s_x[ξ]) · fround(s_w[o][ξ])),
 * m0/shift per channel (`requantParams`), zp/lo/hi (`requantClamp`).
 *  1. V = Bhᵀ · d' · Bw in f32, d' integers: H pass (Bhᵀ on each column) then W pass, each output
 *     acc = c₀·x₀, acc = acc + cⱼ·xⱼ over the row's nonzero coefficients, ascending, rounding every op (for
 *     integer Bᵀ, as in all four algorithms, every value is an exact integer < 2^24, so the order is moot).
 *  2. q = clamp(round(V · invS[ξ]), qlo[ξ], qhi[ξ]): one f32 multiply, WGSL round() (half to even), clamp.
 *  3. Mi[ξ][t][o] = Σ_c q · Uq in i32 (exact; |q|·|Uq| ≤ 255·127, so no overflow for C_in ≤ 66,311).
 *  4. Mf = f32(Mi) · deq[o][ξ], one f32 multiply. f32(Mi) must be round-to-nearest-even; WGSL's i32→f32
 *     conversion only promises nearest or next for |Mi| > 2^24, so compute it as
 *     `f32(Mi >> 16) * 65536.0 + f32(Mi & 0xffff)` (two exact terms, one correctly rounded add).
 *  5. Y = Ahᵀ · Mf · Aw in f32, same order rule as step 1 (src/quant/winograd-stages.ts 'f32').
 *  6. acc = i32(clamp(round(Y), −2^30, 2^30)) + B[o]   (|B| ≤ 2^30, so no i32 overflow)
 *  7. y = requantize(acc, m0[o], shift[o], zp, lo, hi).
 * `tapwiseWgslPart()` gives steps 2, 4 (the conversion) and 6 as WGSL functions.
 * Bit-exactness: f32 +, −, × are correctly rounded in WGSL, and for these algorithms every Aᵀ coefficient is
 * 0, ±1, ±2, ±4 or ±8, so the products in step 5 are exact and fusing them into FMAs changes nothing. The
 * one place a compiler could change a rounding is by contracting step 4's multiply into the first add of
 * step 5; that moves Y by at most 2^-24·|Mf| per contracted term (|ΔY| ≤ 2^-24 · Σ_ξ |a_ξ|·|Mf_ξ|, well under
 * one accumulator unit for int8 data), so acc can differ by at most 1 where Y sits next to a .5, and y by at
 * most 1 LSB. Otherwise a kernel following these steps is bit-identical to this reference.
 */
import type { Activation } from '../conv/types.ts';
import { ConvDescError } from '../conv/validate.ts';
import { QUANT_RANGE, roundHalfEven, type QuantDType } from './scalar.ts';
import {
  winogradFilterTransform,
  winogradInputTransform,
  winogradOutputTransform,
  winogradTiling,
  type WinogradConvShape,
  type WinogradTiling,
} from './winograd-stages.ts';
import type { Winograd2D } from '../winograd/types.ts';
import { winogradFromName } from '../winograd/winograd-2d.ts';
import { requantClamp, requantizeCpu, requantParams } from './requant.ts';

export type TapDtype = 'int8' | 'uint8';
export type TapGranularity = 'tap' | 'tensor';
export type InputCalibrationMethod = 'maxabs' | 'percentile' | 'mse';
export type WeightCalibrationMethod = 'maxabs' | 'mse';

/** Symmetric int8 range used for signed taps and weights. */
export const TAP_INT8: readonly [number, number] = [-127, 127];
export const TAP_UINT8: readonly [number, number] = [0, 255];

export interface TapScales {
  /** Name of the algorithm the scales belong to (`Winograd2D.name`), e.g. "F(2x2,3x3)". */
  algorithm: string;
  /** nh · nw. */
  taps: number;
  outChannels: number;
  granularity: TapGranularity;
  /** How the input scales were made, e.g. "mse", "percentile:99.99", "maxabs", "static". */
  method: string;
  /** Per tap: 'uint8' ([0, 255]) or 'int8' ([−127, 127]). */
  inputDtype: TapDtype[];
  /** Per tap, float32 values > 0: V ≈ s_x[ξ] · q. */
  inputScale: Float64Array;
  /** Per output channel and tap, [o · taps + ξ], float32 values > 0: U ≈ s_w[o][ξ] · Uq. */
  weightScale: Float64Array;
}

const f32 = Math.fround;

function fail(field: string, value: unknown, rule: string): never {
  throw new ConvDescError(field, value, rule);
}

function checkAlgo(algo: Winograd2D): void {
  if (algo?.dims !== 2) fail('algo', (algo as { name?: string })?.name ?? algo, 'must be a 2-D Winograd algorithm (winograd2D)');
}

/**
 * Taps whose linear form over d' has only nonnegative coefficients (Bhᵀ[a][i] · Bwᵀ[b][j] ≥ 0 for all i, j),
 * from the exact matrices; index ξ = a · nw + b.
 */
export function nonnegativeTaps(algo: Winograd2D): boolean[] {
  checkAlgo(algo);
  const rowSign = (row: readonly { s: bigint; n: bigint }[]) => {
    const pos = row.some((f) => f.n !== 0n && f.s > 0n);
    const neg = row.some((f) => f.n !== 0n && f.s < 0n);
    return pos && neg ? 0 : neg ? -1 : 1; // 0: mixed; an all-zero row counts as nonnegative
  };
  const hs = algo.h.BT.map(rowSign);
  const ws = algo.w.BT.map(rowSign);
  const out: boolean[] = [];
  for (let a = 0; a < algo.nh; a++) for (let b = 0; b < algo.nw; b++) out.push(hs[a] !== 0 && ws[b] !== 0 && hs[a] === ws[b]);
  return out;
}

/** Whether d' = x − x_zp is ≥ 0 for every value of the input type (x_zp is the type's minimum). */
export function inputIsNonnegative(inputDtype: QuantDType, xZeroPoint: number): boolean {
  return xZeroPoint === QUANT_RANGE[inputDtype][0];
}

// ---------------------------------------------------------------------------------------------------------
// Operands

export interface TapWeights {
  /** OIHW integers (int8 or uint8 values). */
  data: ArrayLike<number>;
  outChannels: number;
  inChannels: number;
  /** Per tensor or per output channel; default 0. */
  zeroPoint?: number | ArrayLike<number>;
}

function wZeroPoints(zp: number | ArrayLike<number> | undefined, outChannels: number, field = 'weights.zeroPoint'): Float64Array {
  const out = new Float64Array(outChannels);
  if (zp === undefined) return out;
  const src = typeof zp === 'number' ? [zp] : zp;
  if (src.length !== 1 && src.length !== outChannels) fail(field, zp, `must hold 1 value (per tensor) or ${outChannels} (one per output channel)`);
  for (let o = 0; o < outChannels; o++) {
    const v = src.length === 1 ? src[0] : src[o];
    if (!Number.isInteger(v) || v < -128 || v > 255) fail(`${field}[${o}]`, v, 'must be an integer in [-128, 255]');
    out[o] = v;
  }
  return out;
}

function checkIntData(field: string, data: ArrayLike<number>, length: number, rule: string, lo: number, hi: number): void {
  if (data?.length !== length) fail(`${field}.length`, data?.length, `must be ${length} (${rule})`);
  for (let i = 0; i < length; i++) {
    const v = data[i];
    if (!Number.isInteger(v) || v < lo || v > hi) fail(`${field}[${i}]`, v, `must be an integer in [${lo}, ${hi}]`);
  }
}

/** Float64 transformed weights U[ξ][c][o] = Gh · (w − w_zp[o]) · Gwᵀ (offline). */
export function tapwiseFilterTransform(algo: Winograd2D, weights: TapWeights): Float64Array {
  checkAlgo(algo);
  const { outChannels: O, inChannels: C } = weights;
  if (!Number.isInteger(O) || O < 1) fail('weights.outChannels', O, 'must be an integer >= 1');
  if (!Number.isInteger(C) || C < 1) fail('weights.inChannels', C, 'must be an integer >= 1');
  const k = algo.rh * algo.rw;
  checkIntData('weights.data', weights.data, O * C * k, `OIHW ${O}x${C}x${algo.rh}x${algo.rw}`, -128, 255);
  const zp = wZeroPoints(weights.zeroPoint, O);
  const g = new Float64Array(O * C * k);
  for (let i = 0; i < g.length; i++) g[i] = weights.data[i] - zp[Math.floor(i / (C * k))];
  return winogradFilterTransform(algo, g, O, C, 'f64');
}

/** d' = x − x_zp as float values, NHWC (padding is added by the transform as 0). */
function shiftedInput(data: ArrayLike<number>, length: number, inputDtype: QuantDType, xZeroPoint: number, field: string): Float64Array {
  const [lo, hi] = QUANT_RANGE[inputDtype];
  checkIntData(field, data, length, 'NHWC', lo, hi);
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) out[i] = data[i] - xZeroPoint;
  return out;
}

function checkInputQuant(inputDtype: unknown, xZeroPoint: unknown): void {
  if (inputDtype !== 'uint8' && inputDtype !== 'int8') fail('inputDtype', inputDtype, "must be 'uint8' or 'int8'");
  const [lo, hi] = QUANT_RANGE[inputDtype];
  if (typeof xZeroPoint !== 'number' || !Number.isInteger(xZeroPoint) || xZeroPoint < lo || xZeroPoint > hi) {
    fail('xZeroPoint', xZeroPoint, `must be an integer in the ${inputDtype} range [${lo}, ${hi}]`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Calibration

export interface TapCalibrationSample {
  /** NHWC integers of the input type. */
  data: ArrayLike<number>;
  batch: number;
  height: number;
  width: number;
}

export interface TapCalibrationOptions {
  inputDtype: QuantDType;
  xZeroPoint: number;
  /** [top, left, bottom, right]; default (r−1)/2 on each side ("same"). */
  pads?: readonly [number, number, number, number];
  /**
   * Input scales: 'mse' (default) picks, per tap, the clipping value c = α·max|V| (α on a geometric grid of 96
   * values from 1 down to 1/64) that minimizes the quantization MSE of that tap's sample values, s = c / qmax;
   * 'percentile' uses c = the `percentile`-th percentile of |V|; 'maxabs' uses c = max|V| (never clips).
   */
  method?: InputCalibrationMethod;
  /** For 'percentile'; default 99.99. */
  percentile?: number;
  /** Weight scales per (o, ξ): 'maxabs' (default) or 'mse' over the C_in values of that (o, ξ). */
  weightMethod?: WeightCalibrationMethod;
  /** 'tap' (default) or 'tensor'. */
  granularity?: TapGranularity;
  /** Use uint8 for nonnegative taps when the input is nonnegative (default true). */
  unsignedTaps?: boolean;
}

/** Up to this many sample values per tap go into the MSE / percentile search (deterministic stride sampling). */
const MAX_SAMPLES_PER_TAP = 1 << 17;

function quantMse(vals: Float64Array, s: number, qlo: number, qhi: number): number {
  const inv = 1 / s;
  let e = 0;
  for (let i = 0; i < vals.length; i++) {
    const v = vals[i];
    let q = Math.round(v * inv);
    if (q < qlo) q = qlo;
    else if (q > qhi) q = qhi;
    const d = v - q * s;
    e += d * d;
  }
  return e;
}

/** Clipping value for one set of values by the chosen method. */
function clipValue(vals: Float64Array, method: InputCalibrationMethod | WeightCalibrationMethod, percentile: number, qlo: number, qhi: number): number {
  let maxAbs = 0;
  for (let i = 0; i < vals.length; i++) maxAbs = Math.max(maxAbs, Math.abs(vals[i]));
  if (maxAbs === 0) return 0;
  if (method === 'maxabs') return maxAbs;
  if (method === 'percentile') {
    const a = Float64Array.from(vals, Math.abs).sort();
    const idx = Math.min(a.length - 1, Math.max(0, Math.ceil((percentile / 100) * a.length) - 1));
    return a[idx] > 0 ? a[idx] : maxAbs;
  }
  const qmax = Math.max(Math.abs(qlo), qhi);
  let best = maxAbs;
  let bestErr = Infinity;
  for (let k = 0; k < 96; k++) {
    const c = maxAbs * 2 ** (-6 * (k / 95));
    const err = quantMse(vals, c / qmax, qlo, qhi);
    if (err < bestErr) {
      bestErr = err;
      best = c;
    }
  }
  return best;
}

function strided(all: Float64Array, count: number): Float64Array {
  if (all.length <= count) return all;
  const out = new Float64Array(count);
  const step = all.length / count;
  for (let i = 0; i < count; i++) out[i] = all[Math.floor(i * step)];
  return out;
}

/** A positive float32 scale from a clipping value (a tiny positive fallback when everything was 0). */
function scaleFrom(clip: number, qmax: number): number {
  const s = f32(clip / qmax);
  return s > 0 && Number.isFinite(s) ? s : f32(2 ** -20);
}

function defaultPads(algo: Winograd2D): [number, number, number, number] {
  const ph = Math.floor((algo.rh - 1) / 2);
  const pw = Math.floor((algo.rw - 1) / 2);
  return [ph, pw, algo.rh - 1 - ph, algo.rw - 1 - pw];
}

function weightScalesFrom(
  algo: Winograd2D,
  U: Float64Array,
  O: number,
  C: number,
  granularity: TapGranularity,
  method: WeightCalibrationMethod,
): Float64Array {
  const taps = algo.nh * algo.nw;
  const out = new Float64Array(O * taps);
  for (let o = 0; o < O; o++) {
    if (granularity === 'tensor') {
      const vals = new Float64Array(taps * C);
      for (let xi = 0; xi < taps; xi++) for (let c = 0; c < C; c++) vals[xi * C + c] = U[(xi * C + c) * O + o];
      out.fill(scaleFrom(clipValue(vals, method, 100, TAP_INT8[0], TAP_INT8[1]), 127), o * taps, (o + 1) * taps);
      continue;
    }
    for (let xi = 0; xi < taps; xi++) {
      const vals = new Float64Array(C);
      for (let c = 0; c < C; c++) vals[c] = U[(xi * C + c) * O + o];
      out[o * taps + xi] = scaleFrom(clipValue(vals, method, 100, TAP_INT8[0], TAP_INT8[1]), 127);
    }
  }
  return out;
}

function tapDtypes(algo: Winograd2D, inputDtype: QuantDType, xZeroPoint: number, granularity: TapGranularity, unsigned: boolean): TapDtype[] {
  const nonneg = nonnegativeTaps(algo);
  const useUnsigned = unsigned && granularity === 'tap' && inputIsNonnegative(inputDtype, xZeroPoint);
  return nonneg.map((n) => (useUnsigned && n ? 'uint8' : 'int8'));
}

function range(dt: TapDtype): readonly [number, number] {
  return dt === 'uint8' ? TAP_UINT8 : TAP_INT8;
}

/**
 * Per-tap scales from representative inputs (and per (o, ξ) weight scales from the weights). The samples are
 * transformed exactly as at inference (same pads), and every tile and channel contributes to its taps.
 */
export function calibrateTapScales(algo: Winograd2D, samples: readonly TapCalibrationSample[], weights: TapWeights, options: TapCalibrationOptions): TapScales {
  checkAlgo(algo);
  if (typeof options !== 'object' || options === null) fail('options', options, 'must be an object { inputDtype, xZeroPoint, ... }');
  checkInputQuant(options.inputDtype, options.xZeroPoint);
  const method = options.method ?? 'mse';
  if (!['maxabs', 'percentile', 'mse'].includes(method)) fail('options.method', method, "must be 'maxabs', 'percentile' or 'mse'");
  const weightMethod = options.weightMethod ?? 'maxabs';
  if (!['maxabs', 'mse'].includes(weightMethod)) fail('options.weightMethod', weightMethod, "must be 'maxabs' or 'mse'");
  const percentile = options.percentile ?? 99.99;
  if (typeof percentile !== 'number' || !(percentile > 0 && percentile <= 100)) fail('options.percentile', percentile, 'must be a number in (0, 100]');
  const granularity = options.granularity ?? 'tap';
  if (granularity !== 'tap' && granularity !== 'tensor') fail('options.granularity', granularity, "must be 'tap' or 'tensor'");
  if (!Array.isArray(samples) || samples.length === 0) fail('samples', samples, 'must be a non-empty array of NHWC inputs');
  const pads = options.pads ?? defaultPads(algo);
  const C = weights.inChannels;
  const O = weights.outChannels;
  const taps = algo.nh * algo.nw;
  const U = tapwiseFilterTransform(algo, weights);
  const inputDtype = tapDtypes(algo, options.inputDtype, options.xZeroPoint, granularity, options.unsignedTaps ?? true);

  // collect V per tap over all samples
  const perTap: Float64Array[][] = Array.from({ length: taps }, () => []);
  samples.forEach((s, k) => {
    const shape: WinogradConvShape = { batch: s.batch, inHeight: s.height, inWidth: s.width, inChannels: C, outChannels: O, pads: [...pads] as [number, number, number, number] };
    const tiling = winogradTiling(algo, shape);
    const d = shiftedInput(s.data, s.batch * s.height * s.width * C, options.inputDtype, options.xZeroPoint, `samples[${k}].data`);
    const V = winogradInputTransform(algo, d, shape, 'f32');
    const per = tiling.tiles * C;
    for (let xi = 0; xi < taps; xi++) perTap[xi].push(V.subarray(xi * per, (xi + 1) * per));
  });
  const concat = (parts: Float64Array[]) => {
    const n = parts.reduce((a, p) => a + p.length, 0);
    const out = new Float64Array(n);
    let off = 0;
    for (const p of parts) {
      out.set(p, off);
      off += p.length;
    }
    return out;
  };
  const inputScale = new Float64Array(taps);
  if (granularity === 'tensor') {
    const vals = strided(concat(perTap.map(concat)), MAX_SAMPLES_PER_TAP * 4);
    inputScale.fill(scaleFrom(clipValue(vals, method, percentile, TAP_INT8[0], TAP_INT8[1]), 127));
  } else {
    for (let xi = 0; xi < taps; xi++) {
      const [qlo, qhi] = range(inputDtype[xi]);
      const vals = strided(concat(perTap[xi]), MAX_SAMPLES_PER_TAP);
      inputScale[xi] = scaleFrom(clipValue(vals, method, percentile, qlo, qhi), qhi);
    }
  }
  return {
    algorithm: algo.name,
    taps,
    outChannels: O,
    granularity,
    method: method === 'percentile' ? `percentile:${percentile}` : method,
    inputDtype,
    inputScale,
    weightScale: weightScalesFrom(algo, U, O, C, granularity, weightMethod),
  };
}

export interface StaticTapScaleOptions {
  inputDtype: QuantDType;
  xZeroPoint: number;
  granularity?: TapGranularity;
  unsignedTaps?: boolean;
  weightMethod?: WeightCalibrationMethod;
}

/**
 * Scales that never clip: s_x[ξ] = max over all inputs of the type of |V[ξ]| / qmax, from the exact linear form
 * of each tap (Σ|coef|·max|d'| for signed taps; Σ coef·max d' for unsigned ones). Weight scales as in
 * `calibrateTapScales`. A fallback when no calibration data exist; much coarser (F(4,3)'s worst case is far
 * above typical values).
 */
export function staticTapScales(algo: Winograd2D, weights: TapWeights, options: StaticTapScaleOptions): TapScales {
  checkAlgo(algo);
  if (typeof options !== 'object' || options === null) fail('options', options, 'must be an object { inputDtype, xZeroPoint, ... }');
  checkInputQuant(options.inputDtype, options.xZeroPoint);
  const granularity = options.granularity ?? 'tap';
  if (granularity !== 'tap' && granularity !== 'tensor') fail('options.granularity', granularity, "must be 'tap' or 'tensor'");
  const [tlo, thi] = QUANT_RANGE[options.inputDtype];
  const dLo = Math.min(0, tlo - options.xZeroPoint);
  const dHi = Math.max(0, thi - options.xZeroPoint);
  const inputDtype = tapDtypes(algo, options.inputDtype, options.xZeroPoint, granularity, options.unsignedTaps ?? true);
  const bh = algo.h.BT.map((row) => row.map((f) => Number(f.s * f.n) / Number(f.d)));
  const bw = algo.w.BT.map((row) => row.map((f) => Number(f.s * f.n) / Number(f.d)));
  const taps = algo.nh * algo.nw;
  const bound = new Float64Array(taps);
  for (let a = 0; a < algo.nh; a++) {
    for (let b = 0; b < algo.nw; b++) {
      let mn = 0;
      let mx = 0;
      for (let i = 0; i < algo.nh; i++) {
        for (let j = 0; j < algo.nw; j++) {
          const c = bh[a][i] * bw[b][j];
          mn += Math.min(c * dLo, c * dHi);
          mx += Math.max(c * dLo, c * dHi);
        }
      }
      bound[a * algo.nw + b] = Math.max(-mn, mx);
    }
  }
  const inputScale = new Float64Array(taps);
  if (granularity === 'tensor') inputScale.fill(scaleFrom(Math.max(...bound), 127));
  else for (let xi = 0; xi < taps; xi++) inputScale[xi] = scaleFrom(bound[xi], range(inputDtype[xi])[1]);
  const U = tapwiseFilterTransform(algo, weights);
  return {
    algorithm: algo.name,
    taps,
    outChannels: weights.outChannels,
    granularity,
    method: 'static',
    inputDtype,
    inputScale,
    weightScale: weightScalesFrom(algo, U, weights.outChannels, weights.inChannels, granularity, options.weightMethod ?? 'maxabs'),
  };
}

// ---------------------------------------------------------------------------------------------------------
// JSON

export interface TapScalesJSON {
  format: 'winoconv-tap-scales';
  version: 1;
  algorithm: string;
  taps: number;
  outChannels: number;
  granularity: TapGranularity;
  method: string;
  inputDtype: TapDtype[];
  inputScale: number[];
  /** [outChannels][taps]. */
  weightScale: number[][];
}

/** JSON-ready form (scales as float32 values, written as JS numbers, which round-trip exactly). */
export function tapScalesToJSON(s: TapScales): TapScalesJSON {
  validateTapScales(s);
  return {
    format: 'winoconv-tap-scales',
    version: 1,
    algorithm: s.algorithm,
    taps: s.taps,
    outChannels: s.outChannels,
    granularity: s.granularity,
    method: s.method,
    inputDtype: [...s.inputDtype],
    inputScale: Array.from(s.inputScale),
    weightScale: Array.from({ length: s.outChannels }, (_, o) => Array.from(s.weightScale.subarray(o * s.taps, (o + 1) * s.taps))),
  };
}

function checkScaleValue(field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) fail(field, v, 'must be a finite number > 0');
  if (f32(v) !== v) fail(field, v, `must be a float32 value (Math.fround gives ${f32(v)})`);
  return v;
}

/**
 * Parses and validates (every error names the field, the value and the rule). When `algo` is given the scales
 * must belong to it; otherwise the algorithm is resolved from its name. `prefix` (e.g. "tapScales.") marks the
 * scales as embedded in a larger document: field names get the prefix, and `format`/`version` (and, when
 * `algo` is given, `algorithm`) may be left out.
 */
export function tapScalesFromJSON(json: unknown, algo?: Winograd2D, prefix = ''): TapScales {
  const obj = typeof json === 'string' ? (JSON.parse(json) as unknown) : json;
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) fail(prefix || 'tapScales', obj, 'must be an object');
  const o = obj as Record<string, unknown>;
  const f = (k: string) => `${prefix}${k}`;
  if (prefix === '' && o.format !== 'winoconv-tap-scales') fail(f('format'), o.format, "must be 'winoconv-tap-scales'");
  if (prefix === '' && o.version !== 1) fail(f('version'), o.version, 'must be 1');
  const embedded = prefix !== '' && algo !== undefined;
  if (!(embedded && o.algorithm === undefined) && typeof o.algorithm !== 'string') fail(f('algorithm'), o.algorithm, 'must be an algorithm name like "F(2x2,3x3)"');
  let a = algo;
  if (a) {
    if (o.algorithm !== undefined && o.algorithm !== a.name) fail(f('algorithm'), o.algorithm, `must be "${a.name}" (the algorithm the scales are used with)`);
  } else {
    try {
      const named = winogradFromName(o.algorithm as string);
      if (named.dims !== 2) throw new Error('1-D');
      a = named;
    } catch {
      fail(f('algorithm'), o.algorithm, 'must name a 2-D algorithm like "F(2x2,3x3)" or "F(4x1,3x3)"');
    }
  }
  const taps = a.nh * a.nw;
  if (o.taps !== taps) fail(f('taps'), o.taps, `must be ${taps} (nh · nw of ${a.name})`);
  if (typeof o.outChannels !== 'number' || !Number.isInteger(o.outChannels) || o.outChannels < 1) fail(f('outChannels'), o.outChannels, 'must be an integer >= 1');
  const O = o.outChannels;
  if (o.granularity !== 'tap' && o.granularity !== 'tensor') fail(f('granularity'), o.granularity, "must be 'tap' or 'tensor'");
  if (typeof o.method !== 'string') fail(f('method'), o.method, 'must be a string');
  if (!Array.isArray(o.inputDtype) || o.inputDtype.length !== taps) fail(f('inputDtype'), o.inputDtype, `must be an array of ${taps} entries ('int8' or 'uint8')`);
  const nonneg = nonnegativeTaps(a);
  const inputDtype = (o.inputDtype as unknown[]).map((d, xi) => {
    if (d !== 'int8' && d !== 'uint8') fail(f(`inputDtype[${xi}]`), d, "must be 'int8' or 'uint8'");
    if (d === 'uint8' && !nonneg[xi]) fail(f(`inputDtype[${xi}]`), d, `must be 'int8': tap ${xi} of ${a.name} has negative input-transform coefficients`);
    return d;
  });
  if (!Array.isArray(o.inputScale) || o.inputScale.length !== taps) fail(f('inputScale'), o.inputScale, `must be an array of ${taps} scales`);
  const inputScale = Float64Array.from(o.inputScale as unknown[], (v, xi) => checkScaleValue(f(`inputScale[${xi}]`), v));
  if (!Array.isArray(o.weightScale) || o.weightScale.length !== O) fail(f('weightScale'), o.weightScale, `must be an array of ${O} rows (one per output channel)`);
  const weightScale = new Float64Array(O * taps);
  (o.weightScale as unknown[]).forEach((row, oc) => {
    if (!Array.isArray(row) || row.length !== taps) fail(f(`weightScale[${oc}]`), row, `must be an array of ${taps} scales`);
    row.forEach((v: unknown, xi: number) => {
      weightScale[oc * taps + xi] = checkScaleValue(f(`weightScale[${oc}][${xi}]`), v);
    });
  });
  return { algorithm: a.name, taps, outChannels: O, granularity: o.granularity, method: o.method, inputDtype, inputScale, weightScale };
}

/** Structural check of a TapScales object (used before export and inference). */
export function validateTapScales(s: TapScales, algo?: Winograd2D): void {
  if (typeof s !== 'object' || s === null) fail('scales', s, 'must be a TapScales object');
  if (algo && s.algorithm !== algo.name) fail('scales.algorithm', s.algorithm, `must be "${algo.name}"`);
  const taps = algo ? algo.nh * algo.nw : s.taps;
  if (s.taps !== taps) fail('scales.taps', s.taps, `must be ${taps}`);
  if (!Number.isInteger(s.outChannels) || s.outChannels < 1) fail('scales.outChannels', s.outChannels, 'must be an integer >= 1');
  if (s.inputDtype?.length !== taps) fail('scales.inputDtype.length', s.inputDtype?.length, `must be ${taps}`);
  if (s.inputScale?.length !== taps) fail('scales.inputScale.length', s.inputScale?.length, `must be ${taps}`);
  if (s.weightScale?.length !== taps * s.outChannels) fail('scales.weightScale.length', s.weightScale?.length, `must be ${taps * s.outChannels} (outChannels · taps)`);
  s.inputScale.forEach((v, i) => checkScaleValue(`scales.inputScale[${i}]`, v));
  s.weightScale.forEach((v, i) => checkScaleValue(`scales.weightScale[${i}]`, v));
  const nonneg = algo ? nonnegativeTaps(algo) : null;
  s.inputDtype.forEach((d, i) => {
    if (d !== 'int8' && d !== 'uint8') fail(`scales.inputDtype[${i}]`, d, "must be 'int8' or 'uint8'");
    if (nonneg && d === 'uint8' && !nonneg[i]) fail(`scales.inputDtype[${i}]`, d, `must be 'int8': tap ${i} of ${algo!.name} has negative input-transform coefficients`);
  });
}

// ---------------------------------------------------------------------------------------------------------
// Inference reference

export interface TapwiseKernelParams {
  /** Per tap: fround(1 / s_x[ξ]). */
  inputInvScale: Float32Array;
  /** Per tap: quantization range of V. */
  inputLo: Int32Array;
  inputHi: Int32Array;
  /** [o · taps + ξ]: fround(fround(s_x[ξ]) · fround(s_w[o][ξ])). */
  dequant: Float32Array;
}

/** The per-tap constants a GPU kernel needs (exactly the values `tapwiseWinogradConv` uses). */
export function tapwiseKernelParams(s: TapScales): TapwiseKernelParams {
  validateTapScales(s);
  const taps = s.taps;
  const inputInvScale = Float32Array.from(s.inputScale, (v) => 1 / v);
  const inputLo = Int32Array.from(s.inputDtype, (d) => range(d)[0]);
  const inputHi = Int32Array.from(s.inputDtype, (d) => range(d)[1]);
  const dequant = new Float32Array(s.outChannels * taps);
  for (let o = 0; o < s.outChannels; o++) for (let xi = 0; xi < taps; xi++) dequant[o * taps + xi] = f32(s.inputScale[xi]) * f32(s.weightScale[o * taps + xi]);
  return { inputInvScale, inputLo, inputHi, dequant };
}

/** Uq[ξ][c][o] = clamp(round_half_even(U / s_w[o][ξ]), −127, 127) (offline, float64). */
export function quantizeTapWeights(algo: Winograd2D, weights: TapWeights, scales: TapScales): Int8Array {
  validateTapScales(scales, algo);
  if (scales.outChannels !== weights.outChannels) fail('scales.outChannels', scales.outChannels, `must equal weights.outChannels (${weights.outChannels})`);
  const U = tapwiseFilterTransform(algo, weights);
  const O = weights.outChannels;
  const C = weights.inChannels;
  const taps = scales.taps;
  const Uq = new Int8Array(U.length);
  for (let xi = 0; xi < taps; xi++) {
    for (let c = 0; c < C; c++) {
      for (let o = 0; o < O; o++) {
        const i = (xi * C + c) * O + o;
        Uq[i] = Math.min(127, Math.max(-127, roundHalfEven(U[i] / scales.weightScale[o * taps + xi])));
      }
    }
  }
  return Uq;
}

export interface TapwiseConvOperands {
  /** NHWC integers of `inputDtype`. */
  input: ArrayLike<number>;
  inputDtype: QuantDType;
  /** batch, inHeight, inWidth, inChannels, outChannels, pads (stride 1, dilation 1, one group). */
  shape: WinogradConvShape;
  xScale: number;
  xZeroPoint: number;
  /** Pre-quantized transformed weights from `quantizeTapWeights` ([ξ][c][o]). */
  weightsQ: Int8Array;
  /** QLinearConv weight scale(s): one, or one per output channel. */
  wScale: number | ArrayLike<number>;
  yScale: number;
  yZeroPoint: number;
  outputDtype: QuantDType;
  /** int32 per output channel (QLinearConv B); default 0. |B| ≤ 2^30. */
  bias?: ArrayLike<number>;
  /** linear (default), relu or relu6 (fused clamp, as QLinearConv's reference). */
  activation?: Activation;
}

export interface TapwiseResult {
  /** Quantized output, NHWC [N, outH, outW, O]. */
  output: Int32Array;
  outputShape: [number, number, number, number];
  /** Y (float32 values) before rounding and bias: the approximation of the exact ConvInteger result. */
  accFloat: Float64Array;
  /** acc = clamp(round(Y), ±2^30) + B. */
  acc: Int32Array;
  tiling: WinogradTiling;
  /** Quantized transformed input [ξ][t][c]. */
  Vq: Int32Array;
  /** Integer tap products [ξ][t][o]. */
  Mi: Int32Array;
}

const ACC_LIMIT = 2 ** 30;

/** Stage 1–2: quantized transformed input Vq[ξ][t][c]. */
export function tapwiseInputTransform(algo: Winograd2D, input: ArrayLike<number>, inputDtype: QuantDType, xZeroPoint: number, shape: WinogradConvShape, scales: TapScales): Int32Array {
  checkInputQuant(inputDtype, xZeroPoint);
  const params = tapwiseKernelParams(scales);
  const tiling = winogradTiling(algo, shape);
  const d = shiftedInput(input, shape.batch * shape.inHeight * shape.inWidth * shape.inChannels, inputDtype, xZeroPoint, 'input');
  const V = winogradInputTransform(algo, d, shape, 'f32');
  const per = tiling.tiles * shape.inChannels;
  const Vq = new Int32Array(V.length);
  for (let xi = 0; xi < tiling.taps; xi++) {
    const inv = params.inputInvScale[xi];
    const lo = params.inputLo[xi];
    const hi = params.inputHi[xi];
    for (let i = xi * per; i < (xi + 1) * per; i++) Vq[i] = Math.min(hi, Math.max(lo, roundHalfEven(f32(V[i] * inv))));
  }
  return Vq;
}

/** Stage 3: Mi[ξ][t][o] = Σ_c Vq · Uq (exact int32). */
export function tapwiseTapProducts(algo: Winograd2D, Vq: Int32Array, Uq: Int8Array, shape: WinogradConvShape): Int32Array {
  const { tiles, taps } = winogradTiling(algo, shape);
  const { inChannels: C, outChannels: O } = shape;
  if (C * 255 * 127 > 2 ** 31 - 1) fail('shape.inChannels', C, 'must be <= 66311 so that the int32 tap sums cannot overflow (255 · 127 · C_in < 2^31)');
  if (Uq.length !== taps * C * O) fail('weightsQ.length', Uq.length, `must be ${taps * C * O} ([ξ][c][o] ${taps}x${C}x${O})`);
  if (Vq.length !== taps * tiles * C) fail('Vq.length', Vq.length, `must be ${taps * tiles * C}`);
  const Mi = new Int32Array(taps * tiles * O);
  const acc = new Int32Array(O);
  for (let xi = 0; xi < taps; xi++) {
    for (let t = 0; t < tiles; t++) {
      acc.fill(0);
      const vBase = (xi * tiles + t) * C;
      for (let c = 0; c < C; c++) {
        const v = Vq[vBase + c];
        if (v === 0) continue;
        const uBase = (xi * C + c) * O;
        for (let o = 0; o < O; o++) acc[o] += v * Uq[uBase + o];
      }
      Mi.set(acc, (xi * tiles + t) * O);
    }
  }
  return Mi;
}

/** Stages 4–5: Y = Ahᵀ · (f32(Mi) · deq) · Aw in float32, NHWC. */
export function tapwiseOutputTransform(algo: Winograd2D, Mi: Int32Array, shape: WinogradConvShape, scales: TapScales): Float64Array {
  const params = tapwiseKernelParams(scales);
  const { tiles, taps } = winogradTiling(algo, shape);
  const O = shape.outChannels;
  if (scales.outChannels !== O) fail('scales.outChannels', scales.outChannels, `must equal shape.outChannels (${O})`);
  const Mf = new Float64Array(Mi.length);
  for (let xi = 0; xi < taps; xi++) {
    for (let t = 0; t < tiles; t++) {
      const base = (xi * tiles + t) * O;
      for (let o = 0; o < O; o++) Mf[base + o] = f32(f32(Mi[base + o]) * params.dequant[o * taps + xi]);
    }
  }
  return winogradOutputTransform(algo, Mf, shape, 'f32');
}

/** The whole tap-wise pipeline, in the order the file comment lists (what a GPU kernel reproduces). */
export function tapwiseWinogradConv(algo: Winograd2D, ops: TapwiseConvOperands, scales: TapScales): TapwiseResult {
  checkAlgo(algo);
  validateTapScales(scales, algo);
  const { shape } = ops;
  const tiling = winogradTiling(algo, shape);
  const O = shape.outChannels;
  const wScale = typeof ops.wScale === 'number' ? [ops.wScale] : Array.from(ops.wScale);
  if (wScale.length !== 1 && wScale.length !== O) fail('wScale', ops.wScale, `must hold 1 value or ${O} (one per output channel)`);
  const rq = requantParams(ops.xScale, wScale.length === 1 ? new Array<number>(O).fill(wScale[0]) : wScale, ops.yScale);
  const clamp = requantClamp(ops.activation, ops.yScale, ops.yZeroPoint, ops.outputDtype);
  const bias = new Int32Array(O);
  if (ops.bias !== undefined) {
    if (ops.bias.length !== O) fail('bias.length', ops.bias.length, `must be ${O} (one int32 per output channel)`);
    for (let o = 0; o < O; o++) {
      const b = ops.bias[o];
      if (!Number.isInteger(b) || Math.abs(b) > ACC_LIMIT) fail(`bias[${o}]`, b, 'must be an integer with |value| <= 2^30');
      bias[o] = b;
    }
  }
  const Vq = tapwiseInputTransform(algo, ops.input, ops.inputDtype, ops.xZeroPoint, shape, scales);
  const Mi = tapwiseTapProducts(algo, Vq, ops.weightsQ, shape);
  const accFloat = tapwiseOutputTransform(algo, Mi, shape, scales);
  const acc = new Int32Array(accFloat.length);
  const output = new Int32Array(accFloat.length);
  for (let i = 0; i < accFloat.length; i++) {
    const o = i % O;
    const r = Math.min(ACC_LIMIT, Math.max(-ACC_LIMIT, roundHalfEven(accFloat[i])));
    acc[i] = r + bias[o];
    output[i] = requantizeCpu(acc[i], rq.m0[o], rq.shift[o], clamp.zp, clamp.lo, clamp.hi);
  }
  return { output, outputShape: [shape.batch, tiling.outHeight, tiling.outWidth, O], accFloat, acc, tiling, Vq, Mi };
}

/** 10 · log10(Σ exact² / Σ (approx − exact)²); +Infinity when they are equal. */
export function sqnrDb(approx: ArrayLike<number>, exact: ArrayLike<number>): number {
  if (approx?.length !== exact?.length) fail('approx.length', approx?.length, `must equal exact.length (${exact?.length})`);
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < exact.length; i++) {
    signal += exact[i] * exact[i];
    const d = approx[i] - exact[i];
    noise += d * d;
  }
  if (!Number.isFinite(signal) || !Number.isFinite(noise)) fail('approx', 'non-finite values', 'must be finite');
  if (noise === 0) return Infinity;
  return 10 * Math.log10(signal / noise);
}

/**
 * The one tolerance helper. A GPU result y_i passes against the float64 reference r_i when
 *
 *   |y_i − r_i| ≤ perTerm · S_i + perValue · |r_i|
 *
 * where S_i = Σ|x·w| + |bias| over the terms of output i (see reference/conv2d.ts `maxAbsDot`): rounding
 * error of a dot product grows with its terms, not with its result, and Winograd's transforms multiply
 * that error by a factor that grows with the tile. `perValue` covers what comes after the sum (the
 * activation: exp in elu/sigmoid). NaN or ±Inf in the result always fails, whatever the bound.
 *
 * Each constant says what it is based on. u = 2^-24 (float32 unit roundoff).
 *
 * Outputs with few or no terms (issue 10). Two per-output magnitudes make the bound sound there:
 * - Winograd computes a whole m×m output tile from one input patch: the rounding error of every output of the
 *   tile comes from the same transformed products, so it scales with the tile's terms, not with the output's
 *   own. An output that sees only padding (S_i = 0, reference exactly its bias) still carries the rounding of
 *   its neighbours. `tileMaxAbsDot` replaces each S_i by the largest S_j of its tile; the per-term constants
 *   were measured on interior outputs, where S_j ≈ S_i over the tile, so they keep their meaning.
 *   Measured (SwiftShader, Node, 2026-12-03; the verification gate's data): 24 random descriptors 8→8 3×3 with
 *   one pad of 3 or 4 (outputs seeing only padding), half with bias, NHWC and NCHW, each through F(2×2),
 *   F(4×4), F(6×6), F(4×1): worst error/bound 0.065, 0.052, 0.064, 0.013 with the tile maximum, where S_i
 *   gave Infinity (an error over a bound of 0) for 34 of 48 F(4×4)/F(6×6) plans in the probe.
 * - Activations built on exp (elu, sigmoid) add the error of exp itself, which WGSL allows up to 3 + 2|x| ULP
 *   of exp's result (ULP ≤ 2u·|value|), and that result can be much larger than the output (elu near 0:
 *   exp(v) − 1 ≈ v while exp(v) ≈ 1). `epilogueValueMagnitude` gives per output |ref| plus 2(1 + |v|)·|e| for
 *   the exp term e the activation evaluates (e = exp(v) for elu with v ≤ 0; s(1 − s) for sigmoid, the
 *   sensitivity of 1/(1 + exp(−v)) to a relative error of exp), so perValue = 4u covers the WGSL bound
 *   (6u·(1 + |v|)·|e|) with a 1.3x margin. Measured on SwiftShader (Node, 2026-12-03), the probe's case: 1×1
 *   convolutions 1→8 with random bias (one term per output), 12 seeds × direct, im2col, auto: worst
 *   error/bound 0.33 (elu) and 0.30 (sigmoid), where |ref| alone refused 9 of 12 elu plans.
 * - A negative-side slope above 1 (leakyrelu alpha, PReLU slopes) multiplies the sum's error by itself: the
 *   engine's comparison (engine/verify.ts compareWithEngineTolerance) scales S_i by max(1, |slope|). Without it,
 *   6 of 18 valid plans with alpha 20 were refused (16→16 3×3, F(4×4), F(6×6), direct; SwiftShader).
 */
export type ToleranceAlgorithm = 'direct' | 'im2col' | 'gemm' | 'winograd2' | 'winograd4' | 'winograd6' | 'winograd' | 'conformance';
/** 'float16-math': float16 plans whose GEMM forms its products in f16 (TuningConfig.f16Math, 'shader-f16'). */
export type ToleranceDType = 'float32' | 'float16' | 'float16-math';

export interface Tolerance {
  dtype: ToleranceDType;
  algorithm: ToleranceAlgorithm;
  perTerm: number;
  perValue: number;
  reason: string;
}

const U32 = 2 ** -24;
const U16 = 2 ** -11;

const TABLE: Record<string, Omit<Tolerance, 'dtype' | 'algorithm'>> = {
  // fp32 dot products accumulated in fp32 (fma). Worst case is K·u·S; with random signs the partial sums stay
  // near √k·|term|. Measured (SwiftShader, Node and Chromium, direct-baseline GPU cases, K ≤ 576 terms): worst
  // error 2.4u·S (error/bound 0.149 at 16u on c64_k32_12x12). 16u leaves a ~6x margin while still failing a
  // wrong tap or a missing term (≈ S/K ≫ 16u·S for K < 10^5); a bias off by 1e-4 relative fails (checked).
  'float32/direct': { perTerm: 16 * U32, perValue: 4 * U32, reason: 'fp32 fma accumulation: measured ≤ 2.4u·Σ|xw|, ~6x margin' },
  'float32/im2col': { perTerm: 16 * U32, perValue: 4 * U32, reason: 'same arithmetic as direct, other order' },
  'float32/gemm': { perTerm: 16 * U32, perValue: 4 * U32, reason: 'same arithmetic as direct, other order' },
  // Winograd: the transforms multiply rounding error by the norms of A, B, G (src/winograd transformErrorScale).
  // Measured worst error over the engine GPU cases (Node and Chromium, SwiftShader, 2026-11-21; C ≤ 256,
  // random data in [-1, 1)), in units of u·Σ|xw|: F(2×2) 3.4u, F(2×1) 2.3u, F(4×4) 65u, F(4×1) 13u, F(6×6) 131u.
  // Each bound leaves about 7-8x over that; a wrong literal (1 → 1.0001) or a dropped term fails by 100x or more.
  'float32/winograd2': { perTerm: 24 * U32, perValue: 4 * U32, reason: 'F(2×2,3×3): measured ≤ 3.4u·Σ|xw|, 7x margin' },
  'float32/winograd4': { perTerm: 512 * U32, perValue: 4 * U32, reason: 'F(4×4,3×3): fractions 1/6, 1/24 in G; measured ≤ 65u·Σ|xw|, 8x margin' },
  'float32/winograd6': { perTerm: 1024 * U32, perValue: 4 * U32, reason: 'F(6×6,3×3): fractions 1/90, 32/45 in G; measured ≤ 131u·Σ|xw|, 8x margin' },
  // Learned transforms are not Cook-Toom: no measured constant can cover them, so the loosest useful bound.
  'float32/winograd': { perTerm: 16384 * U32, perValue: 4 * U32, reason: 'user-supplied transform: 1e-3·Σ|xw|, a sanity bound, not a Cook-Toom measurement' },
  // float16 plans: binary16 storage of x, w, V, U, M and y, f32 arithmetic, against the float64 reference of the
  // *rounded* x and w (what the plan holds; rounding the caller's data is the dtype's contract, not an error).
  // u16 = 2^-11, binary16's unit roundoff. Measured (SwiftShader, Node, 2026-12-04, .scratch/f16probe.mts: 8→12
  // @11×13 NHWC, 32→16 @16² NCHW, 128→32 @12² NHWC, 13→7 @9×10 NCHW, batch 2, data in [-1, 1), bias + relu), as
  // worst (|y − r| − u16·|r|) / Σ|xw|: direct and im2col 1.4e-8 (only the output's rounding, ≤ u16·|r|, and fp32
  // accumulation); F(2×2) 0.94 u16; F(4×4) with the 'alt' points 4.3 u16; F(4×1)-alt 1.5 u16; F(6×6) 7.7 u16.
  // perValue 2·u16 covers the output's own rounding twice over; perTerm leaves 5-6x over each measurement. A
  // misplaced half or a wrong packing (errors of the size of the values) fails by orders of magnitude; a single
  // dropped term of a wide layer hides in F(4×4)'s fp16 noise, as it would in any fp16 computation.
  'float16/direct': { perTerm: 16 * U32, perValue: 2 * U16, reason: 'f16 storage, f32 fma: measured ≤ u16·|y| (output rounding) + fp32 accumulation' },
  'float16/im2col': { perTerm: 16 * U32, perValue: 2 * U16, reason: 'same arithmetic as direct, other order' },
  'float16/gemm': { perTerm: 16 * U32, perValue: 2 * U16, reason: 'same arithmetic as direct, other order' },
  'float16/winograd2': { perTerm: 6 * U16, perValue: 2 * U16, reason: 'F(2×2,3×3), f16 V/U/M: measured ≤ 0.94 u16·Σ|xw|, 6x margin' },
  'float16/winograd4': { perTerm: 24 * U16, perValue: 2 * U16, reason: "F(4×4,3×3) 'alt' points, f16 V/U/M: measured ≤ 4.3 u16·Σ|xw|, 5.5x margin" },
  'float16/winograd6': { perTerm: 40 * U16, perValue: 2 * U16, reason: 'F(6×6,3×3), f16 V/U/M: measured ≤ 7.7 u16·Σ|xw|, 5x margin (never chosen by auto in float16)' },
  'float16/winograd': { perTerm: 64 * U16, perValue: 2 * U16, reason: 'user-supplied transform with f16 storage: 3e-2·Σ|xw|, a sanity bound, not a Cook-Toom measurement' },
  // float16 plans with f16 products (F16_MATH_FORMAT: each k4 step's 4 products and their sum rounded to binary16,
  // ≤ 3·u16 of their magnitude sum, then added in f32): the storage bound plus 4·u16·Σ|xw| (Winograd: times its
  // F(m) factor from the storage measurement). NOT measured: no adapter with 'shader-f16' was available to this
  // project yet; the first GPU run must measure these and replace the derivation.
  'float16-math/direct': { perTerm: 4 * U16, perValue: 2 * U16, reason: 'f16 products, f32 sums: derived 3·u16·Σ|xw| + storage, not measured (no shader-f16 adapter yet)' },
  'float16-math/im2col': { perTerm: 4 * U16, perValue: 2 * U16, reason: 'f16 products, f32 sums: derived 3·u16·Σ|xw| + storage, not measured (no shader-f16 adapter yet)' },
  'float16-math/gemm': { perTerm: 4 * U16, perValue: 2 * U16, reason: 'f16 products, f32 sums: derived 3·u16·Σ|xw| + storage, not measured (no shader-f16 adapter yet)' },
  'float16-math/winograd2': { perTerm: 12 * U16, perValue: 2 * U16, reason: 'F(2×2) with f16 products: storage bound ×2, derived, not measured (no shader-f16 adapter yet)' },
  'float16-math/winograd4': { perTerm: 48 * U16, perValue: 2 * U16, reason: 'F(4×4) alt with f16 products: storage bound ×2, derived, not measured (no shader-f16 adapter yet)' },
  'float16-math/winograd6': { perTerm: 80 * U16, perValue: 2 * U16, reason: 'F(6×6) with f16 products: storage bound ×2, derived, not measured (no shader-f16 adapter yet)' },
  'float16-math/winograd': { perTerm: 128 * U16, perValue: 2 * U16, reason: 'user-supplied transform with f16 products: a sanity bound' },
};

export function toleranceFor(dtype: ToleranceDType, algorithm: ToleranceAlgorithm): Tolerance {
  const hit = TABLE[`${dtype}/${algorithm}`];
  if (!hit) throw new Error(`toleranceFor: no tolerance for dtype '${dtype}' with algorithm '${algorithm}'`);
  return { dtype, algorithm, ...hit };
}

export interface Comparison {
  pass: boolean;
  count: number;
  /** max |y − r| */
  maxAbsError: number;
  /** max |y − r| / max |r| (DESIGN.md / issue 3's maxRel) */
  maxRelError: number;
  /** max over outputs of |y − r| / bound: ≤ 1 passes. */
  worstRatio: number;
  worst?: { index: number; got: number; ref: number; bound: number };
  nonFinite: number;
  firstNonFinite?: number;
  tolerance: Tolerance;
  message: string;
}

/**
 * Winograd: each output's term sum replaced by the largest of its output tile (mh × mw outputs, tiles from the
 * top-left output), for outputs in `layout` order of an [n, c, oh, ow] tensor. See the header.
 */
export function tileMaxAbsDot(absDot: ArrayLike<number>, layout: 'NHWC' | 'NCHW', dims: { n: number; c: number; h: number; w: number }, mh: number, mw: number): Float64Array {
  const { n, c, h, w } = dims;
  const idx = layout === 'NHWC' ? (b: number, ch: number, y: number, x: number) => ((b * h + y) * w + x) * c + ch : (b: number, ch: number, y: number, x: number) => ((b * c + ch) * h + y) * w + x;
  const out = new Float64Array(absDot.length);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      for (let ty = 0; ty < h; ty += mh) {
        for (let tx = 0; tx < w; tx += mw) {
          let m = 0;
          for (let y = ty; y < Math.min(h, ty + mh); y++) for (let x = tx; x < Math.min(w, tx + mw); x++) m = Math.max(m, absDot[idx(b, ch, y, x)]);
          for (let y = ty; y < Math.min(h, ty + mh); y++) for (let x = tx; x < Math.min(w, tx + mw); x++) out[idx(b, ch, y, x)] = m;
        }
      }
    }
  }
  return out;
}

/**
 * The magnitude the perValue term scales with, per output: |ref| plus, for activations built on exp, the exp
 * term's own size (see the header). `pre`: the pre-activation values (sum + bias), same order as `ref`.
 */
export function epilogueValueMagnitude(ref: ArrayLike<number>, pre: ArrayLike<number>, activation: string, residual?: ArrayLike<number>): Float64Array {
  const out = new Float64Array(ref.length);
  for (let i = 0; i < ref.length; i++) {
    const v = pre[i];
    // A residual is one more float32 addition after the dot product, rounded at the scale of its operands
    // (|preAct(conv + bias)| + |residual|), not of the result, which the addition may cancel and a following
    // activation (clip, hardsigmoid, relu) may shrink further: |residual| joins the per-value magnitude.
    const r = residual ? Math.abs(residual[i]) : 0;
    let e = 0;
    if (activation === 'elu' && v <= 0) e = Math.exp(v);
    else if (activation === 'sigmoid') {
      const s = 1 / (1 + Math.exp(-v));
      e = s * (1 - s);
    }
    out[i] = Math.abs(ref[i]) + r + 2 * (1 + Math.abs(v)) * e;
  }
  return out;
}

/**
 * Compares `got` with the reference using per-output term sums `absDot` (S_i) and, when given, per-output value
 * magnitudes `valueMag` (default |r_i|; see epilogueValueMagnitude).
 */
/**
 * Absolute floor of a float32 bound: WGSL lets an implementation flush subnormal f32 values to zero, so each product
 * or partial sum below 2^-126 may become 0 (or a subnormal input may be read as 0). That can move an output by up to
 * one FLT_MIN per term, however small Σ|x·w| is; the floor allows 4096 such terms (2^-114 ≈ 4.8e-35). Measured on
 * PP-OCRv4 (BatchNorm-folded weights near 1e-20): outputs of 1e-34 off by 1.2e-39, and 1.8e-38 flushed to 0.
 */
export const FLUSH_TO_ZERO_FLOOR = 2 ** -114;

export function compareWithReference(got: ArrayLike<number>, ref: ArrayLike<number>, absDot: ArrayLike<number>, tol: Tolerance, valueMag?: ArrayLike<number>): Comparison {
  if (got.length !== ref.length || absDot.length !== ref.length) {
    throw new Error(`compareWithReference: lengths differ (got ${got.length}, reference ${ref.length}, absDot ${absDot.length})`);
  }
  let maxAbs = 0;
  let maxRef = 0;
  let worstRatio = 0;
  let worst: Comparison['worst'];
  let nonFinite = 0;
  let firstNonFinite: number | undefined;
  for (let i = 0; i < ref.length; i++) {
    const y = got[i];
    const r = ref[i];
    maxRef = Math.max(maxRef, Math.abs(r));
    if (!Number.isFinite(y)) {
      nonFinite++;
      firstNonFinite ??= i;
      continue;
    }
    const err = Math.abs(y - r);
    const bound = tol.perTerm * absDot[i] + tol.perValue * (valueMag ? valueMag[i] : Math.abs(r)) + (tol.dtype === 'float32' ? FLUSH_TO_ZERO_FLOOR : 0);
    maxAbs = Math.max(maxAbs, err);
    const ratio = bound > 0 ? err / bound : err > 0 ? Infinity : 0;
    if (worst === undefined || ratio > worstRatio) {
      worstRatio = ratio;
      worst = { index: i, got: y, ref: r, bound };
    }
  }
  const maxRel = maxRef > 0 ? maxAbs / maxRef : maxAbs;
  const pass = nonFinite === 0 && worstRatio <= 1;
  const parts = [
    `${pass ? 'ok' : 'MISMATCH'}: ${ref.length} outputs, maxAbs ${maxAbs.toExponential(3)}, maxRel ${maxRel.toExponential(3)}, worst/bound ${worstRatio.toFixed(3)}`,
    `tolerance ${tol.dtype}/${tol.algorithm}: ${tol.perTerm.toExponential(2)}·Σ|xw| + ${tol.perValue.toExponential(2)}·|ref| (${tol.reason})`,
  ];
  if (worst && !pass) parts.push(`worst at [${worst.index}]: got ${worst.got}, ref ${worst.ref}, bound ${worst.bound.toExponential(3)}`);
  if (nonFinite) parts.push(`${nonFinite} non-finite outputs, first at [${firstNonFinite}] = ${got[firstNonFinite!]}`);
  return { pass, count: ref.length, maxAbsError: maxAbs, maxRelError: maxRel, worstRatio, worst, nonFinite, firstNonFinite, tolerance: tol, message: parts.join('\n') };
}

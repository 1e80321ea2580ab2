/**
 * Float64 direct convolution: the ground truth every kernel is tested against.
 *
 * Covers everything the conformance schema expresses: input NCHW or NHWC, weights OIHW or HWIO, strides,
 * asymmetric pads, dilations, groups (depthwise included), a bias broadcast per channel, as a scalar or with
 * numpy rules against the 4-D output in the input's layout, and the activations linear, relu, relu6,
 * leakyrelu, prelu, elu, sigmoid, clip, hardsigmoid and hardswish. The bias is added first, then the activation;
 * with a residual (a tensor of the output's shape in the output's layout), y = act(preAct(conv + bias) +
 * residual), ONNX's Conv → [act] → Add → [act]. The output is in the
 * input's layout. Products and sums are float64, so float32 data gives results accurate to ~1e-16 relative
 * to Σ|x·w|, and integer data gives exact integers while the sums stay below 2^53.
 */
import { outputSize } from '../conv/geometry.ts';
import type { Activation, ActivationType, BroadcastTensor, ConvGeometry, Layout, WeightLayout } from '../conv/types.ts';
import { ConvDescError, validateConvTensors } from '../conv/validate.ts';
import { expandBroadcast, transposeWeight } from '../conv/tensor-layout.ts';

// Layout helpers shared with the generators and the engine live in src/conv/tensor-layout.ts; re-exported here.
export { expandBroadcast, transposeWeight } from '../conv/tensor-layout.ts';

/** The largest finite float32: clip's default bounds. */
const F32_MAX = 3.4028234663852886e38;

export interface ConvOperands {
  input: ArrayLike<number>;
  inputLayout: Layout;
  weight: ArrayLike<number>;
  weightLayout: WeightLayout;
  bias?: BroadcastTensor;
  activation?: Activation;
  /** Added after bias and preActivation, before activation; the output's shape, in the output's (input's) layout. */
  residual?: ArrayLike<number>;
  /** Applied before the residual is added (only with residual; not prelu). */
  preActivation?: Activation;
}

export interface ConvOutput {
  data: Float64Array;
  /** 4-D, in `layout` (the input's layout). */
  shape: [number, number, number, number];
  layout: Layout;
}

/** Reorders a 4-D activation tensor `[n, c, h, w]` between NCHW and NHWC. */
export function transposeActivation(data: ArrayLike<number>, from: Layout, to: Layout, n: number, c: number, h: number, w: number): Float64Array {
  const out = new Float64Array(n * c * h * w);
  if (from === to) {
    out.set(data);
    return out;
  }
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const nchw = ((b * c + ch) * h + y) * w + x;
          const nhwc = ((b * h + y) * w + x) * c + ch;
          if (from === 'NCHW') out[nhwc] = data[nchw];
          else out[nchw] = data[nhwc];
        }
      }
    }
  }
  return out;
}


/**
 * Direct correlation on NCHW input and OIHW weights; the output is NCHW. With `absolute`, sums |x·w| instead
 * of x·w. Padded positions contribute nothing.
 */
export function directConvNCHW(g: ConvGeometry, x: ArrayLike<number>, w: ArrayLike<number>, absolute = false): Float64Array {
  const xs = Float64Array.from(x, absolute ? Math.abs : (v) => v);
  const ws = Float64Array.from(w, absolute ? Math.abs : (v) => v);
  return convLoops(g, xs, ws, undefined).sum;
}

/** Σ x·w and Σ |x·w| of every output in one sweep (the verification gate needs both). */
export function directConvNCHWWithAbs(g: ConvGeometry, x: ArrayLike<number>, w: ArrayLike<number>): { sum: Float64Array; abs: Float64Array } {
  const xs = Float64Array.from(x);
  const ws = Float64Array.from(w);
  const r = convLoops(g, xs, ws, { x: xs.map(Math.abs), w: ws.map(Math.abs) });
  return { sum: r.sum, abs: r.abs! };
}

function convLoops(g: ConvGeometry, xs: Float64Array, ws: Float64Array, absOf?: { x: Float64Array; w: Float64Array }): { sum: Float64Array; abs?: Float64Array } {
  const { outHeight: oh, outWidth: ow } = outputSize(g);
  const { batch, inChannels: cin, outChannels: cout, inHeight: ih, inWidth: iw, kernelH: kh, kernelW: kw, groups } = g;
  const [sh, sw] = g.strides;
  const [dh, dw] = g.dilations;
  const [pt, pl] = g.pads;
  const cinG = cin / groups;
  const coutG = cout / groups;
  // Float64 operands (|x|, |w| for the absolute sum: |x·w| = |x|·|w|) keep the loops monomorphic. Each output sums
  // its terms in (ci, ky, kx) order, as a per-output loop would; the loops run weight by weight over output rows so
  // the innermost loop walks contiguous memory (the verification gate's reference on 512-channel layers).
  const out = new Float64Array(batch * cout * oh * ow);
  const outAbs = absOf ? new Float64Array(out.length) : undefined;
  const xa = absOf?.x;
  const wa = absOf?.w;
  for (let n = 0; n < batch; n++) {
    for (let o = 0; o < cout; o++) {
      const c0 = Math.floor(o / coutG) * cinG;
      const oBase = (n * cout + o) * oh * ow;
      for (let ci = 0; ci < cinG; ci++) {
        const xBase = (n * cin + c0 + ci) * ih;
        const wBase = (o * cinG + ci) * kh;
        for (let ky = 0; ky < kh; ky++) {
          for (let kx = 0; kx < kw; kx++) {
            const wv = ws[(wBase + ky) * kw + kx];
            const wav = wa ? wa[(wBase + ky) * kw + kx] : 0;
            const off = kx * dw - pl;
            // xo with 0 <= xo·sw + off < iw
            const lo = Math.max(0, Math.ceil(-off / sw));
            const hi = Math.min(ow - 1, Math.floor((iw - 1 - off) / sw));
            for (let y = 0; y < oh; y++) {
              const iy = y * sh - pt + ky * dh;
              if (iy < 0 || iy >= ih) continue;
              const xRow = (xBase + iy) * iw + off;
              const oRow = oBase + y * ow;
              for (let xo = lo; xo <= hi; xo++) out[oRow + xo] += xs[xRow + xo * sw] * wv;
              if (outAbs) for (let xo = lo; xo <= hi; xo++) outAbs[oRow + xo] += xa![xRow + xo * sw] * wav;
            }
          }
        }
      }
    }
  }
  return { sum: out, abs: outAbs };
}

const ACTIVATION_TYPES: readonly ActivationType[] = ['linear', 'relu', 'relu6', 'leakyrelu', 'prelu', 'elu', 'sigmoid', 'clip', 'hardsigmoid', 'hardswish'];

/** Applies `act` to `v`; `slope` is the PReLU slope for this element (ignored otherwise). */
export function applyActivation(v: number, act: Activation | undefined, slope = 0): number {
  switch (act?.type ?? 'linear') {
    case 'linear':
      return v;
    case 'relu':
      return v > 0 || Number.isNaN(v) ? v : 0; // NaN-preserving, as the kernels (README "Special values")
    case 'relu6':
      return Math.min(Math.max(v, 0), 6);
    case 'leakyrelu':
      return v >= 0 ? v : (act?.alpha ?? 0.2) * v;
    case 'prelu':
      return v >= 0 ? v : slope * v;
    case 'elu':
      return v > 0 ? v : Math.expm1(v);
    case 'sigmoid':
      return 1 / (1 + Math.exp(-v));
    // NaN-preserving like the kernels: Math.min / Math.max return NaN for a NaN operand.
    case 'clip':
      return Math.min(Math.max(v, act?.min ?? -F32_MAX), act?.max ?? F32_MAX);
    case 'hardsigmoid':
      return Math.max(0, Math.min(1, (act?.alpha ?? 0.2) * v + (act?.beta ?? 0.5)));
    case 'hardswish':
      return v * Math.max(0, Math.min(1, v / 6 + 0.5));
    default:
      throw new ConvDescError('activation.type', act?.type, `must be one of ${ACTIVATION_TYPES.map((t) => `'${t}'`).join(', ')}`);
  }
}

/** Checks the activation's parameters; returns the PReLU slopes when there are any. */
function checkActivation(act: Activation | undefined): BroadcastTensor | undefined {
  if (act === undefined) return undefined;
  if (!ACTIVATION_TYPES.includes(act.type)) {
    throw new ConvDescError('activation.type', act.type, `must be one of ${ACTIVATION_TYPES.map((t) => `'${t}'`).join(', ')}`);
  }
  for (const k of ['alpha', 'beta', 'min', 'max'] as const) {
    if (act[k] !== undefined && !Number.isFinite(act[k])) throw new ConvDescError(`activation.${k}`, act[k], 'must be a finite number');
  }
  if (act.type === 'clip' && (act.min ?? -F32_MAX) > (act.max ?? F32_MAX)) throw new ConvDescError('activation.min', act.min, `must be <= max (${act.max})`);
  if (act.type !== 'prelu') return undefined;
  if (!act.preluWeights) throw new ConvDescError('activation.preluWeights', act.preluWeights, "is required for activation 'prelu'");
  return act.preluWeights;
}

/** Maps an NCHW-ordered result into `layout` order (returned as is when the layout is NCHW). */
export function toLayout(nchw: Float64Array, layout: Layout, n: number, c: number, h: number, w: number): Float64Array {
  return layout === 'NCHW' ? nchw : transposeActivation(nchw, 'NCHW', 'NHWC', n, c, h, w);
}

/** The operands as NCHW input and OIHW weights (float64 copies). */
export function nchwOperands(
  g: ConvGeometry,
  ops: Pick<ConvOperands, 'input' | 'inputLayout' | 'weight' | 'weightLayout'>,
): { x: Float64Array; w: Float64Array } {
  const x = transposeActivation(ops.input, ops.inputLayout, 'NCHW', g.batch, g.inChannels, g.inHeight, g.inWidth);
  const w = transposeWeight(ops.weight, ops.weightLayout, 'OIHW', g.outChannels, g.inChannels / g.groups, g.kernelH, g.kernelW);
  return { x, w };
}

/**
 * The raw sums (or absolute sums) of a convolution in NCHW, remembered for the last operands: the verification gate
 * asks for the same convolution with and without its activation, and for Σ|x·w|, on the same arrays.
 */
let lastSums: { input: Float64Array; weight: Float64Array; key: string; sum?: Float64Array; abs?: Float64Array } | undefined;
/** Same values (NaN equal to NaN): the remembered copy still describes the caller's array (it may have been refilled). */
function sameValues(a: Float64Array, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return false;
  return true;
}
function convSums(g: ConvGeometry, ops: Pick<ConvOperands, 'input' | 'inputLayout' | 'weight' | 'weightLayout'>, absolute: boolean): Float64Array {
  const key = `${JSON.stringify(g)}|${ops.inputLayout}|${ops.weightLayout}`;
  if (!lastSums || lastSums.key !== key || !sameValues(lastSums.input, ops.input) || !sameValues(lastSums.weight, ops.weight)) {
    lastSums = { input: Float64Array.from(ops.input), weight: Float64Array.from(ops.weight), key };
  }
  const have = absolute ? lastSums.abs : lastSums.sum;
  if (have) return have.slice();
  const { x, w } = nchwOperands(g, ops);
  const r = directConvNCHWWithAbs(g, x, w);
  lastSums.sum = r.sum;
  lastSums.abs = r.abs;
  return (absolute ? r.abs : r.sum).slice();
}

/** Float64 direct convolution with bias and activation; the output is in the input's layout. */
export function conv2dReference(g: ConvGeometry, ops: ConvOperands): ConvOutput {
  const preluWeights = checkActivation(ops.activation);
  const shape = validateConvTensors(g, { ...ops, preluWeights });
  const { outHeight: oh, outWidth: ow } = outputSize(g);
  const data = toLayout(convSums(g, ops, false), ops.inputLayout, g.batch, g.outChannels, oh, ow);
  const bias = ops.bias ? expandBroadcast(ops.bias, ops.inputLayout, g.batch, g.outChannels, oh, ow) : undefined;
  const slopes = preluWeights ? expandBroadcast(preluWeights, ops.inputLayout, g.batch, g.outChannels, oh, ow) : undefined;
  const res = ops.residual;
  if (ops.preActivation && !res) throw new ConvDescError('preActivation', ops.preActivation.type, 'applies only with a residual');
  if (ops.preActivation?.type === 'prelu') throw new ConvDescError('preActivation', 'prelu', 'must not be prelu');
  checkActivation(ops.preActivation);
  if (res && res.length !== data.length) throw new ConvDescError('residual.length', res.length, `must equal the output's element count ${data.length}`);
  for (let i = 0; i < data.length; i++) {
    const b = bias ? data[i] + bias[i] : data[i];
    const v = res ? applyActivation(b, ops.preActivation) + Number(res[i]) : b;
    data[i] = applyActivation(v, ops.activation, slopes ? slopes[i] : 0);
  }
  return { data, shape, layout: ops.inputLayout };
}

export interface MaxAbsDot {
  /** max over outputs of Σ|x·w| + |bias| */
  max: number;
  /** Σ|x·w| + |bias| per output, in the output's (input's) layout order. */
  perOutput: Float64Array;
}

/** Per output, Σ|x·w| + |bias|: the natural error scale of each dot product (SCHEMA.md `max_abs_dot`). */
export function maxAbsDot(g: ConvGeometry, ops: ConvOperands): MaxAbsDot {
  validateConvTensors(g, ops);
  const { outHeight: oh, outWidth: ow } = outputSize(g);
  const perOutput = toLayout(convSums(g, ops, true), ops.inputLayout, g.batch, g.outChannels, oh, ow);
  const bias = ops.bias ? expandBroadcast(ops.bias, ops.inputLayout, g.batch, g.outChannels, oh, ow) : undefined;
  let max = 0;
  for (let i = 0; i < perOutput.length; i++) {
    if (bias) perOutput[i] += Math.abs(bias[i]);
    max = Math.max(max, perOutput[i]);
  }
  return { max, perOutput };
}

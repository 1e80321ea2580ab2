/**
 * CPU references of the 8-bit op kernels (src/kernels/ops/quant.ts), over row-major data, in float64 / exact
 * integers with float32 rounding exactly where ONNX (numpy float32) and ONNX Runtime's float32 CPU code round:
 *
 *   QuantizeLinear          y = saturate(round_half_even(fl32(x / scale)) + zp)
 *   DequantizeLinear        y = fl32(fl32(x − zp) · scale)
 *   DynamicQuantizeLinear   x_min = min(0, min x), x_max = max(0, max x) (float32),
 *                           scale = fl32(fl32(x_max − x_min) / 255) (1 when x_max = x_min, as ONNX Runtime),
 *                           zp = saturate_uint8(round_half_even(fl32(0 − fl32(x_min / scale)))), y = QuantizeLinear
 *   QLinearAdd / QLinearMul a = fl32(scale_a · (qa − zp_a)), b likewise; v = clamp(fl32(fl32(a + b or a · b) / scale_c),
 *                           lo − zp_c, hi − zp_c), y = round_half_even(fl32(v + zp_c)) (ONNX Runtime's float path,
 *                           MlasQLinearAddKernelRawHelper: the zero point is added in float before rounding)
 *   QLinearSigmoid table    ONNX Runtime's lookup table: x = fl32(scale_x · (q − zp_x)), s = fl32(1 / (1 + e^−x))
 *                           in float64, y = QuantizeLinear(s)
 *   QLinearGlobalAveragePool acc = Σ (q − zp_x) over H·W (exact), M = fl32(scale_x / fl32(scale_y · fl32(H·W))),
 *                           y = saturate(round_half_even(fl32(fl32(acc) · M)) + zp_y) (MlasQLinearGlobalAveragePool)
 *   MaxPool                 the largest input value of the window (the dtype's lowest when it has no input tap)
 *
 * fl32(a / b) of two float32 values computed in float64 and rounded once to float32 is the correctly rounded
 * float32 quotient (53 ≥ 2·24 + 2), so Math.fround of the float64 result is exactly IEEE float32 arithmetic.
 */
import { roundHalfEven } from './integer.ts';
import { type Int8DType, INT8_RANGE, buildUnaryTable, fromRawByte, qlinearBinaryConstTable, qlinearQuantizeValue, qlinearRequantizeTable, qlinearSigmoidTable, quantizeValue, toRawByte } from '../quant/qlinear-tables.ts';

// The scalar rounding and the lookup tables the op kernels use live in src/quant/qlinear-tables.ts; re-exported.
export { type Int8DType, INT8_RANGE, buildUnaryTable, fromRawByte, qlinearBinaryConstTable, qlinearQuantizeValue, qlinearRequantizeTable, qlinearSigmoidTable, quantizeValue, toRawByte } from '../quant/qlinear-tables.ts';


const f32 = Math.fround;

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Index along `axis` of row-major element i of `shape` (0 when axis is undefined: per-tensor parameters). */
function axisIndex(i: number, shape: readonly number[], axis: number | undefined): number {
  if (axis === undefined) return 0;
  const inner = sizeOf(shape.slice(axis + 1));
  return Math.floor(i / inner) % shape[axis];
}

/** Per-tensor (one value) or per-axis (shape[axis] values) parameters. */
export interface QuantParams {
  scale: ArrayLike<number>;
  zeroPoint: ArrayLike<number>;
  /** Normalized axis of per-axis parameters; undefined for per-tensor. */
  axis?: number;
}


export function quantizeLinearRef(x: ArrayLike<number>, shape: readonly number[], p: QuantParams, dtype: Int8DType): Int32Array {
  const n = sizeOf(shape);
  if (x.length !== n) throw new Error(`quantizeLinearRef: ${x.length} values for shape [${shape.join(', ')}]`);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = axisIndex(i, shape, p.axis);
    out[i] = quantizeValue(x[i], p.scale[c], p.zeroPoint[c], dtype);
  }
  return out;
}

/** fl32(fl32(x − zp) · scale) (x, zp integers). */
export function dequantizeLinearRef(x: ArrayLike<number>, shape: readonly number[], p: QuantParams): Float32Array {
  const n = sizeOf(shape);
  if (x.length !== n) throw new Error(`dequantizeLinearRef: ${x.length} values for shape [${shape.join(', ')}]`);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const c = axisIndex(i, shape, p.axis);
    out[i] = f32(f32(x[i] - p.zeroPoint[c]) * f32(p.scale[c]));
  }
  return out;
}

export interface DynamicQuantizeResult {
  y: Uint8Array;
  scale: number;
  zeroPoint: number;
}

export function dynamicQuantizeLinearRef(x: ArrayLike<number>): DynamicQuantizeResult {
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < x.length; i++) {
    const v = f32(x[i]);
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const scale = hi === lo ? 1 : f32(f32(hi - lo) / 255);
  const zf = f32(0 - f32(lo / scale));
  const zeroPoint = Math.min(255, Math.max(0, roundHalfEven(zf)));
  const y = new Uint8Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = quantizeValue(x[i], scale, zeroPoint, 'uint8');
  return { y, scale, zeroPoint };
}

/** Element i of an operand of shape `s` broadcast (numpy, right-aligned) to `out`. */
function broadcastIndex(i: number, out: readonly number[], s: readonly number[]): number {
  let rem = i;
  let off = 0;
  let stride = 1;
  for (let d = out.length - 1, k = s.length - 1; d >= 0; d--, k--) {
    const c = rem % out[d];
    rem = Math.floor(rem / out[d]);
    if (k >= 0) {
      if (s[k] !== 1) off += c * stride;
      stride *= s[k];
    }
  }
  return off;
}

/** numpy broadcast of two shapes (throws when they do not broadcast). */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let d = 0; d < r; d++) {
    const x = a[a.length - r + d] ?? 1;
    const y = b[b.length - r + d] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new Error(`shapes [${a.join(', ')}] and [${b.join(', ')}] do not broadcast (dimension ${d}: ${x} vs ${y})`);
    out.push(x === 1 ? y : x);
  }
  return out;
}

export interface QTensor {
  shape: number[];
  data: ArrayLike<number>;
  scale: number;
  zeroPoint: number;
}

/** com.microsoft QLinearAdd / QLinearMul (A, B, C all of `dtype`). */
export function qlinearBinaryRef(op: 'add' | 'mul', a: QTensor, b: QTensor, c: { scale: number; zeroPoint: number }, dtype: Int8DType): { shape: number[]; data: Int32Array } {
  const shape = broadcastShapes(a.shape, b.shape);
  const n = sizeOf(shape);
  const data = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const va = f32(f32(a.scale) * (a.data[broadcastIndex(i, shape, a.shape)] - a.zeroPoint));
    const vb = f32(f32(b.scale) * (b.data[broadcastIndex(i, shape, b.shape)] - b.zeroPoint));
    data[i] = qlinearQuantizeValue(op === 'add' ? f32(va + vb) : f32(va * vb), c.scale, c.zeroPoint, dtype);
  }
  return { shape, data };
}


/** Applies a table from buildUnaryTable to values of `inDtype`, giving values of `outDtype`. */
export function applyUnaryTableRef(x: ArrayLike<number>, table: ArrayLike<number>, outDtype: Int8DType): Int32Array {
  const out = new Int32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = fromRawByte(table[toRawByte(x[i])], outDtype);
  return out;
}

/** The float32 multiplier of QLinearGlobalAveragePool: fl32(x_scale / fl32(y_scale · fl32(H·W))). */
export function qlinearGapMultiplier(xScale: number, yScale: number, imageSize: number): number {
  return f32(f32(xScale) / f32(f32(yScale) * f32(imageSize)));
}

/** com.microsoft QLinearGlobalAveragePool, NCHW (channels_last 0): x [N, C, H, W] → y [N, C, 1, 1]. */
export function qlinearGlobalAveragePoolRef(x: ArrayLike<number>, shape: readonly number[], xq: { scale: number; zeroPoint: number }, yq: { scale: number; zeroPoint: number }, dtype: Int8DType): Int32Array {
  const [n, c, ...spatial] = shape;
  const size = sizeOf(spatial);
  const m = qlinearGapMultiplier(xq.scale, yq.scale, size);
  const [lo, hi] = INT8_RANGE[dtype];
  const out = new Int32Array(n * c);
  for (let p = 0; p < n * c; p++) {
    let acc = 0;
    for (let k = 0; k < size; k++) acc += x[p * size + k] - xq.zeroPoint;
    const v = roundHalfEven(f32(f32(acc) * m)) + yq.zeroPoint;
    out[p] = v < lo ? lo : v > hi ? hi : v;
  }
  return out;
}

/** Strided gather: element i of the row-major output is x[base + Σ c_d · strides_d]. */
export function stridedCopyRef(x: ArrayLike<number>, shape: readonly number[], strides: readonly number[], base = 0): Int32Array {
  const n = sizeOf(shape);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let rem = i;
    let off = base;
    for (let d = shape.length - 1; d >= 0; d--) {
      off += (rem % shape[d]) * strides[d];
      rem = Math.floor(rem / shape[d]);
    }
    out[i] = x[off];
  }
  return out;
}

export interface Pool2dParams {
  kernel: [number, number];
  strides: [number, number];
  /** [top, left, bottom, right]. */
  pads: [number, number, number, number];
  dilations: [number, number];
  /** Output H, W (from ceil_mode etc., decided by the caller). */
  out: [number, number];
}

/** MaxPool over the last two dims of x [N, C, H, W] (row-major). */
export function maxPoolI8Ref(x: ArrayLike<number>, shape: readonly [number, number, number, number], p: Pool2dParams, dtype: Int8DType): Int32Array {
  const [n, c, h, w] = shape;
  const [oh, ow] = p.out;
  const out = new Int32Array(n * c * oh * ow);
  let o = 0;
  for (let nc = 0; nc < n * c; nc++) {
    for (let y = 0; y < oh; y++) {
      for (let xo = 0; xo < ow; xo++) {
        let m = INT8_RANGE[dtype][0];
        for (let ky = 0; ky < p.kernel[0]; ky++) {
          const iy = y * p.strides[0] - p.pads[0] + ky * p.dilations[0];
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < p.kernel[1]; kx++) {
            const ix = xo * p.strides[1] - p.pads[1] + kx * p.dilations[1];
            if (ix < 0 || ix >= w) continue;
            m = Math.max(m, x[(nc * h + iy) * w + ix]);
          }
        }
        out[o++] = m;
      }
    }
  }
  return out;
}

/**
 * com.microsoft QLinearAveragePool, NCHW (ONNX Runtime's qlinear_pool.cc): each tap fl32(x_scale · (q − x_zp)),
 * summed in float32 in row-major window order (taps outside the input skipped), divided (fl32) by kh · kw with
 * countIncludePad, else by the taps inside the input, then y = saturate(round_half_even(fl32(fl32(v / y_scale) + y_zp))).
 * `p.dilations` must be [1, 1] (the op has none).
 */
export function qlinearAveragePoolRef(
  x: ArrayLike<number>,
  shape: readonly [number, number, number, number],
  p: Pool2dParams & { countIncludePad?: boolean },
  xq: { scale: number; zeroPoint: number },
  yq: { scale: number; zeroPoint: number },
  dtype: Int8DType,
): Int32Array {
  if (p.dilations[0] !== 1 || p.dilations[1] !== 1) throw new Error(`qlinearAveragePoolRef: dilations [${p.dilations.join(', ')}]; QLinearAveragePool has none`);
  const [n, c, h, w] = shape;
  const [oh, ow] = p.out;
  const out = new Int32Array(n * c * oh * ow);
  const xs = f32(xq.scale);
  let o = 0;
  for (let nc = 0; nc < n * c; nc++) {
    for (let y = 0; y < oh; y++) {
      for (let xo = 0; xo < ow; xo++) {
        let acc = 0;
        let taps = 0;
        for (let ky = 0; ky < p.kernel[0]; ky++) {
          const iy = y * p.strides[0] - p.pads[0] + ky;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < p.kernel[1]; kx++) {
            const ix = xo * p.strides[1] - p.pads[1] + kx;
            if (ix < 0 || ix >= w) continue;
            acc = f32(acc + f32(xs * (x[(nc * h + iy) * w + ix] - xq.zeroPoint)));
            taps++;
          }
        }
        const count = p.countIncludePad ? p.kernel[0] * p.kernel[1] : Math.max(taps, 1);
        out[o++] = qlinearQuantizeValue(f32(acc / count), yq.scale, yq.zeroPoint, dtype);
      }
    }
  }
  return out;
}


/** Concat of row-major inputs along `axis`. */
export function concatRef(inputs: { shape: number[]; data: ArrayLike<number> }[], axis: number): { shape: number[]; data: Int32Array } {
  const shape = [...inputs[0].shape];
  shape[axis] = inputs.reduce((s, t) => s + t.shape[axis], 0);
  const outer = sizeOf(shape.slice(0, axis));
  const inner = sizeOf(shape.slice(axis + 1));
  const data = new Int32Array(sizeOf(shape));
  let o = 0;
  for (let p = 0; p < outer; p++) {
    for (const t of inputs) {
      const len = t.shape[axis] * inner;
      for (let j = 0; j < len; j++) data[o++] = t.data[p * len + j];
    }
  }
  return { shape, data };
}

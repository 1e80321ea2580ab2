/**
 * Buffer formats of the int8 kernels and their host packing (pure functions; nothing here touches the GPU).
 *
 * Activations (input, and the QLinearConv output), 8-bit values stored as bytes (two's complement for int8),
 * 4 bytes per u32, byte j of a word = bits 8j .. 8j+7 (little-endian, so a Uint8Array of the same bytes
 * views the same tensor):
 *   NHWC  [N][H][W][C4·4] bytes, C4 = ceil(C/4): 4 consecutive channels of one pixel per word. When C % 4 ≠ 0
 *         each pixel's last word has 4·C4 − C padding lanes. The kernels never use those lanes' values
 *         (they substitute x_zp), so any bytes may be there; packInt8Activations writes `padValue` (0).
 *         With C % 4 == 0 this is exactly the caller's byte tensor (zero-copy). The QLinearConv output in
 *         NHWC has the same format; its padding lanes are written as 0 by whole-word stores (`wordStore`)
 *         and left as they were otherwise (byte stores, output.ts).
 *   NCHW  [N][C][H][W] bytes, unpadded, in memory order (byte i = tensor element i), the buffer rounded up to
 *         whole words: the caller's byte tensor as it is. The kernels gather bytes (4 lanes are 4 channels).
 *         The QLinearConv output in NCHW has the same format; kernels write its bytes with atomicAnd/atomicOr
 *         on their own byte lanes, so bytes past the tensor's end are left as they were.
 * ConvInteger output: array<i32> and the float output array<f32>, plain [N][Ho][Wo][Co] or [N][Co][Ho][Wo].
 *
 * Weights: [group][k4][cout_g4·4] u32 words, one word = 4 consecutive k (lanes of the k layout, see
 * QKLayout) of one output channel of the group; read as vec4<u32> = the same 4 k of 4 consecutive output
 * channels. Padding (k past the layout's K, output channels past Cout_g) is 0 in the stored domain.
 * Channel parameters: array<vec4<i32>> [group][cout_g4][field] (QCHAN_FIELDS), lane j = output channel
 * group·Cout_g + 4·col4 + j, zeros past Cout_g.
 */
import { weightShape, type ConvGeometry, type Layout, type WeightLayout } from '../../conv/types.ts';
import { QDTYPE_RANGE, inputOffset, type QDType, type QKLayout, type QOperandConfig, type QOutputMode } from './types.ts';

/** Dimensions of an activation tensor (independent of layout). */
export interface QTensorDims {
  n: number;
  c: number;
  h: number;
  w: number;
}

function checkDims(what: string, d: QTensorDims): void {
  for (const k of ['n', 'c', 'h', 'w'] as const) {
    if (!Number.isInteger(d[k]) || d[k] < 1) throw new Error(`${what}: dims.${k} = ${d[k]}: must be an integer ≥ 1`);
  }
}

/** The byte of an 8-bit value (throws when it is not an integer of `dtype`'s range). */
export function toByte(v: number, dtype: QDType, what = 'value'): number {
  const [lo, hi] = QDTYPE_RANGE[dtype];
  if (!Number.isInteger(v) || v < lo || v > hi) throw new Error(`${what} = ${v}: must be an integer in the ${dtype} range [${lo}, ${hi}]`);
  return v & 0xff;
}

/** The value of byte `b` read as `dtype`. */
export function fromByte(b: number, dtype: QDType): number {
  const u = b & 0xff;
  return dtype === 'int8' && u >= 128 ? u - 256 : u;
}

/** The byte of `v` replicated into all four lanes of a u32 (e.g. x_zp4). */
export function replicateByte(v: number, dtype: QDType, what = 'value'): number {
  const b = toByte(v, dtype, what);
  return (b | (b << 8) | (b << 16) | (b << 24)) >>> 0;
}

/** Words of a packed activation tensor (input, or QLinearConv output) in `layout`. */
export function packedActivationWords(layout: Layout, d: QTensorDims): number {
  return layout === 'NHWC' ? d.n * d.h * d.w * Math.ceil(d.c / 4) : Math.ceil((d.n * d.c * d.h * d.w) / 4);
}

/** Byte index of element (n, c, h, w) in the packed format of `layout`. */
export function packedByteIndex(layout: Layout, d: QTensorDims, n: number, c: number, h: number, w: number): number {
  return layout === 'NHWC' ? ((n * d.h + h) * d.w + w) * Math.ceil(d.c / 4) * 4 + c : ((n * d.c + c) * d.h + h) * d.w + w;
}

/**
 * Packs a flat tensor (row-major in `layout`: [N,H,W,C] or [N,C,H,W]) of `dtype` values into the kernels' format.
 * NHWC padding lanes get `padValue` (a value of `dtype`; the kernels ignore it).
 */
export function packInt8Activations(data: ArrayLike<number>, layout: Layout, dtype: QDType, d: QTensorDims, padValue = 0): Uint32Array {
  checkDims('packInt8Activations', d);
  const count = d.n * d.c * d.h * d.w;
  if (data.length !== count) throw new Error(`packInt8Activations: ${data.length} values given, [n ${d.n}, c ${d.c}, h ${d.h}, w ${d.w}] needs ${count}`);
  const words = new Uint32Array(packedActivationWords(layout, d));
  const bytes = new Uint8Array(words.buffer);
  if (layout === 'NCHW') {
    for (let i = 0; i < count; i++) bytes[i] = toByte(data[i], dtype, `input[${i}]`);
    return words;
  }
  const c4 = Math.ceil(d.c / 4) * 4;
  const pad = toByte(padValue, dtype, 'padValue');
  const pixels = d.n * d.h * d.w;
  for (let p = 0; p < pixels; p++) {
    for (let c = 0; c < c4; c++) bytes[p * c4 + c] = c < d.c ? toByte(data[p * d.c + c], dtype, `input[${p * d.c + c}]`) : pad;
  }
  return words;
}

/** Inverse of packInt8Activations (padding dropped): the values, flat in `layout`. Also reads QLinearConv outputs. */
export function unpackInt8Activations(words: Uint32Array, layout: Layout, dtype: QDType, d: QTensorDims): Int32Array {
  checkDims('unpackInt8Activations', d);
  const need = packedActivationWords(layout, d);
  if (words.length < need) throw new Error(`unpackInt8Activations: ${words.length} words given, ${layout} [n ${d.n}, c ${d.c}, h ${d.h}, w ${d.w}] needs ${need}`);
  const bytes = new Uint8Array(words.buffer, words.byteOffset, need * 4);
  const count = d.n * d.c * d.h * d.w;
  const out = new Int32Array(count);
  if (layout === 'NCHW') {
    for (let i = 0; i < count; i++) out[i] = fromByte(bytes[i], dtype);
    return out;
  }
  const c4 = Math.ceil(d.c / 4) * 4;
  const pixels = d.n * d.h * d.w;
  for (let p = 0; p < pixels; p++) for (let c = 0; c < d.c; c++) out[p * d.c + c] = fromByte(bytes[p * c4 + c], dtype);
  return out;
}

// ---- weights --------------------------------------------------------------------------------------------

/** Dimensions of the packed int8 weights of `g` in `kLayout`. */
export interface QWeightShape {
  groups: number;
  cinG: number;
  coutG: number;
  /** ceil(cin_g / 4) */
  cinG4: number;
  coutG4: number;
  taps: number;
  /** Real reduction length kH·kW·cin_g. */
  k: number;
  /** u32 words per output channel and group: tap4 taps·cin_g4, dense ceil(K/4). */
  k4: number;
  /** Lanes read per output: 4·k4 (the L of the correction). */
  lanes: number;
}

export function qWeightShape(g: ConvGeometry, kLayout: QKLayout): QWeightShape {
  if (kLayout !== 'tap4' && kLayout !== 'dense') throw new Error(`kLayout = ${JSON.stringify(kLayout)}: must be 'tap4' or 'dense'`);
  const cinG = g.inChannels / g.groups;
  const coutG = g.outChannels / g.groups;
  const taps = g.kernelH * g.kernelW;
  const cinG4 = Math.ceil(cinG / 4);
  const k = taps * cinG;
  const k4 = kLayout === 'tap4' ? taps * cinG4 : Math.ceil(k / 4);
  return { groups: g.groups, cinG, coutG, cinG4, coutG4: Math.ceil(coutG / 4), taps, k, k4, lanes: 4 * k4 };
}

/** Lane (index along the packed k axis) of tap `tap` (= kh·kW + kw), input channel `ci` of the group. */
export function qLane(s: QWeightShape, kLayout: QKLayout, tap: number, ci: number): number {
  return kLayout === 'tap4' ? tap * 4 * s.cinG4 + ci : tap * s.cinG + ci;
}

export interface QWeightPackOptions {
  /** Activation dtype the weights will meet. */
  input: QDType;
  /** The weight tensor's dtype. */
  weightDtype: QDType;
  /** Per tensor or per output channel; default 0. */
  wZeroPoint?: number | ArrayLike<number>;
  kLayout: QKLayout;
  /**
   * Default true: when every w − wz[o] fits int8, store w − wz[o] (effective zero point 0: no patch sums).
   * False keeps the zero points (tests use it to exercise the patch-sum path).
   */
  fold?: boolean;
}

export interface PackedInt8Weights {
  /** [group][k4][cout_g4·4] words. */
  words: Uint32Array;
  /** Stored dtype (QOperandConfig.weights). */
  storage: QDType;
  /** Some wz[o] is nonzero (QOperandConfig.wzp). */
  wzp: boolean;
  kLayout: QKLayout;
  shape: QWeightShape;
  /** Effective (stored-domain) zero point per output channel. */
  wz: Int32Array;
  /** Σ_k w_e[o][k] per output channel. */
  wsum: Int32Array;
  /** lanes·wz[o] − wsum[o] per output channel. */
  wcorr: Int32Array;
}

function perChannelInts(field: string, v: number | ArrayLike<number> | undefined, channels: number): Int32Array {
  const out = new Int32Array(channels);
  if (v === undefined) return out;
  if (typeof v === 'number') return out.fill(v);
  if (v.length === 1) return out.fill(v[0]);
  if (v.length !== channels) throw new Error(`${field}: ${v.length} values; give 1 (per tensor) or ${channels} (one per output channel)`);
  for (let i = 0; i < channels; i++) out[i] = v[i];
  return out;
}

function weightIndex(layout: WeightLayout, g: ConvGeometry, o: number, i: number, y: number, x: number): number {
  const cinG = g.inChannels / g.groups;
  return layout === 'OIHW' ? ((o * cinG + i) * g.kernelH + y) * g.kernelW + x : ((y * g.kernelW + x) * cinG + i) * g.outChannels + o;
}

/**
 * Packs OIHW or HWIO weights of `weightDtype` for the int8 kernels and chooses their stored domain:
 * 1. fold (default): every w − wz[o] in [−128, 127] → store int8 w − wz[o], effective zero point 0 (wzp false);
 * 2. uint8 weights with uint8 input → store uint8 as is (dot4U8Packed), effective zero point wz;
 * 3. otherwise store int8: int8 weights as is, uint8 weights as w − 128 with zero point wz − 128.
 */
export function packInt8Weights(w: ArrayLike<number>, layout: WeightLayout, g: ConvGeometry, o: QWeightPackOptions): PackedInt8Weights {
  const shape4 = weightShape(g, layout);
  const count = shape4.reduce((a, b) => a * b, 1);
  if (w.length !== count) throw new Error(`packInt8Weights (${layout}): ${w.length} values given, the shape [${shape4.join(', ')}] needs ${count}`);
  const s = qWeightShape(g, o.kLayout);
  const wzRaw = perChannelInts('wZeroPoint', o.wZeroPoint, g.outChannels);
  wzRaw.forEach((z, i) => toByte(z, o.weightDtype, `wZeroPoint[${i}]`));
  for (let i = 0; i < count; i++) toByte(w[i], o.weightDtype, `weight[${i}]`);

  let fits = o.fold ?? true;
  if (fits) {
    for (let oc = 0; oc < g.outChannels && fits; oc++) {
      for (let i = 0; i < s.cinG && fits; i++) {
        for (let t = 0; t < s.taps; t++) {
          const v = w[weightIndex(layout, g, oc, i, Math.floor(t / g.kernelW), t % g.kernelW)] - wzRaw[oc];
          if (v < -128 || v > 127) {
            fits = false;
            break;
          }
        }
      }
    }
  }
  let storage: QDType;
  let shift: (v: number, oc: number) => number;
  const wz = new Int32Array(g.outChannels);
  if (fits) {
    storage = 'int8';
    shift = (v, oc) => v - wzRaw[oc];
  } else if (o.weightDtype === 'uint8' && o.input === 'uint8') {
    storage = 'uint8';
    shift = (v) => v;
    wz.set(wzRaw);
  } else {
    storage = 'int8';
    const off = o.weightDtype === 'uint8' ? 128 : 0;
    shift = (v) => v - off;
    wzRaw.forEach((z, i) => (wz[i] = z - off));
  }

  const words = new Uint32Array(s.groups * s.k4 * s.coutG4 * 4);
  const bytes = new Uint8Array(words.buffer);
  const wsum = new Int32Array(g.outChannels);
  const colPad = s.coutG4 * 4;
  for (let grp = 0; grp < s.groups; grp++) {
    for (let oc = 0; oc < s.coutG; oc++) {
      const og = grp * s.coutG + oc;
      for (let t = 0; t < s.taps; t++) {
        for (let i = 0; i < s.cinG; i++) {
          const v = shift(w[weightIndex(layout, g, og, i, Math.floor(t / g.kernelW), t % g.kernelW)], og);
          wsum[og] += v;
          const lane = qLane(s, o.kLayout, t, i);
          bytes[((grp * s.k4 + (lane >> 2)) * colPad + oc) * 4 + (lane & 3)] = v & 0xff;
        }
      }
    }
  }
  const wcorr = new Int32Array(g.outChannels);
  for (let i = 0; i < g.outChannels; i++) wcorr[i] = s.lanes * wz[i] - wsum[i];
  return { words, storage, wzp: wz.some((z) => z !== 0), kLayout: o.kLayout, shape: s, wz, wsum, wcorr };
}

/** Inverse of packInt8Weights' byte placement: the stored (effective) values back in `layout`. */
export function unpackInt8Weights(p: PackedInt8Weights, layout: WeightLayout, g: ConvGeometry): Int32Array {
  const s = p.shape;
  const out = new Int32Array(weightShape(g, layout).reduce((a, b) => a * b, 1));
  const bytes = new Uint8Array(p.words.buffer, p.words.byteOffset, p.words.byteLength);
  const colPad = s.coutG4 * 4;
  for (let grp = 0; grp < s.groups; grp++) {
    for (let oc = 0; oc < s.coutG; oc++) {
      for (let t = 0; t < s.taps; t++) {
        for (let i = 0; i < s.cinG; i++) {
          const lane = qLane(s, p.kLayout, t, i);
          const b = bytes[((grp * s.k4 + (lane >> 2)) * colPad + oc) * 4 + (lane & 3)];
          out[weightIndex(layout, g, grp * s.coutG + oc, i, Math.floor(t / g.kernelW), t % g.kernelW)] = fromByte(b, p.storage);
        }
      }
    }
  }
  return out;
}

// ---- per-channel parameters -----------------------------------------------------------------------------

/** The vec4 fields of one record of 4 output channels, per output mode. */
export const QCHAN_FIELDS: Readonly<Record<QOutputMode, readonly string[]>> = {
  convint: ['wz', 'wcorr'],
  qlinear: ['wz', 'wcorr', 'bias', 'm0', 'shift'],
  float: ['wz', 'wcorr', 'scale', 'bias'],
};

export interface QChannelValues {
  /** qlinear: int32 bias; float: f32 bias. One per output channel (or 1 to repeat); default 0. */
  bias?: ArrayLike<number>;
  /** qlinear: fixed-point multiplier per output channel (u32). */
  m0?: ArrayLike<number>;
  /** qlinear: right shift per output channel. */
  shift?: ArrayLike<number>;
  /** float: w_scale per output channel (or 1); multiplied by the uniform x_scale in f32 in the kernel. */
  wScale?: ArrayLike<number>;
}

function expand(field: string, v: ArrayLike<number> | undefined, channels: number, required: boolean): number[] {
  if (v === undefined) {
    if (required) throw new Error(`packChannelParams: ${field} is required for this output mode`);
    return new Array<number>(channels).fill(0);
  }
  if (v.length === 1) return new Array<number>(channels).fill(v[0]);
  if (v.length !== channels) throw new Error(`packChannelParams: ${field} has ${v.length} values; give 1 or ${channels}`);
  return Array.from(v);
}

/** Records [group][cout_g4][QCHAN_FIELDS[mode]] of vec4<i32> (f32 fields as their bits). */
export function packChannelParams(mode: QOutputMode, g: ConvGeometry, w: PackedInt8Weights, v: QChannelValues = {}): Int32Array {
  const fields = QCHAN_FIELDS[mode];
  if (!fields) throw new Error(`packChannelParams: mode = ${JSON.stringify(mode)}: must be 'convint', 'qlinear' or 'float'`);
  const C = g.outChannels;
  const s = w.shape;
  const values: Record<string, number[]> = { wz: Array.from(w.wz), wcorr: Array.from(w.wcorr) };
  if (mode === 'qlinear') {
    values.bias = expand('bias', v.bias, C, false);
    values.m0 = expand('m0', v.m0, C, true);
    values.shift = expand('shift', v.shift, C, true);
    values.bias.forEach((b, i) => {
      if (!Number.isInteger(b) || b < -0x80000000 || b > 0x7fffffff) throw new Error(`packChannelParams: bias[${i}] = ${b}: must be an int32`);
    });
    values.m0.forEach((m, i) => {
      if (!Number.isInteger(m) || m < 0 || m > 0xffffffff) throw new Error(`packChannelParams: m0[${i}] = ${m}: must be a u32`);
    });
    values.shift.forEach((m, i) => {
      if (!Number.isInteger(m) || m < 0 || m > 63) throw new Error(`packChannelParams: shift[${i}] = ${m}: must be an integer in [0, 63]`);
    });
  } else if (mode === 'float') {
    values.bias = expand('bias', v.bias, C, false);
    values.scale = expand('wScale', v.wScale, C, true);
  }
  const out = new Int32Array(s.groups * s.coutG4 * fields.length * 4);
  const f32 = new Float32Array(1);
  const i32 = new Int32Array(f32.buffer);
  for (let grp = 0; grp < s.groups; grp++) {
    for (let c4 = 0; c4 < s.coutG4; c4++) {
      fields.forEach((f, fi) => {
        for (let j = 0; j < 4; j++) {
          const oc = 4 * c4 + j;
          if (oc >= s.coutG) continue;
          const o = grp * s.coutG + oc;
          let val = values[f][o];
          if (mode === 'float' && (f === 'scale' || f === 'bias')) {
            f32[0] = val;
            val = i32[0];
          }
          out[((grp * s.coutG4 + c4) * fields.length + fi) * 4 + j] = val | 0;
        }
      });
    }
  }
  return out;
}

// ---- per-call values -------------------------------------------------------------------------------------

export interface QCallValues {
  /** Activation zero point (a value of the input dtype); default 0. */
  xZeroPoint?: number;
  /** qlinear: output zero point; default 0. */
  yZeroPoint?: number;
  /** qlinear: inclusive clamp of the output (dtype range ∩ fused relu/relu6; see fusedClampRange). */
  clamp?: readonly [number, number];
  /** float: activation scale. */
  xScale?: number;
  /** float: clamp of the float output (default ±f32 max: none; relu [0, max], relu6 [0, 6]). */
  floatClamp?: readonly [number, number];
}

export const F32_MAX = 3.4028234663852886e38;

/** Values of the operand/output uniforms (x_zp4, x_zp_e, and y_zp, q_lo, q_hi or x_scale, f_lo, f_hi). */
export function qOperandUniforms(cfg: QOperandConfig, v: QCallValues): Record<string, number> {
  const xz = v.xZeroPoint ?? 0;
  const u: Record<string, number> = { x_zp4: replicateByte(xz, cfg.input, 'xZeroPoint'), x_zp_e: xz - inputOffset(cfg) };
  if (cfg.output === 'qlinear') {
    if (!v.clamp) throw new Error("qOperandUniforms: output 'qlinear' needs clamp [lo, hi] (fusedClampRange)");
    u.y_zp = v.yZeroPoint ?? 0;
    u.q_lo = v.clamp[0];
    u.q_hi = v.clamp[1];
  } else if (cfg.output === 'float') {
    if (v.xScale === undefined) throw new Error("qOperandUniforms: output 'float' needs xScale");
    u.x_scale = v.xScale;
    u.f_lo = v.floatClamp?.[0] ?? -F32_MAX;
    u.f_hi = v.floatClamp?.[1] ?? F32_MAX;
  }
  return u;
}

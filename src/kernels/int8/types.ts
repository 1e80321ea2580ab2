/**
 * Configuration vocabulary shared by the int8 kernels (direct and im2col + GEMM) and their host packing.
 *
 * Number domains. The kernels never subtract a zero point per multiply-accumulate. They multiply the stored
 * 8-bit values as they are ("effective" values x_e, w_e) and correct the sum once per output:
 *
 *   acc[o] = D − wz_e[o]·S + xz_e·wcorr[o]
 *     D        = Σ_lanes x_e·w_e            (dot4I8Packed / dot4U8Packed, or unpacked bytes: i32, or f32 in exact chunks)
 *     S        = Σ_lanes x_e                (the input patch sum; only computed when some wz_e[o] ≠ 0: `wzp`)
 *     wcorr[o] = L·wz_e[o] − Σ_k w_e[o][k]  (host, from the packed weights; L = lanes read per output)
 *
 * which equals Σ_k (x − xz)(w − wz[o]) exactly (mod 2^32, as int32 arithmetic wraps) provided every lane the
 * kernel reads that is not a real (tap, channel) of the patch holds xz_e and meets a weight lane of 0:
 * taps outside the image read the word `x_zp4` (x_zp in all four bytes), channel padding of the packed input
 * is replaced by x_zp in the kernel (tail mask), and the host packs weight padding as 0. So the padding
 * contributes (xz − xz)·(…) = 0, as in ONNX, and the correction is a per-channel constant for every pixel
 * (no count of valid taps per pixel is needed).
 *
 * Signedness. dot4I8Packed multiplies signed bytes, dot4U8Packed unsigned bytes. Mixed operands are brought
 * to int8: uint8 weights by the host (w − 128, wz − 128; or w − wz[o] when that fits int8, see
 * packInt8Weights), uint8 activations by the kernel (word ^ 0x80808080 flips each byte's top bit, i.e.
 * x − 128 as int8), with the offset folded into the activation zero point: xz_e = xz − 128. Only uint8
 * activations with uint8 weights use dot4U8Packed (no flip, no offset). The unpacked paths ('unpack',
 * 'unpackf32') extract each byte with its own signedness, so they need no offset at all (xz_e = xz).
 */
import type { Layout } from '../../conv/types.ts';

/** An 8-bit integer tensor type. */
export type QDType = 'int8' | 'uint8';

/** What the kernel writes. */
export type QOutputMode =
  /** ONNX ConvInteger: int32 y = Σ (x − xz)(w − wz[o]), array<i32> in the output layout. */
  | 'convint'
  /** ONNX QLinearConv: acc + int32 bias, requantized with per-channel (m0, shift), clamped, packed bytes. */
  | 'qlinear'
  /** Dequantized: f32 y = f32(acc)·(x_scale·w_scale[o]) + bias[o], clamped to [f_lo, f_hi]; array<f32>. */
  | 'float';

/**
 * 'dot4': dot4I8Packed / dot4U8Packed (WGSL language feature packed_4x8_integer_dot_product);
 * 'unpack': bytes extracted with shifts, i32 multiply-adds (no feature needed);
 * 'unpackf32': bytes extracted with shifts and converted to f32, f32 multiply-adds over chunks short enough
 *   that every partial sum is an integer below 2^24 (exact), added to the i32 accumulators after each chunk
 *   (no feature needed; what CPU implementations such as SwiftShader run fastest, see dot.ts).
 */
export type QDotPath = 'dot4' | 'unpack' | 'unpackf32';

/** How the reduction index k runs over (tap, input channel) — the order of the packed weights' rows. */
export type QKLayout =
  /** k = tap·(4·cin_g4) + ci: every tap starts a new u32 word, lanes ci ≥ cin_g are padding (x_zp · 0). */
  | 'tap4'
  /** k = tap·cin_g + ci, K = kH·kW·cin_g lanes padded to a multiple of 4 at the end only. */
  | 'dense';

/** The WGSL language feature that offers dot4I8Packed, dot4U8Packed, pack4xI8, unpack4xI8, ... */
export const PACKED_DOT_FEATURE = 'packed_4x8_integer_dot_product';

/**
 * The dot path to run on a GPU object (navigator.gpu or Dawn's) and adapter:
 * - CPU implementations (SwiftShader): 'unpackf32'. SwiftShader offers packed_4x8_integer_dot_product but emulates
 *   each dot4I8Packed per invocation with scalar horizontal adds; measured 2–3× slower than 'unpackf32' there
 *   (INT8_GEMM_TILES);
 * - otherwise 'dot4' when wgslLanguageFeatures has packed_4x8_integer_dot_product (DP4a-class hardware);
 * - else 'unpackf32' (f32 multiply-add is full rate where i32 multiplies often are not; 'unpack' stays an option).
 */
export function int8DotPathFor(
  gpu: { wgslLanguageFeatures?: ReadonlySetLike<string> } | undefined,
  adapterInfo?: { vendor?: string; architecture?: string; description?: string },
): QDotPath {
  const cpu = adapterInfo && /swiftshader|llvmpipe|lavapipe|warp/i.test(`${adapterInfo.vendor ?? ''} ${adapterInfo.architecture ?? ''} ${adapterInfo.description ?? ''}`);
  if (cpu) return 'unpackf32';
  return gpu?.wgslLanguageFeatures?.has(PACKED_DOT_FEATURE) ? 'dot4' : 'unpackf32';
}

interface ReadonlySetLike<T> {
  has(v: T): boolean;
}

/** Everything about operand domains and output that changes a kernel's code (shared by direct and im2col). */
export interface QOperandConfig {
  layout: Layout;
  /** Activation dtype (input). */
  input: QDType;
  /** Stored weight dtype, as packInt8Weights chose it ('uint8' only together with uint8 input). */
  weights: QDType;
  /** Some effective weight zero point is nonzero: the kernel computes input patch sums S. */
  wzp: boolean;
  output: QOutputMode;
  dot: QDotPath;
  /** qlinear: how acc · M is rounded, 'float64' (default, the reference's) or 'float32' (ONNX Runtime's). */
  rounding?: 'float64' | 'float32';
}

/** Inclusive range of a quantized dtype. */
export const QDTYPE_RANGE: Readonly<Record<QDType, readonly [number, number]>> = { int8: [-128, 127], uint8: [0, 255] };

/** Short dtype name for kernel IDs. */
export const qShort = (t: QDType): string => (t === 'int8' ? 'i8' : 'u8');

/** Kernel ID fragment of the operand domains, e.g. 'u8i8' (activations uint8, stored weights int8). */
export function qDomainId(c: Pick<QOperandConfig, 'input' | 'weights'>): string {
  return `${qShort(c.input)}${qShort(c.weights)}`;
}

/** True when the kernel flips uint8 activation bytes to int8 (x ^ 0x80) before a signed dot4. */
export function flipsInput(c: Pick<QOperandConfig, 'input' | 'weights' | 'dot'>): boolean {
  return c.dot === 'dot4' && c.input === 'uint8' && c.weights === 'int8';
}

/** The offset the kernel subtracts from every activation value (128 when it flips uint8 to int8, else 0). */
export function inputOffset(c: Pick<QOperandConfig, 'input' | 'weights' | 'dot'>): number {
  return flipsInput(c) ? 128 : 0;
}

export function validateOperandConfig(what: string, c: QOperandConfig): void {
  const bad = (field: string, v: unknown, rule: string): never => {
    throw new Error(`${what}.${field} = ${JSON.stringify(v)}: ${rule}`);
  };
  if (c.layout !== 'NHWC' && c.layout !== 'NCHW') bad('layout', c.layout, "must be 'NHWC' or 'NCHW'");
  if (c.input !== 'int8' && c.input !== 'uint8') bad('input', c.input, "must be 'int8' or 'uint8'");
  if (c.weights !== 'int8' && c.weights !== 'uint8') bad('weights', c.weights, "must be 'int8' or 'uint8'");
  if (c.weights === 'uint8' && c.input !== 'uint8') {
    bad('weights', c.weights, "'uint8' storage only with uint8 input (packInt8Weights stores uint8 weights as int8 − 128 for int8 input)");
  }
  if (typeof c.wzp !== 'boolean') bad('wzp', c.wzp, 'must be a boolean');
  if (c.output !== 'convint' && c.output !== 'qlinear' && c.output !== 'float') bad('output', c.output, "must be 'convint', 'qlinear' or 'float'");
  if (c.dot !== 'dot4' && c.dot !== 'unpack' && c.dot !== 'unpackf32') bad('dot', c.dot, "must be 'dot4', 'unpack' or 'unpackf32'");
}

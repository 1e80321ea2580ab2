/**
 * One host function per int8 Winograd path: given the geometry, the weights and the quantization
 * parameters, it returns the three kernels (input transform, tap GEMM, output), the host-packed constant
 * buffers, the workspace sizes, and per stage the uniform values and the workgroup counts. Pure: the engine
 * uploads `constants` once, allocates `workspace`, and encodes the stages in order with every buffer bound by
 * its binding name (`input` and `output` are the caller's tensors in the int8 format of
 * src/kernels/int8/format.ts).
 *
 *   prepareExactWinograd     `winograd2-exact`: ConvInteger / QLinearConv bit for bit (exact integer F(2×2,3×3));
 *                            refuses (throws, with the reason of exactWinogradApplicable) when an int32 step could
 *                            overflow.
 *   prepareTapwiseWinograd   `winograd{2,4,2x1,4x1}-tap`: equals tapwiseWinogradConv (src/quant/tapwise.ts) bit
 *                            for bit, given TapScales from its calibration API.
 */
import type { ConvGeometry, Layout, WeightLayout } from '../../conv/types.ts';
import { requantClamp, requantParams } from '../../quant/requant.ts';
import { exactWinogradBounds, exactWinogradFilterTransform, integerWinograd } from '../../quant/winograd-int.ts';
import { quantizeTapWeights, tapwiseKernelParams, validateTapScales, type TapScales } from '../../quant/tapwise.ts';
import { transposeWeight } from '../../conv/tensor-layout.ts';
import { QUANT_RANGE } from '../../quant/scalar.ts';
import { directAlgorithm, winograd1D } from '../../winograd/cook-toom.ts';
import { winograd2D, winogradSquare } from '../../winograd/winograd-2d.ts';
import type { Winograd2D } from '../../winograd/types.ts';
import type { KernelSource } from '../types.ts';
import { F32_MAX, replicateByte } from '../int8/format.ts';
import type { QGemmTile } from '../int8/gemm-i8.ts';
import { PACKED_DOT_FEATURE, type QDType, type QDotPath, type QOutputMode } from '../int8/types.ts';
import { winogradLayout, winogradMatrixHash, type WinogradLayout } from '../winograd-layout.ts';
import { linearWorkgroups } from './common.ts';
import { exactF32Chunk, exactGemmWorkgroups, generateExactGemmKernel } from './exact-gemm.ts';
import { generateExactInputKernel } from './exact-input.ts';
import { generateExactOutputKernel } from './exact-output.ts';
import { packExactFilter, packTapDequant, packTapInputParams, packTapWeights, packWinogradChannelParams } from './host.ts';
import { GEMM_TILES } from '../gemm.ts';
import { generateTapGemmKernel, tapGemmRequiredFeatures, tapGemmWorkgroups } from './tap-gemm.ts';
import { generateTapInputKernel } from './tap-input.ts';
import { generateTapOutputKernel } from './tap-output.ts';

export type Int8WinogradScheme = 'winograd2-exact' | 'winograd2-tap' | 'winograd4-tap' | 'winograd2x1-tap' | 'winograd4x1-tap';

export const INT8_WINOGRAD_SCHEMES: readonly Int8WinogradScheme[] = ['winograd2-exact', 'winograd2-tap', 'winograd4-tap', 'winograd2x1-tap', 'winograd4x1-tap'];

/** The Winograd algorithm of a scheme: F(2×2,3×3), F(4×4,3×3), F(2×1,3×3) or F(4×1,3×3) (default point sets). */
export function int8WinogradAlgo(scheme: Int8WinogradScheme): Winograd2D {
  switch (scheme) {
    case 'winograd2-exact':
    case 'winograd2-tap':
      return winogradSquare(2, 3);
    case 'winograd4-tap':
      return winogradSquare(4, 3);
    case 'winograd2x1-tap':
      return winograd2D(winograd1D(2, 3), directAlgorithm(3));
    case 'winograd4x1-tap':
      return winograd2D(winograd1D(4, 3), directAlgorithm(3));
    default:
      throw new Error(`scheme = ${JSON.stringify(scheme)}: must be one of ${INT8_WINOGRAD_SCHEMES.join(', ')}`);
  }
}

/** Output side of a plan. */
export interface Int8WinogradQuant {
  /** 'convint' (int32 ConvInteger), 'qlinear' (QLinearConv bytes) or 'float' (dequantized f32). */
  output: QOutputMode;
  /** qlinear and float. */
  xScale?: number;
  /** One (per tensor) or one per output channel. */
  wScale?: number | ArrayLike<number>;
  /** qlinear. */
  yScale?: number;
  yZeroPoint?: number;
  outputDtype?: QDType;
  /** qlinear: int32 per output channel (|B| ≤ 2^30); float: f32 per output channel. */
  bias?: ArrayLike<number>;
  /** Fused clamp: qlinear in the quantized domain (QLinearConv semantics), float [0, ∞) / [0, 6]. */
  activation?: 'linear' | 'relu' | 'relu6';
}

export interface Int8WinogradOperands {
  /** stride 1, dilation 1, groups 1, kernel 3×3. */
  geometry: ConvGeometry;
  /** Layout of the input and output tensors. */
  layout: Layout;
  /** Activation dtype and zero point. */
  input: QDType;
  xZeroPoint?: number;
  /** Integers of `weightDtype`. */
  weights: ArrayLike<number>;
  weightLayout: WeightLayout;
  weightDtype: QDType;
  /** Per tensor or per output channel; default 0. */
  wZeroPoint?: number | ArrayLike<number>;
  quant: Int8WinogradQuant;
  /** Invocations per workgroup of the transform kernels (default 64). */
  workgroupSize?: number;
  /** Device limit maxComputeWorkgroupsPerDimension (default 65535). */
  maxWorkgroupsPerDimension?: number;
  /** The weights as an earlier prepare of the same plan packed them (Int8WinogradPrepared.packed): not recomputed. */
  packed?: PackedWinogradWeights;
}

export interface Int8WinogradStage {
  name: 'input' | 'gemm' | 'output';
  kernel: KernelSource;
  /** Every field of the kernel's uniform struct. */
  uniforms: Record<string, number>;
  workgroups: [number, number, number];
}

export interface Int8WinogradPrepared {
  scheme: Int8WinogradScheme;
  algo: Winograd2D;
  /** input transform, tap GEMM, output — encode in this order. */
  stages: [Int8WinogradStage, Int8WinogradStage, Int8WinogradStage];
  /** Host-packed constant buffers by binding name (upload once per plan). */
  constants: Record<string, Uint32Array | Int32Array | Float32Array>;
  /** Per-call scratch buffers by binding name: byte sizes. */
  workspace: Record<string, number>;
  /** Bytes of the caller's input (packed format) and output buffers. */
  inputBytes: number;
  outputBytes: number;
  /** [N, C, H, W] of the output. */
  outputDims: [number, number, number, number];
  layout: WinogradLayout;
  /** Device features and WGSL language features the kernels need. */
  features: GPUFeatureName[];
  languageFeatures: string[];
  /** Human-readable facts for plan.info. */
  notes: string[];
  /** The size-independent part (transformed, packed weights): pass back as `packed` to re-plan at another size. */
  packed: PackedWinogradWeights;
}

/**
 * The weights of an int8 Winograd plan transformed and packed once, at creation; `resize` hands them back (options
 * `packed`) so that a new size recomputes uniforms, dispatch sizes and workspace only.
 */
export interface PackedWinogradWeights {
  scheme: Int8WinogradScheme;
  constants: Record<string, Uint32Array | Int32Array | Float32Array>;
  /** exact: max |U'| (the f32 GEMM's chunk) and the overflow bound's note. */
  maxU?: number;
  boundNote?: string;
}

// ---------------------------------------------------------------------------------------------------------
// Checks

function bad(field: string, v: unknown, rule: string): never {
  throw new Error(`${field} = ${JSON.stringify(v)}: ${rule}`);
}

function perChannel(field: string, v: number | ArrayLike<number> | undefined, n: number, fallback: number): number[] {
  if (v === undefined) return new Array<number>(n).fill(fallback);
  if (typeof v === 'number') return new Array<number>(n).fill(v);
  if (v.length === 1) return new Array<number>(n).fill(v[0]);
  if (v.length !== n) bad(field, `${v.length} values`, `give 1 (per tensor) or ${n} (one per output channel)`);
  return Array.from(v);
}

/** Why the geometry cannot run on the scheme's Winograd algorithm (undefined when it can). */
export function winogradGeometryReason(g: ConvGeometry, algo: Winograd2D): string | undefined {
  if (g.groups !== 1) return `groups = ${g.groups}: the int8 Winograd kernels need groups = 1`;
  if (g.strides[0] !== 1 || g.strides[1] !== 1) return `strides = [${g.strides.join(', ')}]: Winograd needs stride 1`;
  if (g.dilations[0] !== 1 || g.dilations[1] !== 1) return `dilations = [${g.dilations.join(', ')}]: Winograd needs dilation 1`;
  if (g.kernelH !== algo.rh || g.kernelW !== algo.rw) return `kernel ${g.kernelH}x${g.kernelW}: ${algo.name} needs ${algo.rh}x${algo.rw}`;
  return undefined;
}

function toOIHW(w: ArrayLike<number>, layout: WeightLayout, g: ConvGeometry): ArrayLike<number> {
  const count = g.outChannels * g.inChannels * g.kernelH * g.kernelW;
  if (w?.length !== count) bad('weights.length', w?.length, `must be ${count} (${layout} for ${g.outChannels} out, ${g.inChannels} in, ${g.kernelH}x${g.kernelW})`);
  return layout === 'OIHW' ? w : transposeWeight(w, 'HWIO', 'OIHW', g.outChannels, g.inChannels, g.kernelH, g.kernelW);
}

const boundsMemo = new Map<string, ReturnType<typeof exactWinogradBounds>>();

/** exactWinogradBounds, memoized by algorithm and ranges (the analysis enumerates 2^(rh·rw) filter vertices). */
function boundsOf(xRange: [number, number], wRange: [number, number], algo: Winograd2D): ReturnType<typeof exactWinogradBounds> {
  const key = `${winogradMatrixHash(algo)}|${xRange.join(',')}|${wRange.join(',')}`;
  let b = boundsMemo.get(key);
  if (!b) {
    b = exactWinogradBounds({ xRange, wRange, algo });
    if (boundsMemo.size > 64) boundsMemo.clear();
    boundsMemo.set(key, b);
  }
  return b;
}

export interface ExactApplicabilityOperands {
  input: QDType;
  xZeroPoint?: number;
  weightDtype: QDType;
  wZeroPoint?: number | ArrayLike<number>;
  /** The weights (any layout): when given, w' = w − w_zp is bounded by their actual range, else by the dtype's. */
  weights?: ArrayLike<number>;
  weightLayout?: WeightLayout;
}

/** x' range [lo − x_zp, hi − x_zp] and w' range (from the weights when given) of the exact scheme. */
export function exactOperandRanges(g: ConvGeometry, q: ExactApplicabilityOperands): { xRange: [number, number]; wRange: [number, number] } {
  const [xlo, xhi] = QUANT_RANGE[q.input];
  const xz = q.xZeroPoint ?? 0;
  const wz = perChannel('wZeroPoint', q.wZeroPoint, g.outChannels, 0);
  let wlo = Infinity;
  let whi = -Infinity;
  if (q.weights) {
    const w = toOIHW(q.weights, q.weightLayout ?? 'OIHW', g);
    const per = g.inChannels * g.kernelH * g.kernelW;
    for (let i = 0; i < w.length; i++) {
      const v = w[i] - wz[Math.floor(i / per)];
      wlo = Math.min(wlo, v);
      whi = Math.max(whi, v);
    }
  } else {
    const [lo, hi] = QUANT_RANGE[q.weightDtype];
    for (const z of wz) {
      wlo = Math.min(wlo, lo - z);
      whi = Math.max(whi, hi - z);
    }
  }
  return { xRange: [xlo - xz, xhi - xz], wRange: [wlo, whi] };
}

/**
 * Why `winograd2-exact` cannot serve this convolution, or undefined when it can: the geometry (3×3, stride 1,
 * dilation 1, groups 1), the operand domains, and the int32 overflow bound of src/quant
 * (exactWinogradMaxChannels for x' ∈ [lo − x_zp, hi − x_zp] and w' over the weights' actual range, or the
 * dtype's when no weights are given): C_in above it could overflow an int32 intermediate.
 */
export function exactWinogradApplicable(g: ConvGeometry, q: ExactApplicabilityOperands, algo: Winograd2D = int8WinogradAlgo('winograd2-exact')): string | undefined {
  const geo = winogradGeometryReason(g, algo);
  if (geo) return geo;
  if (q.input !== 'int8' && q.input !== 'uint8') return `input dtype ${JSON.stringify(q.input)}: must be int8 or uint8`;
  if (q.weightDtype !== 'int8' && q.weightDtype !== 'uint8') return `weight dtype ${JSON.stringify(q.weightDtype)}: must be int8 or uint8`;
  const [xlo, xhi] = QUANT_RANGE[q.input];
  const xz = q.xZeroPoint ?? 0;
  if (!Number.isInteger(xz) || xz < xlo || xz > xhi) return `xZeroPoint = ${xz}: must be an integer in the ${q.input} range [${xlo}, ${xhi}]`;
  const [wlo, whi] = QUANT_RANGE[q.weightDtype];
  const wz = perChannel('wZeroPoint', q.wZeroPoint, g.outChannels, 0);
  const badZ = wz.findIndex((z) => !Number.isInteger(z) || z < wlo || z > whi);
  if (badZ >= 0) return `wZeroPoint[${badZ}] = ${wz[badZ]}: must be an integer in the ${q.weightDtype} range [${wlo}, ${whi}]`;
  // Every 8-bit x', w' range lies in [−255, 255], and a smaller box never lowers the bound: below the bound of
  // the widest box (917 for F(2×2,3×3)) no finer analysis is needed.
  if (g.inChannels <= boundsOf([-255, 255], [-255, 255], algo).maxChannels) return undefined;
  const { xRange, wRange } = exactOperandRanges(g, q);
  const b = boundsOf(xRange, wRange, algo);
  if (g.inChannels > b.maxChannels) {
    return (
      `inChannels = ${g.inChannels} exceeds the int32 overflow bound ${b.maxChannels} of exact ${algo.name} for x' in [${xRange.join(', ')}], ` +
      `w' in [${wRange.join(', ')}] (binding: ${b.binding.map((x) => x.name).slice(0, 3).join(', ')})`
    );
  }
  return undefined;
}

interface OutputValues {
  qchan: Int32Array;
  uniforms: Record<string, number>;
  notes: string[];
}

function outputValues(g: ConvGeometry, q: Int8WinogradQuant): OutputValues {
  const O = g.outChannels;
  const notes: string[] = [];
  const act = q.activation ?? 'linear';
  if (act !== 'linear' && act !== 'relu' && act !== 'relu6') bad('quant.activation', act, "must be 'linear', 'relu' or 'relu6'");
  const u: Record<string, number> = { x_zp_e: 0 };
  let qchan: Int32Array;
  if (q.output === 'qlinear') {
    if (q.xScale === undefined || q.wScale === undefined || q.yScale === undefined || q.outputDtype === undefined) {
      bad('quant', { xScale: q.xScale, wScale: q.wScale, yScale: q.yScale, outputDtype: q.outputDtype }, 'qlinear needs xScale, wScale, yScale and outputDtype');
    }
    const rq = requantParams(q.xScale!, perChannel('quant.wScale', q.wScale, O, 0), q.yScale);
    const cl = requantClamp(act === 'linear' ? undefined : { type: act }, q.yScale, q.yZeroPoint ?? 0, q.outputDtype);
    const bias = perChannel('quant.bias', q.bias, O, 0);
    bias.forEach((b, o) => {
      if (!Number.isInteger(b) || Math.abs(b) > 2 ** 30) bad(`quant.bias[${o}]`, b, 'must be an integer with |value| <= 2^30');
    });
    qchan = packWinogradChannelParams('qlinear', g, { bias, m0: rq.m0, shift: rq.shift });
    Object.assign(u, { y_zp: cl.zp, q_lo: cl.lo, q_hi: cl.hi });
    notes.push(`requantize: M[o] = m0 · 2^-shift from xScale ${q.xScale}, yScale ${q.yScale}; clamp [${cl.lo}, ${cl.hi}] (${act}), y_zp ${cl.zp}`);
  } else if (q.output === 'float') {
    if (q.xScale === undefined || q.wScale === undefined) bad('quant', 'xScale/wScale', 'float output needs xScale and wScale');
    qchan = packWinogradChannelParams('float', g, { wScale: perChannel('quant.wScale', q.wScale, O, 0), bias: q.bias ? perChannel('quant.bias', q.bias, O, 0) : undefined });
    Object.assign(u, { x_scale: q.xScale, f_lo: act === 'linear' ? -F32_MAX : 0, f_hi: act === 'relu6' ? 6 : F32_MAX });
  } else if (q.output === 'convint') {
    if (q.bias !== undefined || act !== 'linear') bad('quant', { bias: q.bias !== undefined, activation: act }, "output 'convint' takes no bias or activation");
    qchan = packWinogradChannelParams('convint', g);
  } else {
    bad('quant.output', q.output, "must be 'convint', 'qlinear' or 'float'");
  }
  return { qchan, uniforms: u, notes };
}

function pick(kernel: KernelSource, values: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of kernel.uniforms) {
    if (!(f.name in values)) throw new Error(`${kernel.id}: no value for uniform '${f.name}'`);
    out[f.name] = values[f.name];
  }
  return out;
}

function checkCommon(o: Int8WinogradOperands, algo: Winograd2D): void {
  const g = o.geometry;
  const geo = winogradGeometryReason(g, algo);
  if (geo) bad('geometry', `${g.kernelH}x${g.kernelW} s${g.strides.join('x')} d${g.dilations.join('x')} g${g.groups}`, geo);
  if (o.layout !== 'NHWC' && o.layout !== 'NCHW') bad('layout', o.layout, "must be 'NHWC' or 'NCHW'");
  if (o.input !== 'int8' && o.input !== 'uint8') bad('input', o.input, "must be 'int8' or 'uint8'");
  replicateByte(o.xZeroPoint ?? 0, o.input, 'xZeroPoint');
}

function geometryUniforms(g: ConvGeometry, l: WinogradLayout, xZeroPoint: number): Record<string, number> {
  return {
    batch: g.batch, in_h: g.inHeight, in_w: g.inWidth, in_c: g.inChannels, pad_top: g.pads[0], pad_left: g.pads[1],
    tiles_h: l.tilesH, tiles_w: l.tilesW, c4: l.c4, x_zp: xZeroPoint,
    out_h: l.outHeight, out_w: l.outWidth, out_c: g.outChannels, o4: l.o4, out_hw: l.outHeight * l.outWidth, out_c4: l.o4,
    gemm_m: l.tiles, gemm_n4: l.o4, gemm_k4: l.c4,
  };
}

function ioBytes(o: Int8WinogradOperands, l: WinogradLayout): { inputBytes: number; outputBytes: number } {
  const g = o.geometry;
  const inputBytes = 4 * (o.layout === 'NHWC' ? g.batch * g.inHeight * g.inWidth * l.c4 : Math.ceil((g.batch * g.inChannels * g.inHeight * g.inWidth) / 4));
  const px = g.batch * l.outHeight * l.outWidth;
  const outputBytes =
    o.quant.output === 'qlinear' ? 4 * (o.layout === 'NHWC' ? px * l.o4 : Math.ceil((px * g.outChannels) / 4)) : 4 * px * g.outChannels;
  return { inputBytes, outputBytes };
}

function problemOf(g: ConvGeometry) {
  return { batch: g.batch, inHeight: g.inHeight, inWidth: g.inWidth, inChannels: g.inChannels, outChannels: g.outChannels, pads: g.pads };
}

function transformStages(
  g: ConvGeometry,
  l: WinogradLayout,
  wg: number,
  maxPerDim: number,
  input: KernelSource,
  output: KernelSource,
  values: Record<string, number>,
): { input: Int8WinogradStage; output: Int8WinogradStage } {
  const di = linearWorkgroups(l.tiles * l.c4, wg, maxPerDim);
  const dout = linearWorkgroups(l.tiles * l.o4, wg, maxPerDim);
  return {
    input: { name: 'input', kernel: input, uniforms: pick(input, { ...values, row_pitch: di.rowPitch }), workgroups: di.workgroups },
    output: { name: 'output', kernel: output, uniforms: pick(output, { ...values, row_pitch: dout.rowPitch }), workgroups: dout.workgroups },
  };
}

// ---------------------------------------------------------------------------------------------------------
// winograd2-exact

export interface ExactWinogradPrepareOptions extends Int8WinogradOperands {
  /** GEMM register tile (default winogradDefaultTile(O): r16x16, the fastest measured on SwiftShader). */
  tile?: QGemmTile;
  /** GEMM arithmetic (exact-gemm.ts): 'i32' multiply-adds or exact 'f32' chunks (default 'i32'). */
  gemmAcc?: 'i32' | 'f32';
}

/** max |V| over the input box x' ∈ xRange (exact, from the integer Bᵀ of both sides). */
export function exactMaxAbsV(algo: Winograd2D, xRange: [number, number]): number {
  const num = (f: { s: bigint; n: bigint; d: bigint }) => Number(f.s * f.n) / Number(f.d);
  let best = 0;
  for (const rh of algo.h.BT) {
    for (const rw of algo.w.BT) {
      let lo = 0;
      let hi = 0;
      for (const a of rh) for (const b of rw) {
        const c = num(a) * num(b);
        lo += Math.min(c * xRange[0], c * xRange[1]);
        hi += Math.max(c * xRange[0], c * xRange[1]);
      }
      best = Math.max(best, -lo, hi);
    }
  }
  return best;
}

/** Everything to run `winograd2-exact` (see the file comment); throws with the reason when not applicable. */
/** `packed` when it is this scheme's (an earlier prepare of the same plan), else undefined. */
function samePacked(packed: PackedWinogradWeights | undefined, scheme: Int8WinogradScheme): PackedWinogradWeights | undefined {
  if (packed && packed.scheme !== scheme) bad('packed.scheme', packed.scheme, `must be ${scheme} (the weights of this plan)`);
  return packed;
}

/** Exact F(2×2,3×3): the weights checked, transformed to integer U' and packed (once per plan). */
function packExactWeights(o: ExactWinogradPrepareOptions, algo: Winograd2D, l: WinogradLayout): PackedWinogradWeights {
  const g = o.geometry;
  const [wlo, whi] = QUANT_RANGE[o.weightDtype];
  for (let i = 0; i < o.weights.length; i++) {
    const v = o.weights[i];
    if (!Number.isInteger(v) || v < wlo || v > whi) bad(`weights[${i}]`, v, `must be an integer in the ${o.weightDtype} range [${wlo}, ${whi}]`);
  }
  const U = exactWinogradFilterTransform(integerWinograd(algo), toOIHW(o.weights, o.weightLayout, g), g.outChannels, g.inChannels, o.wZeroPoint);
  const widest = boundsOf([-255, 255], [-255, 255], algo);
  let boundNote: string;
  if (g.inChannels <= widest.maxChannels) {
    boundNote = `C_in ${g.inChannels} <= ${widest.maxChannels} (the bound for any 8-bit operands)`;
  } else {
    const { xRange, wRange } = exactOperandRanges(g, { input: o.input, xZeroPoint: o.xZeroPoint, weightDtype: o.weightDtype, wZeroPoint: o.wZeroPoint, weights: o.weights, weightLayout: o.weightLayout });
    boundNote = `C_in ${g.inChannels} <= ${boundsOf(xRange, wRange, algo).maxChannels} (x' in [${xRange.join(', ')}], w' in [${wRange.join(', ')}])`;
  }
  return {
    scheme: 'winograd2-exact',
    constants: { wino_u: packExactFilter(U, l.taps, g.inChannels, g.outChannels) },
    maxU: U.reduce((m, v) => Math.max(m, Math.abs(v)), 0),
    boundNote,
  };
}

export function prepareExactWinograd(o: ExactWinogradPrepareOptions): Int8WinogradPrepared {
  const scheme: Int8WinogradScheme = 'winograd2-exact';
  const algo = int8WinogradAlgo(scheme);
  checkCommon(o, algo);
  const g = o.geometry;
  const why = exactWinogradApplicable(g, { input: o.input, xZeroPoint: o.xZeroPoint, weightDtype: o.weightDtype, wZeroPoint: o.wZeroPoint, weights: o.weights, weightLayout: o.weightLayout }, algo);
  if (why) throw new Error(`winograd2-exact not applicable: ${why}`);
  const l = winogradLayout(algo, problemOf(g));
  const packed = samePacked(o.packed, scheme) ?? packExactWeights(o, algo, l);
  const out = outputValues(g, o.quant);
  const wordStore = o.layout === 'NHWC' && o.quant.output === 'qlinear';
  const tile = o.tile ?? winogradDefaultTile(g.outChannels);
  const maxPerDim = o.maxWorkgroupsPerDimension ?? 65535;
  const acc = o.gemmAcc ?? 'i32';
  const input = generateExactInputKernel({ algo, layout: o.layout, input: o.input, workgroupSize: o.workgroupSize });
  const gemm = generateExactGemmKernel({ algo, tile, acc });
  const output = generateExactOutputKernel({ algo, layout: o.layout, output: o.quant.output, wordStore, workgroupSize: o.workgroupSize });
  const values: Record<string, number> = { ...geometryUniforms(g, l, o.xZeroPoint ?? 0), ...out.uniforms };
  const [xlo, xhi] = QUANT_RANGE[o.input];
  const maxV = exactMaxAbsV(algo, [xlo - (o.xZeroPoint ?? 0), xhi - (o.xZeroPoint ?? 0)]);
  const maxU = packed.maxU!;
  const boundNote = packed.boundNote!;
  if (acc === 'f32') values.gemm_kc = exactF32Chunk(maxV, maxU);
  const wg = o.workgroupSize ?? 64;
  const tr = transformStages(g, l, wg, maxPerDim, input, output, values);
  return {
    scheme,
    algo,
    stages: [
      tr.input,
      { name: 'gemm', kernel: gemm, uniforms: pick(gemm, values), workgroups: exactGemmWorkgroups({ algo, tile, acc }, l.tiles, g.outChannels, maxPerDim) },
      tr.output,
    ],
    constants: { ...packed.constants, qchan: out.qchan },
    packed,
    workspace: { wino_v: l.taps * l.tiles * l.c4 * 8, wino_m: l.taps * l.tiles * l.o4 * 16 },
    ...ioBytes(o, l),
    outputDims: [g.batch, g.outChannels, l.outHeight, l.outWidth],
    layout: l,
    features: [],
    languageFeatures: [],
    notes: [
      `exact integer ${algo.name}: no int32 overflow, ${boundNote}; V and U' stored as int16 (|V| <= ${maxV}, |U'| <= ${maxU})${acc === 'f32' ? `; GEMM in exact f32 chunks of ${values.gemm_kc} k steps` : ''}`,
      ...out.notes,
    ],
  };
}

// ---------------------------------------------------------------------------------------------------------
// winograd*-tap

export interface TapwisePrepareOptions extends Int8WinogradOperands {
  scheme: Exclude<Int8WinogradScheme, 'winograd2-exact'>;
  /** From calibrateTapScales / staticTapScales / tapScalesFromJSON (src/quant/tapwise.ts). */
  scales: TapScales;
  /** GEMM register tile (default winogradDefaultTile(O)) and dot path (default 'dot4'). */
  tile?: QGemmTile;
  dot?: QDotPath;
  /**
   * Learned (Winograd-aware) transforms with the scheme's output tile, instead of the scheme's Cook-Toom matrices;
   * kernel IDs then carry the matrices' hash.
   */
  algo?: Winograd2D;
}

/**
 * The default GEMM tile of both paths: 16 tile rows × 16 output channels per invocation (r16x16, workgroup 4×1),
 * the columns cut to the channel count for narrow layers (measured on SwiftShader, scratch benchmark of issue 4).
 */
export function winogradDefaultTile(outChannels: number): QGemmTile {
  return { ...GEMM_TILES['regblock-16x16'], tn: Math.min(16, 4 * Math.ceil(outChannels / 4)) };
}

/** A tap-wise scheme's weights quantized per tap and packed, with the tap parameters (once per plan). */
function packTapwise(o: TapwisePrepareOptions, algo: Winograd2D, wz: number[]): PackedWinogradWeights {
  const g = o.geometry;
  const weightsQ = quantizeTapWeights(algo, { data: toOIHW(o.weights, o.weightLayout, g), outChannels: g.outChannels, inChannels: g.inChannels, zeroPoint: wz }, o.scales);
  const packedW = packTapWeights(weightsQ, o.scales.inputDtype, g.inChannels, g.outChannels);
  const kp = tapwiseKernelParams(o.scales);
  return {
    scheme: o.scheme,
    constants: { tap_q: packTapInputParams(kp), wino_uq: packedW.words, tap_corr: packedW.corr, tap_xor: packedW.xor, tap_deq: packTapDequant(kp, g.outChannels) },
  };
}

/** Everything to run a tap-wise scheme (see the file comment). */
export function prepareTapwiseWinograd(o: TapwisePrepareOptions): Int8WinogradPrepared {
  const standard = int8WinogradAlgo(o.scheme);
  const algo = o.algo ?? standard;
  if (algo.mh !== standard.mh || algo.mw !== standard.mw) bad('algo', algo.name, `must have the output tile of ${o.scheme} (${standard.mh}×${standard.mw})`);
  if (o.scheme === ('winograd2-exact' as Int8WinogradScheme)) bad('scheme', o.scheme, 'use prepareExactWinograd');
  checkCommon(o, algo);
  const g = o.geometry;
  const [wlo, whi] = QUANT_RANGE[o.weightDtype];
  validateTapScales(o.scales, algo);
  if (o.scales.outChannels !== g.outChannels) bad('scales.outChannels', o.scales.outChannels, `must be ${g.outChannels}`);
  const l = winogradLayout(algo, problemOf(g));
  const wz = perChannel('wZeroPoint', o.wZeroPoint, g.outChannels, 0);
  wz.forEach((z, i) => {
    if (!Number.isInteger(z) || z < wlo || z > whi) bad(`wZeroPoint[${i}]`, z, `must be an integer in the ${o.weightDtype} range`);
  });
  const packed = samePacked(o.packed, o.scheme) ?? packTapwise(o, algo, wz);
  const out = outputValues(g, o.quant);
  const wordStore = o.layout === 'NHWC' && o.quant.output === 'qlinear';
  const tile = o.tile ?? winogradDefaultTile(g.outChannels);
  const dot = o.dot ?? 'dot4';
  const maxPerDim = o.maxWorkgroupsPerDimension ?? 65535;
  const input = generateTapInputKernel({ algo, layout: o.layout, input: o.input, workgroupSize: o.workgroupSize });
  const gemm = generateTapGemmKernel({ algo, tile, dot });
  const output = generateTapOutputKernel({ algo, layout: o.layout, output: o.quant.output, wordStore, workgroupSize: o.workgroupSize });
  const values = { ...geometryUniforms(g, l, o.xZeroPoint ?? 0), ...out.uniforms };
  const tr = transformStages(g, l, o.workgroupSize ?? 64, maxPerDim, input, output, values);
  return {
    scheme: o.scheme,
    algo,
    stages: [
      tr.input,
      { name: 'gemm', kernel: gemm, uniforms: pick(gemm, values), workgroups: tapGemmWorkgroups({ algo, tile, dot }, l.tiles, g.outChannels, maxPerDim) },
      tr.output,
    ],
    constants: { ...packed.constants, qchan: out.qchan },
    packed,
    workspace: { wino_vq: l.taps * l.tiles * l.c4 * 4, wino_m: l.taps * l.tiles * l.o4 * 16 },
    ...ioBytes(o, l),
    outputDims: [g.batch, g.outChannels, l.outHeight, l.outWidth],
    layout: l,
    features: tapGemmRequiredFeatures({ algo, tile, dot }),
    languageFeatures: dot === 'dot4' ? [PACKED_DOT_FEATURE] : [],
    notes: [
      `tap-wise ${algo.name} (${o.scales.granularity}, ${o.scales.method}): taps ${o.scales.inputDtype.map((d) => (d === 'uint8' ? 'u' : 's')).join('')} (u = uint8 flipped in the GEMM reader)`,
      ...out.notes,
    ],
  };
}

/**
 * GPU cases for the int8 kernels (src/kernels/int8/): the direct kernel and im2col + int8 GEMM, compared bit
 * for bit with the exact CPU references (convIntegerReference / qlinearConvReference; the float output against
 * the exact accumulator scaled in float64, within a few f32 roundings). Shapes are ugly and small (SwiftShader):
 * odd H/W, C = 1, 3, 13, batch 2, strides, dilations, groups, depthwise, asymmetric pads, up to 256 channels;
 * int8 and uint8 activations and weights, per-tensor and per-channel weight zero points, nonzero activation
 * zero points, bias, fused relu/relu6, NHWC and NCHW, the dot4 path and the unpacked fallback (forced by config
 * where the feature exists). Parameters are spread over the cases rather than crossed.
 *
 * Each case also checks the buffer contract: NHWC input channel-padding lanes are filled with garbage (the
 * kernels must substitute x_zp), and the output buffer starts as a sentinel: bytes of a packed output that the
 * kernel does not own (past an NCHW tensor's end; NHWC padding lanes without whole-word stores) must keep it.
 */
import { weightShape, type ConvGeometry, type Layout, type WeightLayout } from '../../../src/conv/types.ts';
import { outputSize } from '../../../src/conv/geometry.ts';
import {
  F32_MAX,
  PACKED_DOT_FEATURE,
  directI8ConfigFor,
  directI8Dispatch,
  generateDirectI8Kernel,
  generateIm2colI8Kernel,
  im2colI8ConfigFor,
  im2colI8Dispatch,
  im2colI8KLayout,
  packChannelParams,
  packInt8Activations,
  packInt8Weights,
  packedActivationWords,
  qGemmRequiredFeatures,
  qOutputBytes,
  unpackInt8Activations,
  type DirectI8Config,
  type Im2colI8Config,
  type QCallValues,
  type QDType,
  type QDotPath,
  type QGemmTile,
  type QInputRead,
  type QOperandConfig,
  type QOutputMode,
} from '../../../src/kernels/int8/index.ts';
import type { KernelSource } from '../../../src/kernels/types.ts';
import { requantClamp, requantParams } from '../../../src/quant/requant.ts';
import { convIntegerReference, qlinearConvReference } from '../../../src/reference/integer.ts';
import { mulberry32, randomInts } from '../../../src/util/random.ts';
import { geom } from '../../shapes.ts';
import { runKernel } from '../harness/run-kernel.ts';
import type { GpuCase, GpuTestContext } from '../harness/types.ts';

export interface Int8CaseSpec {
  name: string;
  kind: 'direct' | 'im2col';
  layout: Layout;
  weightLayout: WeightLayout;
  geom: ConvGeometry;
  input: QDType;
  weight: QDType;
  /** Activation zero point. */
  xZp: number;
  /** Weight zero point: a number (per tensor) or 'channel' (random per output channel). */
  wZp: number | 'channel';
  output: QOutputMode;
  dot: QDotPath;
  /** qlinear: output dtype (default = input dtype). */
  outDtype?: QDType;
  yZp?: number;
  bias?: boolean;
  activation?: 'relu' | 'relu6';
  /** Per-channel weight scales (qlinear, float). */
  perChannelScale?: boolean;
  /** packInt8Weights' fold (default true). */
  fold?: boolean;
  /** Kernel knobs (default: the *ConfigFor choice). */
  read?: QInputRead;
  tile?: QGemmTile;
  channels?: 4 | 8;
  pixels?: number;
}

const SENTINEL_BYTE = 0xa5;
const p = (top: number, left: number, bottom: number, right: number): [number, number, number, number] => [top, left, bottom, right];
const NOPAD = p(0, 0, 0, 0);

function range(t: QDType): [number, number] {
  return t === 'int8' ? [-128, 127] : [0, 255];
}

interface Prepared {
  kernel: KernelSource;
  uniforms: Record<string, number>;
  dispatch: [number, number, number];
  config: DirectI8Config | Im2colI8Config;
}

function describe(s: Int8CaseSpec, extra: Record<string, unknown>): string {
  return `${s.name}: ${JSON.stringify({ ...s, ...extra })}`;
}

export async function runInt8Case(t: GpuTestContext, s: Int8CaseSpec, seed: number): Promise<void> {
  const g = s.geom;
  const rng = mulberry32(seed);
  const { outHeight: oh, outWidth: ow } = outputSize(g);
  const dims = { n: g.batch, c: g.inChannels, h: g.inHeight, w: g.inWidth };
  const [xlo, xhi] = range(s.input);
  const [wlo, whi] = range(s.weight);
  const input = randomInts(g.batch * g.inChannels * g.inHeight * g.inWidth, rng, xlo, xhi);
  const weight = randomInts(weightShape(g, s.weightLayout).reduce((a, b) => a * b, 1), rng, wlo, whi);
  const wZp = s.wZp === 'channel' ? randomInts(g.outChannels, rng, wlo, whi) : s.wZp;
  const C = g.outChannels;
  const bias = s.bias ? randomInts(C, rng, -20000, 20000) : undefined;
  const fbias = s.bias ? Array.from(randomInts(C, rng, -1000, 1000), (v) => Math.fround(v / 37)) : undefined;
  const xScale = Math.fround(0.01 + 0.02 * rng());
  const wScale = Array.from({ length: s.perChannelScale ? C : 1 }, () => Math.fround(0.002 + 0.01 * rng()));
  const refOps = { input, inputLayout: s.layout, weight, weightLayout: s.weightLayout, xZeroPoint: s.xZp, wZeroPoint: wZp };
  const accRef = convIntegerReference(g, refOps).data;
  // y_scale so that the largest |acc · x_scale · w_scale| is ~120 output steps: outputs spread over the range.
  let accMax = 1;
  for (const v of accRef) accMax = Math.max(accMax, Math.abs(v));
  const yScale = Math.fround((xScale * Math.max(...wScale) * accMax) / 120);
  const outDtype = s.outDtype ?? s.input;
  const yZp = s.yZp ?? 0;

  const kLayout = s.kind === 'direct' ? 'tap4' : im2colI8KLayout(s.read ?? im2colI8ConfigFor(g, { layout: s.layout, input: s.input, weights: 'int8', wzp: false, output: s.output, dot: s.dot }).reader);
  const packed = packInt8Weights(weight, s.weightLayout, g, { input: s.input, weightDtype: s.weight, wZeroPoint: wZp, kLayout, fold: s.fold });
  const ops: Pick<QOperandConfig, 'layout' | 'input' | 'weights' | 'wzp' | 'output' | 'dot'> = {
    layout: s.layout, input: s.input, weights: packed.storage, wzp: packed.wzp, output: s.output, dot: s.dot,
  };

  const call: QCallValues = { xZeroPoint: s.xZp };
  let chan: Int32Array;
  let rq: ReturnType<typeof requantParams> | undefined;
  if (s.output === 'qlinear') {
    rq = requantParams(xScale, wScale, yScale);
    const cl = requantClamp(s.activation ? { type: s.activation } : undefined, yScale, yZp, outDtype);
    call.yZeroPoint = cl.zp;
    call.clamp = [cl.lo, cl.hi];
    chan = packChannelParams('qlinear', g, packed, { bias, m0: rq.m0, shift: rq.shift });
  } else if (s.output === 'float') {
    call.xScale = xScale;
    call.floatClamp = s.activation === 'relu' ? [0, F32_MAX] : s.activation === 'relu6' ? [0, 6] : undefined;
    chan = packChannelParams('float', g, packed, { wScale, bias: fbias });
  } else {
    chan = packChannelParams('convint', g, packed);
  }

  const maxPerDim = t.device.limits.maxComputeWorkgroupsPerDimension;
  let prep: Prepared;
  if (s.kind === 'direct') {
    const base = directI8ConfigFor(g, ops);
    const config: DirectI8Config = { ...base, read: s.read ?? base.read, channels: s.channels ?? base.channels, pixels: s.pixels ?? base.pixels };
    const d = directI8Dispatch(config, g, call, maxPerDim);
    prep = { kernel: generateDirectI8Kernel(config), uniforms: d.uniforms, dispatch: d.workgroups, config };
  } else {
    const base = im2colI8ConfigFor(g, ops, s.tile);
    const config: Im2colI8Config = { ...base, reader: s.read ?? base.reader };
    const d = im2colI8Dispatch(config, g, call, maxPerDim);
    prep = { kernel: generateIm2colI8Kernel(config), uniforms: d.uniforms, dispatch: d.workgroups, config };
  }

  // NHWC channel padding gets garbage (not x_zp): the kernels must not use it.
  const garbage = s.input === 'int8' ? (s.xZp === 77 ? 76 : 77) : s.xZp === 201 ? 200 : 201;
  const xWords = packInt8Activations(input, s.layout, s.input, dims, garbage);
  const outBytes = qOutputBytes(ops, g.batch, C, oh, ow);
  const outInit = new Uint8Array(outBytes + 64).fill(SENTINEL_BYTE);
  const output = t.upload(new Uint32Array(outInit.buffer));
  await runKernel(t, {
    kernel: prep.kernel,
    buffers: { input: t.upload(xWords), weights: t.upload(packed.words), qchan: t.upload(chan), output },
    uniforms: prep.uniforms,
    dispatch: prep.dispatch,
  });
  const raw = new Uint8Array(await t.read(output, outInit.length));
  const where = () =>
    describe(s, {
      seed, kernel: prep.kernel.id, config: prep.config, dispatch: prep.dispatch, storage: packed.storage, wzp: packed.wzp,
      wZpValues: Array.from(typeof wZp === 'number' ? [wZp] : wZp), xScale, wScale, yScale, outDtype, uniforms: prep.uniforms,
    });

  for (let i = outBytes; i < raw.length; i++) {
    if (raw[i] !== SENTINEL_BYTE) throw new Error(`${where()}\nwrote past the output (byte ${i}, output has ${outBytes}) = ${raw[i]}`);
  }

  const mismatches: string[] = [];
  const check = (got: ArrayLike<number>, want: ArrayLike<number>, ok: (a: number, b: number, i: number) => boolean) => {
    let bad = 0;
    for (let i = 0; i < want.length; i++) {
      if (!ok(got[i], want[i], i)) {
        bad++;
        if (mismatches.length < 8) mismatches.push(`[${i}] got ${got[i]}, expected ${want[i]}`);
      }
    }
    if (bad) throw new Error(`${where()}\n${bad} of ${want.length} outputs differ:\n${mismatches.join('\n')}`);
  };

  if (s.output === 'convint') {
    check(new Int32Array(raw.buffer, 0, accRef.length), accRef, (a, b) => a === b);
    t.log(`${prep.kernel.id}: ${accRef.length} int32 outputs exact`);
  } else if (s.output === 'qlinear') {
    const ref = qlinearConvReference(g, {
      ...refOps, xScale, wScale, yScale, yZeroPoint: yZp, outputDtype: outDtype,
      bias: bias ? { shape: [C], data: bias, broadcast: 'channel' } : undefined,
      activation: s.activation ? { type: s.activation } : undefined,
    });
    const odims = { n: g.batch, c: C, h: oh, w: ow };
    const words = new Uint32Array(raw.buffer, 0, packedActivationWords(s.layout, odims));
    check(unpackInt8Activations(words, s.layout, outDtype, odims), ref.data, (a, b) => a === b);
    if (s.layout === 'NHWC' && C % 4 !== 0) {
      // Padding lanes: 0 with whole-word stores, else untouched.
      const c4 = Math.ceil(C / 4) * 4;
      const want = (prep.config as { wordStore: boolean }).wordStore ? 0 : SENTINEL_BYTE;
      for (let px = 0; px < g.batch * oh * ow; px++) {
        for (let c = C; c < c4; c++) {
          if (raw[px * c4 + c] !== want) throw new Error(`${where()}\npadding lane ${c} of output pixel ${px} = ${raw[px * c4 + c]}, expected ${want}`);
        }
      }
    }
    const distinct = new Set(ref.data).size;
    t.log(`${prep.kernel.id}: ${ref.data.length} ${outDtype} outputs exact (${distinct} distinct values)`);
  } else {
    const acc = accRef;
    const got = new Float32Array(raw.buffer, 0, acc.length);
    const want = new Float64Array(acc.length);
    const scale = new Float64Array(acc.length);
    const [lo, hi] = call.floatClamp ?? [-F32_MAX, F32_MAX];
    for (let i = 0; i < acc.length; i++) {
      const o = s.layout === 'NHWC' ? i % C : Math.floor(i / (oh * ow)) % C;
      const m = acc[i] * xScale * wScale[s.perChannelScale ? o : 0];
      const b = fbias ? fbias[o] : 0;
      want[i] = Math.min(Math.max(m + b, lo), hi);
      scale[i] = Math.abs(m) + Math.abs(b);
    }
    let worst = 0;
    // f32(acc) (exact below 2^24), x_scale·w_scale, the product and the bias sum: ≤ 4 roundings of 2^-24.
    check(got, want, (a, b, i) => Number.isFinite(a) && Math.abs(a - b) <= 4 * 2 ** -24 * scale[i] + 1e-30);
    for (let i = 0; i < acc.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / Math.max(scale[i], 1e-30));
    t.log(`${prep.kernel.id}: ${acc.length} float outputs, max |error| / (|acc·scale| + |bias|) = ${worst.toExponential(2)}`);
  }
}

const g = geom;

/** Small tiles keep SwiftShader's compile time low; quad and multi-row/column blocking are still exercised. */
const T4x4: QGemmTile = { tm: 4, tn: 4, wgx: 4, wgy: 4 };
const T8x8Q: QGemmTile = { tm: 8, tn: 8, wgx: 4, wgy: 1, quad: true };
const T4x8Q: QGemmTile = { tm: 4, tn: 8, wgx: 4, wgy: 1, quad: true };
const T8x4: QGemmTile = { tm: 8, tn: 4, wgx: 2, wgy: 4 };
const T4x8: QGemmTile = { tm: 4, tn: 8, wgx: 2, wgy: 4 };
/** The one GEMM body's workgroup-tiled variant: raw words staged in k-tiles (the last one past K). */
const TW: QGemmTile = { variant: 'wgtile', tm: 2, tn: 4, wgx: 4, wgy: 4, tk: 20 };
const TWD: QGemmTile = { variant: 'wgtile', tm: 4, tn: 8, wgx: 2, wgy: 4, tk: 32, doubleBuffer: true };

export const INT8_CASES: Int8CaseSpec[] = [
  // ---- direct ----
  { name: 'd_u8i8_nhwc_c3_k8_9x11_3x3_convint_dot4', kind: 'direct', layout: 'NHWC', weightLayout: 'HWIO', geom: g({ inChannels: 3, outChannels: 8, inHeight: 9, inWidth: 11 }), input: 'uint8', weight: 'int8', xZp: 7, wZp: 0, output: 'convint', dot: 'dot4' },
  { name: 'd_i8i8_nchw_b2_c13_k5_6x7_nopad_wzpC_qlinear_bias_relu_unpack', kind: 'direct', layout: 'NCHW', weightLayout: 'OIHW', geom: g({ batch: 2, inChannels: 13, outChannels: 5, inHeight: 6, inWidth: 7, pads: NOPAD }), input: 'int8', weight: 'int8', xZp: -9, wZp: 'channel', fold: false, output: 'qlinear', yZp: -4, bias: true, activation: 'relu', perChannelScale: true, dot: 'unpack', pixels: 3 },
  { name: 'd_u8u8_nhwc_c16_k12_10x9_5x5_s2_asympad_wzp_qlinear_relu6_dot4', kind: 'direct', layout: 'NHWC', weightLayout: 'OIHW', geom: g({ inChannels: 16, outChannels: 12, inHeight: 10, inWidth: 9, kernelH: 5, kernelW: 5, strides: [2, 2], pads: p(2, 1, 1, 2) }), input: 'uint8', weight: 'uint8', xZp: 131, wZp: 119, fold: false, output: 'qlinear', yZp: 100, bias: true, activation: 'relu6', dot: 'dot4', channels: 8, pixels: 2 },
  { name: 'd_i8u8_nhwc_g2_c6_k6_11x8_s2_d2_wzpC_float_unpackf32', kind: 'direct', layout: 'NHWC', weightLayout: 'HWIO', geom: g({ inChannels: 6, outChannels: 6, groups: 2, inHeight: 11, inWidth: 8, strides: [2, 2], dilations: [2, 2], pads: p(2, 2, 2, 2) }), input: 'int8', weight: 'uint8', xZp: 5, wZp: 'channel', output: 'float', bias: true, perChannelScale: true, dot: 'unpackf32', pixels: 1 },
  { name: 'd_u8i8_nhwc_dw_c8_13x13_3x3_xz128_qlinear_dot4', kind: 'direct', layout: 'NHWC', weightLayout: 'HWIO', geom: g({ inChannels: 8, outChannels: 8, groups: 8, inHeight: 13, inWidth: 13 }), input: 'uint8', weight: 'int8', xZp: 128, wZp: 0, output: 'qlinear', yZp: 128, bias: true, dot: 'dot4' },
  { name: 'd_u8i8_nchw_dw_m2_c3_k6_11x9_5x5_s2_asympad_wzpC_convint_unpack', kind: 'direct', layout: 'NCHW', weightLayout: 'OIHW', geom: g({ inChannels: 3, outChannels: 6, groups: 3, inHeight: 11, inWidth: 9, kernelH: 5, kernelW: 5, strides: [2, 2], pads: p(2, 1, 2, 3) }), input: 'uint8', weight: 'int8', xZp: 200, wZp: 'channel', fold: false, output: 'convint', dot: 'unpack' },
  { name: 'd_i8i8_nhwc_c1_k1_7x5_convint_unpackf32', kind: 'direct', layout: 'NHWC', weightLayout: 'OIHW', geom: g({ inChannels: 1, outChannels: 1, inHeight: 7, inWidth: 5 }), input: 'int8', weight: 'int8', xZp: -3, wZp: 2, output: 'convint', dot: 'unpackf32' },
  // 260 input channels: 65 words per tap, so the per-tap f32 chunk loop runs twice (64 + 1 words).
  { name: 'd_u8u8_nhwc_c260_k16_5x6_3x3_qlinear_wzpC_unpackf32', kind: 'direct', layout: 'NHWC', weightLayout: 'HWIO', geom: g({ inChannels: 260, outChannels: 16, inHeight: 5, inWidth: 6 }), input: 'uint8', weight: 'uint8', xZp: 250, wZp: 'channel', fold: false, output: 'qlinear', outDtype: 'int8', yZp: 3, bias: true, perChannelScale: true, dot: 'unpackf32', channels: 8 },
  { name: 'd_u8u8_nchw_b2_g2_c8_k12_5x7_1x3_wzp_qlinear_dot4', kind: 'direct', layout: 'NCHW', weightLayout: 'HWIO', geom: g({ batch: 2, inChannels: 8, outChannels: 12, groups: 2, inHeight: 5, inWidth: 7, kernelH: 1, kernelW: 3, pads: p(0, 1, 0, 0) }), input: 'uint8', weight: 'uint8', xZp: 17, wZp: 140, fold: false, output: 'qlinear', yZp: 7, bias: true, activation: 'relu', perChannelScale: true, dot: 'dot4', channels: 8, pixels: 2 },
  // ---- im2col + int8 GEMM ----
  { name: 'i_u8i8_nhwc_c16_k32_9x9_3x3_qlinear_relu_dot4', kind: 'im2col', layout: 'NHWC', weightLayout: 'HWIO', geom: g({ inChannels: 16, outChannels: 32, inHeight: 9, inWidth: 9 }), input: 'uint8', weight: 'int8', xZp: 121, wZp: 0, output: 'qlinear', yZp: 110, bias: true, activation: 'relu', perChannelScale: true, dot: 'dot4', tile: T8x4 },
  { name: 'i_u8i8_nhwc_c16_k32_9x9_3x3_qlinear_relu_unpack', kind: 'im2col', layout: 'NHWC', weightLayout: 'HWIO', geom: g({ inChannels: 16, outChannels: 32, inHeight: 9, inWidth: 9 }), input: 'uint8', weight: 'int8', xZp: 121, wZp: 0, output: 'qlinear', yZp: 110, bias: true, activation: 'relu', perChannelScale: true, dot: 'unpack', tile: T4x8 },
  { name: 'i_u8i8_nhwc_c16_k32_9x9_3x3_qlinear_relu_unpackf32_quad', kind: 'im2col', layout: 'NHWC', weightLayout: 'HWIO', geom: g({ inChannels: 16, outChannels: 32, inHeight: 9, inWidth: 9 }), input: 'uint8', weight: 'int8', xZp: 121, wZp: 0, output: 'qlinear', yZp: 110, bias: true, activation: 'relu', perChannelScale: true, dot: 'unpackf32', tile: T8x8Q },
  { name: 'i_u8u8_nchw_b2_c13_k5_9x8_s2_d2_asympad_wzp_qlinear_dot4', kind: 'im2col', layout: 'NCHW', weightLayout: 'OIHW', geom: g({ batch: 2, inChannels: 13, outChannels: 5, inHeight: 9, inWidth: 8, strides: [2, 2], dilations: [2, 2], pads: p(2, 1, 1, 2) }), input: 'uint8', weight: 'uint8', xZp: 3, wZp: 140, fold: false, output: 'qlinear', yZp: 131, bias: true, dot: 'dot4', tile: T4x4 },
  { name: 'i_i8i8_nhwc_g2_c6_k8_10x7_5x5_asympad_wzpC_float_relu6_unpack', kind: 'im2col', layout: 'NHWC', weightLayout: 'OIHW', geom: g({ inChannels: 6, outChannels: 8, groups: 2, inHeight: 10, inWidth: 7, kernelH: 5, kernelW: 5, pads: p(2, 1, 2, 3) }), input: 'int8', weight: 'int8', xZp: -20, wZp: 'channel', fold: false, output: 'float', activation: 'relu6', bias: true, perChannelScale: true, dot: 'unpack', tile: T8x4 },
  { name: 'i_i8i8_nhwc_b2_c3_k8_7x9_3x3_wzpC_convint_dot4_quad', kind: 'im2col', layout: 'NHWC', weightLayout: 'HWIO', geom: g({ batch: 2, inChannels: 3, outChannels: 8, inHeight: 7, inWidth: 9 }), input: 'int8', weight: 'int8', xZp: 11, wZp: 'channel', fold: false, output: 'convint', dot: 'dot4', tile: T4x8Q },
  { name: 'i_i8i8_nchw_c64_k24_8x7_1x1_s2_convint_unpackf32', kind: 'im2col', layout: 'NCHW', weightLayout: 'OIHW', geom: g({ inChannels: 64, outChannels: 24, inHeight: 8, inWidth: 7, kernelH: 1, kernelW: 1, strides: [2, 2], pads: NOPAD }), input: 'int8', weight: 'int8', xZp: -1, wZp: 0, output: 'convint', dot: 'unpackf32', tile: T4x8 },
  // K = 9·64 words: several f32 chunks per output.
  { name: 'i_u8u8_nhwc_c256_k20_5x6_3x3_wzpC_qlinear_bias_unpackf32_quad', kind: 'im2col', layout: 'NHWC', weightLayout: 'HWIO', geom: g({ inChannels: 256, outChannels: 20, inHeight: 5, inWidth: 6 }), input: 'uint8', weight: 'uint8', xZp: 255, wZp: 'channel', fold: false, output: 'qlinear', yZp: 60, bias: true, perChannelScale: true, dot: 'unpackf32', tile: T8x8Q },
  { name: 'i_u8i8_nhwc_c256_k64_5x5_3x3_wzpC_qlinear_dot4', kind: 'im2col', layout: 'NHWC', weightLayout: 'OIHW', geom: g({ inChannels: 256, outChannels: 64, inHeight: 5, inWidth: 5 }), input: 'uint8', weight: 'int8', xZp: 64, wZp: 'channel', fold: false, output: 'qlinear', yZp: 60, bias: true, perChannelScale: true, dot: 'dot4', tile: T4x8 },
  { name: 'i_i8i8_nhwc_dw_c12_9x10_3x3_d2_qlinear_dot4', kind: 'im2col', layout: 'NHWC', weightLayout: 'HWIO', geom: g({ inChannels: 12, outChannels: 12, groups: 12, inHeight: 9, inWidth: 10, dilations: [2, 2], pads: p(2, 2, 2, 1) }), input: 'int8', weight: 'int8', xZp: -128, wZp: 0, output: 'qlinear', yZp: -10, bias: true, activation: 'relu6', dot: 'dot4', tile: T8x4 },
  { name: 'i_i8i8_nhwc_g2_c16_k12_b2_6x5_3x3_wzp_qlinear_relu6_unpack', kind: 'im2col', layout: 'NHWC', weightLayout: 'OIHW', geom: g({ batch: 2, inChannels: 16, outChannels: 12, groups: 2, inHeight: 6, inWidth: 5 }), input: 'int8', weight: 'int8', xZp: 0, wZp: 3, fold: false, output: 'qlinear', yZp: 0, bias: true, activation: 'relu6', dot: 'unpack', tile: T4x8 },
  { name: 'i_u8i8_nchw_c5_k7_9x11_3x3_float_relu_dot4', kind: 'im2col', layout: 'NCHW', weightLayout: 'HWIO', geom: g({ inChannels: 5, outChannels: 7, inHeight: 9, inWidth: 11 }), input: 'uint8', weight: 'int8', xZp: 250, wZp: 0, output: 'float', activation: 'relu', bias: true, dot: 'dot4', tile: T4x8 },
  // wgtile: uint8 × int8 dot4 flips A, so padding words past K are 0x80808080 (0 once flipped) for the row sums.
  { name: 'i_u8i8_nhwc_c13_k8_7x6_3x3_wzpC_qlinear_dot4_wgtile', kind: 'im2col', layout: 'NHWC', weightLayout: 'HWIO', geom: g({ inChannels: 13, outChannels: 8, inHeight: 7, inWidth: 6 }), input: 'uint8', weight: 'int8', xZp: 77, wZp: 'channel', fold: false, output: 'qlinear', yZp: 50, bias: true, perChannelScale: true, dot: 'dot4', tile: TW },
  { name: 'i_u8u8_nchw_c20_k12_6x7_3x3_wzp_float_unpackf32_wgtile_db', kind: 'im2col', layout: 'NCHW', weightLayout: 'OIHW', geom: g({ inChannels: 20, outChannels: 12, inHeight: 6, inWidth: 7 }), input: 'uint8', weight: 'uint8', xZp: 200, wZp: 131, fold: false, output: 'float', bias: true, dot: 'unpackf32', tile: TWD },
  { name: 'i_i8i8_nhwc_c16_k16_6x5_3x3_wzp_convint_unpack_wgtile', kind: 'im2col', layout: 'NHWC', weightLayout: 'OIHW', geom: g({ inChannels: 16, outChannels: 16, inHeight: 6, inWidth: 5 }), input: 'int8', weight: 'int8', xZp: -7, wZp: 5, fold: false, output: 'convint', dot: 'unpack', tile: TW },
  { name: 'i_u8i8_nhwc_c16_k16_7x9_byte_wzpC_convint_unpackf32', kind: 'im2col', layout: 'NHWC', weightLayout: 'OIHW', geom: g({ inChannels: 16, outChannels: 16, inHeight: 7, inWidth: 9, pads: p(1, 0, 0, 1) }), input: 'uint8', weight: 'int8', xZp: 33, wZp: 'channel', fold: false, output: 'convint', dot: 'unpackf32', read: 'byte', tile: T4x8 },
];

export const int8Cases: GpuCase[] = INT8_CASES.map((s, i) => ({
  name: `int8 ${s.kind} ${s.layout.toLowerCase()} ${s.name}`,
  features: s.tile ? qGemmRequiredFeatures(s.tile) : [],
  languageFeatures: s.dot === 'dot4' ? [PACKED_DOT_FEATURE] : [],
  run: (t) => runInt8Case(t, s, 9100 + i),
}));

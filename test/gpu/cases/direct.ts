/**
 * GPU cases for the generated fallback kernels (src/kernels/direct.ts, depthwise.ts, im2col.ts) against the
 * float64 reference, in NHWC and NCHW, over every epilogue and ugly shapes. Epilogue coverage is spread over the
 * shapes rather than crossed with them, to keep SwiftShader time small.
 *
 * The im2col parts are run through a tiny GEMM body defined here (test-only): one invocation per (row, col4, b),
 * a plain k loop over gemm_load_a / gemm_load_b, then gemm_store.
 */
import { composeKernel, type WgslPart } from '../../../src/kernels/compose.ts';
import { directDispatch, generateDirectKernel, type DirectKernelConfig } from '../../../src/kernels/direct.ts';
import { depthwiseDispatch, generateDepthwiseKernel, type DepthwiseKernelConfig } from '../../../src/kernels/depthwise.ts';
import { GEMM_BODY_UNIFORMS, type GemmOperandParts } from '../../../src/kernels/gemm-contract.ts';
import { im2colGemmIdPart, im2colGemmParts, im2colGemmShape, im2colGemmUniforms, pickUniforms, type Im2colGemmConfig } from '../../../src/kernels/im2col.ts';
import type { EpilogueConfig } from '../../../src/kernels/epilogue.ts';
import type { KernelSource } from '../../../src/kernels/types.ts';
import { epilogueOperand, packDepthwiseWeights, packGroupedWeights } from '../../../src/kernels/weight-pack.ts';
import { conv2dReference, maxAbsDot } from '../../../src/reference/conv2d.ts';
import { compareWithReference, toleranceFor } from '../../../src/conv/tolerance.ts';
import { tensorShape, weightShape, type ActivationType, type BroadcastTensor, type ConvGeometry, type Layout, type WeightLayout } from '../../../src/conv/types.ts';
import { outputSize } from '../../../src/conv/geometry.ts';
import { mulberry32, randomF32 } from '../../../src/util/random.ts';
import { geom } from '../../shapes.ts';
import { runKernel } from '../harness/run-kernel.ts';
import type { GpuCase, GpuTestContext } from '../harness/types.ts';

type Kind = 'direct' | 'depthwise' | 'im2col';

interface EpiSpec {
  /** 'numpy' is a broadcast that varies over H and C, so the kernel reads it as a full tensor. */
  bias?: 'channel' | 'scalar' | 'numpy';
  activation?: ActivationType;
  /** 'numpy' varies over W only (a tensor). */
  prelu?: 'channel' | 'numpy';
}

export interface KernelCaseSpec {
  name: string;
  kind: Kind;
  layout: Layout;
  weightLayout: WeightLayout;
  geom: ConvGeometry;
  epi: EpiSpec;
  /** direct only */
  channels?: 4 | 8;
  pixels?: number;
  vecInput?: boolean;
  /** depthwise only */
  slide?: boolean;
  workgroupSize?: number;
  /** im2col only */
  reader?: 'im2col' | 'rows';
  vecOutput?: boolean;
}

/** Test-only GEMM body: C_b[row][col4] = Σ_k A_b[row][k] · B_b[k][col4]; dispatch (ceil(M/64), N4, batches). */
export function testGemmKernel(id: string, operands: GemmOperandParts): KernelSource {
  const body: WgslPart = { idPart: '', bindings: [], uniforms: GEMM_BODY_UNIFORMS.map((u) => ({ ...u })), code: '' };
  return composeKernel({
    id,
    header: 'Test-only GEMM body: invocation (row, col4, b) = (gid.x, gid.y, gid.z) computes one vec4 of C_b.\nNo workgroup memory, no barriers. Dispatch: (ceil(gemm_m / 64), gemm_n4, batches).',
    parts: [body, operands.a, operands.b, operands.c],
    main: `
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let row = gid.x;
  let col4 = gid.y;
  let b = gid.z;
  if (row >= params.gemm_m || col4 >= params.gemm_n4) {
    return;
  }
  var acc = vec4<f32>(0.0);
  for (var k4 = 0u; k4 < params.gemm_k4; k4++) {
    let a = gemm_load_a(b, row, k4);
    acc = fma(vec4<f32>(a.x), gemm_load_b(b, 4u * k4, col4), acc);
    acc = fma(vec4<f32>(a.y), gemm_load_b(b, 4u * k4 + 1u, col4), acc);
    acc = fma(vec4<f32>(a.z), gemm_load_b(b, 4u * k4 + 2u, col4), acc);
    acc = fma(vec4<f32>(a.w), gemm_load_b(b, 4u * k4 + 3u, col4), acc);
  }
  gemm_store(b, row, col4, acc);
}`,
    workgroupSize: [64, 1, 1],
  });
}

/** Bias / PReLU tensors as the reference takes them. */
function broadcastTensor(kind: 'channel' | 'scalar' | 'numpy', role: 'bias' | 'prelu', g: ConvGeometry, layout: Layout, rng: () => number): BroadcastTensor {
  const { outHeight, outWidth } = outputSize(g);
  const c = g.outChannels;
  const [lo, hi] = role === 'bias' ? [-1, 1] : [0, 0.5];
  if (kind === 'scalar') return { shape: [1], data: randomF32(1, rng, lo, hi), broadcast: 'scalar' };
  if (kind === 'channel') return { shape: [c], data: randomF32(c, rng, lo, hi), broadcast: 'channel' };
  let shape: number[];
  if (role === 'bias') shape = layout === 'NHWC' ? [outHeight, 1, c] : [c, outHeight, 1];
  else shape = layout === 'NHWC' ? [outWidth, 1] : [outWidth];
  return { shape, data: randomF32(shape.reduce((a, b) => a * b, 1), rng, lo, hi), broadcast: 'numpy' };
}

function describe(s: KernelCaseSpec, kernelId: string): string {
  return `${s.name}: kernel ${kernelId}, layout ${s.layout}, weights ${s.weightLayout}, epilogue ${JSON.stringify(s.epi)}, geom ${JSON.stringify(s.geom)}`;
}

/** How an im2col case builds its GEMM kernel: composes the operand parts with a body and says how to dispatch it. */
export interface GemmBody {
  kernel(idPart: string, parts: GemmOperandParts): KernelSource;
  dispatch(m: number, n4: number, batches: number): [number, number, number];
}

/** The test-only body above: (ceil(M / 64), N4, batches). */
export const TEST_GEMM_BODY: GemmBody = {
  kernel: (idPart, parts) => testGemmKernel(`testgemm_f32_${idPart}`, parts),
  dispatch: (m, n4, batches) => [Math.ceil(m / 64), n4, batches],
};

export async function runKernelCase(t: GpuTestContext, s: KernelCaseSpec, seed: number, body: GemmBody = TEST_GEMM_BODY): Promise<void> {
  const g = s.geom;
  const rng = mulberry32(seed);
  const { outHeight, outWidth } = outputSize(g);
  const inCount = tensorShape(s.layout, g.batch, g.inChannels, g.inHeight, g.inWidth).reduce((a, b) => a * b, 1);
  const input = randomF32(inCount, rng);
  const weight = randomF32(weightShape(g, s.weightLayout).reduce((a, b) => a * b, 1), rng);
  const bias = s.epi.bias ? broadcastTensor(s.epi.bias, 'bias', g, s.layout, rng) : undefined;
  const act = s.epi.activation ?? 'linear';
  const prelu = act === 'prelu' ? broadcastTensor(s.epi.prelu ?? 'channel', 'prelu', g, s.layout, rng) : undefined;
  const alpha = 0.2;

  const biasOp = bias ? epilogueOperand(bias, s.layout, g) : undefined;
  const preluOp = prelu ? epilogueOperand(prelu, s.layout, g) : undefined;
  const epilogue: EpilogueConfig = { bias: biasOp?.mode ?? 'none', activation: act, ...(preluOp ? { prelu: preluOp.mode } : {}) };
  const total = g.batch * outHeight * outWidth * g.outChannels;
  const output = t.buffer({ size: total * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  const buffers: Record<string, GPUBuffer> = { input: t.upload(input), output };
  if (biasOp) buffers.epi_bias = t.upload(biasOp.data);
  if (preluOp) buffers.epi_prelu = t.upload(preluOp.data);
  const maxPerDim = t.device.limits.maxComputeWorkgroupsPerDimension;

  let kernel: KernelSource;
  let uniforms: Record<string, number>;
  let dispatch: [number, number, number];
  if (s.kind === 'direct') {
    const cfg: DirectKernelConfig = { layout: s.layout, epilogue, channels: s.channels, pixels: s.pixels, vecInput: s.vecInput, workgroupSize: s.workgroupSize };
    kernel = generateDirectKernel(cfg);
    const d = directDispatch(cfg, g, { maxWorkgroupsPerDimension: maxPerDim, alpha });
    uniforms = d.uniforms;
    dispatch = d.workgroups;
    buffers.weights = t.upload(packGroupedWeights(weight, s.weightLayout, g));
  } else if (s.kind === 'depthwise') {
    const cfg: DepthwiseKernelConfig = { layout: s.layout, epilogue, slide: s.slide, pixels: s.pixels, vecInput: s.vecInput, workgroupSize: s.workgroupSize };
    kernel = generateDepthwiseKernel(cfg);
    const d = depthwiseDispatch(cfg, g, { maxWorkgroupsPerDimension: maxPerDim, alpha });
    uniforms = d.uniforms;
    dispatch = d.workgroups;
    buffers.weights = t.upload(packDepthwiseWeights(weight, s.weightLayout, g));
  } else {
    const cfg: Im2colGemmConfig = { layout: s.layout, epilogue, reader: s.reader ?? 'im2col', vecInput: s.vecInput ?? false, vecOutput: s.vecOutput ?? false };
    kernel = body.kernel(im2colGemmIdPart(cfg), im2colGemmParts(cfg));
    uniforms = pickUniforms(kernel.uniforms, im2colGemmUniforms(cfg, g, alpha));
    const shape = im2colGemmShape(g);
    dispatch = body.dispatch(shape.m, shape.n4, shape.batches);
    buffers.weights = t.upload(packGroupedWeights(weight, s.weightLayout, g));
  }

  await runKernel(t, { kernel, buffers, uniforms, dispatch });
  const got = await t.readF32(output, total);

  const refArgs = { input, inputLayout: s.layout, weight, weightLayout: s.weightLayout, bias, activation: { type: act, alpha, preluWeights: prelu } };
  const ref = conv2dReference(g, refArgs);
  const dots = maxAbsDot(g, refArgs);
  const cmp = compareWithReference(got, ref.data, dots.perOutput, toleranceFor('float32', s.kind === 'im2col' ? 'im2col' : 'direct'));
  t.log(`${kernel.id}: ${cmp.message.split('\n')[0]}`);
  if (!cmp.pass) throw new Error(`${describe(s, kernel.id)} seed ${seed} dispatch ${dispatch.join('x')}\n${cmp.message}`);
}

const p = (top: number, left: number, bottom: number, right: number): [number, number, number, number] => [top, left, bottom, right];
const NOPAD = p(0, 0, 0, 0);

export const DIRECT_KERNEL_CASES: KernelCaseSpec[] = [
  // ---- direct ----
  { name: 'c1_k1_7x5_3x3_pad1', kind: 'direct', layout: 'NHWC', weightLayout: 'HWIO', geom: geom({ inChannels: 1, outChannels: 1, inHeight: 7, inWidth: 5 }), epi: {} },
  { name: 'c3_k8_9x11_3x3_pad1_bias_relu', kind: 'direct', layout: 'NCHW', weightLayout: 'OIHW', geom: geom({ inChannels: 3, outChannels: 8, inHeight: 9, inWidth: 11 }), epi: { bias: 'channel', activation: 'relu' }, channels: 8, pixels: 2 },
  { name: 'b2_c13_k5_6x7_3x3_nopad_scalarbias_relu6', kind: 'direct', layout: 'NHWC', weightLayout: 'OIHW', geom: geom({ batch: 2, inChannels: 13, outChannels: 5, inHeight: 6, inWidth: 7, pads: NOPAD }), epi: { bias: 'scalar', activation: 'relu6' }, pixels: 3 },
  { name: 'c4_k6_10x9_5x5_s2_asympad_numpybias_sigmoid', kind: 'direct', layout: 'NCHW', weightLayout: 'HWIO', geom: geom({ inChannels: 4, outChannels: 6, inHeight: 10, inWidth: 9, kernelH: 5, kernelW: 5, strides: [2, 2], pads: p(2, 1, 1, 2) }), epi: { bias: 'numpy', activation: 'sigmoid' } },
  { name: 'g2_c6_k6_11x8_3x3_s2_d2_bias_leakyrelu', kind: 'direct', layout: 'NHWC', weightLayout: 'HWIO', geom: geom({ inChannels: 6, outChannels: 6, groups: 2, inHeight: 11, inWidth: 8, dilations: [2, 2], strides: [2, 2], pads: p(2, 2, 2, 2) }), epi: { bias: 'channel', activation: 'leakyrelu' }, channels: 8, pixels: 1 },
  { name: 'g2_c4_k6_9x13_1x3_pad01_preluC', kind: 'direct', layout: 'NCHW', weightLayout: 'OIHW', geom: geom({ inChannels: 4, outChannels: 6, groups: 2, inHeight: 9, inWidth: 13, kernelH: 1, kernelW: 3, pads: p(0, 1, 0, 1) }), epi: { activation: 'prelu', prelu: 'channel' }, pixels: 8 },
  { name: 'ci4_c16_k12_8x9_3x3_asympad_preluT', kind: 'direct', layout: 'NHWC', weightLayout: 'HWIO', geom: geom({ inChannels: 16, outChannels: 12, inHeight: 8, inWidth: 9, pads: p(0, 2, 1, 0) }), epi: { bias: 'channel', activation: 'prelu', prelu: 'numpy' }, vecInput: true, channels: 8, pixels: 2 },
  { name: 'ci4_g2_c8_k6_b2_7x7_3x3_d2_elu', kind: 'direct', layout: 'NHWC', weightLayout: 'OIHW', geom: geom({ batch: 2, inChannels: 8, outChannels: 6, groups: 2, inHeight: 7, inWidth: 7, dilations: [2, 2], pads: p(2, 2, 2, 2) }), epi: { activation: 'elu' }, vecInput: true, pixels: 2, workgroupSize: 32 },
  { name: 'c13_k3_b2_9x7_3x3_s2_d2_numpybias_elu', kind: 'direct', layout: 'NCHW', weightLayout: 'HWIO', geom: geom({ batch: 2, inChannels: 13, outChannels: 3, inHeight: 9, inWidth: 7, strides: [2, 2], dilations: [2, 2], pads: p(1, 2, 0, 1) }), epi: { bias: 'numpy', activation: 'elu' }, pixels: 1 },
  // ---- depthwise ----
  { name: 'dw_c8_13x13_3x3_v4_bias_relu6', kind: 'depthwise', layout: 'NHWC', weightLayout: 'HWIO', geom: geom({ inChannels: 8, outChannels: 8, groups: 8, inHeight: 13, inWidth: 13 }), epi: { bias: 'channel', activation: 'relu6' }, vecInput: true, slide: true },
  { name: 'dw_m2_c3_k6_11x9_5x5_s2_asympad_preluC', kind: 'depthwise', layout: 'NCHW', weightLayout: 'OIHW', geom: geom({ inChannels: 3, outChannels: 6, groups: 3, inHeight: 11, inWidth: 9, kernelH: 5, kernelW: 5, strides: [2, 2], pads: p(2, 1, 2, 3) }), epi: { activation: 'prelu', prelu: 'channel' } },
  { name: 'dw_c13_b2_10x9_3x3_s2_d2_numpybias_leakyrelu', kind: 'depthwise', layout: 'NHWC', weightLayout: 'HWIO', geom: geom({ batch: 2, inChannels: 13, outChannels: 13, groups: 13, inHeight: 10, inWidth: 9, strides: [2, 2], dilations: [2, 2], pads: p(2, 1, 1, 2) }), epi: { bias: 'numpy', activation: 'leakyrelu' }, pixels: 3, slide: true },
  { name: 'dw_m2_c5_b2_7x10_1x3_sigmoid', kind: 'depthwise', layout: 'NHWC', weightLayout: 'OIHW', geom: geom({ batch: 2, inChannels: 5, outChannels: 10, groups: 5, inHeight: 7, inWidth: 10, kernelH: 1, kernelW: 3, pads: p(0, 1, 0, 1) }), epi: { activation: 'sigmoid' }, slide: true },
  { name: 'dw_c1_9x8_3x3_d2_scalarbias_preluT', kind: 'depthwise', layout: 'NCHW', weightLayout: 'HWIO', geom: geom({ inChannels: 1, outChannels: 1, groups: 1, inHeight: 9, inWidth: 8, dilations: [2, 2], pads: p(2, 2, 1, 1) }), epi: { bias: 'scalar', activation: 'prelu', prelu: 'numpy' }, pixels: 2 },
  // ---- im2col (+ test GEMM body) ----
  { name: 'im2col_c3_k8_9x11_3x3_bias_relu', kind: 'im2col', layout: 'NHWC', weightLayout: 'HWIO', geom: geom({ inChannels: 3, outChannels: 8, inHeight: 9, inWidth: 11 }), epi: { bias: 'channel', activation: 'relu' }, vecOutput: true },
  { name: 'im2col_c13_k5_b2_9x8_3x3_s2_d2_preluT', kind: 'im2col', layout: 'NCHW', weightLayout: 'OIHW', geom: geom({ batch: 2, inChannels: 13, outChannels: 5, inHeight: 9, inWidth: 8, strides: [2, 2], dilations: [2, 2], pads: p(2, 1, 1, 2) }), epi: { activation: 'prelu', prelu: 'numpy' } },
  { name: 'im2col_ci4_g2_c8_k6_10x7_5x5_asympad_elu', kind: 'im2col', layout: 'NHWC', weightLayout: 'OIHW', geom: geom({ inChannels: 8, outChannels: 6, groups: 2, inHeight: 10, inWidth: 7, kernelH: 5, kernelW: 5, pads: p(2, 1, 2, 3) }), epi: { activation: 'elu' }, vecInput: true },
  { name: 'im2col_ci4_c16_k16_7x9_3x3_numpybias_sigmoid', kind: 'im2col', layout: 'NHWC', weightLayout: 'HWIO', geom: geom({ inChannels: 16, outChannels: 16, inHeight: 7, inWidth: 9 }), epi: { bias: 'numpy', activation: 'sigmoid' }, vecInput: true, vecOutput: true },
  { name: 'im2col_g2_c6_k8_8x9_1x3_s2_scalarbias_leakyrelu', kind: 'im2col', layout: 'NCHW', weightLayout: 'HWIO', geom: geom({ inChannels: 6, outChannels: 8, groups: 2, inHeight: 8, inWidth: 9, kernelH: 1, kernelW: 3, strides: [2, 2], pads: p(0, 1, 0, 0) }), epi: { bias: 'scalar', activation: 'leakyrelu' }, vecOutput: true },
  { name: 'im2col_dw_m2_c4_9x9_3x3_relu6', kind: 'im2col', layout: 'NHWC', weightLayout: 'HWIO', geom: geom({ inChannels: 4, outChannels: 8, groups: 4, inHeight: 9, inWidth: 9 }), epi: { bias: 'channel', activation: 'relu6' } },
  { name: 'rows_ci4_c32_k16_14x14_1x1_relu', kind: 'im2col', layout: 'NHWC', weightLayout: 'HWIO', geom: geom({ inChannels: 32, outChannels: 16, inHeight: 14, inWidth: 14, kernelH: 1, kernelW: 1, pads: NOPAD }), epi: { activation: 'relu' }, reader: 'rows', vecInput: true, vecOutput: true },
  { name: 'rows_c13_k5_b2_5x7_1x1_bias_sigmoid', kind: 'im2col', layout: 'NHWC', weightLayout: 'OIHW', geom: geom({ batch: 2, inChannels: 13, outChannels: 5, inHeight: 5, inWidth: 7, kernelH: 1, kernelW: 1, pads: NOPAD }), epi: { bias: 'channel', activation: 'sigmoid' }, reader: 'rows' },
  { name: 'rows_g2_c6_k6_7x5_1x1_preluC', kind: 'im2col', layout: 'NCHW', weightLayout: 'HWIO', geom: geom({ inChannels: 6, outChannels: 6, groups: 2, inHeight: 7, inWidth: 5, kernelH: 1, kernelW: 1, pads: NOPAD }), epi: { activation: 'prelu', prelu: 'channel' }, reader: 'rows' },
];

export const directKernelCases: GpuCase[] = DIRECT_KERNEL_CASES.map((s, i) => ({
  name: `${s.kind} f32 ${s.layout.toLowerCase()} ${s.name}`,
  run: (t) => runKernelCase(t, s, 2000 + i),
}));

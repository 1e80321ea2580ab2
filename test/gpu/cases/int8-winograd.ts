/**
 * GPU cases for the int8 Winograd kernels (src/kernels/int8-winograd/), every comparison bit for bit:
 *
 * winograd2-exact (exact integer F(2×2,3×3)), per case one kernel config (layout, activation dtype, output mode)
 * run on one or two ugly shapes; per shape
 *   input stage alone   V from the GPU vs exactWinogradInputTransform (int16 pairs unpacked; padding lanes 0);
 *   GEMM stage alone    CPU V and U' uploaded, M vs exactWinogradTapProducts;
 *   output stage alone  CPU M uploaded, the output vs exactWinogradOutputTransform + the CPU epilogue
 *                       (requantizeCpu / the float formula);
 *   end to end          the three kernels chained on the GPU (prepareExactWinograd) vs convIntegerReference /
 *                       qlinearConvReference (float: within 4 f32 roundings of the exact value).
 * Overflow edge: exactWinogradApplicable refuses C_in = bound + 1 (and prepareExactWinograd throws); at C_in =
 * bound the worst-case data of src/quant (exactWinogradWorstCase) on a 4×4 image runs bit-exact.
 *
 * winograd{2,4,2x1,4x1}-tap, one case per algorithm, per shape
 *   input stage alone   Vq vs tapwiseWinogradConv's (tapwiseInputTransform; bytes read with each tap's dtype);
 *   GEMM stage alone    CPU Vq uploaded, Mi vs tapwiseWinogradConv's (tapwiseTapProducts; uint8 taps via flip + correction);
 *   output stage alone  CPU Mi uploaded, the requantized output vs tapwiseWinogradConv's;
 *   end to end          chained (prepareTapwiseWinograd) vs tapwiseWinogradConv, and on the ReLU-like SQNR
 *                       problem of test/unit/quant/sqnr-setup.ts the output's SQNR against QLinearConv (the
 *                       exact result) must meet the floors of test/unit/quant/tapwise.test.ts.
 * Outputs start as a sentinel with a sentinel tail: a missed or stray write fails.
 */
import type { QGemmTile } from '../../../src/kernels/int8/gemm-i8.ts';
import type { ConvGeometry, Layout, WeightLayout } from '../../../src/conv/types.ts';
import {
  exactWinogradApplicable,
  int8WinogradAlgo,
  linearWorkgroups,
  packExactV,
  packTapVq,
  packWinogradM,
  prepareExactWinograd,
  prepareTapwiseWinograd,
  unpackExactV,
  unpackTapVq,
  unpackWinogradM,
  type Int8WinogradPrepared,
  type Int8WinogradQuant,
  type Int8WinogradScheme,
} from '../../../src/kernels/int8-winograd/index.ts';
import { F32_MAX, packInt8Activations, unpackInt8Activations } from '../../../src/kernels/int8/format.ts';
import { PACKED_DOT_FEATURE, type QDType, type QDotPath, type QOutputMode } from '../../../src/kernels/int8/types.ts';
import { packUniforms, type KernelSource } from '../../../src/kernels/types.ts';
import { requantClamp, requantizeCpu, requantParams } from '../../../src/quant/requant.ts';
import {
  calibrateTapScales,
  quantizeTapWeights,
  sqnrDb,
  tapwiseWinogradConv,
  type TapScales,
} from '../../../src/quant/tapwise.ts';
import {
  exactWinogradBounds,
  exactWinogradConv,
  exactWinogradWorstCase,
  integerWinograd,
  exactWinogradOutputTransform,
} from '../../../src/quant/winograd-int.ts';
import { transposeActivation, transposeWeight } from '../../../src/reference/conv2d.ts';
import { convIntegerReference, qlinearConvReference, QUANT_RANGE } from '../../../src/reference/integer.ts';
import type { WinogradConvShape } from '../../../src/reference/winograd.ts';
import { createKernelBindGroup, createKernelPipeline, type BuiltPipeline } from '../../../src/runtime/pipeline.ts';
import { mulberry32, randomInts } from '../../../src/util/random.ts';
import { sqnrProblem } from '../../unit/quant/sqnr-setup.ts';
import type { GpuCase, GpuTestContext } from '../harness/types.ts';

const SENTINEL = 0xa5a5a5a5;
const TAIL_WORDS = 16;

// ---------------------------------------------------------------------------------------------------------
// Running prepared plans

/** Pipelines built once per case (a case has its own device). */
class Pipelines {
  private readonly built = new Map<string, BuiltPipeline>();
  constructor(private readonly t: GpuTestContext) {}
  get(k: KernelSource): BuiltPipeline {
    let b = this.built.get(k.id);
    if (!b) {
      b = createKernelPipeline(this.t.device, k);
      this.built.set(k.id, b);
    }
    return b;
  }
}

type Stage = Int8WinogradPrepared['stages'][number];

/**
 * The stage with its 1-D dispatch redone as if the device allowed only ~√groups workgroups per dimension (the transform
 * kernels' y split and row_pitch, and their idx ≥ total guard, get exercised); the GEMM is returned as it is.
 */
function narrow(s: Stage): Stage {
  if (s.name === 'gemm') return s;
  const wg = s.kernel.workgroupSize[0];
  const total = s.workgroups[0] * s.workgroups[1] * wg;
  const groups = Math.ceil(total / wg);
  const d = linearWorkgroups(total, wg, Math.max(2, Math.ceil(Math.sqrt(groups))));
  return { ...s, uniforms: { ...s.uniforms, row_pitch: d.rowPitch }, workgroups: d.workgroups };
}

function encodeStage(t: GpuTestContext, p: Pipelines, pass: GPUComputePassEncoder, s: Stage, buffers: Record<string, GPUBuffer>): void {
  const built = p.get(s.kernel);
  const params = t.upload(new Uint32Array(packUniforms(s.kernel.uniforms, s.uniforms)), GPUBufferUsage.UNIFORM);
  pass.setPipeline(built.pipeline);
  pass.setBindGroup(0, createKernelBindGroup(t.device, built, { ...buffers, params }));
  pass.dispatchWorkgroups(...s.workgroups);
}

/** Runs the given stages in one compute pass and waits. */
async function runStages(t: GpuTestContext, p: Pipelines, stages: Stage[], buffers: Record<string, GPUBuffer>): Promise<void> {
  const enc = t.device.createCommandEncoder();
  const pass = enc.beginComputePass();
  for (const s of stages) encodeStage(t, p, pass, s, buffers);
  pass.end();
  t.device.queue.submit([enc.finish()]);
  await t.device.queue.onSubmittedWorkDone();
}

function sentinel(t: GpuTestContext, bytes: number): GPUBuffer {
  return t.upload(new Uint32Array(Math.ceil(bytes / 4) + TAIL_WORDS).fill(SENTINEL));
}

/** Reads `bytes` of a sentinel buffer and checks its tail. */
async function readChecked(t: GpuTestContext, b: GPUBuffer, bytes: number, what: string): Promise<ArrayBuffer> {
  const words = Math.ceil(bytes / 4);
  const raw = await t.read(b, (words + TAIL_WORDS) * 4);
  const tail = new Uint32Array(raw, words * 4, TAIL_WORDS);
  const bad = tail.findIndex((v) => v !== SENTINEL);
  if (bad >= 0) throw new Error(`${what}: wrote past its ${bytes} bytes (tail word ${bad} = 0x${tail[bad].toString(16)})`);
  return raw.slice(0, words * 4);
}

function constantBuffers(t: GpuTestContext, p: Int8WinogradPrepared): Record<string, GPUBuffer> {
  const out: Record<string, GPUBuffer> = {};
  for (const [name, data] of Object.entries(p.constants)) out[name] = t.upload(data);
  return out;
}

function compareInts(what: string, got: ArrayLike<number>, want: ArrayLike<number>, where: (i: number) => string): string | undefined {
  let bad = 0;
  const lines: string[] = [];
  for (let i = 0; i < want.length; i++) {
    if (got[i] !== want[i]) {
      bad++;
      if (lines.length < 6) lines.push(`  ${where(i)}: got ${got[i]}, expected ${want[i]}`);
    }
  }
  return bad ? `${what}: ${bad} of ${want.length} differ\n${lines.join('\n')}` : undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Shapes and operands

interface Shape {
  name: string;
  batch: number;
  h: number;
  w: number;
  c: number;
  o: number;
  pads: [number, number, number, number];
}

const S = (name: string, batch: number, h: number, w: number, c: number, o: number, pads: [number, number, number, number]): Shape => ({ name, batch, h, w, c, o, pads });

function geometryOf(s: Shape): ConvGeometry {
  return { batch: s.batch, inChannels: s.c, outChannels: s.o, inHeight: s.h, inWidth: s.w, kernelH: 3, kernelW: 3, strides: [1, 1], pads: s.pads, dilations: [1, 1], groups: 1 };
}

function winoShape(s: Shape): WinogradConvShape {
  return { batch: s.batch, inHeight: s.h, inWidth: s.w, inChannels: s.c, outChannels: s.o, pads: s.pads };
}

/** NHWC data → the layout's flat order. */
function toLayout(nhwc: ArrayLike<number>, layout: Layout, n: number, c: number, h: number, w: number): ArrayLike<number> {
  return layout === 'NHWC' ? nhwc : transposeActivation(nhwc, 'NHWC', 'NCHW', n, c, h, w);
}

interface QuantSpec {
  output: QOutputMode;
  outDtype?: QDType;
  yZp?: number;
  bias?: boolean;
  activation?: 'relu' | 'relu6';
  perChannelScale?: boolean;
}

interface Operands {
  inputNHWC: Int32Array;
  weightsOIHW: Int32Array;
  weightsGiven: ArrayLike<number>;
  wZp: number | Int32Array;
  quant: Int8WinogradQuant;
}

function makeOperands(s: Shape, input: QDType, weight: QDType, wLayout: WeightLayout, wZp: number | 'channel', q: QuantSpec, seed: number): Operands {
  const rng = mulberry32(seed);
  const [xlo, xhi] = QUANT_RANGE[input];
  const [wlo, whi] = QUANT_RANGE[weight];
  const inputNHWC = randomInts(s.batch * s.h * s.w * s.c, rng, xlo, xhi);
  const weightsOIHW = randomInts(s.o * s.c * 9, rng, wlo, whi);
  const zp = wZp === 'channel' ? randomInts(s.o, rng, wlo, whi) : wZp;
  const xScale = Math.fround(0.01 + 0.02 * rng());
  const wScale = Array.from({ length: q.perChannelScale ? s.o : 1 }, () => Math.fround(0.002 + 0.01 * rng()));
  const yScale = Math.fround((xScale * wScale[0] * Math.sqrt(9 * s.c) * 9000) / 50);
  const quant: Int8WinogradQuant = { output: q.output, activation: q.activation };
  if (q.output !== 'convint') Object.assign(quant, { xScale, wScale });
  if (q.output === 'qlinear') {
    Object.assign(quant, { yScale, yZeroPoint: q.yZp ?? 0, outputDtype: q.outDtype ?? input });
    if (q.bias) quant.bias = randomInts(s.o, rng, -20000, 20000);
  } else if (q.output === 'float' && q.bias) {
    quant.bias = Array.from(randomInts(s.o, rng, -1000, 1000), (v) => Math.fround(v / 37));
  }
  const weightsGiven = wLayout === 'OIHW' ? weightsOIHW : transposeWeight(weightsOIHW, 'OIHW', 'HWIO', s.o, s.c, 3, 3);
  return { inputNHWC, weightsOIHW, weightsGiven, wZp: zp, quant };
}

/** The CPU epilogue applied to int32 accumulators Y (NHWC, channel = i % O): what the output stage must write. */
function cpuEpilogue(Y: ArrayLike<number>, O: number, q: Int8WinogradQuant): { ints?: Int32Array; floats?: { want: Float64Array; scale: Float64Array } } {
  if (q.output === 'convint') return { ints: Int32Array.from(Y) };
  const ws = typeof q.wScale === 'number' ? [q.wScale] : Array.from(q.wScale!);
  const wOf = (o: number) => (ws.length === 1 ? ws[0] : ws[o]);
  if (q.output === 'qlinear') {
    const rq = requantParams(q.xScale!, Array.from({ length: O }, (_, o) => wOf(o)), q.yScale!);
    const cl = requantClamp(q.activation && q.activation !== 'linear' ? { type: q.activation } : undefined, q.yScale!, q.yZeroPoint ?? 0, q.outputDtype!);
    const b = q.bias ? Array.from(q.bias) : new Array<number>(O).fill(0);
    return { ints: Int32Array.from(Y, (y, i) => requantizeCpu((y + b[i % O]) | 0, rq.m0[i % O], rq.shift[i % O], cl.zp, cl.lo, cl.hi)) };
  }
  const want = new Float64Array(Y.length);
  const scale = new Float64Array(Y.length);
  const lo = q.activation ? 0 : -F32_MAX;
  const hi = q.activation === 'relu6' ? 6 : F32_MAX;
  for (let i = 0; i < Y.length; i++) {
    const o = i % O;
    const m = Y[i] * q.xScale! * wOf(o);
    const b = q.bias ? q.bias[o] : 0;
    want[i] = Math.min(Math.max(m + b, lo), hi);
    scale[i] = Math.abs(m) + Math.abs(b);
  }
  return { floats: { want, scale } };
}

/** The output buffer read back as NHWC values (ints for convint/qlinear, floats for float). */
function readOutput(raw: ArrayBuffer, layout: Layout, q: Int8WinogradQuant, dims: { n: number; c: number; h: number; w: number }): Float64Array {
  const count = dims.n * dims.c * dims.h * dims.w;
  let flat: ArrayLike<number>;
  if (q.output === 'qlinear') flat = unpackInt8Activations(new Uint32Array(raw), layout, q.outputDtype!, dims);
  else if (q.output === 'convint') flat = new Int32Array(raw, 0, count);
  else flat = new Float32Array(raw, 0, count);
  return layout === 'NHWC' ? Float64Array.from(flat) : transposeActivation(flat, 'NCHW', 'NHWC', dims.n, dims.c, dims.h, dims.w);
}

function checkOutput(what: string, got: Float64Array, exp: ReturnType<typeof cpuEpilogue>, where: (i: number) => string): string | undefined {
  if (exp.ints) return compareInts(what, got, exp.ints, where);
  const { want, scale } = exp.floats!;
  let bad = 0;
  const lines: string[] = [];
  for (let i = 0; i < want.length; i++) {
    // f32(acc), x_scale·w_scale, the product and the bias add: ≤ 4 roundings of 2^-24 (as test/gpu/cases/int8.ts)
    if (!(Number.isFinite(got[i]) && Math.abs(got[i] - want[i]) <= 4 * 2 ** -24 * scale[i] + 1e-30)) {
      bad++;
      if (lines.length < 6) lines.push(`  ${where(i)}: got ${got[i]}, expected ${want[i]}`);
    }
  }
  return bad ? `${what}: ${bad} of ${want.length} float outputs outside 4 f32 roundings\n${lines.join('\n')}` : undefined;
}

function nhwcWhere(s: Shape, oh: number, ow: number) {
  return (i: number) => `y[n ${Math.floor(i / (oh * ow * s.o))}, oh ${Math.floor(i / (ow * s.o)) % oh}, ow ${Math.floor(i / s.o) % ow}, c ${i % s.o}]`;
}

function tapWhere(tiles: number, cPad: number) {
  return (i: number) => `[ξ ${Math.floor(i / (tiles * cPad))}][t ${Math.floor(i / cPad) % tiles}][c ${i % cPad}]`;
}

/** NHWC qlinear outputs with O % 4 ≠ 0: the padding lanes of every pixel must be 0 (whole-word stores). */
function checkPaddingLanes(raw: ArrayBuffer, layout: Layout, q: Int8WinogradQuant, pixels: number, O: number): string | undefined {
  if (q.output !== 'qlinear' || layout !== 'NHWC' || O % 4 === 0) return undefined;
  const bytes = new Uint8Array(raw);
  const c4 = Math.ceil(O / 4) * 4;
  for (let px = 0; px < pixels; px++) for (let c = O; c < c4; c++) if (bytes[px * c4 + c] !== 0) return `padding lane ${c} of output pixel ${px} = ${bytes[px * c4 + c]}, expected 0`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------
// winograd2-exact

interface ExactCaseSpec {
  name: string;
  layout: Layout;
  input: QDType;
  xZp: number;
  weight: QDType;
  weightLayout: WeightLayout;
  wZp: number | 'channel';
  quant: QuantSpec;
  shapes: Shape[];
  /** GEMM arithmetic (default i32). */
  gemmAcc?: 'i32' | 'f32';
  /** GEMM tile (default EXACT_TEST_TILE). */
  tile?: QGemmTile;
}

async function runExactShape(t: GpuTestContext, pipes: Pipelines, spec: ExactCaseSpec, s: Shape, seed: number): Promise<string[]> {
  const ops = makeOperands(s, spec.input, spec.weight, spec.weightLayout, spec.wZp, spec.quant, seed);
  const g = geometryOf(s);
  const prep = prepareExactWinograd({
    geometry: g, layout: spec.layout, input: spec.input, xZeroPoint: spec.xZp, weights: ops.weightsGiven, weightLayout: spec.weightLayout,
    weightDtype: spec.weight, wZeroPoint: ops.wZp, quant: ops.quant, tile: spec.tile ?? EXACT_TEST_TILE, gemmAcc: spec.gemmAcc,
  });
  const l = prep.layout;
  const params = `${spec.name} ${s.name} seed ${seed}: ${JSON.stringify({ spec: { ...spec, shapes: undefined }, wZp: Array.from(typeof ops.wZp === 'number' ? [ops.wZp] : ops.wZp), quant: { ...ops.quant, bias: undefined } })}; kernels ${prep.stages.map((x) => x.kernel.id).join(', ')}`;
  const cpu = exactWinogradConv({ input: ops.inputNHWC, weights: ops.weightsOIHW, shape: winoShape(s), xZeroPoint: spec.xZp, wZeroPoint: ops.wZp });
  const dims = { n: s.batch, c: s.c, h: s.h, w: s.w };
  const odims = { n: s.batch, c: s.o, h: l.outHeight, w: l.outWidth };
  const garbage = spec.input === 'int8' ? 77 : 201;
  const input = t.upload(packInt8Activations(toLayout(ops.inputNHWC, spec.layout, s.batch, s.c, s.h, s.w), spec.layout, spec.input, dims, garbage));
  const consts = constantBuffers(t, prep);
  const [sIn, sGemm, sOut] = prep.stages.map(narrow);
  const problems: (string | undefined)[] = [];
  const where = nhwcWhere(s, l.outHeight, l.outWidth);

  // input stage alone
  const vBytes = prep.workspace.wino_v;
  const vBuf = sentinel(t, vBytes);
  await runStages(t, pipes, [sIn], { input, wino_v: vBuf });
  const vGot = unpackExactV(new Uint32Array(await readChecked(t, vBuf, vBytes, sIn.kernel.id)), l.taps, l.tiles, s.c);
  const vWant = new Int32Array(vGot.length);
  for (let r = 0; r < l.taps * l.tiles; r++) for (let c = 0; c < s.c; c++) vWant[r * l.cPad + c] = cpu.V[r * s.c + c];
  problems.push(compareInts(`${sIn.kernel.id} V`, vGot, vWant, tapWhere(l.tiles, l.cPad)));

  // GEMM stage alone (CPU V and U')
  const mBytes = prep.workspace.wino_m;
  const mBuf = sentinel(t, mBytes);
  await runStages(t, pipes, [sGemm], { wino_v: t.upload(packExactV(cpu.V, l.taps, l.tiles, s.c)), wino_u: consts.wino_u, wino_m: mBuf });
  const mRaw = new Int32Array(await readChecked(t, mBuf, mBytes, sGemm.kernel.id));
  problems.push(compareInts(`${sGemm.kernel.id} M`, unpackWinogradM(mRaw, l.taps, l.tiles, s.o), cpu.M, (i) => `[ξ ${Math.floor(i / (l.tiles * s.o))}][t ${Math.floor(i / s.o) % l.tiles}][o ${i % s.o}]`));
  const mPad = mRaw.findIndex((v, i) => i % l.oPad >= s.o && v !== 0);
  if (mPad >= 0) problems.push(`${sGemm.kernel.id}: M padding lane ${mPad} = ${mRaw[mPad]}, expected 0`);

  // output stage alone (CPU M)
  const yBuf = sentinel(t, prep.outputBytes);
  await runStages(t, pipes, [sOut], { wino_m: t.upload(packWinogradM(cpu.M, l.taps, l.tiles, s.o)), qchan: consts.qchan, output: yBuf });
  const yRaw = await readChecked(t, yBuf, prep.outputBytes, sOut.kernel.id);
  const yExp = cpuEpilogue(exactWinogradOutputTransform(integerWinograd(prep.algo), cpu.M, winoShape(s)), s.o, ops.quant);
  problems.push(checkOutput(`${sOut.kernel.id} output stage`, readOutput(yRaw, spec.layout, ops.quant, odims), yExp, where));
  problems.push(checkPaddingLanes(yRaw, spec.layout, ops.quant, s.batch * l.outHeight * l.outWidth, s.o));

  // end to end, chained on the GPU, vs the ONNX references
  const out = sentinel(t, prep.outputBytes);
  await runStages(t, pipes, prep.stages, { ...consts, input, output: out, wino_v: t.buffer({ size: vBytes, usage: GPUBufferUsage.STORAGE }), wino_m: t.buffer({ size: mBytes, usage: GPUBufferUsage.STORAGE }) });
  const eRaw = await readChecked(t, out, prep.outputBytes, 'end to end');
  const got = readOutput(eRaw, spec.layout, ops.quant, odims);
  const refOps = { input: ops.inputNHWC, inputLayout: 'NHWC' as const, weight: ops.weightsOIHW, weightLayout: 'OIHW' as const, xZeroPoint: spec.xZp, wZeroPoint: ops.wZp };
  let refNote: string;
  if (ops.quant.output === 'qlinear') {
    const q = ops.quant;
    const ref = qlinearConvReference(g, {
      ...refOps, xScale: q.xScale!, wScale: q.wScale!, yScale: q.yScale!, yZeroPoint: q.yZeroPoint, outputDtype: q.outputDtype!,
      bias: q.bias ? { shape: [s.o], data: q.bias, broadcast: 'channel' } : undefined,
      activation: q.activation && q.activation !== 'linear' ? { type: q.activation } : undefined,
    });
    problems.push(compareInts('end to end vs qlinearConvReference', got, ref.data, where));
    refNote = `${ref.data.length} ${q.outputDtype} outputs (${new Set(ref.data).size} distinct)`;
  } else {
    const acc = convIntegerReference(g, refOps).data;
    problems.push(checkOutput(`end to end vs convIntegerReference${ops.quant.output === 'float' ? ' (dequantized)' : ''}`, got, cpuEpilogue(acc, s.o, ops.quant), where));
    refNote = `${acc.length} ${ops.quant.output} outputs, max |acc| ${acc.reduce((m, v) => Math.max(m, Math.abs(v)), 0)}`;
  }
  problems.push(checkPaddingLanes(eRaw, spec.layout, ops.quant, s.batch * l.outHeight * l.outWidth, s.o));
  const fails = problems.filter((x): x is string => Boolean(x));
  if (fails.length) throw new Error(`${params}\n${fails.join('\n')}`);
  const chunk = sGemm.uniforms.gemm_kc === undefined ? '' : `, f32 GEMM chunks of ${sGemm.uniforms.gemm_kc} k steps (${Math.ceil(l.c4 / sGemm.uniforms.gemm_kc)} chunks)`;
  return [`${s.name}: V ${vWant.length}, M ${cpu.M.length}${chunk}, ${refNote}: bit-exact (stages alone and chained)`];
}

const P = (a: number, b: number, c: number, d: number): [number, number, number, number] => [a, b, c, d];

export const EXACT_CASES: ExactCaseSpec[] = [
  {
    name: 'nhwc_u8_wzpC_qlinear_u8_bias_relu_perchannel', layout: 'NHWC', input: 'uint8', xZp: 37, weight: 'int8', weightLayout: 'OIHW', wZp: 'channel',
    quant: { output: 'qlinear', outDtype: 'uint8', yZp: 20, bias: true, activation: 'relu', perChannelScale: true },
    shapes: [S('N2 7x9 C13 O5 pads 1,0,2,1', 2, 7, 9, 13, 5, P(1, 0, 2, 1)), S('N1 9x8 C64 O16 pads 1,1,1,1', 1, 9, 8, 64, 16, P(1, 1, 1, 1))],
  },
  {
    // The one GEMM body's workgroup-tiled variant with the int16-pair format: k-tiles past C (13 channels = 4 k4
    // steps, tk 8 = 2 per tile) and 2 words of U' per step staged through workgroup memory.
    name: 'nhwc_u8_wzp_qlinear_wgtile', layout: 'NHWC', input: 'uint8', xZp: 140, weight: 'int8', weightLayout: 'HWIO', wZp: 3,
    quant: { output: 'qlinear', outDtype: 'uint8', yZp: 9, bias: true }, tile: { variant: 'wgtile', tm: 2, tn: 4, wgx: 4, wgy: 4, tk: 8, doubleBuffer: true },
    shapes: [S('N1 7x6 C13 O6 pads 1,1,1,1', 1, 7, 6, 13, 6, P(1, 1, 1, 1))],
  },
  {
    name: 'nhwc_i8_u8wzp_convint', layout: 'NHWC', input: 'int8', xZp: -5, weight: 'uint8', weightLayout: 'HWIO', wZp: 131,
    quant: { output: 'convint' },
    shapes: [S('N1 5x13 C1 O3 pads 0,2,1,0', 1, 5, 13, 1, 3, P(0, 2, 1, 0)), S('N2 11x6 C3 O13 pads 2,1,0,2', 2, 11, 6, 3, 13, P(2, 1, 0, 2))],
  },
  {
    name: 'nchw_u8_relu_like_qlinear_i8_relu6', layout: 'NCHW', input: 'uint8', xZp: 0, weight: 'int8', weightLayout: 'OIHW', wZp: 0,
    quant: { output: 'qlinear', outDtype: 'int8', yZp: -3, bias: true, activation: 'relu6' }, gemmAcc: 'f32',
    shapes: [
      S('N2 9x11 C3 O7 pads 1,1,1,1', 2, 9, 11, 3, 7, P(1, 1, 1, 1)),
      S('N1 6x5 C13 O4 pads 0,1,2,2', 1, 6, 5, 13, 4, P(0, 1, 2, 2)),
      S('N1 5x7 C64 O8 pads 2,1,0,1 (several f32 chunks)', 1, 5, 7, 64, 8, P(2, 1, 0, 1)),
    ],
  },
  {
    name: 'nchw_i8_wzpC_float_bias_relu', layout: 'NCHW', input: 'int8', xZp: 12, weight: 'int8', weightLayout: 'HWIO', wZp: 'channel',
    quant: { output: 'float', bias: true, activation: 'relu', perChannelScale: true }, gemmAcc: 'f32',
    shapes: [S('N2 7x6 C13 O6 pads 1,2,0,1', 2, 7, 6, 13, 6, P(1, 2, 0, 1))],
  },
];

/** Small register tiles for the tests: they compile fastest on SwiftShader (the kernels are generated the same way). */
const EXACT_TEST_TILE = { tm: 4, tn: 8, wgx: 4, wgy: 4 };
const TAP_TEST_TILE = { tm: 4, tn: 4, wgx: 8, wgy: 8 };

/**
 * The overflow edge: int8 × int8 with zero points 0. C_in = bound + 1 is refused; at C_in = bound the worst
 * case of src/quant (every channel the same g', d' driving the binding intermediate to its extreme) on a 4×4
 * image without padding (one tile, the whole patch inside) is bit-exact, and M reaches the bound's magnitude.
 */
async function runOverflowEdge(t: GpuTestContext, pipes: Pipelines): Promise<string> {
  {
    const algo = int8WinogradAlgo('winograd2-exact');
    const xRange: [number, number] = [-128, 127];
    const wRange: [number, number] = [-128, 127];
    const wc = exactWinogradWorstCase({ xRange, wRange, algo });
    const C = wc.channels;
    const O = 4;
    const base = { batch: 1, outChannels: O, inHeight: 4, inWidth: 4, kernelH: 3, kernelW: 3, strides: [1, 1], pads: [0, 0, 0, 0], dilations: [1, 1], groups: 1 } as ConvGeometry;
    const operands = { input: 'int8' as const, xZeroPoint: 0, weightDtype: 'int8' as const, wZeroPoint: 0 };
    const refusal = exactWinogradApplicable({ ...base, inChannels: C + 1 }, operands);
    if (!refusal || !refusal.includes(String(C))) throw new Error(`C_in = ${C + 1} (bound ${C}) was not refused: ${refusal}`);
    if (exactWinogradApplicable({ ...base, inChannels: C }, operands)) throw new Error(`C_in = ${C} (the bound) was refused: ${exactWinogradApplicable({ ...base, inChannels: C }, operands)}`);
    const s = S(`N1 4x4 C${C} O${O} nopad`, 1, 4, 4, C, O, P(0, 0, 0, 0));
    const inputNHWC = new Int32Array(16 * C);
    for (let p = 0; p < 16; p++) inputNHWC.fill(wc.d[p], p * C, (p + 1) * C);
    // output channel 0 and 3: the worst-case filter in every channel; 1, 2: random int8
    const rng = mulberry32(77);
    const weightsOIHW = randomInts(O * C * 9, rng, -128, 127);
    for (const o of [0, 3]) for (let c = 0; c < C; c++) weightsOIHW.set(wc.g, (o * C + c) * 9);
    const bigIn = () => {
      try {
        prepareExactWinograd({ geometry: { ...base, inChannels: C + 1 }, layout: 'NHWC', input: 'int8', weights: new Int32Array(O * (C + 1) * 9).fill(-128), weightLayout: 'OIHW', weightDtype: 'int8', quant: { output: 'convint' } });
        return 'no error';
      } catch (e) {
        return (e as Error).message;
      }
    };
    const thrown = bigIn();
    if (!/not applicable: inChannels = \d+ exceeds the int32 overflow bound/.test(thrown)) throw new Error(`prepareExactWinograd at C_in = ${C + 1}: ${thrown}`);
    const g = geometryOf(s);
    const prep = prepareExactWinograd({ geometry: g, layout: 'NHWC', input: 'int8', xZeroPoint: 0, weights: weightsOIHW, weightLayout: 'OIHW', weightDtype: 'int8', quant: { output: 'convint' }, tile: EXACT_TEST_TILE });
    const consts = constantBuffers(t, prep);
    const mBuf = t.buffer({ size: prep.workspace.wino_m, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
    const out = sentinel(t, prep.outputBytes);
    await runStages(t, pipes, prep.stages, { ...consts, input: t.upload(packInt8Activations(inputNHWC, 'NHWC', 'int8', { n: 1, c: C, h: 4, w: 4 })), output: out, wino_v: t.buffer({ size: prep.workspace.wino_v, usage: GPUBufferUsage.STORAGE }), wino_m: mBuf });
    const got = new Int32Array(await readChecked(t, out, prep.outputBytes, 'end to end'));
    const ref = convIntegerReference(g, { input: inputNHWC, inputLayout: 'NHWC', weight: weightsOIHW, weightLayout: 'OIHW' });
    const bad = compareInts('worst case at the bound vs convIntegerReference', got, ref.data, nhwcWhere(s, 2, 2));
    const M = new Int32Array(await t.read(mBuf, prep.workspace.wino_m));
    const cpu = exactWinogradConv({ input: inputNHWC, weights: weightsOIHW, shape: winoShape(s) });
    const mBad = compareInts('M at the bound vs exactWinogradTapProducts', unpackWinogradM(M, 16, 1, O), cpu.M, (i) => `M[${i}]`);
    const maxM = M.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const b = exactWinogradBounds({ xRange, wRange, algo });
    if (b.maxChannels !== C) throw new Error(`exactWinogradBounds gives ${b.maxChannels}, the worst case ${C}`);
    if (bad || mBad) throw new Error(`bound ${C}, worst case ${JSON.stringify({ g: Array.from(wc.g), d: Array.from(wc.d), side: wc.side, intermediate: wc.intermediate.name })}\n${[bad, mBad].filter(Boolean).join('\n')}`);
    // the binding intermediate of int8 × int8 is the accumulation of the centre taps: M itself reaches C · 589,824
    const extreme = C * Math.max(Math.abs(wc.intermediate.min), Math.abs(wc.intermediate.max));
    if (wc.intermediate.stage === 'accumulate' && maxM !== extreme) throw new Error(`max |M| ${maxM}, the worst case should reach ${extreme}`);
    return `overflow edge: bound ${C} (${wc.intermediate.name}, ${wc.side}); C_in ${C + 1} refused: "${refusal}"; at the bound max |M| = ${maxM} = ${(maxM / 2 ** 31).toFixed(5)} · 2^31, outputs ${Array.from(got).join(' ')} bit-exact`;
  }
}

/**
 * One case per layout (its configs share the GEMM pipeline and the device); the NHWC case (i32 GEMM) also runs
 * the overflow edge, the NCHW case uses the exact-f32-chunk GEMM.
 */
const exactCases: GpuCase[] = (['NHWC', 'NCHW'] as const).map((layout) => ({
  name: `int8-winograd winograd2-exact ${layout.toLowerCase()}: ${EXACT_CASES.filter((c) => c.layout === layout).map((c) => c.name.replace(/^n(hw|ch)c_/, '')).join(', ')}${layout === 'NHWC' ? ', overflow edge' : ''}`,
  async run(t) {
    const pipes = new Pipelines(t);
    for (const [ci, spec] of EXACT_CASES.entries()) {
      if (spec.layout !== layout) continue;
      for (const [si, s] of spec.shapes.entries()) for (const line of await runExactShape(t, pipes, spec, s, 4100 + 10 * ci + si)) t.log(`${spec.name} ${line}`);
    }
    if (layout === 'NHWC') t.log(await runOverflowEdge(t, pipes));
  },
}));

// ---------------------------------------------------------------------------------------------------------
// winograd*-tap

interface TapRun {
  shape: Shape;
  input: QDType;
  xZp: number;
  /** NHWC input; default random over the dtype. */
  inputNHWC?: Int32Array;
  weightsOIHW?: Int32Array;
  wScale?: ArrayLike<number>;
  xScale?: number;
  yScale?: number;
  bias?: Int32Array;
  outDtype: QDType;
  yZp: number;
  activation?: 'relu' | 'relu6';
  calibration?: Int32Array[];
  /** SQNR floor (dB) of the output against QLinearConv. */
  sqnrFloor?: number;
  /** QLinearConv of these operands, when already computed. */
  reference?: { data: ArrayLike<number> };
}

interface TapCaseSpec {
  scheme: Exclude<Int8WinogradScheme, 'winograd2-exact'>;
  layout: Layout;
  dot: QDotPath;
  /** Made when the case runs (the SQNR problem is built once, on first use). */
  runs: () => TapRun[];
}

async function runTapShape(t: GpuTestContext, pipes: Pipelines, spec: TapCaseSpec, r: TapRun, seed: number): Promise<string> {
  const s = r.shape;
  const algo = int8WinogradAlgo(spec.scheme);
  const rng = mulberry32(seed);
  const [xlo, xhi] = QUANT_RANGE[r.input];
  const inputNHWC = r.inputNHWC ?? randomInts(s.batch * s.h * s.w * s.c, rng, xlo, xhi);
  const weightsOIHW = r.weightsOIHW ?? randomInts(s.o * s.c * 9, rng, -127, 127);
  const xScale = r.xScale ?? Math.fround(0.01 + 0.02 * rng());
  const wScale = r.wScale ?? Array.from({ length: s.o }, () => Math.fround(0.002 + 0.01 * rng()));
  const yScale = r.yScale ?? Math.fround((xScale * wScale[0] * Math.sqrt(9 * s.c) * 9000) / 50);
  const bias = r.bias ?? randomInts(s.o, rng, -20000, 20000);
  const weights = { data: weightsOIHW, outChannels: s.o, inChannels: s.c, zeroPoint: 0 };
  const samples = (r.calibration ?? [inputNHWC]).map((data) => ({ data, batch: data.length / (s.h * s.w * s.c), height: s.h, width: s.w }));
  const scales: TapScales = calibrateTapScales(algo, samples, weights, { inputDtype: r.input, xZeroPoint: r.xZp, pads: s.pads });
  const quant: Int8WinogradQuant = { output: 'qlinear', xScale, wScale, yScale, yZeroPoint: r.yZp, outputDtype: r.outDtype, bias, activation: r.activation };
  const g = geometryOf(s);
  const prep = prepareTapwiseWinograd({
    scheme: spec.scheme, scales, geometry: g, layout: spec.layout, input: r.input, xZeroPoint: r.xZp, weights: weightsOIHW, weightLayout: 'OIHW',
    weightDtype: 'int8', quant, dot: spec.dot, tile: TAP_TEST_TILE,
  });
  const l = prep.layout;
  const shape = winoShape(s);
  const cpu = tapwiseWinogradConv(
    algo,
    { input: inputNHWC, inputDtype: r.input, shape, xScale, xZeroPoint: r.xZp, weightsQ: quantizeTapWeights(algo, weights, scales), wScale, yScale, yZeroPoint: r.yZp, outputDtype: r.outDtype, bias, activation: r.activation ? { type: r.activation } : undefined },
    scales,
  );
  const params = `${spec.scheme} ${spec.layout} ${s.name} seed ${seed}: ${JSON.stringify({ input: r.input, xZp: r.xZp, xScale, yScale, yZp: r.yZp, outDtype: r.outDtype, activation: r.activation, dot: spec.dot, taps: scales.inputDtype.join(','), inputScale: Array.from(scales.inputScale) })}; kernels ${prep.stages.map((x) => x.kernel.id).join(', ')}`;
  const dims = { n: s.batch, c: s.c, h: s.h, w: s.w };
  const odims = { n: s.batch, c: s.o, h: l.outHeight, w: l.outWidth };
  const input = t.upload(packInt8Activations(toLayout(inputNHWC, spec.layout, s.batch, s.c, s.h, s.w), spec.layout, r.input, dims, r.input === 'int8' ? 77 : 201));
  const consts = constantBuffers(t, prep);
  const [sIn, sGemm, sOut] = prep.stages.map(narrow);
  const problems: (string | undefined)[] = [];
  const where = nhwcWhere(s, l.outHeight, l.outWidth);

  const vBytes = prep.workspace.wino_vq;
  const vBuf = sentinel(t, vBytes);
  await runStages(t, pipes, [sIn], { input, tap_q: consts.tap_q, wino_vq: vBuf });
  const vGot = unpackTapVq(new Uint32Array(await readChecked(t, vBuf, vBytes, sIn.kernel.id)), scales.inputDtype, l.tiles, s.c);
  const vCpu = cpu.Vq;
  const vWant = new Int32Array(vGot.length);
  for (let i = 0; i < l.taps * l.tiles; i++) for (let c = 0; c < s.c; c++) vWant[i * l.cPad + c] = vCpu[i * s.c + c];
  problems.push(compareInts(`${sIn.kernel.id} Vq`, vGot, vWant, tapWhere(l.tiles, l.cPad)));

  const mBytes = prep.workspace.wino_m;
  const mBuf = sentinel(t, mBytes);
  await runStages(t, pipes, [sGemm], { wino_vq: t.upload(packTapVq(vCpu, l.taps, l.tiles, s.c)), wino_uq: consts.wino_uq, tap_xor: consts.tap_xor, tap_corr: consts.tap_corr, wino_m: mBuf });
  const mGot = unpackWinogradM(new Int32Array(await readChecked(t, mBuf, mBytes, sGemm.kernel.id)), l.taps, l.tiles, s.o);
  const mWant = cpu.Mi;
  problems.push(compareInts(`${sGemm.kernel.id} Mi`, mGot, mWant, (i) => `[ξ ${Math.floor(i / (l.tiles * s.o))}][t ${Math.floor(i / s.o) % l.tiles}][o ${i % s.o}]`));

  const yBuf = sentinel(t, prep.outputBytes);
  await runStages(t, pipes, [sOut], { wino_m: t.upload(packWinogradM(mWant, l.taps, l.tiles, s.o)), tap_deq: consts.tap_deq, qchan: consts.qchan, output: yBuf });
  const yRaw = await readChecked(t, yBuf, prep.outputBytes, sOut.kernel.id);
  problems.push(compareInts(`${sOut.kernel.id} output stage vs tapwiseWinogradConv`, readOutput(yRaw, spec.layout, quant, odims), cpu.output, where));

  const out = sentinel(t, prep.outputBytes);
  await runStages(t, pipes, prep.stages, { ...consts, input, output: out, wino_vq: t.buffer({ size: vBytes, usage: GPUBufferUsage.STORAGE }), wino_m: t.buffer({ size: mBytes, usage: GPUBufferUsage.STORAGE }) });
  const eRaw = await readChecked(t, out, prep.outputBytes, 'end to end');
  const got = readOutput(eRaw, spec.layout, quant, odims);
  problems.push(compareInts('end to end vs tapwiseWinogradConv', got, cpu.output, where));
  problems.push(checkPaddingLanes(eRaw, spec.layout, quant, s.batch * l.outHeight * l.outWidth, s.o));
  const ref =
    r.reference ??
    qlinearConvReference(g, {
      input: inputNHWC, inputLayout: 'NHWC', weight: weightsOIHW, weightLayout: 'OIHW', xZeroPoint: r.xZp, wZeroPoint: 0, xScale, wScale, yScale,
      yZeroPoint: r.yZp, outputDtype: r.outDtype, bias: { shape: [s.o], data: bias, broadcast: 'channel' }, activation: r.activation ? { type: r.activation } : undefined,
    });
  const db = sqnrDb(got, ref.data);
  if (r.sqnrFloor !== undefined && !(db >= r.sqnrFloor)) problems.push(`SQNR ${db.toFixed(2)} dB against QLinearConv is below the floor ${r.sqnrFloor} dB`);
  const fails = problems.filter((x): x is string => Boolean(x));
  if (fails.length) throw new Error(`${params}\n${fails.join('\n')}`);
  const exactShare = got.reduce((n, v, i) => n + (v === ref.data[i] ? 1 : 0), 0) / got.length;
  return `${s.name} (${r.input} zp ${r.xZp}, taps ${scales.inputDtype.map((d) => (d === 'uint8' ? 'u' : 's')).join('')}): Vq, Mi, output bit-exact vs tapwise.ts (stages alone and chained); SQNR vs QLinearConv ${db.toFixed(2)} dB${r.sqnrFloor !== undefined ? ` (floor ${r.sqnrFloor})` : ''}, ${(100 * exactShare).toFixed(1)}% outputs equal`;
}

/** The SQNR experiment of issue 4 (test/unit/quant/sqnr-setup.ts): ReLU-like uint8 acts, int8 per-channel weights. */
let sqnrMemo: ReturnType<typeof sqnrProblem> | undefined;

function sqnrRun(floor: number): TapRun {
  sqnrMemo ??= sqnrProblem({ calibrationSamples: 1 });
  const p = sqnrMemo;
  return {
    shape: S('SQNR N1 16x16 C64 O32 pads 1,1,1,1', 1, p.shape.inHeight, p.shape.inWidth, p.shape.inChannels, p.shape.outChannels, [...p.shape.pads] as [number, number, number, number]),
    input: 'uint8', xZp: 0, inputNHWC: p.input, weightsOIHW: Int32Array.from(p.weights.data), wScale: p.wScale, xScale: p.xScale, yScale: p.yScale, bias: p.bias,
    outDtype: 'int8', yZp: 0, calibration: p.calibration, sqnrFloor: floor, reference: p.ref,
  };
}

// Floors: those of test/unit/quant/tapwise.test.ts (F(2x2) meets the issue's 33 dB). The GPU cases calibrate on one
// image instead of four (calibration is CPU time): measured 33.67 / 23.08 / 35.36 / 31.06 dB for F(2x2) / F(4x4) /
// F(2x1) / F(4x1). With the unit test's four images the GPU gives exactly that test's numbers (34.35 / 23.91 /
// 35.44 / 31.65 dB): its outputs are bit-identical to tapwiseWinogradConv.
export const TAP_CASES: TapCaseSpec[] = [
  {
    scheme: 'winograd2-tap', layout: 'NHWC', dot: 'dot4',
    runs: () => [sqnrRun(33.0), { shape: S('N2 7x9 C13 O5 pads 1,0,2,1', 2, 7, 9, 13, 5, P(1, 0, 2, 1)), input: 'uint8', xZp: 77, outDtype: 'uint8', yZp: 100, activation: 'relu' }],
  },
  {
    scheme: 'winograd4-tap', layout: 'NHWC', dot: 'dot4',
    runs: () => [sqnrRun(22.5), { shape: S('N1 11x6 C3 O13 pads 2,1,0,2', 1, 11, 6, 3, 13, P(2, 1, 0, 2)), input: 'uint8', xZp: 0, outDtype: 'uint8', yZp: 5, activation: 'relu6' }],
  },
  {
    scheme: 'winograd2x1-tap', layout: 'NCHW', dot: 'dot4',
    runs: () => [sqnrRun(34.5), { shape: S('N2 5x13 C1 O3 pads 0,2,1,0', 2, 5, 13, 1, 3, P(0, 2, 1, 0)), input: 'uint8', xZp: 0, outDtype: 'int8', yZp: -7 }],
  },
  {
    scheme: 'winograd4x1-tap', layout: 'NCHW', dot: 'dot4',
    runs: () => [sqnrRun(30.5), { shape: S('N2 9x7 C13 O6 pads 1,2,1,0', 2, 9, 7, 13, 6, P(1, 2, 1, 0)), input: 'uint8', xZp: 130, outDtype: 'uint8', yZp: 128 }],
  },
];

const tapCases: GpuCase[] = TAP_CASES.map((spec, ci) => ({
  name: `int8-winograd ${spec.scheme} ${spec.layout.toLowerCase()} ${spec.dot} (stages, end to end, SQNR)`,
  languageFeatures: spec.dot === 'dot4' ? [PACKED_DOT_FEATURE] : [],
  async run(t) {
    const pipes = new Pipelines(t);
    for (const [ri, r] of spec.runs().entries()) t.log(await runTapShape(t, pipes, spec, r, 5200 + 10 * ci + ri));
  },
}));

export const int8WinogradCases: GpuCase[] = [...exactCases, ...tapCases];

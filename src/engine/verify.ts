/**
 * The correctness gate: before a kernel set is used for the first time in a process, it runs a small
 * convolution of the same configuration (same kernel IDs: only sizes differ, and sizes are uniforms) on
 * seeded random data and is compared with the float64 reference. A set that fails is never used.
 */
import type { NormalizedDesc } from '../conv/desc.ts';
import { compareWithReference, epilogueValueMagnitude, tileMaxAbsDot, toleranceFor, type Comparison, type ToleranceAlgorithm } from '../conv/tolerance.ts';
import type { ConvGeometry } from '../conv/types.ts';
import { conv2dReference, maxAbsDot, type ConvOperands } from '../reference/conv2d.ts';
import { convIntegerReference, qlinearConvReference } from '../reference/integer.ts';
import { packInt8Activations, packedActivationWords, unpackInt8Activations } from '../kernels/int8/format.ts';
import { mulberry32, randomF32, randomInts } from '../util/random.ts';
import { packF16, roundF16, unpackF16 } from '../util/float16.ts';
import type { PrepareContext, PreparedConv } from './algorithm.ts';
import { scratchIo } from './steps.ts';
import type { VerifyResult } from './engine-core.ts';
import { effectiveKernel, outputHW } from '../conv/geometry.ts';
export type { VerifyResult } from './engine-core.ts';

export function toleranceFamily(algorithm: string, d: NormalizedDesc, userTransforms: boolean): ToleranceAlgorithm {
  if (userTransforms) return 'winograd';
  if (algorithm === 'direct') return 'direct';
  if (algorithm === 'im2col') return 'im2col';
  const r = Math.max(d.kernelH, d.kernelW);
  if (algorithm === 'winograd2' || algorithm === 'winograd2x1' || algorithm === 'winograd1x2') return r > 3 ? 'winograd4' : 'winograd2';
  if (algorithm === 'winograd4' || algorithm === 'winograd4x1' || algorithm === 'winograd1x4') return r > 3 ? 'winograd6' : 'winograd4';
  return 'winograd6';
}

/** Output tile (mh, mw) of a float32 Winograd algorithm (user transforms: theirs); undefined for the others. */
export function winogradOutputTile(algorithm: string, transforms?: { mh: number; mw: number }): [number, number] | undefined {
  if (!algorithm.startsWith('winograd') || algorithm.includes('-')) return undefined;
  if (transforms) return [transforms.mh, transforms.mw];
  const m = /^winograd(\d)(?:x(\d))?$/.exec(algorithm);
  if (!m) return undefined;
  return m[2] === undefined ? [Number(m[1]), Number(m[1])] : [Number(m[1]), Number(m[2])];
}

/**
 * A float32 result against the float64 reference with the engine's own rule (the gate's): the algorithm's
 * tolerance, Winograd's tile maximum of Σ|x·w|, and the exp-aware value magnitude (src/conv/tolerance.ts).
 */
export function compareWithEngineTolerance(got: ArrayLike<number>, g: ConvGeometry, refOps: ConvOperands, algorithm: string, d: NormalizedDesc, transforms?: { mh: number; mw: number }, opts: { f16Math?: boolean } = {}): Comparison {
  const ref = conv2dReference(g, refOps);
  const act = refOps.activation?.type ?? 'linear';
  // The final activation's input: preAct(conv + bias) + residual.
  const pre = act === 'linear' ? ref : conv2dReference(g, { ...refOps, activation: undefined });
  const dots = maxAbsDot(g, refOps).perOutput;
  const tile = winogradOutputTile(algorithm, transforms);
  const oh = ref.shape[refOps.inputLayout === 'NHWC' ? 1 : 2];
  const ow = ref.shape[refOps.inputLayout === 'NHWC' ? 2 : 3];
  const absDot = tile ? tileMaxAbsDot(dots, refOps.inputLayout, { n: g.batch, c: g.outChannels, h: oh, w: ow }, tile[0], tile[1]) : dots;
  // A slope above 1 (leakyrelu and hardsigmoid alpha, PReLU slopes; hardswish's derivative reaches 1.5 at x = 3),
  // of the activation or of the pre-activation, multiplies the sum's error by itself.
  const slopesOf = (a?: ConvOperands['activation']): number[] => {
    const t = a?.type ?? 'linear';
    if (t === 'leakyrelu' || t === 'hardsigmoid') return [a?.alpha ?? 0.2];
    if (t === 'prelu') return Array.from(a?.preluWeights?.data ?? []);
    if (t === 'hardswish') return [1.5];
    return [];
  };
  const gain = slopesOf(refOps.activation).reduce((m, v) => Math.max(m, Math.abs(v)), 1) * slopesOf(refOps.preActivation).reduce((m, v) => Math.max(m, Math.abs(v)), 1);
  if (gain > 1) for (let i = 0; i < absDot.length; i++) absDot[i] *= gain;
  const tol = toleranceFor(d.dtype === 'float16' ? (opts.f16Math ? 'float16-math' : 'float16') : 'float32', toleranceFamily(algorithm, d, Boolean(transforms)));
  return compareWithReference(got, ref.data, absDot, tol, epilogueValueMagnitude(ref.data, pre.data, act, refOps.residual));
}

/** A spatial size small enough to check fast, big enough for several (partial) tiles and every pad. */
export function verifySize(d: NormalizedDesc): { h: number; w: number } {
  const effH = effectiveKernel(d.kernelH, d.dilations[0]);
  const effW = effectiveKernel(d.kernelW, d.dilations[1]);
  return { h: Math.max(effH + 2 * d.strides[0] + 4, 11 - d.pads[0] - d.pads[2]), w: Math.max(effW + 3 * d.strides[1] + 4, 13 - d.pads[1] - d.pads[3]) };
}


export const VERIFY_BATCH = 2;

/**
 * Sizes a prepared plan for its check: VERIFY_BATCH images of verifySize, or one image when lowered limits
 * (engine option `limits`) make two unsplittable; one image still runs every kernel.
 */
function sizeForCheck(d: NormalizedDesc, prepared: PreparedConv) {
  const { h, w } = verifySize(d);
  let batch = VERIFY_BATCH;
  let r;
  try {
    r = prepared.resize(batch, h, w);
  } catch {
    batch = 1;
    r = prepared.resize(batch, h, w);
  }
  const g: ConvGeometry = { batch, inChannels: d.inChannels, outChannels: d.outChannels, inHeight: h, inWidth: w, kernelH: d.kernelH, kernelW: d.kernelW, strides: d.strides, pads: d.pads, dilations: d.dilations, groups: d.groups };
  return { g, r, h, w, batch };
}

/**
 * Numpy-broadcast bias/PReLU tensors are tied to the caller's output shape; the check then uses a random
 * full tensor of the check's own shape, which selects the same ('tensor' mode) kernels.
 */
export function verificationContext(ctx: PrepareContext): PrepareContext {
  const d = ctx.desc;
  const { h, w } = verifySize(d);
  const [oh, ow] = outputHW(d, h, w);
  const shape = d.layout === 'NHWC' ? [VERIFY_BATCH, oh, ow, d.outChannels] : [VERIFY_BATCH, d.outChannels, oh, ow];
  const rng = mulberry32(0xb1a5);
  const synth = (t?: PrepareContext['bias']) => (t && t.broadcast === 'numpy' ? { shape, data: randomF32(shape.reduce((a, b) => a * b, 1), rng, -0.5, 0.5), broadcast: 'numpy' as const } : t);
  return { ...ctx, bias: synth(ctx.bias), prelu: synth(ctx.prelu) };
}

export function needsOwnVerificationInstance(ctx: PrepareContext): boolean {
  return ctx.bias?.broadcast === 'numpy' || ctx.prelu?.broadcast === 'numpy';
}

export async function verifyPrepared(ctx: PrepareContext, prepared: PreparedConv, readF32: (b: GPUBuffer, n: number) => Promise<Float32Array>): Promise<VerifyResult> {
  const d = ctx.desc;
  const core = ctx.core;
  const { g, r, h, w, batch } = sizeForCheck(d, prepared);
  const rng = mulberry32(0x5eed ^ (d.inChannels * 131 + d.outChannels));
  // float16 plans: the data is rounded to binary16 (what the plan stores), and the reference computes with it.
  const half = d.dtype === 'float16';
  const store = (v: Float32Array) => (half ? packF16(v) : v);
  const x = half ? randomF32(batch * h * w * d.inChannels, rng).map(roundF16) : randomF32(batch * h * w * d.inChannels, rng);
  const input = core.createBufferFrom(store(x), GPUBufferUsage.STORAGE, 'verify input');
  const outCount = batch * r.outHeight * r.outWidth * d.outChannels;
  const output = core.device.createBuffer({ label: 'verify output', size: Math.max(16, outCount * 4), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  // Plans with a residual input are checked with a random one (of the scale of the outputs).
  const res = ctx.residual ? (half ? randomF32(outCount, rng).map(roundF16) : randomF32(outCount, rng)) : undefined;
  const residual = res ? core.createBufferFrom(store(res), GPUBufferUsage.STORAGE, 'verify residual') : undefined;
  try {
    const scratch = scratchIo(core.device, prepared.ioNames(), { input, output, residual }, r.workspaceBytes);
    const enc = core.device.createCommandEncoder({ label: 'winoconv verify' });
    prepared.encode(enc, scratch.io);
    core.device.queue.submit([enc.finish()]);
    scratch.release();
    const got = half ? unpackF16(new Uint32Array((await readF32(output, Math.ceil(outCount / 2))).buffer), outCount) : await readF32(output, outCount);
    const refOps: ConvOperands = { input: x, inputLayout: d.layout, weight: half ? ctx.weightsOIHW.map(roundF16) : ctx.weightsOIHW, weightLayout: 'OIHW' as const, bias: ctx.bias, activation: { ...d.activation, preluWeights: ctx.prelu }, residual: res, preActivation: res ? ctx.preActivation : undefined };
    const cmp = compareWithEngineTolerance(got, g, refOps, prepared.algorithm, d, ctx.transforms, { f16Math: ctx.tuning?.f16Math });
    const tol = cmp.tolerance;
    const detail = `${cmp.pass ? 'passed' : 'FAILED'} on ${batch}×${h}×${w} random data: maxRel ${cmp.maxRelError.toExponential(2)}, error/bound ${cmp.worstRatio.toFixed(3)} (${tol.dtype}/${tol.algorithm})`;
    return { ok: cmp.pass, detail: cmp.pass ? detail : `${detail}\n${cmp.message}`, maxRelError: cmp.maxRelError, errorRatio: cmp.worstRatio };
  } finally {
    input.destroy();
    output.destroy();
    residual?.destroy();
  }
}

/**
 * The gate for int8/uint8 plans: exact. int32 and requantized outputs must equal the integer reference bit for
 * bit (ConvInteger / QLinearConv); dequantized float outputs must be within 4 float32 roundings of the exact
 * accumulator scaled in float64.
 */
export async function verifyPreparedInt(ctx: PrepareContext, prepared: PreparedConv, readBytes: (b: GPUBuffer, bytes: number) => Promise<ArrayBuffer>): Promise<VerifyResult> {
  const d = ctx.desc;
  const q = ctx.quant!;
  const core = ctx.core;
  const { g, r, h, w, batch } = sizeForCheck(d, prepared);
  const [lo, hi] = q.inputDtype === 'int8' ? [-128, 127] : [0, 255];
  const x = randomInts(batch * h * w * d.inChannels, mulberry32(0x1a7 ^ d.inChannels), lo, hi);
  const input = core.createBufferFrom(packInt8Activations(x, d.layout, q.inputDtype, { n: batch, c: d.inChannels, h, w }, q.xZeroPoint), GPUBufferUsage.STORAGE, 'verify input');
  const outBytes = Math.max(16, Math.ceil((r.outputBytes ?? 0) / 4) * 4);
  const output = core.device.createBuffer({ label: 'verify output', size: outBytes, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  try {
    const scratch = scratchIo(core.device, prepared.ioNames(), { input, output }, r.workspaceBytes);
    const enc = core.device.createCommandEncoder({ label: 'winoconv verify int8' });
    prepared.encode(enc, scratch.io);
    core.device.queue.submit([enc.finish()]);
    scratch.release();
    const raw = await readBytes(output, outBytes);
    const count = batch * r.outHeight * r.outWidth * d.outChannels;
    const ops = { input: x, inputLayout: d.layout, weight: ctx.weightsInt!, weightLayout: 'OIHW' as const, xZeroPoint: q.xZeroPoint, wZeroPoint: q.wZeroPoint };
    const acc = convIntegerReference(g, ops).data;
    let got: ArrayLike<number>;
    let want: ArrayLike<number>;
    let ok: (a: number, b: number, i: number) => boolean = (a, b) => a === b;
    if (q.output === 'int32') {
      got = new Int32Array(raw, 0, count);
      want = acc;
    } else if (q.output === 'float32') {
      got = new Float32Array(raw, 0, count);
      const ref = new Float64Array(count);
      const mag = new Float64Array(count);
      for (let i = 0; i < count; i++) {
        const o = d.layout === 'NHWC' ? i % d.outChannels : Math.floor(i / (r.outHeight * r.outWidth)) % d.outChannels;
        const m = acc[i] * q.xScale * q.wScale[q.wScale.length === 1 ? 0 : o];
        const b = ctx.biasFloat ? ctx.biasFloat[o] : 0;
        const v = m + b;
        ref[i] = d.activation.type === 'relu' ? Math.max(v, 0) : d.activation.type === 'relu6' ? Math.min(Math.max(v, 0), 6) : v;
        mag[i] = Math.abs(m) + Math.abs(b);
      }
      want = ref;
      ok = (a, b, i) => Number.isFinite(a) && Math.abs(a - b) <= 4 * 2 ** -24 * mag[i] + 1e-30;
    } else {
      const odims = { n: batch, c: d.outChannels, h: r.outHeight, w: r.outWidth };
      got = unpackInt8Activations(new Uint32Array(raw, 0, packedActivationWords(d.layout, odims)), d.layout, q.output, odims);
      want = qlinearConvReference(g, {
        ...ops, xScale: q.xScale, wScale: q.wScale, yScale: q.yScale, yZeroPoint: q.yZeroPoint, outputDtype: q.output,
        bias: ctx.biasInt ? { shape: [d.outChannels], data: ctx.biasInt, broadcast: 'channel' } : undefined,
        activation: d.activation.type === 'linear' ? undefined : { type: d.activation.type },
        rounding: q.rounding,
      }).data;
    }
    let bad = 0;
    let first = -1;
    for (let i = 0; i < want.length; i++) {
      if (!ok(got[i], want[i], i)) {
        bad++;
        if (first < 0) first = i;
      }
    }
    const what = q.output === 'float32' ? 'within 4 f32 roundings of the exact accumulator' : 'bit-exact';
    const detail = bad === 0
      ? `passed on ${batch}×${h}×${w} random ${q.inputDtype} data: ${want.length} outputs ${what} (quant.output ${q.output}${q.output === 'int8' || q.output === 'uint8' ? `, ${q.rounding} rounding` : ''})`
      : `FAILED on ${batch}×${h}×${w} random ${q.inputDtype} data: ${bad} of ${want.length} outputs not ${what}; first at [${first}]: got ${got[first]}, expected ${want[first]}`;
    return { ok: bad === 0, detail, maxRelError: 0, errorRatio: bad ? Infinity : 0 };
  } finally {
    input.destroy();
    output.destroy();
  }
}

/**
 * The gate for approximate (tap-wise) int8 plans: the SQNR of the plan's requantized output against the exact
 * QLinearConv result, on the caller's calibration inputs (or, without them, seeded ReLU-like data: half-normal
 * magnitudes above the zero point), must reach `floorDb`.
 */
export async function verifyTapwise(ctx: PrepareContext, prepared: PreparedConv, floorDb: number, readBytes: (b: GPUBuffer, bytes: number) => Promise<ArrayBuffer>): Promise<VerifyResult> {
  const d = ctx.desc;
  const q = ctx.quant!;
  const core = ctx.core;
  const [lo, hi] = q.inputDtype === 'int8' ? [-128, 127] : [0, 255];
  let samples = ctx.calibration;
  if (!samples?.length) {
    const { h, w } = verifySize(d);
    const rng = mulberry32(0x5a9 ^ d.inChannels);
    const n = VERIFY_BATCH * h * w * d.inChannels;
    const data = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const g = Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
      data[i] = Math.min(hi, Math.max(lo, q.xZeroPoint + Math.round(Math.abs(g) * 40)));
    }
    samples = [{ data, batch: VERIFY_BATCH, height: h, width: w }];
  }
  let signal = 0;
  let noise = 0;
  let count = 0;
  for (const s of samples) {
    const r = prepared.resize(s.batch, s.height, s.width);
    const g: ConvGeometry = { batch: s.batch, inChannels: d.inChannels, outChannels: d.outChannels, inHeight: s.height, inWidth: s.width, kernelH: d.kernelH, kernelW: d.kernelW, strides: d.strides, pads: d.pads, dilations: d.dilations, groups: d.groups };
    const input = core.createBufferFrom(packInt8Activations(s.data, d.layout, q.inputDtype, { n: s.batch, c: d.inChannels, h: s.height, w: s.width }, q.xZeroPoint), GPUBufferUsage.STORAGE, 'verify input');
    const outBytes = Math.max(16, Math.ceil((r.outputBytes ?? 0) / 4) * 4);
    const output = core.device.createBuffer({ label: 'verify output', size: outBytes, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
    try {
      const scratch = scratchIo(core.device, prepared.ioNames(), { input, output }, r.workspaceBytes);
      const enc = core.device.createCommandEncoder({ label: 'winoconv verify tap-wise' });
      prepared.encode(enc, scratch.io);
      core.device.queue.submit([enc.finish()]);
      scratch.release();
      const raw = await readBytes(output, outBytes);
      const odims = { n: s.batch, c: d.outChannels, h: r.outHeight, w: r.outWidth };
      const got = unpackInt8Activations(new Uint32Array(raw, 0, packedActivationWords(d.layout, odims)), d.layout, q.output as 'int8' | 'uint8', odims);
      const want = qlinearConvReference(g, {
        input: s.data, inputLayout: d.layout, weight: ctx.weightsInt!, weightLayout: 'OIHW', xZeroPoint: q.xZeroPoint, wZeroPoint: q.wZeroPoint,
        xScale: q.xScale, wScale: q.wScale, yScale: q.yScale, yZeroPoint: q.yZeroPoint, outputDtype: q.output as 'int8' | 'uint8',
        bias: ctx.biasInt ? { shape: [d.outChannels], data: ctx.biasInt, broadcast: 'channel' } : undefined,
        activation: d.activation.type === 'linear' ? undefined : { type: d.activation.type },
      }).data;
      for (let i = 0; i < want.length; i++) {
        const e = want[i] - q.yZeroPoint;
        signal += e * e;
        noise += (got[i] - want[i]) ** 2;
      }
      count += want.length;
    } finally {
      input.destroy();
      output.destroy();
    }
  }
  const sqnr = noise === 0 ? Infinity : 10 * Math.log10(signal / noise);
  const ok = sqnr >= floorDb;
  const where = ctx.calibration?.length ? `${ctx.calibration.length} calibration sample(s)` : 'seeded ReLU-like data';
  return { ok, detail: `${ok ? 'passed' : 'FAILED'}: SQNR ${sqnr.toFixed(2)} dB against exact QLinearConv on ${where} (${count} outputs); floor ${floorDb} dB`, maxRelError: undefined, errorRatio: floorDb / sqnr };
}

/** FNV-1a over the float32 bits of each number (NaN payloads and -0 distinguished). */
function hashNumbers(h: number, xs: ArrayLike<number> | undefined): number {
  if (!xs) return Math.imul(h ^ 0x9e37, 16777619) >>> 0;
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  const bits = xs instanceof Float32Array ? new Uint32Array(xs.buffer, xs.byteOffset, xs.length) : undefined;
  h = Math.imul(h ^ xs.length, 16777619);
  for (let i = 0; i < xs.length; i++) {
    let v: number;
    if (bits) v = bits[i];
    else {
      f[0] = xs[i];
      v = u[0];
    }
    h = Math.imul(h ^ v, 16777619);
  }
  return h >>> 0;
}

/**
 * Cache keys of a verification: `kernel` names what the kernels' correctness depends on (kernel IDs, the
 * descriptor without its data: pads and sizes are uniforms, the same kernels serve them all; quantization);
 * `full` adds a hash of the data the check runs with (weights, bias, PReLU slopes; user transforms are in the IDs), since
 * the measured error depends on them too.
 */
export function verificationKeys(kernelIds: string[], ctx: PrepareContext): { kernel: string; full: string } {
  const d = ctx.desc;
  const descKey = JSON.stringify({ ...d, algorithm: undefined, activation: { ...d.activation, preluWeights: undefined } });
  const kernel = `${kernelIds.join('+')}|${descKey}|${JSON.stringify(ctx.quant ?? null)}|${JSON.stringify(ctx.tuning ?? null)}|${JSON.stringify(ctx.preActivation ?? null)}`;
  let h = 0x811c9dc5;
  h = hashNumbers(h, ctx.weightsOIHW);
  for (const t of [ctx.bias, ctx.prelu]) {
    h = hashNumbers(h, t?.data);
    h = hashNumbers(h, t?.shape);
  }
  h = hashNumbers(h, ctx.weightsInt);
  h = hashNumbers(h, ctx.biasInt);
  h = hashNumbers(h, ctx.biasFloat);
  // User transforms are in the kernel IDs (a hash of their matrices).
  return { kernel, full: `${kernel}|${h.toString(16)}` };
}

/** The same plan with seeded random data of the same shapes and modes: tells a kernel's failure from the data's. */
export function syntheticDataContext(ctx: PrepareContext): PrepareContext {
  const rng = mulberry32(0xda7a ^ ctx.desc.outChannels);
  const like = (t?: PrepareContext['bias'], lo = -0.5, hi = 0.5) => (t ? { ...t, data: randomF32(t.data.length, rng, lo, hi) } : undefined);
  const out: PrepareContext = { ...ctx, weightsOIHW: randomF32(ctx.weightsOIHW.length, rng), bias: like(ctx.bias), prelu: like(ctx.prelu, 0, 0.5) };
  const q = ctx.quant;
  if (q && ctx.weightsInt) {
    const [lo, hi] = q.weightDtype === 'int8' ? [-128, 127] : [0, 255];
    out.weightsInt = randomInts(ctx.weightsInt.length, rng, lo, hi);
    out.weightsOIHW = Float32Array.from(out.weightsInt);
    if (ctx.biasInt) out.biasInt = randomInts(ctx.biasInt.length, rng, -1000, 1000);
    if (ctx.biasFloat) out.biasFloat = randomF32(ctx.biasFloat.length, rng, -0.5, 0.5);
  }
  return out;
}

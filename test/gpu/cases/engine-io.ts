/**
 * The engine's io contract for a runtime that drives plans inside one memory arena: encode into the caller's
 * command encoder or compute pass, buffers as byte ranges, external workspace, shared-buffer bindings, the
 * fused epilogue's residual input and parametric activations, concurrent plan creation.
 */
import type { Conv2dDesc } from '../../../src/conv/desc.ts';
import { ConvDescError } from '../../../src/conv/validate.ts';
import { Engine } from '../../../src/engine/engine.ts';
import type { ConvIo, ConvPlan } from '../../../src/engine/plan.ts';
import { mulberry32, randomF32 } from '../../../src/util/random.ts';
import type { GpuCase, GpuTestContext } from '../harness/types.ts';

async function expectFieldError(what: string, f: () => unknown, field: string, rule: RegExp): Promise<void> {
  let err: unknown;
  try {
    await f();
  } catch (e) {
    err = e;
  }
  if (!(err instanceof ConvDescError)) throw new Error(`${what}: expected a ConvDescError on '${field}' (${rule}), got ${err === undefined ? 'no error' : String(err)}`);
  if (err.field !== field || !rule.test(err.message)) throw new Error(`${what}: expected field '${field}' matching ${rule}, got field '${err.field}': ${err.message}`);
}

const SIZE = { batch: 2, height: 9, width: 7 };
const FP32_ALGOS = ['direct', 'im2col', 'winograd2', 'winograd4', 'winograd6'] as const;

function descFor(algorithm: string, extra: Partial<Conv2dDesc> = {}): Conv2dDesc {
  return { inChannels: 3, outChannels: 13, kernelSize: 3, pads: [1, 1, 1, 1], layout: 'NHWC', algorithm: algorithm as Conv2dDesc['algorithm'], ...extra };
}

function weightsFor(d: Conv2dDesc, seed: number): Float32Array {
  const k = typeof d.kernelSize === 'number' ? d.kernelSize * d.kernelSize : d.kernelSize[0] * d.kernelSize[1];
  return randomF32(d.outChannels * (d.inChannels / (d.groups ?? 1)) * k, mulberry32(seed), -0.5, 0.5);
}

/** Submits `record` and reads `bytes` of `buffer` from `offset`. */
async function submitAndRead(t: GpuTestContext, record: (enc: GPUCommandEncoder) => void, buffer: GPUBuffer, offset: number, count: number): Promise<Float32Array> {
  const staging = t.buffer({ size: count * 4, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
  const enc = t.device.createCommandEncoder();
  record(enc);
  enc.copyBufferToBuffer(buffer, offset, staging, 0, count * 4);
  t.device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const out = new Float32Array(staging.getMappedRange().slice(0));
  staging.unmap();
  return out;
}

function sameValues(what: string, got: Float32Array, want: Float32Array): void {
  if (got.length !== want.length) throw new Error(`${what}: ${got.length} values, expected ${want.length}`);
  for (let i = 0; i < got.length; i++) {
    if (!Object.is(got[i], want[i])) throw new Error(`${what}: [${i}] = ${got[i]}, expected ${want[i]} (as run() gives)`);
  }
}

/** Byte ranges at aligned offsets, encoded into the caller's pass and into the caller's encoder, equal run(). */
async function byteRanges(t: GpuTestContext): Promise<void> {
  const engine = new Engine(t.device);
  const align = t.device.limits.minStorageBufferOffsetAlignment;
  for (const algorithm of FP32_ALGOS) {
    const d = descFor(algorithm);
    const plan = await engine.createConv2d(d, { weights: weightsFor(d, 3), bias: randomF32(13, mulberry32(4)) });
    const { outputShape } = plan.resize(SIZE);
    const x = randomF32(SIZE.batch * SIZE.height * SIZE.width * 3, mulberry32(5));
    const want = (await plan.run(x)) as Float32Array;
    const bytes = plan.byteSizes();
    const inOff = 2 * align;
    const outOff = 3 * align;
    const input = t.buffer({ size: inOff + bytes.input + align, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    t.device.queue.writeBuffer(input, inOff, x);
    const output = t.buffer({ size: outOff + 2 * bytes.output + 2 * align, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
    const outOff2 = Math.ceil((outOff + bytes.output) / align) * align;
    const where = `${algorithm} ${outputShape}`;
    const inPass = await submitAndRead(t, (enc) => {
      const pass = enc.beginComputePass();
      plan.encode(pass, { input: { buffer: input, offset: inOff, size: bytes.input }, output: { buffer: output, offset: outOff, size: bytes.output } });
      plan.encode(pass, { input: { buffer: input, offset: inOff }, output: { buffer: output, offset: outOff2 } });
      pass.end();
    }, output, outOff, want.length);
    sameValues(`${where}: encoded into the caller's pass`, inPass, want);
    const second = await submitAndRead(t, (enc) => plan.encode(enc, { input: { buffer: input, offset: inOff }, output: { buffer: output, offset: outOff2 } }), output, outOff2, want.length);
    sameValues(`${where}: encoded into the caller's encoder, second range`, second, want);
    t.log(`${where}: ranges ok (${plan.info.kernels.join(', ')})`);
    await expectFieldError('misaligned offset', () => plan.encode(t.device.createCommandEncoder(), { input: { buffer: input, offset: 4 }, output }), 'input.offset', new RegExp(`multiple of .*minStorageBufferOffsetAlignment \\(${align}\\)`));
    await expectFieldError('short range', () => plan.encode(t.device.createCommandEncoder(), { input: { buffer: input, offset: inOff, size: bytes.input - 4 }, output }), 'input.size', new RegExp(`>= ${bytes.input} bytes`));
    await expectFieldError('range past the end', () => plan.encode(t.device.createCommandEncoder(), { input, output: { buffer: output, offset: 0, size: output.size + 4 } }), 'output.size', /must fit in the buffer/);
    await expectFieldError('one buffer without sharedBuffers', () => plan.encode(t.device.createCommandEncoder(), { input: { buffer: output, offset: 0 }, output: { buffer: output, offset: outOff2 } }), 'output', /sharedBuffers/);
    plan.destroy();
  }
}

export const engineIoCases: GpuCase[] = [
  { name: 'engine-io: byte ranges, encode into the caller pass or encoder, equal run() (every fp32 algorithm)', run: byteRanges },
];

export type { ConvIo, ConvPlan };

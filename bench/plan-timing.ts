/**
 * One plan of the benchmark's extra rows (`--int8`, `--fp16`) on one input: GPU time of its encode (timestamp
 * queries, median after warm-up) and the output's bytes read back.
 */
import type { ConvPlan } from '../src/engine/plan.ts';
import type { Engine } from '../src/engine/engine.ts';
import { timeEncode } from '../src/runtime/timing.ts';

export async function timePlanAndRead(
  engine: Engine,
  plan: ConvPlan<Float32Array | Int32Array>,
  input: Float32Array | Uint32Array,
  label: string,
  opts: { runs: number; warmup: number },
): Promise<{ t: Awaited<ReturnType<typeof timeEncode>>; raw: ArrayBuffer }> {
  const dev = engine.device;
  const bytes = plan.byteSizes();
  const inBuf = engine.core.createBufferFrom(input, GPUBufferUsage.STORAGE, `bench ${label} input`);
  const output = dev.createBuffer({ size: Math.max(16, Math.ceil(bytes.output / 4) * 4), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  const staging = dev.createBuffer({ size: output.size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  try {
    const t = await timeEncode(dev, (enc, ts) => plan.encode(enc, { input: inBuf, output }, ts), opts.warmup, opts.runs);
    const enc = dev.createCommandEncoder();
    enc.copyBufferToBuffer(output, 0, staging, 0, output.size);
    dev.queue.submit([enc.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    return { t, raw: staging.getMappedRange().slice(0) };
  } finally {
    staging.destroy();
    inBuf.destroy();
    output.destroy();
  }
}

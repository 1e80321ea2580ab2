/**
 * The device fixture: every GPU test runs inside it.
 * - a fresh device per case, with the features it asks for; a missing feature skips with the reason;
 * - validation, out-of-memory and internal error scopes around the whole case, plus an uncapturederror
 *   listener and device.lost: any GPU error fails the case, even when the numbers happened to be right;
 * - every buffer made through the context, and the device, are destroyed at the end.
 */
import type { GpuCase, GpuCaseResult, GpuEnv, GpuTestContext } from './types.ts';

const SCOPES: GPUErrorFilter[] = ['validation', 'out-of-memory', 'internal'];

function errText(e: unknown): string {
  if (e instanceof Error) return e.stack ?? e.message;
  return String(e);
}

export async function runGpuCase(gpu: GPU, c: GpuCase, env: GpuEnv): Promise<GpuCaseResult> {
  const t0 = performance.now();
  const logs: string[] = [];
  const done = (status: GpuCaseResult['status'], message: string): GpuCaseResult => ({ name: c.name, status, message, ms: performance.now() - t0, logs });

  const adapter = await gpu.requestAdapter();
  if (!adapter) return done('fail', 'no WebGPU adapter');
  const missing = (c.features ?? []).filter((f) => !adapter.features.has(f));
  if (missing.length) return done('skip', `adapter lacks feature(s) ${missing.join(', ')}`);
  const missingLang = (c.languageFeatures ?? []).filter((f) => !gpu.wgslLanguageFeatures?.has(f));
  if (missingLang.length) return done('skip', `WGSL language feature(s) ${missingLang.join(', ')} not available`);

  const device = await adapter.requestDevice({
    requiredFeatures: c.features ?? [],
    requiredLimits: {
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      maxBufferSize: adapter.limits.maxBufferSize,
      maxComputeWorkgroupStorageSize: adapter.limits.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: adapter.limits.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupSizeX: adapter.limits.maxComputeWorkgroupSizeX,
      maxComputeWorkgroupSizeY: adapter.limits.maxComputeWorkgroupSizeY,
      maxStorageBuffersPerShaderStage: adapter.limits.maxStorageBuffersPerShaderStage,
    },
  });
  const gpuErrors: string[] = [];
  let lost: string | undefined;
  let destroying = false;
  device.lost.then((info) => {
    if (!destroying) lost = `device lost (${info.reason}): ${info.message}`;
  });
  device.addEventListener('uncapturederror', (ev) => gpuErrors.push(`uncaptured: ${(ev as GPUUncapturedErrorEvent).error.message}`));

  const owned: GPUBuffer[] = [];
  const info = adapter.info;
  const ctx: GpuTestContext = {
    device,
    gpu,
    env,
    adapterInfo: { vendor: info.vendor, architecture: info.architecture, description: info.description },
    buffer(desc) {
      const b = device.createBuffer(desc);
      owned.push(b);
      return b;
    },
    upload(data, usage = GPUBufferUsage.STORAGE) {
      const size = Math.max(16, Math.ceil(data.byteLength / 4) * 4);
      const b = ctx.buffer({ size, usage: usage | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC });
      device.queue.writeBuffer(b, 0, data.buffer, data.byteOffset, data.byteLength);
      return b;
    },
    async read(src, byteLength) {
      const size = Math.max(4, Math.ceil(byteLength / 4) * 4);
      const staging = ctx.buffer({ size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
      const enc = device.createCommandEncoder();
      enc.copyBufferToBuffer(src, 0, staging, 0, size);
      device.queue.submit([enc.finish()]);
      await staging.mapAsync(GPUMapMode.READ);
      const out = staging.getMappedRange().slice(0, byteLength);
      staging.unmap();
      return out;
    },
    async readF32(src, count) {
      return new Float32Array(await ctx.read(src, count * 4));
    },
    log(msg) {
      logs.push(msg);
    },
  };

  for (const s of SCOPES) device.pushErrorScope(s);
  let failure: string | undefined;
  try {
    await c.run(ctx);
  } catch (e) {
    failure = errText(e);
  }
  for (const s of [...SCOPES].reverse()) {
    const err = await device.popErrorScope();
    if (err) gpuErrors.push(`${s} error: ${err.message}`);
  }
  await device.queue.onSubmittedWorkDone();
  destroying = true;
  for (const b of owned) b.destroy();
  device.destroy();

  const problems = [failure, ...gpuErrors, lost].filter((x): x is string => Boolean(x));
  return problems.length ? done('fail', problems.join('\n')) : done('pass', '');
}

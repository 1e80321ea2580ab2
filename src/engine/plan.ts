/**
 * ConvPlan: one convolution planned for a device. Created by `engine.createConv2d`, which validates the
 * descriptor, converts the weights once, lists every candidate with its reason, verifies the chosen
 * candidate's kernels against the float64 reference (once per process and kernel set) and prepares it.
 */
import { checkEpilogueTensor, outputShapePattern, type NormalizedDesc } from '../conv/desc.ts';
import { checkRunInput, checkSize } from '../conv/options.ts';
import { rejectUnknownKeys, requireNumberArray, requireNumberElements, requireObject } from '../conv/validate.ts';
import type { BroadcastTensor } from '../conv/types.ts';
import type { NormalizedQuant } from '../conv/quant-options.ts';
import { packInt8Activations, packedActivationWords, unpackInt8Activations } from '../kernels/int8/format.ts';
import { packF16, unpackF16 } from '../util/float16.ts';
import { isHalf, storageBytes } from './float-storage.ts';
import { ConvDescError } from '../conv/validate.ts';
import type { ResizeResult, PreparedConv } from './algorithm.ts';
import type { CandidateVerdict } from './select.ts';
import type { EngineCore } from './engine-core.ts';
import { GpuOperationError, openErrorScopes } from './errors.ts';
import { scratchWorkspace, type IoName, type IoRange, type IoRanges } from './steps.ts';
import { effectiveKernel, outputHW } from '../conv/geometry.ts';

/** One of the caller's buffers for encode: a whole GPUBuffer or a byte range of one (GPUBufferBinding). */
export type IoBuffer = GPUBuffer | { buffer: GPUBuffer; offset?: number; size?: number };

/** The caller's buffers for encode. */
export interface ConvIo {
  input: IoBuffer;
  output: IoBuffer;
  /** Plans with workspace 'external': a range of at least resize()'s workspaceBytes. */
  workspace?: IoBuffer;
  /** Plans with residual: float32 values of the output's shape in the plan's layout, added before the activation. */
  residual?: IoBuffer;
}

export const IO_KEYS = ['input', 'output', 'workspace', 'residual'] as const;
export const IO_RANGE_KEYS = ['buffer', 'offset', 'size'] as const;

/** How a plan takes its buffers (createConv2d's options workspace, sharedBuffers, residual). */
export interface PlanIoOptions {
  workspace: 'internal' | 'external';
  sharedBuffers: boolean;
  residual: boolean;
}

export const DEFAULT_IO_OPTIONS: PlanIoOptions = { workspace: 'internal', sharedBuffers: false, residual: false };

function isGpuBuffer(b: unknown): b is GPUBuffer {
  return typeof GPUBuffer === 'function' ? b instanceof GPUBuffer : b !== null && typeof b === 'object' && typeof (b as GPUBuffer).destroy === 'function' && typeof (b as GPUBuffer).size === 'number';
}

/**
 * One io entry checked: a GPUBuffer with STORAGE usage, or a range of one that is aligned, inside it and large
 * enough. The range returned binds the bytes needed when no size is given.
 */
export function checkIoRange(name: string, v: unknown, bytes: number, align: number): IoRange {
  let buffer: unknown = v;
  let offset = 0;
  let size: number | undefined;
  let field = name;
  if (!isGpuBuffer(v)) {
    if (v === null || typeof v !== 'object' || !('buffer' in v)) throw new ConvDescError(name, v, 'must be a GPUBuffer (device.createBuffer()) or a range {buffer, offset?, size?} of one');
    rejectUnknownKeys(name, v as Record<string, unknown>, IO_RANGE_KEYS);
    const r = v as { buffer: unknown; offset?: unknown; size?: unknown };
    buffer = r.buffer;
    field = `${name}.buffer`;
    if (r.offset !== undefined) {
      if (typeof r.offset !== 'number' || !Number.isInteger(r.offset) || r.offset < 0) throw new ConvDescError(`${name}.offset`, r.offset, 'must be an integer >= 0 (bytes)');
      if (r.offset % align !== 0) throw new ConvDescError(`${name}.offset`, r.offset, `must be a multiple of the device's minStorageBufferOffsetAlignment (${align})`);
      offset = r.offset;
    }
    if (r.size !== undefined) {
      if (typeof r.size !== 'number' || !Number.isInteger(r.size) || r.size < 1) throw new ConvDescError(`${name}.size`, r.size, 'must be an integer >= 1 (bytes)');
      size = r.size;
    }
  }
  if (!isGpuBuffer(buffer)) throw new ConvDescError(field, buffer, 'must be a GPUBuffer (device.createBuffer())');
  if ((buffer.usage & GPUBufferUsage.STORAGE) === 0) throw new ConvDescError(`${name}.usage`, buffer.usage, 'must include GPUBufferUsage.STORAGE');
  if (offset > buffer.size) throw new ConvDescError(`${name}.offset`, offset, `must be <= the buffer's size (${buffer.size})`);
  if (size !== undefined && offset + size > buffer.size) throw new ConvDescError(`${name}.size`, size, `must fit in the buffer: offset ${offset} + size ${size} > buffer size ${buffer.size}`);
  const avail = size ?? buffer.size - offset;
  if (avail < bytes) {
    const what = size !== undefined ? `${name}.size` : offset ? `${name}.offset` : `${name}.size`;
    throw new ConvDescError(what, size ?? (offset ? offset : buffer.size), `must leave >= ${bytes} bytes at the current size (${avail} available${size === undefined && offset ? ` from offset ${offset} to the buffer's end` : ''}; call resize first if the shape changed)`);
  }
  // Without a size the binding covers the bytes needed, not the rest of the buffer: an arena may be larger than
  // maxStorageBufferBindingSize.
  return { buffer, offset, size: size ?? (bytes > 0 ? Math.min(Math.ceil(bytes / 4) * 4, avail) : undefined) };
}

export interface PlanInfo {
  algorithm: string;
  kernels: string[];
  candidates: CandidateVerdict[];
  /** Verification of the kernels against the float64 reference before first use. */
  verification: string;
  workspaceBytes: number;
  /** At the current size: bytes of the buffers made once (weights, transformed filters, epilogue operands) and of
   * the intermediate buffers (workspace regions), in the plan's storage dtype. */
  memory?: { constantBytes: number; scratchBytes: number };
  /** The tolerance the verification used, and the measured error. */
  errorBound: string;
  notes: string[];
  /** Milliseconds spent in createConv2d (weight transform, pipeline compilation, verification). */
  createMs: number;
}

export interface PlanShape {
  batch: number;
  height: number;
  width: number;
}

/** Destroys a plan on its engine's behalf; later use throws with `why`. */
export function retirePlan(plan: ConvPlan<Float32Array | Int32Array>, why: string): void {
  const p = plan as unknown as { destroyed: boolean; destroyedWhy: string };
  if (!p.destroyed) p.destroyedWhy = why;
  plan.destroy();
}

/**
 * `Out`: what `run()` returns: Float32Array for float32 plans and dequantized int8 plans, Int32Array for
 * quant.output 'int32' / 'int8' / 'uint8' (engine.createConv2d's overloads pick it from the descriptor).
 */
export class ConvPlan<Out extends Float32Array | Int32Array = Float32Array | Int32Array> {
  readonly desc: NormalizedDesc;
  readonly info: PlanInfo;
  private shape?: PlanShape & ResizeResult;
  private destroyed = false;
  private destroyedWhy = 'destroy() was called';
  /** The GPU errors of the last resize's allocations (out of memory, validation), once the scopes close. */
  private allocation?: Promise<{ filter: GPUErrorFilter; device: string; text: string } | undefined>;

  constructor(
    private readonly core: EngineCore,
    desc: NormalizedDesc,
    private readonly prepared: PreparedConv,
    info: PlanInfo,
    /** int8/uint8 plans: their quantization (input packing and output kind). */
    readonly quant?: NormalizedQuant,
    /** Bias / PReLU tensors, checked against the output shape at each resize (numpy broadcasts). */
    private readonly epilogue: { bias?: BroadcastTensor; prelu?: BroadcastTensor } = {},
    /** How the plan takes its buffers: workspace internal or external, shared buffers, a residual input. */
    readonly options: PlanIoOptions = DEFAULT_IO_OPTIONS,
  ) {
    this.desc = desc;
    this.info = info;
  }

  /**
   * Every check of resize, before anything changes: the size object, the output size, and the numpy-broadcast
   * bias / PReLU tensors against the output shape at this size.
   */
  private checkShape(shape: unknown): PlanShape {
    this.alive();
    const s = checkSize('', shape);
    const d = this.desc;
    const effH = effectiveKernel(d.kernelH, d.dilations[0]);
    const effW = effectiveKernel(d.kernelW, d.dilations[1]);
    const [outH, outW] = outputHW(d, s.height, s.width);
    if (outH < 1) throw new ConvDescError('height', s.height, `gives output height ${outH}; must give >= 1 with kernel ${effH} (dilated), pads ${d.pads[0]}+${d.pads[2]}, stride ${d.strides[0]}`);
    if (outW < 1) throw new ConvDescError('width', s.width, `gives output width ${outW}; must give >= 1 with kernel ${effW} (dilated), pads ${d.pads[1]}+${d.pads[3]}, stride ${d.strides[1]}`);
    this.refuseOverLimits(s, outH, outW);
    const out = outputShapePattern(d, { batch: s.batch, outHeight: outH, outWidth: outW });
    if (this.epilogue.bias) checkEpilogueTensor('bias', this.epilogue.bias, out, d.layout);
    if (this.epilogue.prelu) checkEpilogueTensor('preluWeights', this.epilogue.prelu, out, d.layout);
    return s;
  }

  /** Sizes the plan for an input of batch × height × width: output shape, workspace, uniforms written once. */
  resize(s: PlanShape): { outputShape: [number, number, number, number]; workspaceBytes: number; inputShape: [number, number, number, number] } {
    this.checkShape(s);
    const d = this.desc;
    const close = openErrorScopes(this.core.device);
    let r: ResizeResult;
    try {
      r = this.prepared.resize(s.batch, s.height, s.width);
    } finally {
      const scoped = close();
      const at = `${s.batch}×${s.height}×${s.width}`;
      this.allocation = scoped.then((e) => {
        if (!e) return undefined;
        const ws = this.shape?.workspaceBytes;
        const text = e.filter === 'out-of-memory'
          ? `resize to ${at}: the device could not allocate the plan's buffers (${ws ?? '?'} bytes of workspace and uniforms; maxBufferSize ${this.core.limits.maxBufferSize}): out of memory: ${e.message}. Use a smaller batch or image, or an algorithm with a smaller workspace`
          : `resize to ${at}: allocating the plan's buffers failed (${e.filter}): ${e.message}`;
        return { filter: e.filter, device: e.message, text };
      });
    }
    this.shape = { ...s, ...r };
    this.info.workspaceBytes = r.workspaceBytes;
    if (r.constantBytes !== undefined) this.info.memory = { constantBytes: r.constantBytes, scratchBytes: r.scratchBytes ?? 0 };
    this.info.notes = [...new Set([...this.info.notes, ...r.notes])];
    return { outputShape: this.shapeOf(s.batch, d.outChannels, r.outHeight, r.outWidth), inputShape: this.shapeOf(s.batch, d.inChannels, s.height, s.width), workspaceBytes: r.workspaceBytes };
  }

  /**
   * The caller's input and output are one buffer each: past maxBufferSize no buffer can hold them, so the
   * size is refused here (batches past maxStorageBufferBindingSize are split by the float32 algorithms).
   */
  private refuseOverLimits(s: PlanShape, outH: number, outW: number): void {
    const d = this.desc;
    const q = this.quant;
    const inBytes = q ? 4 * packedActivationWords(d.layout, { n: s.batch, c: d.inChannels, h: s.height, w: s.width }) : storageBytes(d, s.batch * s.height * s.width * d.inChannels);
    const outCount = s.batch * outH * outW * d.outChannels;
    const outBytes = q && (q.output === 'int8' || q.output === 'uint8') ? 4 * packedActivationWords(d.layout, { n: s.batch, c: d.outChannels, h: outH, w: outW }) : q ? 4 * outCount : storageBytes(d, outCount);
    const max = this.core.limits.maxBufferSize;
    for (const [what, bytes] of [['input', inBytes], ['output', outBytes]] as const) {
      if (bytes > max) {
        const per = bytes / s.batch;
        const fit = Math.floor(max / per);
        throw new ConvDescError('batch', s.batch, `at ${s.height}×${s.width} gives an ${what} of ${bytes} bytes, over the device's maxBufferSize (${max}); ${fit >= 1 ? `at most ${fit} image(s) fit in one buffer: split the batch` : 'one image does not fit in one buffer'}`);
      }
    }
  }

  /**
   * Resolves when the buffers of the last resize() were allocated; rejects with the bytes requested when the
   * device ran out of memory (or refused them). run() checks this itself; callers of encode() can await it.
   */
  async allocated(): Promise<void> {
    const e = await this.allocation;
    if (e) throw new GpuOperationError(e.filter, e.device, `ConvPlan: ${e.text}`);
  }

  /** Output height and width at an input size. */
  private outputHW(s: PlanShape): [number, number] {
    return outputHW(this.desc, s.height, s.width);
  }

  private shapeOf(n: number, c: number, h: number, w: number): [number, number, number, number] {
    return this.desc.layout === 'NHWC' ? [n, h, w, c] : [n, c, h, w];
  }

  /**
   * Tap-wise int8 plans: the tap scales in use (given, calibrated or bound-derived) as JSON, to store with a model
   * and pass back as `tapScales` next time; undefined for other plans.
   */
  exportTapScales(): unknown {
    return this.prepared.tapScales === undefined ? undefined : JSON.parse(JSON.stringify(this.prepared.tapScales));
  }

  /** Element counts of input and output at the current size. */
  sizes(): { input: number; output: number } {
    const s = this.requireShape();
    return { input: s.batch * s.height * s.width * this.desc.inChannels, output: s.batch * s.outHeight * s.outWidth * this.desc.outChannels };
  }

  /** Bytes the caller's input and output buffers need at the current size (int8 inputs are packed 4 per u32). */
  byteSizes(): { input: number; output: number } {
    const s = this.requireShape();
    const n = this.sizes();
    return { input: s.inputBytes ?? 4 * n.input, output: s.outputBytes ?? 4 * n.output };
  }

  /**
   * Records the convolution (no submit). `target`: a GPUCommandEncoder (the plan opens its own compute pass) or a
   * GPUComputePassEncoder (the dispatches go into the caller's pass). Each of `io`'s buffers is a GPUBuffer or a
   * byte range `{buffer, offset?, size?}` of one: offsets multiples of minStorageBufferOffsetAlignment, sizes at
   * least the bytes needed at the current size (byteSizes(), and resize()'s workspaceBytes for `workspace`).
   * `workspace`: plans with option workspace 'external'; `residual`: plans with option residual (float32 values
   * of the output's shape, in the plan's layout). Everything is checked before anything is recorded.
   */
  encode(target: GPUCommandEncoder | GPUComputePassEncoder, io: ConvIo, timestampWrites?: GPUComputePassTimestampWrites): void {
    this.alive();
    const isEncoder = target !== null && typeof target === 'object' && typeof (target as GPUCommandEncoder).beginComputePass === 'function';
    const isPass = target !== null && typeof target === 'object' && typeof (target as GPUComputePassEncoder).dispatchWorkgroups === 'function';
    if (!isEncoder && !isPass) {
      throw new ConvDescError('encoder', target, 'must be a GPUCommandEncoder (device.createCommandEncoder()) or a GPUComputePassEncoder (encoder.beginComputePass())');
    }
    if (timestampWrites !== undefined && (timestampWrites === null || typeof timestampWrites !== 'object')) throw new ConvDescError('timestampWrites', timestampWrites, 'must be a GPUComputePassTimestampWrites object');
    if (timestampWrites !== undefined && isPass) throw new ConvDescError('timestampWrites', 'given', 'needs a GPUCommandEncoder target (the pass is the caller\'s; put the timestamps on it)');
    const ranges = this.checkIo(io);
    this.prepared.encode(target, ranges, timestampWrites);
  }

  /** Bytes each of the caller's buffers needs at the current size. */
  private ioBytes(): Record<IoName, number> {
    const s = this.requireShape();
    const n = this.byteSizes();
    return { input: n.input, output: n.output, residual: n.output, workspace: this.options.workspace === 'external' ? s.workspaceBytes : 0 };
  }

  private checkIo(io: ConvIo): IoRanges {
    this.alive();
    const o = requireObject('bindings', io, 'an object {input, output} (and workspace, residual where the plan takes them) of GPUBuffers or {buffer, offset?, size?} ranges');
    rejectUnknownKeys('bindings', o, IO_KEYS);
    const used = new Set(this.prepared.ioNames());
    for (const name of ['workspace', 'residual'] as const) {
      const accepted = name === 'workspace' ? this.options.workspace === 'external' : this.options.residual;
      if (o[name] !== undefined && !accepted) {
        const why = name === 'workspace' ? "this plan allocates its own workspace (option workspace 'internal'); give one only to plans with workspace: 'external'" : 'this plan has no residual input (option residual)';
        throw new ConvDescError(`bindings.${name}`, 'given', `is not taken by this plan (unknown key for it): ${why}`);
      }
      // An external-workspace plan whose algorithm needs no workspace (0 bytes) takes one or none.
      if (o[name] === undefined && used.has(name)) {
        const why = name === 'workspace' ? `this plan was created with workspace: 'external'; give a range of resize()'s workspaceBytes (${this.ioBytes().workspace})` : 'this plan was created with residual: true';
        throw new ConvDescError(`bindings.${name}`, undefined, `is required: ${why}`);
      }
    }
    const need = this.ioBytes();
    const align = this.core.device.limits.minStorageBufferOffsetAlignment;
    const out: Partial<Record<IoName, IoRange>> = {};
    for (const name of IO_KEYS) {
      const v = o[name];
      if (v === undefined && (name === 'workspace' || name === 'residual')) continue;
      out[name] = checkIoRange(name, v, need[name], align);
    }
    const ranges = out as IoRanges;
    const names = Object.keys(ranges) as IoName[];
    for (let a = 0; a < names.length; a++) {
      for (let b = a + 1; b < names.length; b++) {
        const x = ranges[names[a]]!;
        const y = ranges[names[b]]!;
        if (x.buffer !== y.buffer) continue;
        if (!this.options.sharedBuffers) {
          throw new ConvDescError(names[b], `the ${names[a]} buffer`, `must be a different buffer from ${names[a]} (WebGPU refuses one buffer bound read-only and writable in a dispatch); create the plan with sharedBuffers: true to bind ranges of one buffer`);
        }
        const written = (k: IoName) => k === 'output' || k === 'workspace';
        const end = (r: IoRange, k: IoName) => r.offset + (r.size ?? need[k]);
        if ((written(names[a]) || written(names[b])) && x.offset < end(y, names[b]) && y.offset < end(x, names[a])) {
          throw new ConvDescError(names[b], `bytes ${y.offset}..${end(y, names[b])}`, `must not overlap ${names[a]} (bytes ${x.offset}..${end(x, names[a])}) in the same buffer: ${written(names[a]) ? names[a] : names[b]} is written`);
        }
      }
    }
    return ranges;
  }

  /**
   * GPU time of each dispatch (kernel ID → ms, median of `runs`) at the current size, with timestamp queries.
   * Needs the device feature 'timestamp-query'. The buffers are the caller's, as for encode.
   */
  async profileStages(io: ConvIo, runs = 5): Promise<{ kernel: string; ms: number }[]> {
    const ranges = this.checkIo(io);
    const dev = this.core.device;
    if (!dev.features.has('timestamp-query')) throw new Error("profileStages needs the device feature 'timestamp-query'");
    const ids = this.prepared.stepKernelIds();
    const stages = ids.length;
    const qs = dev.createQuerySet({ type: 'timestamp', count: 2 * stages });
    const resolve = dev.createBuffer({ size: 16 * stages, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    const read = dev.createBuffer({ size: 16 * stages, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const samples: number[][] = Array.from({ length: stages }, () => []);
    try {
      for (let r = 0; r < runs + 1; r++) {
        const enc = dev.createCommandEncoder();
        this.prepared.encode(enc, ranges, undefined, { querySet: qs, base: 0 });
        enc.resolveQuerySet(qs, 0, 2 * stages, resolve, 0);
        enc.copyBufferToBuffer(resolve, 0, read, 0, 16 * stages);
        dev.queue.submit([enc.finish()]);
        await read.mapAsync(GPUMapMode.READ);
        const t = new BigUint64Array(read.getMappedRange().slice(0));
        read.unmap();
        if (r > 0) for (let i = 0; i < stages; i++) samples[i].push(Number(t[2 * i + 1] - t[2 * i]) / 1e6);
      }
    } finally {
      qs.destroy();
      resolve.destroy();
      read.destroy();
    }
    // A split batch runs each kernel once per chunk: report each kernel's total.
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    return this.prepared.kernelIds.map((kernel) => ({ kernel, ms: ids.reduce((sum, id, i) => (id === kernel ? sum + median(samples[i]) : sum), 0) }));
  }

  /**
   * Convenience: upload `x`, encode, submit, read back. Resizes first when `shape` is given. float32 plans take
   * and return float32 values; int8/uint8 plans take integer values (packed here) and return Int32Array
   * (int32 accumulators or int8/uint8 values) or Float32Array (dequantized), per quant.output. Plans with
   * residual take `extra.residual` (float32 values of the output's shape, in the plan's layout); plans with an
   * external workspace get a temporary one here.
   */
  async run(x: ArrayLike<number>, shape?: PlanShape, extra?: { residual?: ArrayLike<number> }): Promise<Out> {
    this.alive();
    // Every argument is checked before the plan changes size: a refused call leaves it as it was.
    const at = shape === undefined ? this.requireShape() : this.checkShape(shape);
    checkRunInput(x, at.batch * at.height * at.width * this.desc.inChannels, `batch·height·width·inChannels (${at.batch}·${at.height}·${at.width}·${this.desc.inChannels})${shape ? '' : ' at the current size'}`, this.quant?.inputDtype ?? (this.desc.dtype === 'float16' ? 'float16' : 'float32'));
    if (extra !== undefined) rejectUnknownKeys('extra', requireObject('extra', extra, 'an object {residual}'), ['residual']);
    if (this.options.residual) {
      const outCount = at.batch * this.desc.outChannels * this.outputHW(at).reduce((a, b) => a * b, 1);
      const r = extra?.residual;
      if (r === undefined) throw new ConvDescError('extra.residual', undefined, 'is required: this plan was created with residual: true (run(x, shape, { residual }))');
      const data = requireNumberArray('extra.residual', r, "an array or typed array of numbers (the output's shape, in the plan's layout)");
      if (data.length !== outCount) throw new ConvDescError('extra.residual.length', data.length, `must equal the output's element count${shape ? '' : ' at the current size'} = ${outCount}`);
      requireNumberElements('extra.residual', data, this.desc.dtype === 'float16' ? { maxAbs: { value: 65504, rangeName: 'float16' } } : {});
    } else if (extra?.residual !== undefined) throw new ConvDescError('extra.residual', 'given', 'this plan has no residual input (option residual)');
    if (shape) this.resize(shape);
    const n = this.sizes();
    const bytes = this.byteSizes();
    const s = this.requireShape();
    const q = this.quant;
    const d = this.desc;
    const half = isHalf(d);
    const data = q ? packInt8Activations(x, d.layout, q.inputDtype, { n: s.batch, c: d.inChannels, h: s.height, w: s.width }, q.xZeroPoint) : half ? packF16(x) : x instanceof Float32Array ? x : Float32Array.from(x);
    const dev = this.core.device;
    await this.allocated();
    // Every allocation and the submit run inside out-of-memory / validation scopes: a failure rejects, it never
    // resolves with data the GPU did not compute.
    const close = openErrorScopes(dev);
    let input: GPUBuffer | undefined;
    let output: GPUBuffer | undefined;
    let staging: GPUBuffer | undefined;
    let workspace: GPUBuffer | undefined;
    let residual: GPUBuffer | undefined;
    const outBytes = Math.max(16, Math.ceil(bytes.output / 4) * 4);
    let scoped: ReturnType<typeof close>;
    try {
      try {
        input = this.core.createBufferFrom(data, GPUBufferUsage.STORAGE, 'run input');
        output = dev.createBuffer({ label: 'run output', size: outBytes, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
        staging = dev.createBuffer({ label: 'run readback', size: outBytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
        const io: ConvIo = { input, output };
        if (this.options.workspace === 'external') io.workspace = workspace = scratchWorkspace(dev, s.workspaceBytes);
        if (this.options.residual) {
          const r = extra!.residual!;
          io.residual = residual = this.core.createBufferFrom(half ? packF16(r) : r instanceof Float32Array ? r : Float32Array.from(r), GPUBufferUsage.STORAGE, 'run residual');
        }
        const enc = dev.createCommandEncoder({ label: 'winoconv run' });
        this.encode(enc, io);
        enc.copyBufferToBuffer(output, 0, staging, 0, staging.size);
        dev.queue.submit([enc.finish()]);
      } finally {
        scoped = close();
      }
      const mapped = staging.mapAsync(GPUMapMode.READ).then(() => undefined, (e: unknown) => e as Error);
      const [gpuError, mapError] = await Promise.all([scoped, mapped]);
      if (gpuError) {
        const lost = await this.core.lostError('ConvPlan.run', 0);
        if (lost) throw lost;
        const io = `input ${data.byteLength} bytes, output and readback ${outBytes} bytes each`;
        throw new GpuOperationError(gpuError.filter, gpuError.message, `ConvPlan.run: the GPU reported ${gpuError.filter === 'out-of-memory' ? 'out of memory' : `a ${gpuError.filter} error`} (${io}; maxBufferSize ${this.core.limits.maxBufferSize}): ${gpuError.message}`);
      }
      if (mapError) {
        const lost = await this.core.lostError('ConvPlan.run');
        if (lost) throw lost;
        throw new GpuOperationError('internal', mapError.message, `ConvPlan.run: reading the output back failed (${mapError.name}${mapError.message ? `: ${mapError.message}` : ''})`);
      }
      // Work recorded before a resize has been submitted and is done by now (the queue is in order).
      this.prepared.releaseRetired?.();
      const raw = staging.getMappedRange().slice(0);
      if (half) return unpackF16(new Uint32Array(raw, 0, Math.ceil(n.output / 2)), n.output) as Out;
      if (!q || q.output === 'float32') return new Float32Array(raw, 0, n.output) as Out;
      if (q.output === 'int32') return new Int32Array(raw, 0, n.output) as Out;
      const odims = { n: s.batch, c: d.outChannels, h: s.outHeight, w: s.outWidth };
      return unpackInt8Activations(new Uint32Array(raw, 0, packedActivationWords(d.layout, odims)), d.layout, q.output, odims) as Out;
    } finally {
      input?.destroy();
      output?.destroy();
      staging?.destroy();
      workspace?.destroy();
      residual?.destroy();
    }
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.prepared.destroy();
  }

  private requireShape(): PlanShape & ResizeResult {
    this.alive();
    if (!this.shape) throw new Error('ConvPlan: call resize({batch, height, width}) before encode/run');
    return this.shape;
  }

  private alive(): void {
    if (this.destroyed) throw new Error(`ConvPlan: used after it was destroyed (${this.destroyedWhy})`);
    this.core.assertAlive('ConvPlan');
  }
}

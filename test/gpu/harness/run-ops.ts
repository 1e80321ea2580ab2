/**
 * A tiny executor for op lowerings (test-only): builds a LowerContext for the one node of a graph with chosen
 * layouts, places every arena value in one buffer at 256-byte-aligned offsets, uploads constants, creates each
 * dispatch's pipeline from its KernelSource, binds {buffer, offset, size} ranges, dispatches, and reads outputs back
 * in logical (contiguous) order.
 */
import type { Graph, Tensor } from '../../../src/graph/ir.ts';
import { type OpLowerContext, lowerOp } from '../../../src/graph/lower-ops.ts';
import { type Layout, type OpLowering, type StridedTensor, stridedTensor } from '../../../src/graph/runtime-types.ts';
import { kernelContractMismatches } from '../../../src/kernels/reflect.ts';
import { packUniforms } from '../../../src/kernels/types.ts';
import { createKernelBindGroup, createKernelPipeline } from '../../../src/runtime/pipeline.ts';
import type { GpuTestContext } from './types.ts';

export const TEST_LIMITS = { maxComputeWorkgroupsPerDimension: 65535, maxStorageBufferBindingSize: 1 << 27 };

/** The LowerContext of graph.nodes[0]: runtime values in the given layouts (default contiguous), constants contiguous. */
export function contextFor(graph: Graph, layouts: Record<string, Layout> = {}, limits = TEST_LIMITS): OpLowerContext {
  const node = graph.nodes[0];
  const constant = (name: string): Tensor | undefined => graph.initializers.get(name) ?? graph.folded.get(name);
  const view = (name: string): StridedTensor => {
    const shape = graph.values.get(name)!.shape as number[];
    return stridedTensor(shape, constant(name) ? 'contiguous' : (layouts[name] ?? 'contiguous'));
  };
  return {
    node,
    inputs: node.inputs.map((n) => (n === '' ? undefined : view(n))),
    outputs: node.outputs.map((n) => view(n)),
    constant,
    limits,
    opset: graph.opsets[''],
  };
}

/** Storage elements a view spans (strides ≥ 0). */
export function spanOf(v: StridedTensor): number {
  if (v.shape.some((d) => d === 0)) return 0;
  return 1 + v.shape.reduce((s, d, i) => s + (d - 1) * Math.abs(v.strides[i]), 0);
}

/** Logical (row-major) data → storage of the view. */
export function scatter(data: ArrayLike<number>, v: StridedTensor, into: Float32Array, at = 0): void {
  const r = v.shape.length;
  const n = data.length;
  for (let i = 0; i < n; i++) {
    let rem = i;
    let off = at;
    for (let d = r - 1; d >= 0; d--) {
      off += (rem % v.shape[d]) * v.strides[d];
      rem = Math.floor(rem / v.shape[d]);
    }
    into[off] = data[i];
  }
}

/** Storage of the view → logical (row-major) data. */
export function gather(v: StridedTensor, from: Float32Array, at = 0): Float32Array {
  const r = v.shape.length;
  const n = v.shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let rem = i;
    let off = at;
    for (let d = r - 1; d >= 0; d--) {
      off += (rem % v.shape[d]) * v.strides[d];
      rem = Math.floor(rem / v.shape[d]);
    }
    out[i] = from[off];
  }
  return out;
}

const SENTINEL = -777.25;

/**
 * Runs a lowering: `inputs` are the logical data of the node's runtime inputs by name. Returns each output's
 * logical data, and checks that the arena outside every output's storage kept its sentinel.
 */
export async function runLowering(t: GpuTestContext, ctx: OpLowerContext, lowering: OpLowering, inputs: Record<string, Float32Array>): Promise<Record<string, Float32Array>> {
  const node = ctx.node;
  const views = new Map<string, StridedTensor>();
  node.inputs.forEach((n, i) => { if (n !== '' && !ctx.constant(n)) views.set(n, ctx.inputs[i]!); });
  node.outputs.forEach((n, i) => { if (n !== '') views.set(n, ctx.outputs[i]); });
  const offsets = new Map<string, number>();
  let cursor = 64; // a guard before the first value (elements)
  for (const [name, v] of views) {
    if (lowering.aliasOf !== undefined && name === node.outputs[0]) continue;
    offsets.set(name, cursor);
    cursor += Math.ceil((spanOf(v) + 64) / 64) * 64; // 256-byte aligned, with a guard after each
  }
  if (lowering.aliasOf !== undefined) offsets.set(node.outputs[0], offsets.get(node.inputs[lowering.aliasOf])!);
  const host = new Float32Array(cursor).fill(SENTINEL);
  for (const [name, data] of Object.entries(inputs)) scatter(data, views.get(name)!, host, offsets.get(name)!);
  const arena = t.upload(host);
  const range = (name: string) => {
    const v = views.get(name);
    if (!v) throw new Error(`binding names value '${name}', which is not a runtime operand of the node`);
    return { buffer: arena, offset: offsets.get(name)! * 4, size: Math.max(4, spanOf(v) * 4) };
  };
  const enc = t.device.createCommandEncoder();
  for (const d of lowering.dispatches) {
    const problems = kernelContractMismatches(d.kernel);
    if (problems.length) throw new Error(`${d.kernel.id}: WGSL does not match its contract:\n${problems.join('\n')}`);
    const built = createKernelPipeline(t.device, d.kernel);
    const buffers: Record<string, GPUBuffer | GPUBufferBinding> = {};
    for (const [k, b] of Object.entries(d.buffers)) {
      if ('value' in b) buffers[k] = range(b.value);
      else if ('constant' in b) buffers[k] = t.upload(b.constant);
      else buffers[k] = t.buffer({ size: Math.max(16, b.bytes), usage: GPUBufferUsage.STORAGE });
    }
    if (d.kernel.bindings.some((b) => b.kind === 'uniform')) buffers.params = t.upload(new Uint32Array(packUniforms(d.kernel.uniforms, d.uniforms)), GPUBufferUsage.UNIFORM);
    const pass = enc.beginComputePass();
    pass.setPipeline(built.pipeline);
    pass.setBindGroup(0, createKernelBindGroup(t.device, built, buffers));
    pass.dispatchWorkgroups(...d.workgroups);
    pass.end();
  }
  t.device.queue.submit([enc.finish()]);
  const back = await t.readF32(arena, host.length);
  const outs: Record<string, Float32Array> = {};
  const written = new Uint8Array(host.length);
  for (const [name, v] of views) {
    const at = offsets.get(name)!;
    const n = v.shape.reduce((a, b) => a * b, 1);
    for (let i = 0; i < n; i++) {
      let rem = i;
      let off = at;
      for (let d = v.shape.length - 1; d >= 0; d--) { off += (rem % v.shape[d]) * v.strides[d]; rem = Math.floor(rem / v.shape[d]); }
      written[off] = 1;
    }
  }
  for (let i = 0; i < host.length; i++) {
    if (!written[i] && back[i] !== SENTINEL) throw new Error(`arena element ${i} outside every operand was overwritten (${back[i]})`);
  }
  for (const [name, v] of views) if (node.outputs.includes(name)) outs[name] = gather(v, back, offsets.get(name)!);
  for (const name of node.inputs) {
    if (name === '' || ctx.constant(name) || node.outputs.includes(name) || lowering.aliasOf !== undefined) continue;
    const now = gather(views.get(name)!, back, offsets.get(name)!);
    const was = inputs[name];
    for (let i = 0; i < was.length; i++) if (!Object.is(now[i], Math.fround(was[i]))) throw new Error(`input '${name}' was modified at ${i}`);
  }
  return outs;
}

export { lowerOp };

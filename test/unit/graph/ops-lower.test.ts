/**
 * lowerOp without a GPU: for every op case of the GPU suite (test/gpu/cases/ops.ts) in every layout mix, each
 * dispatch's kernel declares exactly its binding table, its uniforms pack (every field given, no other), its bindings
 * name exactly the kernel's storage bindings and only the node's own values, and its workgroups respect the limit;
 * aliases where the storage is unchanged; refusals name the node, the attribute, the value and the rule.
 */
import { describe, expect, it } from 'vitest';
import { OnnxLoadError } from '../../../src/graph/errors.ts';
import { LOWERED_OPS, collapseDims, lowerOp, lowerRelayout } from '../../../src/graph/lower-ops.ts';
import { attr } from '../../../src/graph/onnx-writer.ts';
import { type Layout, type OpDispatch, stridedTensor } from '../../../src/graph/runtime-types.ts';
import { SUPPORTED_OPS } from '../../../src/graph/shape-inference.ts';
import { kernelContractMismatches } from '../../../src/kernels/reflect.ts';
import { packUniforms } from '../../../src/kernels/types.ts';
import { type In, OP_CASES, opGraph as oneNode } from '../../gpu/cases/ops.ts';
import { contextFor } from '../../gpu/harness/run-ops.ts';

const f = (shape: number[]): In => ({ shape, dtype: 'float32' });
const LIMITS = { maxComputeWorkgroupsPerDimension: 40, maxStorageBufferBindingSize: 1 << 27 };

function checkDispatch(d: OpDispatch, values: Set<string>, maxPerDim: number): void {
  expect(kernelContractMismatches(d.kernel), d.kernel.id).toEqual([]);
  expect(() => packUniforms(d.kernel.uniforms, d.uniforms), d.kernel.id).not.toThrow();
  const storage = d.kernel.bindings.filter((b) => b.kind !== 'uniform');
  expect(Object.keys(d.buffers).sort(), d.kernel.id).toEqual(storage.map((b) => b.name).sort());
  for (const b of storage) {
    const given = d.buffers[b.name];
    if ('value' in given) {
      expect(b.kind, `${d.kernel.id} ${b.name}`).toBe('storage');
      expect(values.has(given.value), `${d.kernel.id} binds '${given.value}'`).toBe(true);
    } else if ('constant' in given) expect(b.kind, `${d.kernel.id} ${b.name}`).toBe('read-only-storage');
  }
  const vals = Object.values(d.buffers).flatMap((b) => ('value' in b ? [b.value] : []));
  expect(new Set(vals).size, `${d.kernel.id}: an arena value bound twice`).toBe(vals.length);
  for (const w of d.workgroups) expect(w).toBeLessThanOrEqual(maxPerDim);
}

function layoutsOf(g: ReturnType<typeof oneNode>): Record<string, Layout>[] {
  const n = g.nodes[0];
  const r4 = [...n.inputs, ...n.outputs].filter((v) => v !== '' && !g.initializers.has(v) && !g.folded.has(v) && g.values.get(v)!.shape!.length === 4);
  return [{}, Object.fromEntries(r4.map((v) => [v, 'nhwc' as Layout]))];
}

describe('lowerOp', () => {
  it('lowers every op shape inference supports, except those the session handles (Conv, QLinearConv, ConvInteger: engine plans) or folds (Constant, Shape)', () => {
    expect(SUPPORTED_OPS.filter((o) => !LOWERED_OPS.includes(o))).toEqual(['Constant', 'Conv', 'ConvInteger', 'QLinearConv', 'Shape']);
  });

  it.each(OP_CASES.map((c) => [c.name, c] as const))('%s: dispatches honour their kernels and the limits', (_, c) => {
    const g = oneNode(c.op, c.ins, c.attrs ?? {}, { opset: c.opset, outputs: c.outputs });
    const n = g.nodes[0];
    const values = new Set([...n.inputs, ...n.outputs].filter((v) => v !== ''));
    for (const layouts of layoutsOf(g)) {
      const limits = c.limits ?? LIMITS;
      const low = lowerOp(contextFor(g, layouts, limits));
      if (low.aliasOf === undefined) expect(low.dispatches.length).toBeGreaterThan(0);
      for (const d of low.dispatches) {
        checkDispatch(d, values, limits.maxComputeWorkgroupsPerDimension);
        for (const b of Object.values(d.buffers)) if ('constant' in b) expect(b.constant.byteLength).toBeLessThanOrEqual(limits.maxStorageBufferBindingSize);
      }
    }
  });

  it('aliases reshapes of contiguous values and identical views; copies otherwise', () => {
    const g = oneNode('Reshape', [f([2, 3, 4, 5]), { shape: [2], value: [6, -1] }]);
    expect(lowerOp(contextFor(g))).toEqual({ dispatches: [], aliasOf: 0 });
    const nhwc = lowerOp(contextFor(g, { in0: 'nhwc' }));
    expect(nhwc.aliasOf).toBeUndefined();
    expect(nhwc.dispatches.map((d) => d.kernel.id)).toEqual(['copy_f32_r1_in3']);
    const id = oneNode('Identity', [f([1, 3, 4, 5])]);
    expect(lowerOp(contextFor(id, { in0: 'nhwc', out0: 'nhwc' })).aliasOf).toBe(0);
    expect(lowerOp(contextFor(id, { in0: 'nhwc' })).dispatches.map((d) => d.kernel.id)).toEqual(['copy_f32_r2']);
    const sq = oneNode('Squeeze', [f([3, 1, 5]), { shape: [1], value: [1] }], {}, { opset: 13 });
    expect(lowerOp(contextFor(sq)).aliasOf).toBe(0);
  });

  it('splits a packed constant B over maxStorageBufferBindingSize into column chunks, and y-splits large dispatches', () => {
    const c = OP_CASES.find((x) => x.name === 'Gemm B in column chunks')!;
    const low = lowerOp(contextFor(oneNode(c.op, c.ins, c.attrs, {}), {}, c.limits));
    expect(low.dispatches.map((d) => [d.uniforms.n, d.uniforms.cbase, d.uniforms.bibase])).toEqual([[8, 0, 0], [8, 8, 8], [7, 16, 16]]);
    const y = OP_CASES.find((x) => x.name === 'Add y-split dispatch')!;
    const [d] = lowerOp(contextFor(oneNode(y.op, y.ins, {}, {}), {}, y.limits)).dispatches;
    expect(d.workgroups).toEqual([2, 2, 1]);
    expect(d.uniforms.pitch).toBe(128);
    const fast = OP_CASES.find((x) => x.name === 'Relu fast y-split dispatch')!;
    const [fd] = lowerOp(contextFor(oneNode(fast.op, fast.ins, {}, {}), {}, fast.limits)).dispatches;
    expect(fd.kernel.id).toBe('ew_relu_f32_r1_v_x4');
    expect([fd.workgroups, fd.uniforms.total, fd.uniforms.chunks, fd.uniforms.pitch]).toEqual([[2, 2, 1], 201, 201, 128]);
    const idOf = (name: string) => {
      const k = OP_CASES.find((x) => x.name === name)!;
      return lowerOp(contextFor(oneNode(k.op, k.ins, k.attrs ?? {}, { opset: k.opset }))).dispatches[0].kernel.id;
    };
    expect(idOf('Mul vec4 flat')).toBe('ew_mul_f32_r1_vv_qvv');
    expect(idOf('Div vec4 per-channel value first')).toBe('ew_div_f32_r2_vv_qsv');
    expect(idOf('Add vec4 per-channel constant')).toBe('ew_add_f32_r2_vc_qvs');
    expect(idOf('Sub vec4 batch per-channel')).toBe('ew_sub_f32_r3_vv_qvs');
    expect(idOf('Mul fast flat odd length')).toBe('ew_mul_f32_r1_vv_x4');
    expect(idOf('Mul fast per-channel constant')).toBe('ew_mul_f32_r2_vc_x4');
    // 4 elements per invocation: 4 · 1024 + 1 elements are 1025 invocations
    const big = oneNode('Relu', [f([1, 4 * 64 * 4 * 4 + 1])]);
    expect(() => lowerOp(contextFor(big, {}, { maxComputeWorkgroupsPerDimension: 4, maxStorageBufferBindingSize: 1 << 20 }))).toThrow(/node 'n0' \(Relu\): dispatch of 1025 invocations exceeds/);
  });

  it('collapseDims merges dims every view walks as one, drops size-1 dims, keeps broadcasts apart', () => {
    expect(collapseDims([2, 3, 4], [[12, 4, 1], [12, 4, 1]])).toEqual({ shape: [24], strides: [[1], [1]] });
    expect(collapseDims([2, 1, 3, 4], [[12, 12, 4, 1], [0, 0, 1, 0]])).toEqual({ shape: [2, 3, 4], strides: [[12, 4, 1], [0, 1, 0]] });
    expect(collapseDims([2, 3, 4], [[12, 4, 1], [0, 0, 0]])).toEqual({ shape: [24], strides: [[1], [0]] });
    expect(collapseDims([1, 1], [[1, 1]])).toEqual({ shape: [], strides: [[]] });
    const g = oneNode('Add', [f([2, 3, 1, 2, 2, 3, 2]), f([2])]);
    expect(lowerOp(contextFor(g)).dispatches[0].kernel.id).toBe('ew_add_f32_r2_vv');
    expect(() => lowerOp(contextFor(oneNode('Transpose', [f([2, 1, 2, 1, 2, 1, 2, 2])])))).not.toThrow();
    expect(() => lowerOp(contextFor(oneNode('Transpose', [f([2, 2, 2, 2, 2, 2, 2])])))).toThrow(/node 'n0' \(Transpose\): .*rank 7/);
  });

  it('relayout copies contiguous into nhwc through strides', () => {
    const [d] = lowerRelayout(stridedTensor([1, 3, 5, 7], 'contiguous'), stridedTensor([1, 3, 5, 7], 'nhwc'), { input: 'x', output: 'y' });
    // N = 1 drops, H and W merge: [C, H·W] with input strides [35, 1] and output strides [1, 3]
    expect(d.kernel.id).toBe('copy_f32_r2');
    expect(d.buffers).toEqual({ src: { value: 'x' }, out: { value: 'y' } });
    expect([d.uniforms.os0, d.uniforms.os1, d.uniforms.ist0, d.uniforms.ist1, d.uniforms.ost0, d.uniforms.ost1]).toEqual([3, 35, 35, 1, 1, 3]);
    checkDispatch(d, new Set(['x', 'y']), 65535);
    expect(() => lowerRelayout(stridedTensor([1, 3, 5, 7], 'contiguous'), stridedTensor([1, 3, 7, 5], 'nhwc'))).toThrow(/shapes differ/);
  });

  const refusals: [string, () => ReturnType<typeof oneNode>, RegExp][] = [
    ['Cast to int64', () => oneNode('Cast', [f([2, 3])], { to: attr.int(7) }), /'to' = 7: only casts to float/],
    ['Resize cubic', () => oneNode('Resize', [f([1, 1, 4, 4]), '', { shape: [4], dtype: 'float32', value: [1, 1, 2, 2] }], { mode: attr.string('cubic') }, { opset: 13 }), /'mode' = 'cubic'/],
    ['Resize over channels', () => oneNode('Resize', [f([1, 2, 4, 4]), '', { shape: [4], dtype: 'float32', value: [1, 2, 2, 2] }], {}, { opset: 13 }), /only the spatial dims/],
    ['Resize tf_crop_and_resize', () => oneNode('Resize', [f([1, 1, 4, 4]), '', { shape: [4], dtype: 'float32', value: [1, 1, 2, 2] }], { coordinate_transformation_mode: attr.string('tf_crop_and_resize') }, { opset: 13 }), /'coordinate_transformation_mode' = 'tf_crop_and_resize'/],
    ['Pad reflect beyond the dim', () => oneNode('Pad', [f([1, 3]), { shape: [4], value: [0, 3, 0, 0] }], { mode: attr.string('reflect') }, { opset: 13 }), /reflect pads of dim 1 \(size 3\) must be ≤ 2/],
    ['MaxPool Indices', () => oneNode('MaxPool', [f([1, 1, 4, 4])], { kernel_shape: attr.ints([2, 2]) }, { outputs: 2 }), /Indices output/],
    ['BatchNormalization runtime mean', () => oneNode('BatchNormalization', [f([1, 2, 3, 3]), { shape: [2], dtype: 'float32', value: [1, 1] }, { shape: [2], dtype: 'float32', value: [0, 0] }, f([2]), { shape: [2], dtype: 'float32', value: [1, 1] }]), /mean \(input 3, 'in3'\) must be known at load/],
    ['Gather runtime indices', () => oneNode('Gather', [f([4, 3]), { shape: [2], dtype: 'int64' }]), /indices \(input 1\) must be known at load/],
    ['ConvTranspose runtime W', () => oneNode('ConvTranspose', [f([1, 2, 3, 3]), f([2, 1, 2, 2])]), /W \(input 1\) must be known at load/],
    ['ConvTranspose kernel_shape other than W', () => oneNode('ConvTranspose', [f([1, 1, 3, 3]), { shape: [1, 1, 2, 2], dtype: 'float32', value: [1, 2, 3, 4] }], { kernel_shape: { type: 'ints', value: [2, 1] } }), /'kernel_shape' = \[2, 1\] must equal W's spatial dims \[2, 2\]/],
    ['ConvTranspose 3-D', () => oneNode('ConvTranspose', [f([1, 1, 2, 2, 2]), { shape: [1, 1, 2, 2, 2], dtype: 'float32', value: new Array(8).fill(1) }]), /rank 5/],
    ['Softmax training axis 0 of rank 2 without opset', () => oneNode('Softmax', [f([3, 4])], { axis: attr.int(0) }, { opset: 13 }), /not given the opset/],
  ];
  it.each(refusals)('refuses %s with node, attribute, value and rule', (_, build, msg) => {
    const g = build();
    const ctx = contextFor(g);
    if (g.nodes[0].opType === 'Softmax') delete ctx.opset;
    let err: unknown;
    try { lowerOp(ctx); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(OnnxLoadError);
    expect((err as Error).message).toMatch(/^node 'n0' \(\w+\): /);
    expect((err as Error).message).toMatch(msg);
  });

  it('Softmax: the opset decides the meaning of axis', () => {
    const g = oneNode('Softmax', [f([2, 3, 4])], { axis: attr.int(1) }, { opset: 11 });
    const old = lowerOp(contextFor(g)).dispatches[0];
    expect(old.kernel.id).toBe('softmax_f32_r1_k2');
    const ctx = contextFor(g);
    ctx.opset = 13;
    expect(lowerOp(ctx).dispatches[0].kernel.id).toBe('softmax_f32_r2_k1');
  });

  it('refuses an op it has no kernel for', () => {
    const g = oneNode('Relu', [f([2])]);
    g.nodes[0].opType = 'Erf';
    expect(() => lowerOp(contextFor(g))).toThrow(/node 'n0' \(Erf\): no op kernel for Erf/);
  });
});

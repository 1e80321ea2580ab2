/**
 * The session's integer plumbing without a GPU (issue 13): value sizes by dtype and the memory plan over them, typed
 * arrays in and out, shape/dtype inference of the quantized ops, integer values kept contiguous by the layout pass,
 * the lowering of the quantized op kernels (binding tables checked by wgsl_reflect), QLinearConv/ConvInteger as int8
 * plans, the run-time zero-point correction map against the exact ConvInteger reference, and refusals naming node,
 * value and dtype.
 */
import { describe, expect, it } from 'vitest';
import { OnnxLoadError } from '../../../src/graph/errors.ts';
import type { Graph, Tensor, ValueInfo } from '../../../src/graph/ir.ts';
import { scheduleGraph } from '../../../src/graph/layout.ts';
import { lowerOp, packBytes, type OpLowerContext } from '../../../src/graph/lower-ops.ts';
import { lowerQConv, zeroPointCorrection } from '../../../src/graph/lower-quant.ts';
import { checkMemoryPlan, planMemory } from '../../../src/graph/memory-plan.ts';
import { importOnnx } from '../../../src/graph/onnx-import.ts';
import { type NodeSpec, attr, writeOnnx } from '../../../src/graph/onnx-writer.ts';
import { runPasses } from '../../../src/graph/passes.ts';
import { type StridedTensor, isTypedFor, stridedTensor, typedFromBytes, valueBytes } from '../../../src/graph/runtime-types.ts';
import { kernelContractMismatches } from '../../../src/kernels/reflect.ts';
import { packUniforms } from '../../../src/kernels/types.ts';
import { convIntegerReference } from '../../../src/reference/integer.ts';
import { mulberry32, randomInts } from '../../../src/util/random.ts';

const LIMITS = { maxComputeWorkgroupsPerDimension: 65535, maxStorageBufferBindingSize: 1 << 27 };

function tensor(name: string, dtype: Tensor['dtype'], dims: number[], v: ArrayLike<number>): Tensor {
  const data = dtype === 'float32' ? Float32Array.from(v) : dtype === 'int8' ? Int8Array.from(v) : dtype === 'uint8' ? Uint8Array.from(v) : Int32Array.from(v);
  return { name, dtype, dims, data };
}

function graphOf(inputs: ValueInfo[], outputs: ValueInfo[], initializers: Tensor[], nodes: NodeSpec[]): Graph {
  return importOnnx(writeOnnx({ opset: 17, inputs, outputs, initializers, nodes }));
}

function ctxFor(g: Graph, node = 0): OpLowerContext {
  const n = g.nodes[node];
  const constant = (name: string) => g.initializers.get(name) ?? g.folded.get(name);
  const view = (name: string): StridedTensor => stridedTensor(g.values.get(name)!.shape as number[], 'contiguous');
  return { node: n, inputs: n.inputs.map((i) => (i ? view(i) : undefined)), outputs: n.outputs.map(view), constant, dtype: (name) => g.values.get(name)?.dtype, limits: LIMITS };
}

function checkKernels(l: ReturnType<typeof lowerOp>): string[] {
  for (const d of l.dispatches) {
    expect(kernelContractMismatches(d.kernel), d.kernel.id).toEqual([]);
    expect(() => packUniforms(d.kernel.uniforms, d.uniforms), d.kernel.id).not.toThrow();
    const storage = d.kernel.bindings.filter((b) => b.kind !== 'uniform').map((b) => b.name).sort();
    expect(Object.keys(d.buffers).sort(), d.kernel.id).toEqual(storage);
  }
  return l.dispatches.map((d) => d.kernel.id);
}

describe('integer values: sizes, typed arrays, memory plan', () => {
  it('8-bit values take whole words, float32/int32 four bytes an element', () => {
    expect([1, 3, 4, 5, 0].map((n) => valueBytes('uint8', n))).toEqual([4, 4, 4, 8, 0]);
    expect(valueBytes('int8', 10)).toBe(12);
    expect(valueBytes('int32', 3)).toBe(12);
    expect(valueBytes('float32', 3)).toBe(12);
  });
  it('reads outputs back as the typed array of their dtype, and checks inputs by dtype', () => {
    const buf = new Uint8Array([0xff, 1, 2, 3, 4, 0, 0, 0]).buffer;
    expect(Array.from(typedFromBytes('int8', buf, 0, 5))).toEqual([-1, 1, 2, 3, 4]);
    expect(Array.from(typedFromBytes('uint8', buf, 0, 5))).toEqual([255, 1, 2, 3, 4]);
    expect(typedFromBytes('int32', buf, 4, 1)).toBeInstanceOf(Int32Array);
    expect(isTypedFor('int8', new Int8Array(1))).toBe(true);
    expect(isTypedFor('int8', new Uint8Array(1))).toBe(false);
    expect(isTypedFor('float32', new Int32Array(1))).toBe(false);
  });
  it('packs bytes little-endian, 4 per word', () => {
    expect(Array.from(packBytes([1, -1, 2, 3, 4]))).toEqual([0x0302ff01, 4]);
    expect(packBytes([])).toHaveLength(1);
  });
  it('plans 8-bit blocks at aligned offsets without overlaps (sizes from valueBytes)', () => {
    const blocks = [
      { name: 'x', bytes: valueBytes('uint8', 2 * 3 * 9 * 11), first: 0, last: 1 },
      { name: 'y1', bytes: valueBytes('uint8', 2 * 6 * 9 * 11), first: 1, last: 2 },
      { name: 'acc', bytes: valueBytes('int32', 5), first: 1, last: 3 },
      { name: 'y', bytes: valueBytes('int8', 7), first: 2, last: 3 },
    ];
    const plan = planMemory(blocks, 256);
    checkMemoryPlan(blocks, plan);
    for (const off of plan.offsets.values()) expect(off % 256).toBe(0);
    expect(plan.sizes.get('y')).toBe(256);
  });
});

describe('quantized ops: shapes, dtypes, layouts', () => {
  const qconvModel = () => graphOf(
    [{ name: 'x', dtype: 'uint8', shape: [1, 2, 5, 5] }],
    [{ name: 'y', dtype: 'int8', shape: undefined }, { name: 'acc', dtype: 'int32', shape: undefined }],
    [
      tensor('xs', 'float32', [], [0.1]), tensor('xzp', 'uint8', [], [128]), tensor('w', 'int8', [3, 2, 3, 3], new Array(54).fill(1)),
      tensor('ws', 'float32', [3], [0.1, 0.2, 0.3]), tensor('wzp', 'int8', [3], [0, 0, 0]), tensor('ys', 'float32', [], [0.5]), tensor('yzp', 'int8', [], [1]),
      tensor('b', 'int32', [3], [1, 2, 3]),
    ],
    [
      { opType: 'QLinearConv', name: 'qc', inputs: ['x', 'xs', 'xzp', 'w', 'ws', 'wzp', 'ys', 'yzp', 'b'], outputs: ['y'], attributes: { pads: attr.ints([1, 1, 1, 1]), strides: attr.ints([2, 2]) } },
      { opType: 'ConvInteger', name: 'ci', inputs: ['x', 'w'], outputs: ['acc'] },
    ],
  );
  it('infers QLinearConv, ConvInteger, QLinearMatMul, MatMulInteger, (Dynamic)QuantizeLinear, DequantizeLinear', () => {
    const g = qconvModel();
    expect(g.values.get('y')).toMatchObject({ dtype: 'int8', shape: [1, 3, 3, 3] });
    expect(g.values.get('acc')).toMatchObject({ dtype: 'int32', shape: [1, 3, 3, 3] });
    const m = graphOf(
      [{ name: 'a', dtype: 'float32', shape: [2, 4, 3] }, { name: 'b', dtype: 'uint8', shape: [2, 3, 5] }],
      [{ name: 'y', dtype: 'uint8', shape: undefined }, { name: 'i', dtype: 'int32', shape: undefined }, { name: 'f', dtype: 'float32', shape: undefined }, { name: 's', dtype: 'float32', shape: undefined }],
      [tensor('sc', 'float32', [], [0.5]), tensor('zp', 'uint8', [], [3])],
      [
        { opType: 'DynamicQuantizeLinear', inputs: ['a'], outputs: ['qa', 's', 'z'] },
        { opType: 'QLinearMatMul', inputs: ['qa', 's', 'z', 'b', 'sc', 'zp', 'sc', 'zp'], outputs: ['y'] },
        { opType: 'MatMulInteger', inputs: ['qa', 'b', 'z', 'zp'], outputs: ['i'] },
        { opType: 'DequantizeLinear', inputs: ['y', 'sc', 'zp'], outputs: ['f'] },
      ],
    );
    expect(g.values.get('y')!.dtype).toBe('int8');
    expect(m.values.get('qa')).toMatchObject({ dtype: 'uint8', shape: [2, 4, 3] });
    expect(m.values.get('z')).toMatchObject({ dtype: 'uint8', shape: [] });
    expect(m.values.get('y')).toMatchObject({ dtype: 'uint8', shape: [2, 4, 5] });
    expect(m.values.get('i')).toMatchObject({ dtype: 'int32', shape: [2, 4, 5] });
    expect(m.values.get('f')).toMatchObject({ dtype: 'float32', shape: [2, 4, 5] });
  });
  it('keeps integer values contiguous even where a float value would be nhwc', () => {
    const g = graphOf(
      [{ name: 'x', dtype: 'float32', shape: [1, 2, 5, 5] }],
      [{ name: 'f', dtype: 'float32', shape: undefined }],
      [tensor('w', 'float32', [2, 2, 1, 1], [1, 0, 0, 1]), tensor('s', 'float32', [], [0.1]), tensor('z', 'uint8', [], [0])],
      [
        { opType: 'Conv', inputs: ['x', 'w'], outputs: ['c'] },
        { opType: 'QuantizeLinear', inputs: ['c', 's', 'z'], outputs: ['q'] },
        { opType: 'DequantizeLinear', inputs: ['q', 's', 'z'], outputs: ['d'] },
        { opType: 'Relu', inputs: ['d'], outputs: ['f'] },
      ],
    );
    const { graph } = runPasses(g);
    const sched = scheduleGraph(graph);
    expect(sched.layouts.get('c')).toBe('nhwc');
    expect(sched.layouts.get('q')).toBe('contiguous');
  });
});

describe('lowering the quantized ops', () => {
  it('QLinearConv and ConvInteger become NCHW int8 plans with their quantization', () => {
    const g = graphOf(
      [{ name: 'x', dtype: 'uint8', shape: [1, 2, 5, 5] }, { name: 'xzp', dtype: 'uint8', shape: [] }],
      [{ name: 'y', dtype: 'uint8', shape: undefined }, { name: 'acc', dtype: 'int32', shape: undefined }],
      [
        tensor('xs', 'float32', [], [0.1]), tensor('czp', 'uint8', [], [128]), tensor('w', 'uint8', [3, 2, 3, 3], new Array(54).fill(130)),
        tensor('ws', 'float32', [3], [0.1, 0.2, 0.3]), tensor('wzp', 'uint8', [3], [128, 127, 129]), tensor('ys', 'float32', [], [0.5]), tensor('yzp', 'uint8', [], [1]),
      ],
      [
        { opType: 'QLinearConv', name: 'qc', inputs: ['x', 'xs', 'czp', 'w', 'ws', 'wzp', 'ys', 'yzp'], outputs: ['y'] },
        { opType: 'ConvInteger', name: 'ci', inputs: ['x', 'w', 'xzp', 'wzp'], outputs: ['acc'], attributes: { pads: attr.ints([1, 1, 1, 1]) } },
      ],
    );
    const q = lowerQConv(g, g.nodes[0]);
    expect(q.desc).toMatchObject({ layout: 'NCHW', dtype: 'uint8', inChannels: 2, outChannels: 3 });
    expect(q.quant).toMatchObject({ output: 'uint8', xZeroPoint: 128, weightDtype: 'uint8', wZeroPoint: [128, 127, 129], yScale: 0.5, yZeroPoint: 1 });
    const c = lowerQConv(g, g.nodes[1]);
    expect(c.quant).toMatchObject({ output: 'int32', xZeroPoint: 0 });
    expect(c.xZeroPointValue).toBe('xzp');
    expect(c.correction).toHaveLength(3 * 5 * 5);
  });
  it('the run-time zero-point correction equals the exact ConvInteger of x = 0 (border taps dropped)', () => {
    const r = mulberry32(5);
    for (const [pads, strides, dil] of [[[1, 1, 1, 1], [1, 1], [1, 1]], [[0, 2, 1, 0], [2, 1], [1, 2]], [[0, 0, 0, 0], [1, 1], [1, 1]]] as const) {
      const cin = 4, cout = 3, h = 6, w = 7, k = 3, z = 7;
      const wt = randomInts(cout * cin * k * k, r, -128, 127);
      const wZp = [1, -2, 0];
      const g = { batch: 1, inChannels: cin, outChannels: cout, inHeight: h, inWidth: w, kernelH: k, kernelW: k, strides: [...strides] as [number, number], pads: [...pads] as [number, number, number, number], dilations: [...dil] as [number, number], groups: 1 };
      const ref = convIntegerReference(g, { input: new Int32Array(cin * h * w), inputLayout: 'NCHW', weight: wt, weightLayout: 'OIHW', xZeroPoint: z, wZeroPoint: wZp });
      const [, , oh, ow] = ref.shape;
      const corr = zeroPointCorrection(wt, wZp, { inChannels: cin, outChannels: cout, groups: 1, kernel: [k, k], strides: [...strides], dilations: [...dil], pads, inHW: [h, w], outHW: [oh, ow] });
      expect(Array.from(corr, (v) => -z * v)).toEqual(Array.from(ref.data, (v) => v + 0));
    }
  });
  it('QLinearMatMul and MatMulInteger (run-time a zero point) lower to the int matmul kernel', () => {
    const g = graphOf(
      [{ name: 'a', dtype: 'uint8', shape: [2, 4, 3] }, { name: 'b', dtype: 'int8', shape: [2, 3, 5] }, { name: 'az', dtype: 'uint8', shape: [] }],
      [{ name: 'y', dtype: 'int8', shape: undefined }, { name: 'i', dtype: 'int32', shape: undefined }],
      [tensor('as', 'float32', [], [0.5]), tensor('azc', 'uint8', [], [3]), tensor('bs', 'float32', [5], [0.1, 0.2, 0.3, 0.4, 0.5]), tensor('bz', 'int8', [5], [0, 1, 2, 3, 4]), tensor('ys', 'float32', [], [0.25]), tensor('yz', 'int8', [], [-1])],
      [
        { opType: 'QLinearMatMul', name: 'qm', inputs: ['a', 'as', 'azc', 'b', 'bs', 'bz', 'ys', 'yz'], outputs: ['y'] },
        { opType: 'MatMulInteger', name: 'mi', inputs: ['a', 'b', 'az'], outputs: ['i'] },
      ],
    );
    const q = lowerOp(ctxFor(g, 0));
    expect(checkKernels(q)).toEqual(['matmul_u8i8_qi8_vv']);
    const u = q.dispatches[0].uniforms;
    expect(u).toMatchObject({ elems: 40, m: 4, n: 5, k: 3, a_sb: 12, b_sb: 15, a_zp: 3, y_zp: -1, q_lo: -128, q_hi: 127 });
    const cols = q.dispatches[0].buffers.cols as { constant: Int32Array };
    expect(Array.from(cols.constant.filter((_, i) => i % 4 === 0))).toEqual([0, 1, 2, 3, 4]);
    const mi = lowerOp(ctxFor(g, 1));
    expect(checkKernels(mi)).toEqual(['matmul_u8i8_i32_vv_azpv']);
    expect(mi.dispatches[0].buffers.a_zp).toEqual({ value: 'az' });
  });
  it('QuantizeLinear (per axis), DequantizeLinear and DynamicQuantizeLinear lower to the 8-bit kernels', () => {
    const g = graphOf(
      [{ name: 'x', dtype: 'float32', shape: [1, 3, 2, 2] }],
      [{ name: 'd', dtype: 'float32', shape: undefined }, { name: 'dq', dtype: 'uint8', shape: undefined }],
      [tensor('s', 'float32', [3], [0.1, 0.2, 0.3]), tensor('z', 'int8', [3], [0, 1, -1])],
      [
        { opType: 'QuantizeLinear', inputs: ['x', 's', 'z'], outputs: ['q'] },
        { opType: 'DequantizeLinear', inputs: ['q', 's', 'z'], outputs: ['d'] },
        { opType: 'DynamicQuantizeLinear', inputs: ['x'], outputs: ['dq', 'dqs', 'dqz'] },
      ],
    );
    expect(checkKernels(lowerOp(ctxFor(g, 0)))).toEqual(['q_quantize_int8_r4_v_ax']);
    expect(checkKernels(lowerOp(ctxFor(g, 1)))).toEqual(['q_dequantize_int8_r4_v_ax']);
    const dyn = lowerOp(ctxFor(g, 2));
    expect(checkKernels(dyn)).toEqual(['q_dynq_minmax_r4_v', 'q_dynq_params', 'q_quantize_uint8_r4_v_buf']);
  });
  it('com.microsoft QLinear* ops and MaxPool/Concat/Transpose/Reshape on 8-bit values lower to the byte kernels', () => {
    const ms = (opType: string, inputs: string[], outputs: string[], attributes = {}): NodeSpec => ({ opType, domain: 'com.microsoft', inputs, outputs, attributes });
    const g = importOnnx(writeOnnx({
      opset: { '': 17, 'com.microsoft': 1 },
      inputs: [{ name: 'a', dtype: 'uint8', shape: [1, 4, 4, 4] }, { name: 'b', dtype: 'uint8', shape: [1, 4, 1, 1] }],
      outputs: [{ name: 'g', dtype: 'uint8', shape: undefined }, { name: 'cat', dtype: 'uint8', shape: undefined }, { name: 'tr', dtype: 'uint8', shape: undefined }, { name: 'fl', dtype: 'uint8', shape: undefined }],
      initializers: [tensor('s', 'float32', [], [0.05]), tensor('s2', 'float32', [], [0.1]), tensor('z', 'uint8', [], [128])],
      nodes: [
        ms('QLinearAdd', ['a', 's', 'z', 'b', 's2', 'z', 's', 'z'], ['add']),
        ms('QLinearSigmoid', ['add', 's', 'z', 's2', 'z'], ['sig']),
        { opType: 'MaxPool', inputs: ['sig'], outputs: ['mp'], attributes: { kernel_shape: attr.ints([2, 2]), strides: attr.ints([2, 2]) } },
        ms('QLinearGlobalAveragePool', ['mp', 's', 'z', 's', 'z'], ['g']),
        ms('QLinearConcat', ['s', 'z', 'a', 's2', 'z', 'add', 's', 'z'], ['cat'], { axis: attr.int(1) }),
        { opType: 'Transpose', inputs: ['a'], outputs: ['tr'], attributes: { perm: attr.ints([0, 2, 3, 1]) } },
        { opType: 'Flatten', inputs: ['a'], outputs: ['fl'] },
      ],
    }));
    expect(g.values.get('cat')).toMatchObject({ dtype: 'uint8', shape: [1, 8, 4, 4] });
    expect(g.values.get('g')).toMatchObject({ dtype: 'uint8', shape: [1, 4, 1, 1] });
    const ids = g.nodes.map((_, i) => checkKernels(lowerOp(ctxFor(g, i))));
    expect(ids).toEqual([
      // QLinearAdd [1, 4, 4, 4] + [1, 4, 1, 1]: dims merge to [4, 16] (b strides [1, 0])
      ['q_qlinear_add_uint8_r2_vv'], ['q_lut_r1_v'], ['q_maxpool_uint8_v'], ['q_qlinear_gap_uint8_v'], ['q_concat_r4_a1_vv_t10'], ['q_bytecopy_r2_v'], [],
    ]);
    expect(lowerOp(ctxFor(g, 6)).aliasOf).toBe(0);
    expect(lowerOp(ctxFor(g, 0)).dispatches[0].uniforms).toMatchObject({ os0: 4, os1: 16, ast0: 16, ast1: 1, bst0: 1, bst1: 0 });
    const cat = lowerOp(ctxFor(g, 4));
    expect(cat.dispatches[0].uniforms).toMatchObject({ i0end: 4, i1end: 8, count: 128 });
  });
  it('refuses, naming node, value and dtype: float ops on integer values, run-time scales', () => {
    const g = graphOf(
      [{ name: 'x', dtype: 'int8', shape: [4] }, { name: 'a', dtype: 'uint8', shape: [2, 2] }, { name: 'b', dtype: 'uint8', shape: [2, 2] }, { name: 's', dtype: 'float32', shape: [] }],
      [{ name: 'y', dtype: 'int8', shape: undefined }, { name: 'm', dtype: 'uint8', shape: undefined }, { name: 'i', dtype: 'int32', shape: undefined }],
      [tensor('z', 'uint8', [], [0])],
      [
        { opType: 'Relu', name: 'relu', inputs: ['x'], outputs: ['y'] },
        { opType: 'QLinearMatMul', name: 'qm', inputs: ['a', 's', 'z', 'b', 's', 'z', 's', 'z'], outputs: ['m'] },
        { opType: 'MatMulInteger', name: 'same', inputs: ['a', 'a'], outputs: ['i'] },
      ],
    );
    expect(() => lowerOp(ctxFor(g, 0))).toThrow(OnnxLoadError);
    expect(() => lowerOp(ctxFor(g, 0))).toThrow(/node 'relu' \(Relu\): value 'x' is int8 at run time; Relu runs on float32 values only/);
    expect(() => lowerOp(ctxFor(g, 1))).toThrow(/node 'qm' \(QLinearMatMul\): a_scale \(input 1, 's'\) must be known at load/);
    expect(() => lowerOp(ctxFor(g, 2))).toThrow(/node 'same' \(MatMulInteger\): A and B are the same run-time value 'a'/);
  });
});

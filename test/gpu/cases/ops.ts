/**
 * GPU cases for the runtime's op kernels through their lowering (src/graph/lower-ops.ts): each case is a one-node
 * ONNX model (written and imported with the repo's writer/importer, so shapes come from shape inference), lowered
 * with its runtime values in every layout mix (contiguous / nhwc for rank-4 values), run by the test executor
 * (harness/run-ops.ts: one arena, 256-byte-aligned ranges, sentinels around every value) and compared with the float64
 * reference of ops-reference.ts. Ugly shapes: odd sizes, C = 1 and 3, broadcasting, negative axes and steps.
 */
import { type Attribute, type DType, type Graph, type Tensor, fromNumbers } from '../../../src/graph/ir.ts';
import { inferShapes } from '../../../src/graph/shape-inference.ts';
import { lowerOp } from '../../../src/graph/lower-ops.ts';
import type { Layout } from '../../../src/graph/runtime-types.ts';
import { mulberry32 } from '../../../src/util/random.ts';
import { contextFor, runLowering } from '../harness/run-ops.ts';
import type { GpuCase, GpuTestContext } from '../harness/types.ts';
import { type RefTensor, referenceOp } from './ops-reference.ts';

/** Attribute constructors (as onnx-writer's `attr`, which this module cannot import: it pulls protobuf into the page). */
const attr = {
  float: (value: number): Attribute => ({ type: 'float', value }),
  int: (value: number): Attribute => ({ type: 'int', value }),
  string: (value: string): Attribute => ({ type: 'string', value }),
  ints: (value: number[]): Attribute => ({ type: 'ints', value }),
};

/** A node input: a model input of this shape, or (with `value`) an initializer; '' omits an optional input. */
export interface In {
  shape: number[];
  dtype?: DType;
  value?: number[];
}

/**
 * A graph of one node 'n0' (inputs in0.., outputs out0..) with shapes inferred, built directly as IR (no protobuf:
 * the same module runs in the browser page).
 */
export function opGraph(opType: string, ins: (In | '')[], attributes: Record<string, Attribute> = {}, opts: { opset?: number; outputs?: number } = {}): Graph {
  const initializers = new Map<string, Tensor>();
  const inputs: Graph['inputs'] = [];
  const names = ins.map((v, i) => {
    if (v === '') return '';
    const name = `in${i}`;
    if (v.value) initializers.set(name, fromNumbers(name, v.dtype ?? 'int64', v.shape, v.value));
    else inputs.push({ name, dtype: v.dtype ?? 'float32', shape: [...v.shape] });
    return name;
  });
  const values: Graph['values'] = new Map();
  for (const [name, t] of initializers) values.set(name, { name, dtype: t.dtype, shape: [...t.dims] });
  const outputs = Array.from({ length: opts.outputs ?? 1 }, (_, i) => `out${i}`);
  const graph: Graph = {
    name: 'ops', irVersion: 8, opsets: { '': opts.opset ?? 17 }, producer: 'winoconv-test', inputs,
    outputs: outputs.map((name) => ({ name, dtype: 'float32', shape: undefined })), initializers,
    nodes: [{ name: 'n0', opType, domain: '', inputs: names, outputs, attributes }], values, folded: new Map(), declared: new Map(),
  };
  inferShapes(graph, {});
  return graph;
}

export interface OpCase {
  name: string;
  op: string;
  ins: (In | '')[];
  attrs?: Record<string, Attribute>;
  opset?: number;
  outputs?: number;
  /** Input value range (default [-2, 2]). */
  range?: [number, number];
  /** Device limits the lowering sees (default TEST_LIMITS): small ones force y-split dispatches and B chunks. */
  limits?: { maxComputeWorkgroupsPerDimension: number; maxStorageBufferBindingSize: number };
  /** Relative tolerance (default 2e-6, scaled by max(1, |ref|)); Σ-terms ops give more. */
  tol?: number;
}

const f = (shape: number[]): In => ({ shape, dtype: 'float32' });
const cf = (shape: number[], value: number[]): In => ({ shape, dtype: 'float32', value });
const ci = (value: number[], shape = [value.length]): In => ({ shape, dtype: 'int64', value });
const seq = (n: number, k = 0.37) => Array.from({ length: n }, (_, i) => Math.sin(i * 1.7 + k) * 1.5);

export const OP_CASES: OpCase[] = [
  ...['Relu', 'Sigmoid', 'HardSwish', 'Tanh'].map((op) => ({ name: op, op, ins: [f([2, 3, 5, 7])], range: [-8, 8] as [number, number] })),
  { name: 'LeakyRelu alpha 0.3', op: 'LeakyRelu', ins: [f([1, 3, 4, 5])], attrs: { alpha: attr.float(0.3) } },
  { name: 'HardSigmoid', op: 'HardSigmoid', ins: [f([3, 7])], attrs: { alpha: attr.float(0.3), beta: attr.float(0.4) }, range: [-5, 5] },
  { name: 'Elu', op: 'Elu', ins: [f([1, 13, 3, 3])], attrs: { alpha: attr.float(0.7) }, range: [-4, 4] },
  { name: 'Sqrt', op: 'Sqrt', ins: [f([5, 9])], range: [0, 9] },
  { name: 'Clip opset 11 inputs', op: 'Clip', ins: [f([1, 3, 5, 6]), cf([], [-0.5]), cf([], [0.75])], opset: 11 },
  { name: 'Clip opset 11 max only', op: 'Clip', ins: [f([2, 9]), '', cf([], [0.25])], opset: 13 },
  { name: 'Clip opset 6 attrs', op: 'Clip', ins: [f([1, 1, 5, 3])], attrs: { min: attr.float(-1), max: attr.float(0) }, opset: 7 },
  { name: 'Add broadcast', op: 'Add', ins: [f([2, 3, 5, 7]), f([3, 1, 7])] },
  { name: 'Add constant channel', op: 'Add', ins: [f([1, 3, 4, 5]), cf([3, 1, 1], [0.5, -1, 2])] },
  { name: 'Add rank 7 collapses', op: 'Add', ins: [f([2, 3, 1, 2, 2, 3, 2]), f([2, 1, 2])] },
  { name: 'Add same value', op: 'Add', ins: [f([2, 3]), f([2, 3])] },
  { name: 'Sub scalar first', op: 'Sub', ins: [f([]), f([1, 3, 2, 5])] },
  { name: 'Mul nhwc both', op: 'Mul', ins: [f([2, 5, 3, 3]), f([2, 5, 3, 3])] },
  { name: 'Div', op: 'Div', ins: [f([4, 1, 6]), f([3, 1])], range: [0.5, 3] },
  { name: 'Pow constant exponent', op: 'Pow', ins: [f([3, 5]), cf([5], [2, 3, 0, 0.5, -1])], range: [0.25, 2] },
  { name: 'Max variadic 3', op: 'Max', ins: [f([2, 3, 4]), f([4]), f([3, 1])] },
  { name: 'Min variadic 1', op: 'Min', ins: [f([5, 3])] },
  { name: 'PRelu channel slope', op: 'PRelu', ins: [f([2, 3, 5, 7]), cf([3, 1, 1], [0.1, -0.2, 0.3])] },
  { name: 'BatchNormalization', op: 'BatchNormalization', ins: [f([2, 3, 5, 4]), cf([3], [1, 0.5, -2]), cf([3], [0.1, 0, -0.3]), cf([3], [0.2, -0.1, 1]), cf([3], [1, 0.25, 4])], attrs: { epsilon: attr.float(1e-3) } },
  { name: 'MaxPool 3x3 s2 p1', op: 'MaxPool', ins: [f([1, 3, 9, 7])], attrs: { kernel_shape: attr.ints([3, 3]), strides: attr.ints([2, 2]), pads: attr.ints([1, 1, 1, 1]) } },
  { name: 'MaxPool ceil dil asym pads', op: 'MaxPool', ins: [f([2, 2, 8, 9])], attrs: { kernel_shape: attr.ints([2, 3]), strides: attr.ints([2, 3]), pads: attr.ints([0, 1, 1, 0]), dilations: attr.ints([2, 1]), ceil_mode: attr.int(1) } },
  { name: 'MaxPool 1d SAME_UPPER', op: 'MaxPool', ins: [f([2, 3, 11])], attrs: { kernel_shape: attr.ints([4]), strides: attr.ints([3]), auto_pad: attr.string('SAME_UPPER') } },
  { name: 'AveragePool exclude pad', op: 'AveragePool', ins: [f([1, 3, 7, 6])], attrs: { kernel_shape: attr.ints([3, 3]), strides: attr.ints([2, 2]), pads: attr.ints([1, 1, 1, 1]) } },
  { name: 'AveragePool include pad ceil', op: 'AveragePool', ins: [f([2, 1, 8, 8])], attrs: { kernel_shape: attr.ints([3, 2]), strides: attr.ints([2, 2]), pads: attr.ints([1, 0, 1, 1]), count_include_pad: attr.int(1), ceil_mode: attr.int(1) } },
  { name: 'GlobalAveragePool', op: 'GlobalAveragePool', ins: [f([2, 5, 7, 3])] },
  { name: 'GlobalMaxPool', op: 'GlobalMaxPool', ins: [f([1, 3, 5, 5])] },
  { name: 'ReduceMean axes attr keepdims', op: 'ReduceMean', ins: [f([2, 3, 5, 4])], attrs: { axes: attr.ints([-1, 1]) }, opset: 13 },
  { name: 'ReduceMean axes input no keepdims', op: 'ReduceMean', ins: [f([3, 4, 5]), ci([1])], attrs: { keepdims: attr.int(0) }, opset: 18 },
  { name: 'Softmax opset 13 axis 1', op: 'Softmax', ins: [f([2, 5, 3, 4])], attrs: { axis: attr.int(1) }, opset: 13, range: [-6, 6] },
  { name: 'Softmax opset 11 flatten axis 1', op: 'Softmax', ins: [f([2, 3, 2, 5])], opset: 11, range: [-6, 6] },
  { name: 'Softmax last axis', op: 'Softmax', ins: [f([3, 1000])], opset: 17, range: [-10, 10] },
  { name: 'Concat axis 1', op: 'Concat', ins: [f([2, 3, 4, 5]), f([2, 1, 4, 5]), cf([2, 2, 4, 5], seq(80))], attrs: { axis: attr.int(1) } },
  { name: 'Concat axis -1', op: 'Concat', ins: [f([3, 2]), f([3, 5])], attrs: { axis: attr.int(-1) } },
  { name: 'Split opset 13 input', op: 'Split', ins: [f([2, 7, 3, 4]), ci([2, 4, 1])], attrs: { axis: attr.int(1) }, opset: 13, outputs: 3 },
  { name: 'Split opset 11 equal', op: 'Split', ins: [f([2, 6, 5])], attrs: { axis: attr.int(-2) }, opset: 11, outputs: 3 },
  { name: 'Slice negative step', op: 'Slice', ins: [f([2, 5, 7, 6]), ci([-1, 6, 1]), ci([-100, 0, 5]), ci([3, 2, 1]), ci([-2, -3, 2])], opset: 13 },
  { name: 'Slice opset 9 attrs', op: 'Slice', ins: [f([4, 9])], attrs: { starts: attr.ints([1, -7]), ends: attr.ints([3, 1000]), axes: attr.ints([0, 1]) }, opset: 9 },
  { name: 'Transpose NCHW to NHWC', op: 'Transpose', ins: [f([2, 3, 5, 7])], attrs: { perm: attr.ints([0, 2, 3, 1]) } },
  { name: 'Transpose default rank 3', op: 'Transpose', ins: [f([3, 4, 5])] },
  { name: 'DepthToSpace DCR b2', op: 'DepthToSpace', ins: [f([2, 12, 3, 5])], attrs: { blocksize: attr.int(2) }, opset: 11 },
  { name: 'DepthToSpace CRD b3', op: 'DepthToSpace', ins: [f([1, 18, 4, 3])], attrs: { blocksize: attr.int(3), mode: attr.string('CRD') }, opset: 13 },
  { name: 'DepthToSpace DCR b1', op: 'DepthToSpace', ins: [f([1, 3, 2, 4])], attrs: { blocksize: attr.int(1) }, opset: 13 },
  { name: 'Pad constant', op: 'Pad', ins: [f([1, 3, 4, 5]), ci([0, 1, 2, -1, 0, 0, 1, 2]), cf([], [1.5])], opset: 13 },
  { name: 'Pad reflect', op: 'Pad', ins: [f([2, 3, 5, 4]), ci([0, 0, 2, 3, 0, 0, 4, 1])], attrs: { mode: attr.string('reflect') }, opset: 13 },
  { name: 'Pad edge opset 7', op: 'Pad', ins: [f([3, 4])], attrs: { mode: attr.string('edge'), pads: attr.ints([2, 0, 1, 3]) }, opset: 7 },
  { name: 'Resize nearest asymmetric floor x2', op: 'Resize', ins: [f([1, 3, 4, 5]), '', cf([4], [1, 1, 2, 2])], attrs: { coordinate_transformation_mode: attr.string('asymmetric'), nearest_mode: attr.string('floor') }, opset: 13 },
  { name: 'Resize nearest asymmetric ties prefer floor', op: 'Resize', ins: [f([1, 2, 3, 5]), '', cf([4], [1, 1, 2, 3])], attrs: { coordinate_transformation_mode: attr.string('asymmetric') }, opset: 13 },
  { name: 'Resize nearest half_pixel sizes', op: 'Resize', ins: [f([2, 2, 5, 7]), '', '', ci([2, 2, 8, 3])], opset: 13 },
  { name: 'Resize nearest round_prefer_ceil', op: 'Resize', ins: [f([1, 1, 5, 6]), cf([0], []), cf([4], [1, 1, 1.5, 0.5])], attrs: { nearest_mode: attr.string('round_prefer_ceil') }, opset: 11 },
  { name: 'Resize linear half_pixel', op: 'Resize', ins: [f([1, 3, 5, 4]), '', cf([4], [1, 1, 2, 1.5])], attrs: { mode: attr.string('linear') }, opset: 13 },
  { name: 'Resize linear align_corners sizes', op: 'Resize', ins: [f([2, 1, 4, 6]), '', '', ci([2, 1, 7, 3])], attrs: { mode: attr.string('linear'), coordinate_transformation_mode: attr.string('align_corners') }, opset: 13 },
  { name: 'Resize linear pytorch_half_pixel', op: 'Resize', ins: [f([1, 2, 3, 5]), '', '', ci([1, 2, 1, 9])], attrs: { mode: attr.string('linear'), coordinate_transformation_mode: attr.string('pytorch_half_pixel') }, opset: 13 },
  { name: 'Resize opset 10 nearest', op: 'Resize', ins: [f([1, 2, 3, 4]), cf([4], [1, 1, 2, 3])], opset: 10 },
  { name: 'Reshape to 2-D', op: 'Reshape', ins: [f([2, 3, 4, 5]), ci([2, -1])] },
  { name: 'Flatten axis 2', op: 'Flatten', ins: [f([2, 3, 4, 5])], attrs: { axis: attr.int(2) } },
  { name: 'Squeeze opset 13', op: 'Squeeze', ins: [f([3, 1, 5, 1]), ci([-1])], opset: 13 },
  { name: 'Unsqueeze opset 11', op: 'Unsqueeze', ins: [f([3, 5])], attrs: { axes: attr.ints([0, 3]) }, opset: 11 },
  { name: 'Identity', op: 'Identity', ins: [f([1, 3, 2, 2])] },
  { name: 'Gemm transB bias row', op: 'Gemm', ins: [f([5, 13]), cf([7, 13], seq(91)), cf([7], seq(7, 1))], attrs: { transB: attr.int(1), alpha: attr.float(0.5), beta: attr.float(2) }, tol: 1e-5 },
  { name: 'Gemm transA runtime B bias scalar', op: 'Gemm', ins: [f([9, 6]), f([9, 11]), cf([1], [0.25])], attrs: { transA: attr.int(1) }, tol: 1e-5 },
  { name: 'Gemm M 1 no bias', op: 'Gemm', ins: [f([1, 37]), cf([37, 10], seq(370))], tol: 1e-5 },
  { name: 'Gemm M 2 N 19 runtime B (tn 8)', op: 'Gemm', ins: [f([2, 11]), f([11, 19]), f([2, 1])], attrs: { beta: attr.float(-0.5) }, tol: 1e-5 },
  { name: 'MatMul batched broadcast', op: 'MatMul', ins: [f([2, 1, 5, 7]), f([3, 7, 6])], tol: 1e-5 },
  { name: 'MatMul 1-D left', op: 'MatMul', ins: [f([7]), f([2, 7, 3])], tol: 1e-5 },
  { name: 'MatMul 1-D right constant', op: 'MatMul', ins: [f([4, 9]), cf([9], seq(9))], tol: 1e-5 },
  { name: 'MatMul nhwc operands', op: 'MatMul', ins: [f([1, 3, 5, 6]), f([1, 3, 6, 2])], tol: 1e-5 },
  { name: 'ConvTranspose s2 p1 bias', op: 'ConvTranspose', ins: [f([1, 3, 4, 5]), cf([3, 2, 3, 3], seq(54)), cf([2], [0.5, -1])], attrs: { strides: attr.ints([2, 2]), pads: attr.ints([1, 1, 1, 1]) }, tol: 1e-5 },
  { name: 'ConvTranspose group dil output_padding', op: 'ConvTranspose', ins: [f([2, 4, 3, 4]), cf([4, 3, 2, 3], seq(72))], attrs: { strides: attr.ints([3, 2]), dilations: attr.ints([2, 1]), group: attr.int(2), output_padding: attr.ints([1, 1]), pads: attr.ints([0, 1, 1, 0]) }, tol: 1e-5 },
  { name: 'ConvTranspose output_shape', op: 'ConvTranspose', ins: [f([1, 2, 3, 3]), cf([2, 1, 3, 3], seq(18))], attrs: { strides: attr.ints([2, 2]), output_shape: attr.ints([6, 7]) }, tol: 1e-5 },
  { name: 'ConvTranspose SAME_UPPER', op: 'ConvTranspose', ins: [f([1, 1, 5, 4]), cf([1, 2, 4, 4], seq(32))], attrs: { strides: attr.ints([2, 2]), auto_pad: attr.string('SAME_UPPER') }, tol: 1e-5 },
  { name: 'ConvTranspose k2 s2 bias (as Conv + DepthToSpace)', op: 'ConvTranspose', ins: [f([2, 5, 4, 3]), cf([5, 3, 2, 2], seq(60)), cf([3], [0.5, -1, 0.25])], attrs: { strides: attr.ints([2, 2]), kernel_shape: attr.ints([2, 2]) }, tol: 1e-5 },
  { name: 'ConvTranspose 1-D', op: 'ConvTranspose', ins: [f([2, 3, 6]), cf([3, 2, 4], seq(24))], attrs: { strides: attr.ints([3]), pads: attr.ints([1, 2]) }, tol: 1e-5 },
  { name: 'Gather axis 1 negative indices', op: 'Gather', ins: [f([2, 5, 3, 4]), ci([-1, 0, 3, 3, -5, 2], [2, 3])], attrs: { axis: attr.int(1) } },
  { name: 'Gather scalar index axis -1', op: 'Gather', ins: [f([3, 4, 6]), ci([-2], [])], attrs: { axis: attr.int(-1) } },
  { name: 'Add y-split dispatch', op: 'Add', ins: [f([2, 3, 11, 3]), f([3])], limits: { maxComputeWorkgroupsPerDimension: 2, maxStorageBufferBindingSize: 1 << 27 } },
  // the elementwise fast path (several elements of the last collapsed dim per invocation): odd lengths, not ×4
  { name: 'Mul fast flat odd length', op: 'Mul', ins: [f([1, 3, 7, 9]), f([1, 3, 7, 9])] },
  { name: 'Relu fast flat 4097', op: 'Relu', ins: [f([1, 1, 17, 241])] },
  { name: 'Div fast scalar', op: 'Div', ins: [f([3, 13]), cf([], [6])] },
  { name: 'Mul fast per-channel constant', op: 'Mul', ins: [f([1, 5, 7, 9]), cf([5, 1, 1], [0.5, -1, 2, 3, -0.25])] },
  { name: 'Add fast per-channel value first', op: 'Add', ins: [f([1, 3, 1, 1]), f([1, 3, 5, 5])] },
  { name: 'Sub fast batch per-channel', op: 'Sub', ins: [f([2, 3, 5, 5]), f([1, 3, 1, 1])] },
  { name: 'Add fast last dim 5', op: 'Add', ins: [f([2, 3, 5]), f([3, 5])] },
  { name: 'HardSwish fast flat 6', op: 'HardSwish', ins: [f([6])], range: [-8, 8] },
  // vec4 form (last dim a multiple of 4, aligned rows): flat, per-channel operand first or second, scalar, batch
  { name: 'Mul vec4 flat', op: 'Mul', ins: [f([1, 2, 4, 6]), f([1, 2, 4, 6])] },
  { name: 'Add vec4 per-channel constant', op: 'Add', ins: [f([1, 3, 4, 4]), cf([3, 1, 1], [0.5, -1, 2])] },
  { name: 'Div vec4 per-channel value first', op: 'Div', ins: [f([1, 3, 1, 1]), f([1, 3, 2, 4])], range: [0.5, 3] },
  { name: 'Sub vec4 batch per-channel', op: 'Sub', ins: [f([2, 3, 4, 2]), f([1, 3, 1, 1])] },
  { name: 'Clip vec4 scalar bounds', op: 'Clip', ins: [f([1, 5, 4, 4]), cf([], [-0.5]), cf([], [0.75])], opset: 13 },
  { name: 'Sigmoid vec4 flat', op: 'Sigmoid', ins: [f([1, 1, 8, 8])], range: [-8, 8] },
  { name: 'Relu fast y-split dispatch', op: 'Relu', ins: [f([1, 1, 3, 267])], limits: { maxComputeWorkgroupsPerDimension: 2, maxStorageBufferBindingSize: 1 << 27 } },
  { name: 'Gemm B in column chunks', op: 'Gemm', ins: [f([6, 13]), cf([23, 13], seq(299)), cf([1, 23], seq(23, 2))], attrs: { transB: attr.int(1) }, limits: { maxComputeWorkgroupsPerDimension: 65535, maxStorageBufferBindingSize: 13 * 16 * 2 }, tol: 1e-5 },
  { name: 'ConstantOfShape not folded', op: 'ConstantOfShape', ins: [ci([3, 25000])], attrs: { value: { type: 'tensor', value: fromNumbers('v', 'float32', [1], [2.5]) } } },
  { name: 'Pow negative bases', op: 'Pow', ins: [f([4, 5]), cf([5], [2, 3, 0, -1, 0.5])] },
  { name: 'Pad wrap opset 19', op: 'Pad', ins: [f([1, 2, 3, 4]), ci([0, 0, 2, 3, 0, 0, 1, 4])], attrs: { mode: attr.string('wrap') }, opset: 19 },
  { name: 'Split opset 18 num_outputs uneven', op: 'Split', ins: [f([2, 3, 7, 2])], attrs: { axis: attr.int(2), num_outputs: attr.int(3) }, opset: 18, outputs: 3 },
  { name: 'Clip runtime min', op: 'Clip', ins: [f([2, 3, 4, 5]), f([]), cf([], [0.5])], opset: 13 },
  { name: 'Max variadic 7', op: 'Max', ins: [f([2, 3]), f([3]), f([2, 1]), f([2, 3]), f([1]), f([1, 3]), f([2, 3])] },
  { name: 'Resize nearest tf_half_pixel_for_nearest', op: 'Resize', ins: [f([1, 2, 4, 5]), '', cf([4], [1, 1, 1.5, 2.5])], attrs: { coordinate_transformation_mode: attr.string('tf_half_pixel_for_nearest'), nearest_mode: attr.string('ceil') }, opset: 13 },
  { name: 'Resize linear half_pixel_symmetric', op: 'Resize', ins: [f([1, 2, 5, 4]), '', cf([4], [1, 1, 1.7, 0.6])], attrs: { mode: attr.string('linear'), coordinate_transformation_mode: attr.string('half_pixel_symmetric') }, opset: 19 },
  { name: 'Reshape of a large constant', op: 'Reshape', ins: [cf([70007], seq(70007)), ci([-1, 7])] },
  { name: 'Transpose of a large constant', op: 'Transpose', ins: [cf([3, 5, 4700], seq(70500))], attrs: { perm: attr.ints([2, 0, 1]) } },
  { name: 'Dropout as Identity', op: 'Dropout', ins: [f([2, 3, 3, 5])], opset: 12 },
  { name: 'Cast to float', op: 'Cast', ins: [f([2, 3, 3, 2])], attrs: { to: attr.int(1) } },
];

function randomIn(n: number, rng: () => number, [lo, hi]: [number, number]): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * rng();
  return out;
}

/** Layout variants: rank-4 runtime values contiguous; all nhwc; inputs nhwc only; outputs nhwc only. */
function layoutVariants(names: string[], rank4: (n: string) => boolean, outputs: string[]): Record<string, Layout>[] {
  const r4 = names.filter(rank4);
  if (!r4.length) return [{}];
  const pick = (sel: (n: string) => boolean) => Object.fromEntries(r4.filter(sel).map((n) => [n, 'nhwc' as Layout]));
  const vs = [{}, pick(() => true), pick((n) => !outputs.includes(n)), pick((n) => outputs.includes(n))];
  return vs.filter((v, i) => vs.findIndex((w) => JSON.stringify(w) === JSON.stringify(v)) === i);
}

export async function runOpCase(t: GpuTestContext, c: OpCase, seed: number): Promise<void> {
  const g = opGraph(c.op, c.ins, c.attrs ?? {}, { opset: c.opset, outputs: c.outputs });
  const node = g.nodes[0];
  const opset = g.opsets[''];
  const constant = (n: string) => g.initializers.get(n) ?? g.folded.get(n);
  const shapeOf = (n: string) => g.values.get(n)!.shape as number[];
  const runtime = node.inputs.filter((n) => n !== '' && !constant(n));
  const rng = mulberry32(seed);
  const data: Record<string, Float32Array> = {};
  for (const n of runtime) if (!data[n]) data[n] = randomIn(shapeOf(n).reduce((a, b) => a * b, 1), rng, c.range ?? [-2, 2]);
  const refIns: (RefTensor | undefined)[] = node.inputs.map((n) => {
    if (n === '') return undefined;
    const k = constant(n);
    if (k) return { shape: [...k.dims], data: Float64Array.from(k.data as ArrayLike<number | bigint>, Number) };
    return { shape: shapeOf(n), data: Float64Array.from(data[n]) };
  });
  const outShapes = node.outputs.map(shapeOf);
  const ref = referenceOp(c.op, c.attrs ?? {}, refIns, outShapes, opset);
  const variants = layoutVariants([...runtime, ...node.outputs], (n) => shapeOf(n).length === 4, node.outputs);
  for (const layouts of variants) {
    const ctx = contextFor(g, layouts, c.limits);
    const lowering = lowerOp(ctx);
    const where = `op case '${c.name}' (${c.op}, opset ${opset}) seed ${seed} layouts ${JSON.stringify(layouts)} inputs ${node.inputs.map((n) => (n === '' ? "''" : `${n}${JSON.stringify(constant(n) ? constant(n)!.dims : shapeOf(n))}${constant(n) ? '(const)' : ''}`)).join(' ')} attrs ${JSON.stringify(c.attrs ?? {})} kernels ${lowering.dispatches.map((d) => d.kernel.id).join(', ') || `alias of ${lowering.aliasOf}`}`;
    let outs: Record<string, Float32Array>;
    try {
      outs = await runLowering(t, ctx, lowering, data);
    } catch (e) {
      throw new Error(`${where}\n${(e as Error).message}`);
    }
    node.outputs.forEach((name, k) => {
      const got = outs[name];
      const want = ref[k].data;
      if (got.length !== want.length) throw new Error(`${where}\noutput ${name}: ${got.length} elements, reference ${want.length}`);
      const tol = c.tol ?? 2e-6;
      const bad: string[] = [];
      for (let i = 0; i < want.length; i++) {
        const e = Math.abs(got[i] - want[i]);
        if (!(e <= tol * Math.max(1, Math.abs(want[i]))) && !(Number.isNaN(want[i]) && Number.isNaN(got[i]))) {
          if (bad.length < 6) bad.push(`[${i}] got ${got[i]}, expected ${want[i]}`);
          else { bad.push('…'); break; }
        }
      }
      if (bad.length) throw new Error(`${where}\noutput ${name} ${JSON.stringify(outShapes[k])} (tolerance ${tol}·max(1, |ref|)):\n${bad.join('\n')}`);
    });
    t.log(`${c.name} ${JSON.stringify(layouts)}: ok (${lowering.dispatches.length} dispatches)`);
  }
}

export const opsCases: GpuCase[] = OP_CASES.map((c, i) => ({ name: `ops ${c.name}`, run: (t) => runOpCase(t, c, 9100 + i) }));

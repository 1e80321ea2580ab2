import { describe, expect, it } from 'vitest';
import { OnnxLoadError } from '../../../src/graph/errors.ts';
import type { Attribute } from '../../../src/graph/ir.ts';
import { importOnnx } from '../../../src/graph/onnx-import.ts';
import { attr, writeOnnx } from '../../../src/graph/onnx-writer.ts';
import { windowOutput } from '../../../src/graph/shape-inference.ts';
import { type In, oneNode, shapesOf, tensor } from './helpers.ts';

const I64_MAX = 2 ** 63;
const f = (...shape: (number | string)[]): In => ({ shape });
const c = (values: number[], dtype: In['dtype'] = 'int64'): In => ({ shape: [values.length], value: values, dtype });

interface Case {
  name: string;
  op: string;
  ins: (In | '')[];
  attrs?: Record<string, Attribute>;
  opset?: number;
  outputs?: number;
  want: (number | string)[][];
}

// Expected shapes worked by hand from the ONNX operator spec (formulas in the comments).
const CASES: Case[] = [
  // Conv: out = floor((in + pb + pe - ((k-1)d + 1)) / s) + 1
  { name: 'Conv 3x3 pads 1, odd H W', op: 'Conv', ins: [f(1, 3, 13, 17), f(8, 3, 3, 3)], attrs: { pads: attr.ints([1, 1, 1, 1]) }, want: [[1, 8, 13, 17]] },
  { name: 'Conv stride 2 no pads', op: 'Conv', ins: [f(1, 3, 13, 17), f(8, 3, 3, 3)], attrs: { strides: attr.ints([2, 2]) }, want: [[1, 8, 6, 8]] },
  { name: 'Conv dilation 2, asymmetric pads', op: 'Conv', ins: [f(1, 3, 13, 17), f(8, 3, 3, 3)], attrs: { dilations: attr.ints([2, 2]), pads: attr.ints([0, 1, 2, 3]) }, want: [[1, 8, 11, 17]] },
  { name: 'Conv group 3 with bias', op: 'Conv', ins: [f(2, 6, 7, 7), f(6, 2, 3, 3), f(6)], attrs: { group: attr.int(3) }, want: [[2, 6, 5, 5]] },
  { name: 'Conv depthwise C=13', op: 'Conv', ins: [f(1, 13, 9, 9), f(13, 1, 5, 5)], attrs: { group: attr.int(13), pads: attr.ints([2, 2, 2, 2]) }, want: [[1, 13, 9, 9]] },
  { name: 'Conv SAME_UPPER stride 2: ceil(in/s)', op: 'Conv', ins: [f(1, 3, 13, 17), f(8, 3, 3, 3)], attrs: { auto_pad: attr.string('SAME_UPPER'), strides: attr.ints([2, 2]) }, want: [[1, 8, 7, 9]] },
  { name: 'Conv SAME_LOWER stride 3', op: 'Conv', ins: [f(1, 3, 13, 17), f(8, 3, 3, 3)], attrs: { auto_pad: attr.string('SAME_LOWER'), strides: attr.ints([3, 3]) }, want: [[1, 8, 5, 6]] },
  { name: 'Conv VALID', op: 'Conv', ins: [f(1, 3, 13, 17), f(8, 3, 3, 3)], attrs: { auto_pad: attr.string('VALID') }, want: [[1, 8, 11, 15]] },
  { name: 'Conv explicit kernel_shape 1x5', op: 'Conv', ins: [f(1, 3, 13, 17), f(4, 3, 1, 5)], attrs: { kernel_shape: attr.ints([1, 5]) }, want: [[1, 4, 13, 13]] },
  { name: 'Conv 1-D', op: 'Conv', ins: [f(1, 4, 10), f(2, 4, 3)], want: [[1, 2, 8]] },
  { name: 'Conv symbolic batch passes through', op: 'Conv', ins: [f('N', 3, 8, 8), f(8, 3, 3, 3)], want: [['N', 8, 6, 6]] },
  // ConvTranspose: out = s(in-1) + output_padding + ((k-1)d+1) - pb - pe
  { name: 'ConvTranspose stride 2 pads 1 output_padding 1', op: 'ConvTranspose', ins: [f(1, 8, 7, 9), f(8, 4, 3, 3)], attrs: { strides: attr.ints([2, 2]), pads: attr.ints([1, 1, 1, 1]), output_padding: attr.ints([1, 1]) }, want: [[1, 4, 14, 18]] },
  { name: 'ConvTranspose group 2', op: 'ConvTranspose', ins: [f(1, 8, 7, 9), f(8, 2, 2, 2), f(4)], attrs: { strides: attr.ints([2, 2]), group: attr.int(2) }, want: [[1, 4, 14, 18]] },
  { name: 'ConvTranspose output_shape', op: 'ConvTranspose', ins: [f(1, 8, 7, 9), f(8, 4, 3, 3)], attrs: { strides: attr.ints([3, 3]), output_shape: attr.ints([20, 21]) }, want: [[1, 4, 20, 21]] },
  { name: 'ConvTranspose SAME_UPPER: in*s', op: 'ConvTranspose', ins: [f(1, 8, 7, 9), f(8, 4, 3, 3)], attrs: { strides: attr.ints([2, 2]), auto_pad: attr.string('SAME_UPPER') }, want: [[1, 4, 14, 18]] },
  { name: 'BatchNormalization', op: 'BatchNormalization', ins: [f(2, 5, 3, 3), f(5), f(5), f(5), f(5)], want: [[2, 5, 3, 3]] },
  ...['Relu', 'LeakyRelu', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'Elu', 'Tanh', 'Sqrt', 'Softmax', 'Identity'].map(
    (op): Case => ({ name: op, op, ins: [f(2, 3, 5)], want: [[2, 3, 5]] }),
  ),
  { name: 'Clip with min/max inputs', op: 'Clip', ins: [f(2, 3), { shape: [], value: [0], dtype: 'float32' }, { shape: [], value: [6], dtype: 'float32' }], want: [[2, 3]] },
  { name: 'Clip opset 7 attributes', op: 'Clip', ins: [f(2, 3)], attrs: { min: attr.float(0), max: attr.float(6) }, opset: 7, want: [[2, 3]] },
  { name: 'PRelu per-channel slope [C,1,1]', op: 'PRelu', ins: [f(1, 4, 5, 5), f(4, 1, 1)], want: [[1, 4, 5, 5]] },
  ...['Add', 'Sub', 'Mul', 'Div', 'Max', 'Min', 'Pow'].map((op): Case => ({ name: `${op} broadcast`, op, ins: [f(2, 1, 5), f(3, 1)], want: [[2, 3, 5]] })),
  { name: 'Add scalar', op: 'Add', ins: [f(2, 3), f()], want: [[2, 3]] },
  { name: 'Max of three', op: 'Max', ins: [f(4, 1), f(1, 5), f(5)], want: [[4, 5]] },
  // Pools: floor mode as Conv; ceil mode rounds up, minus a last window starting in the end padding
  { name: 'MaxPool k3 s2', op: 'MaxPool', ins: [f(1, 2, 14, 13)], attrs: { kernel_shape: attr.ints([3, 3]), strides: attr.ints([2, 2]) }, want: [[1, 2, 6, 6]] },
  { name: 'MaxPool k3 s2 ceil_mode', op: 'MaxPool', ins: [f(1, 2, 14, 13)], attrs: { kernel_shape: attr.ints([3, 3]), strides: attr.ints([2, 2]), ceil_mode: attr.int(1) }, want: [[1, 2, 7, 6]] },
  { name: 'MaxPool ceil_mode drops a window in the padding', op: 'MaxPool', ins: [f(1, 1, 5, 5)], attrs: { kernel_shape: attr.ints([2, 2]), strides: attr.ints([2, 2]), pads: attr.ints([1, 1, 1, 1]), ceil_mode: attr.int(1) }, want: [[1, 1, 3, 3]] },
  { name: 'MaxPool with Indices', op: 'MaxPool', ins: [f(1, 2, 6, 6)], attrs: { kernel_shape: attr.ints([2, 2]), strides: attr.ints([2, 2]) }, outputs: 2, want: [[1, 2, 3, 3], [1, 2, 3, 3]] },
  { name: 'MaxPool dilations', op: 'MaxPool', ins: [f(1, 1, 10, 10)], attrs: { kernel_shape: attr.ints([3, 3]), dilations: attr.ints([2, 2]) }, want: [[1, 1, 6, 6]] },
  { name: 'AveragePool SAME_UPPER s2', op: 'AveragePool', ins: [f(1, 2, 13, 4)], attrs: { kernel_shape: attr.ints([3, 3]), strides: attr.ints([2, 2]), auto_pad: attr.string('SAME_UPPER') }, want: [[1, 2, 7, 2]] },
  { name: 'AveragePool pads', op: 'AveragePool', ins: [f(1, 2, 7, 7)], attrs: { kernel_shape: attr.ints([3, 3]), pads: attr.ints([1, 1, 1, 1]) }, want: [[1, 2, 7, 7]] },
  { name: 'GlobalAveragePool', op: 'GlobalAveragePool', ins: [f(2, 5, 7, 9)], want: [[2, 5, 1, 1]] },
  { name: 'GlobalMaxPool', op: 'GlobalMaxPool', ins: [f(2, 5, 7, 9)], want: [[2, 5, 1, 1]] },
  { name: 'Concat axis 1', op: 'Concat', ins: [f(1, 2, 4), f(1, 3, 4), f(1, 1, 4)], attrs: { axis: attr.int(1) }, want: [[1, 6, 4]] },
  { name: 'Concat axis -1', op: 'Concat', ins: [f(1, 2, 4), f(1, 2, 3)], attrs: { axis: attr.int(-1) }, want: [[1, 2, 7]] },
  { name: 'Split opset 13 split input', op: 'Split', ins: [f(2, 5, 3), c([2, 3])], attrs: { axis: attr.int(1) }, outputs: 2, want: [[2, 2, 3], [2, 3, 3]] },
  { name: 'Split opset 11 split attribute', op: 'Split', ins: [f(2, 5, 3)], attrs: { axis: attr.int(1), split: attr.ints([1, 4]) }, opset: 11, outputs: 2, want: [[2, 1, 3], [2, 4, 3]] },
  { name: 'Split equal parts', op: 'Split', ins: [f(1, 6, 4)], attrs: { axis: attr.int(1) }, outputs: 3, want: [[1, 2, 4], [1, 2, 4], [1, 2, 4]] },
  { name: 'Split opset 18 num_outputs, uneven', op: 'Split', ins: [f(7, 2)], attrs: { num_outputs: attr.int(3) }, opset: 18, outputs: 3, want: [[3, 2], [3, 2], [1, 2]] },
  // Slice: clamped starts/ends, ceil((end-start)/step)
  { name: 'Slice steps, INT64_MAX end, negative start', op: 'Slice', ins: [f(10, 20), c([1, -5]), c([I64_MAX, 1000]), c([0, 1]), c([2, 1])], want: [[5, 5]] },
  { name: 'Slice negative step to INT64_MIN', op: 'Slice', ins: [f(10, 3), c([-1]), c([-I64_MAX]), c([0]), c([-3])], want: [[4, 3]] },
  { name: 'Slice opset 9 attributes', op: 'Slice', ins: [f(10, 20)], attrs: { starts: attr.ints([0]), ends: attr.ints([3]), axes: attr.ints([1]) }, opset: 9, want: [[10, 3]] },
  { name: 'Slice empty result', op: 'Slice', ins: [f(4, 4), c([3]), c([1]), c([0])], want: [[0, 4]] },
  { name: 'Pad opset 11 pads input', op: 'Pad', ins: [f(1, 2, 5, 5), c([0, 0, 1, 2, 0, 0, 3, 4])], want: [[1, 2, 9, 11]] },
  { name: 'Pad opset 7 attribute, reflect', op: 'Pad', ins: [f(1, 2, 5, 5)], attrs: { pads: attr.ints([0, 0, 2, 2, 0, 0, 2, 2]), mode: attr.string('reflect') }, opset: 7, want: [[1, 2, 9, 9]] },
  { name: 'Pad opset 18 axes', op: 'Pad', ins: [f(1, 2, 5, 5), c([1, 1, 1, 1]), '', c([2, 3])], opset: 18, want: [[1, 2, 7, 7]] },
  { name: 'Resize opset 13 scales', op: 'Resize', ins: [f(1, 3, 5, 7), '', c([1, 1, 2, 2], 'float32')], want: [[1, 3, 10, 14]] },
  { name: 'Resize opset 13 sizes', op: 'Resize', ins: [f(1, 3, 5, 7), '', '', c([1, 3, 9, 9])], want: [[1, 3, 9, 9]] },
  { name: 'Resize opset 10 scales floor', op: 'Resize', ins: [f(1, 3, 5, 7), c([1, 1, 1.5, 1.5], 'float32')], opset: 10, want: [[1, 3, 7, 10]] },
  { name: 'Resize opset 11 empty roi and scales, sizes', op: 'Resize', ins: [f(1, 3, 5, 7), c([], 'float32'), c([], 'float32'), c([1, 3, 2, 4])], opset: 11, want: [[1, 3, 2, 4]] },
  { name: 'Transpose default reverses', op: 'Transpose', ins: [f(2, 3, 4)], want: [[4, 3, 2]] },
  { name: 'DepthToSpace DCR b2', op: 'DepthToSpace', ins: [f(1, 12, 3, 5)], attrs: { blocksize: attr.int(2) }, want: [[1, 3, 6, 10]] },
  { name: 'DepthToSpace CRD b3', op: 'DepthToSpace', ins: [f(2, 18, 4, 3)], attrs: { blocksize: attr.int(3), mode: attr.string('CRD') }, want: [[2, 2, 12, 9]] },
  { name: 'Transpose NCHW→NHWC', op: 'Transpose', ins: [f(1, 3, 5, 7)], attrs: { perm: attr.ints([0, 2, 3, 1]) }, want: [[1, 5, 7, 3]] },
  { name: 'Reshape 0 and -1', op: 'Reshape', ins: [f(2, 3, 4), c([0, -1])], want: [[2, 12]] },
  { name: 'Reshape -1 first', op: 'Reshape', ins: [f(2, 3, 4), c([-1, 3, 2])], want: [[4, 3, 2]] },
  { name: 'Reshape allowzero keeps 0', op: 'Reshape', ins: [f(0, 3), c([3, 0])], attrs: { allowzero: attr.int(1) }, opset: 14, want: [[3, 0]] },
  { name: 'Reshape symbolic batch copied by 0', op: 'Reshape', ins: [f('N', 3, 4), c([0, 12])], want: [['N', 12]] },
  { name: 'Flatten axis 2', op: 'Flatten', ins: [f(2, 3, 4, 5)], attrs: { axis: attr.int(2) }, want: [[6, 20]] },
  { name: 'Flatten axis 0', op: 'Flatten', ins: [f(2, 3, 4, 5)], attrs: { axis: attr.int(0) }, want: [[1, 120]] },
  { name: 'Squeeze opset 11 attribute', op: 'Squeeze', ins: [f(2, 1, 3, 1)], attrs: { axes: attr.ints([1]) }, opset: 11, want: [[2, 3, 1]] },
  { name: 'Squeeze opset 13 input', op: 'Squeeze', ins: [f(2, 1, 3, 1), c([-1])], want: [[2, 1, 3]] },
  { name: 'Squeeze all ones', op: 'Squeeze', ins: [f(1, 2, 1, 3, 1)], want: [[2, 3]] },
  { name: 'Unsqueeze opset 11 attribute', op: 'Unsqueeze', ins: [f(2, 3)], attrs: { axes: attr.ints([0, 3]) }, opset: 11, want: [[1, 2, 3, 1]] },
  { name: 'Unsqueeze opset 13 input, negative', op: 'Unsqueeze', ins: [f(2, 3), c([-1])], want: [[2, 3, 1]] },
  { name: 'Gemm transA transB with C', op: 'Gemm', ins: [f(4, 3), f(5, 4), f(5)], attrs: { transA: attr.int(1), transB: attr.int(1) }, want: [[3, 5]] },
  { name: 'Gemm plain', op: 'Gemm', ins: [f(1, 512), f(512, 10)], want: [[1, 10]] },
  { name: 'MatMul batch broadcast', op: 'MatMul', ins: [f(2, 1, 3, 4), f(5, 4, 6)], want: [[2, 5, 3, 6]] },
  { name: 'MatMul 1-D × 2-D', op: 'MatMul', ins: [f(4), f(4, 6)], want: [[6]] },
  { name: 'MatMul 2-D × 1-D', op: 'MatMul', ins: [f(3, 4), f(4)], want: [[3]] },
  { name: 'ReduceMean axes keepdims', op: 'ReduceMean', ins: [f(1, 3, 5, 7)], attrs: { axes: attr.ints([2, 3]) }, opset: 13, want: [[1, 3, 1, 1]] },
  { name: 'ReduceMean keepdims 0', op: 'ReduceMean', ins: [f(1, 3, 5, 7)], attrs: { axes: attr.ints([-1]), keepdims: attr.int(0) }, opset: 13, want: [[1, 3, 5]] },
  { name: 'ReduceMean opset 18 axes input', op: 'ReduceMean', ins: [f(1, 3, 5, 7), c([1])], opset: 18, want: [[1, 1, 5, 7]] },
  { name: 'ReduceMean all axes', op: 'ReduceMean', ins: [f(2, 3)], opset: 13, want: [[1, 1]] },
  { name: 'Cast', op: 'Cast', ins: [f(2, 3)], attrs: { to: attr.int(7) }, want: [[2, 3]] },
  { name: 'Dropout with mask', op: 'Dropout', ins: [f(2, 3)], outputs: 2, want: [[2, 3], [2, 3]] },
  { name: 'ConstantOfShape', op: 'ConstantOfShape', ins: [c([2, 3])], want: [[2, 3]] },
  { name: 'Shape', op: 'Shape', ins: [f(1, 3, 5, 7)], want: [[4]] },
  { name: 'Shape opset 15 start/end', op: 'Shape', ins: [f(1, 3, 5, 7)], attrs: { start: attr.int(1), end: attr.int(-1) }, opset: 15, want: [[2]] },
  { name: 'Gather axis 1, 2-D indices', op: 'Gather', ins: [f(5, 6), { shape: [2, 2], value: [0, 1, 2, -1] }], attrs: { axis: attr.int(1) }, want: [[5, 2, 2]] },
  { name: 'Gather scalar index', op: 'Gather', ins: [f(4, 3), { shape: [], value: [2] }], want: [[3]] },
];

describe('shape inference, one node at a time', () => {
  it.each(CASES)('$name', ({ op, ins, attrs, opset, outputs, want }) => {
    expect(shapesOf(op, ins, attrs, { opset, outputs })).toEqual(want);
  });
});

describe('dtypes of outputs', () => {
  it('Cast gives the target type; Shape gives int64; MaxPool Indices int64; Dropout mask bool', () => {
    expect(oneNode('Cast', [f(2)], { to: attr.int(6) }).values.get('out0')?.dtype).toBe('int32');
    expect(oneNode('Shape', [f(2)]).values.get('out0')?.dtype).toBe('int64');
    const mp = oneNode('MaxPool', [f(1, 1, 4, 4)], { kernel_shape: attr.ints([2, 2]) }, { outputs: 2 });
    expect([mp.values.get('out0')?.dtype, mp.values.get('out1')?.dtype]).toEqual(['float32', 'int64']);
    const d = oneNode('Dropout', [f(3)], {}, { outputs: 2 });
    expect(d.values.get('out1')?.dtype).toBe('bool');
  });
});

describe('window geometry (SAME padding split)', () => {
  const w = (autoPad: string) => ({ kernel: [3], strides: [2], dilations: [1], pads: [0, 0], autoPad });
  it('SAME_UPPER puts the odd pixel at the end, SAME_LOWER at the beginning', () => {
    // in 14, s 2, k 3: out 7, total padding (7-1)·2 + 3 - 14 = 1
    expect(windowOutput([14], w('SAME_UPPER'))).toEqual({ pads: [0, 1], out: [7] });
    expect(windowOutput([14], w('SAME_LOWER'))).toEqual({ pads: [1, 0], out: [7] });
    expect(windowOutput([13], w('SAME_UPPER'))).toEqual({ pads: [1, 1], out: [7] });
    expect(windowOutput([13], w('VALID'))).toEqual({ pads: [0, 0], out: [6] });
  });
});

describe('refusals name the node and the rule', () => {
  const refuse = (fn: () => unknown, ...parts: string[]) => {
    let err: unknown;
    try { fn(); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(OnnxLoadError);
    for (const p of parts) expect((err as Error).message).toContain(p);
  };
  it.each([
    ['Conv channel mismatch', () => shapesOf('Conv', [f(1, 4, 8, 8), f(8, 3, 3, 3)]), ["node 'n0' (Conv)", 'X has 4 channels']],
    ['Conv group must divide M', () => shapesOf('Conv', [f(1, 6, 8, 8), f(8, 2, 3, 3)], { group: attr.int(3) }), ['group 3']],
    ['Conv kernel_shape disagrees with W', () => shapesOf('Conv', [f(1, 3, 8, 8), f(8, 3, 3, 3)], { kernel_shape: attr.ints([5, 5]) }), ['kernel_shape [5, 5]']],
    ['Conv unknown auto_pad', () => shapesOf('Conv', [f(1, 3, 8, 8), f(8, 3, 3, 3)], { auto_pad: attr.string('SAME') }), ["auto_pad 'SAME'"]],
    ['Conv empty output', () => shapesOf('Conv', [f(1, 3, 2, 2), f(8, 3, 3, 3)]), ['empty']],
    ['Conv attribute of the wrong type', () => shapesOf('Conv', [f(1, 3, 8, 8), f(8, 3, 3, 3)], { group: attr.float(1) }), ["attribute 'group' must be of type int"]],
    ['Add shapes that do not broadcast', () => shapesOf('Add', [f(2, 3), f(4)]), ['do not broadcast']],
    ['Reshape element count', () => shapesOf('Reshape', [f(2, 3, 4), c([5, 5])]), ['has 25 elements where X [2, 3, 4] has 24']],
    ['Reshape shape not known at load', () => shapesOf('Reshape', [f(2, 3, 4), { shape: [2], dtype: 'int64' }]), ["shape (input 1, 'in1') must be known at load"]],
    ['Reshape -1 with a symbolic dim', () => shapesOf('Reshape', [f('N', 3, 4), c([-1, 2])]), ["symbolic dim 'N'", 'inputShapes']],
    ['Squeeze a dim that is not 1', () => shapesOf('Squeeze', [f(2, 3), c([0])]), ['cannot squeeze axis 0']],
    ['Concat axis out of range', () => shapesOf('Concat', [f(2, 3), f(2, 3)], { axis: attr.int(2) }), ['axis 2 is out of range for rank 2']],
    ['Split that does not sum', () => shapesOf('Split', [f(2, 5), c([2, 2])], { axis: attr.int(1) }, { outputs: 2 }), ['does not sum']],
    ['Gather index out of range', () => shapesOf('Gather', [{ shape: [3], value: [1, 2, 3] }, { shape: [], value: [3] }]), ['index 3 is out of range']],
    ['DepthToSpace channels not divisible', () => shapesOf('DepthToSpace', [f(1, 6, 2, 2)], { blocksize: attr.int(2) }), ['blocksize² = 4']],
    ['Transpose bad perm', () => shapesOf('Transpose', [f(2, 3)], { perm: attr.ints([0, 0]) }), ['perm [0, 0]']],
    ['MatMul inner dims', () => shapesOf('MatMul', [f(2, 3), f(4, 5)]), ['inner dims differ']],
    ['Cast to string', () => shapesOf('Cast', [f(2)], { to: attr.int(8) }), ['cast to STRING']],
  ])('%s', (_name, fn, parts) => refuse(fn as () => unknown, ...(parts as string[])));
});

describe('shape subgraphs are folded at load', () => {
  // x [N, 3, H, W] → Shape → Gather(0) → Unsqueeze(0) → Concat(with [-1]) → Reshape(x) : [N, 3·H·W]
  const bytes = writeOnnx({
    opset: 13,
    inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 3, 'H', 'W'] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: ['N', 'K'] }],
    initializers: [tensor('zero', 'int64', [], [0]), tensor('axes0', 'int64', [1], [0]), tensor('minus1', 'int64', [1], [-1])],
    nodes: [
      { opType: 'Shape', inputs: ['x'], outputs: ['s'] },
      { opType: 'Gather', inputs: ['s', 'zero'], outputs: ['n'], attributes: { axis: attr.int(0) } },
      { opType: 'Unsqueeze', inputs: ['n', 'axes0'], outputs: ['n1'] },
      { opType: 'Concat', inputs: ['n1', 'minus1'], outputs: ['target'], attributes: { axis: attr.int(0) } },
      { opType: 'Reshape', inputs: ['x', 'target'], outputs: ['y'] },
    ],
  });
  it('with inputShapes: the target shape is a known int64 tensor and y has its size', () => {
    const g = importOnnx(bytes, { inputShapes: { x: [2, 3, 4, 5] } });
    expect(g.values.get('y')?.shape).toEqual([2, 60]);
    expect(g.outputs[0].shape).toEqual([2, 60]);
    const t = g.folded.get('target');
    expect(t?.dtype).toBe('int64');
    expect(Array.from(t!.data as BigInt64Array)).toEqual([2n, -1n]);
    expect(g.folded.has('y')).toBe(false);
  });
  it('without them: refused, saying which value needs to be known', () => {
    expect(() => importOnnx(bytes)).toThrow(/node 'Reshape_4' \(Reshape\): shape \(input 1, 'target'\) must be known at load/);
  });
  it('binding checks the declared rank and fixed dims', () => {
    expect(() => importOnnx(bytes, { inputShapes: { x: [2, 3, 4] } })).toThrow(/has rank 3; the model declares \[N, 3, H, W\]/);
    expect(() => importOnnx(bytes, { inputShapes: { x: [2, 4, 4, 4] } })).toThrow(/dim 1 must be 3/);
    expect(() => importOnnx(bytes, { inputShapes: { images: [1] } })).toThrow(/'images', which is not a model input \(inputs: 'x'\)/);
  });
});

describe('constant Slice and Transpose are folded with the right values', () => {
  const iota = (n: number) => Array.from({ length: n }, (_, i) => i);
  it('Transpose perm [2, 0, 1] of a [2, 3, 4] constant', () => {
    const g = oneNode('Transpose', [{ shape: [2, 3, 4], value: iota(24) }], { perm: attr.ints([2, 0, 1]) });
    const want: number[] = [];
    for (let k = 0; k < 4; k++) for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) want.push(i * 12 + j * 4 + k);
    const t = g.folded.get('out0')!;
    expect(t.dims).toEqual([4, 2, 3]);
    expect(Array.from(t.data as BigInt64Array, Number)).toEqual(want);
  });
  it('Slice with a negative step and a start past the end of a [4, 5] constant', () => {
    // rows 1, 3 (step 2); columns 4, 2 (start 4, end 0, step -2)
    const g = oneNode('Slice', [{ shape: [4, 5], value: iota(20) }, c([1, 4]), c([4, 0]), c([0, 1]), c([2, -2])]);
    const t = g.folded.get('out0')!;
    expect(t.dims).toEqual([2, 2]);
    expect(Array.from(t.data as BigInt64Array, Number)).toEqual([1 * 5 + 4, 1 * 5 + 2, 3 * 5 + 4, 3 * 5 + 2]);
  });
});

describe('DequantizeLinear of load-time tensors folds (weights of float ops in QDQ models)', () => {
  it('per tensor: (x − zp) · scale in float32', () => {
    const g = oneNode('DequantizeLinear', [{ shape: [5], value: [-128, -1, 0, 7, 127], dtype: 'int8' }, { shape: [], value: [0.1], dtype: 'float32' }, { shape: [], value: [-3], dtype: 'int8' }]);
    const t = g.folded.get('out0')!;
    expect(t.dtype).toBe('float32');
    expect(Array.from(t.data as Float32Array)).toEqual([-125, 2, 3, 10, 130].map((v) => Math.fround(v * Math.fround(0.1))));
  });
  it('per axis (axis 1 of [2, 3, 2])', () => {
    const x = Array.from({ length: 12 }, (_, i) => i - 6);
    const g = oneNode('DequantizeLinear', [{ shape: [2, 3, 2], value: x, dtype: 'int8' }, { shape: [3], value: [1, 2, 4], dtype: 'float32' }, { shape: [3], value: [0, 1, -1], dtype: 'int8' }], { axis: attr.int(1) });
    const want = x.map((v, i) => (v - [0, 1, -1][Math.floor(i / 2) % 3]) * [1, 2, 4][Math.floor(i / 2) % 3]);
    expect(Array.from(g.folded.get('out0')!.data as Float32Array)).toEqual(want);
  });
  it('a run-time x is not folded', () => {
    const g = oneNode('DequantizeLinear', [{ shape: [4], dtype: 'int8' }, { shape: [], value: [0.5], dtype: 'float32' }]);
    expect(g.folded.has('out0')).toBe(false);
  });
});

describe('QuantizeLinear/DequantizeLinear: a 1-element 1-D scale is per tensor (as ONNX Runtime and its quantizer)', () => {
  it('scale [1] on a rank-1 x with the default axis 1, zero point a scalar', () => {
    const g = oneNode('DequantizeLinear', [{ shape: [3], value: [1, 2, 3], dtype: 'int32' }, { shape: [1], value: [0.5], dtype: 'float32' }, { shape: [], value: [0], dtype: 'int32' }]);
    expect(Array.from(g.folded.get('out0')!.data as Float32Array)).toEqual([0.5, 1, 1.5]);
  });
  it('a per-axis scale still needs X\'s dim along the axis, and a zero point of its shape', () => {
    expect(() => oneNode('DequantizeLinear', [{ shape: [2, 3], dtype: 'int8' }, { shape: [2], value: [1, 2], dtype: 'float32' }])).toThrow(/scale \[2\] must have X's dim 1 \(3\) entries/);
    expect(() => oneNode('DequantizeLinear', [{ shape: [2, 3], dtype: 'int8' }, { shape: [3], value: [1, 2, 3], dtype: 'float32' }, { shape: [], value: [0], dtype: 'int8' }])).toThrow(/zero point \[\] must have the scale's shape \[3\]/);
  });
});

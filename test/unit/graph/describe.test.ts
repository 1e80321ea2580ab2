import { describe, expect, it } from 'vitest';
import { describeGraph, formatGraphSummary } from '../../../src/graph/describe.ts';
import { OnnxLoadError } from '../../../src/graph/errors.ts';
import { toSafeIntegers } from '../../../src/graph/ir.ts';
import { importOnnx } from '../../../src/graph/onnx-import.ts';
import { attr, writeOnnx } from '../../../src/graph/onnx-writer.ts';
import { tensor } from './helpers.ts';

describe('describeGraph', () => {
  const g = importOnnx(writeOnnx({
    name: 'tiny', opset: 13,
    inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 2, 4, 4] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: undefined }],
    initializers: [tensor('w', 'float32', [3, 2, 1, 1], [1, 2, 3, 4, 5, 6]), tensor('zero', 'int64', [], [0]), tensor('axes0', 'int64', [1], [0]), tensor('minus1', 'int64', [1], [-1])],
    nodes: [
      { opType: 'Conv', name: 'conv', inputs: ['x', 'w'], outputs: ['c'] },
      { opType: 'Relu', name: 'relu', inputs: ['c'], outputs: ['r'] },
      { opType: 'Shape', name: 'shape', inputs: ['r'], outputs: ['s'] },
      { opType: 'Gather', name: 'gather', inputs: ['s', 'zero'], outputs: ['n'], attributes: { axis: attr.int(0) } },
      { opType: 'Unsqueeze', name: 'unsq', inputs: ['n', 'axes0'], outputs: ['n1'] },
      { opType: 'Concat', name: 'cat', inputs: ['n1', 'minus1'], outputs: ['t'], attributes: { axis: attr.int(0) } },
      { opType: 'Reshape', name: 'flat', inputs: ['r', 't'], outputs: ['y'] },
    ],
  }), { inputShapes: { x: [2, 2, 4, 4] } });

  it('inputs, outputs, op histogram, folded nodes, initializer bytes', () => {
    const s = describeGraph(g);
    expect(s.inputs).toEqual([{ name: 'x', dtype: 'float32', shape: [2, 2, 4, 4] }]);
    expect(s.outputs).toEqual([{ name: 'y', dtype: 'float32', shape: [2, 48] }]);
    expect(s.opHistogram).toEqual({ Concat: 1, Conv: 1, Gather: 1, Relu: 1, Reshape: 1, Shape: 1, Unsqueeze: 1 });
    expect(s.nodes.filter((n) => n.folded).map((n) => n.name)).toEqual(['shape', 'gather', 'unsq', 'cat']);
    expect(s.initializers).toEqual({ count: 4, elements: 6 + 1 + 1 + 1, bytes: 24 + 8 + 8 + 8 });
    expect(s.nodes[0]).toEqual({
      name: 'conv', opType: 'Conv', folded: false,
      inputs: [{ name: 'x', dtype: 'float32', shape: [2, 2, 4, 4] }, { name: 'w', dtype: 'float32', shape: [3, 2, 1, 1] }],
      outputs: [{ name: 'c', dtype: 'float32', shape: [2, 3, 4, 4] }],
    });
    const text = formatGraphSummary(s).split('\n');
    expect(text[0]).toBe("graph 'tiny' (producer 'winoconv'), opsets ai.onnx 13");
    expect(text).toContain('  cat  Concat (folded)  [1] [1] → [2]');
    expect(text).toContain('  flat  Reshape  [2, 3, 4, 4] [2] → [2, 48]');
  });

  it('toSafeIntegers checks the range of int64 values', () => {
    expect(toSafeIntegers(tensor('a', 'int64', [2], [3, -4]), 'a')).toEqual([3, -4]);
    expect(() => toSafeIntegers({ name: 'b', dtype: 'int64', dims: [1], data: new BigInt64Array([2n ** 60n]) }, 'shape b')).toThrow(OnnxLoadError);
    expect(() => toSafeIntegers({ name: 'b', dtype: 'int64', dims: [1], data: new BigInt64Array([2n ** 60n]) }, 'shape b')).toThrow('shape b: element 0 = 1152921504606846976 is not an integer in ±2^53');
  });
});

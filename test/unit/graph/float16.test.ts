/** float16 models: the converter (float16Model) and the runtime's demotion to float32 values with binary16 storage. */
import { describe, expect, it } from 'vitest';
import { demoteFloat16, float16Model } from '../../../src/graph/float16.ts';
import { decodeOnnx, importOnnx } from '../../../src/graph/onnx-import.ts';
import { attr, writeOnnx } from '../../../src/graph/onnx-writer.ts';
import { toNumbers } from '../../../src/graph/ir.ts';
import { roundF16 } from '../../../src/util/float16.ts';

const W = Float32Array.from([0.1, -0.2, 0.3333, 65519, 1e-8, 2, 3, 4, 5]);
const model = writeOnnx({
  opset: 17,
  inputs: [{ name: 'x', dtype: 'float32', shape: [1, 1, 4, 4] }],
  outputs: [{ name: 'y', dtype: 'float32', shape: [1, 1, 8, 8] }],
  initializers: [
    { name: 'w', dtype: 'float32', dims: [1, 1, 3, 3], data: W },
    { name: 'scales', dtype: 'float32', dims: [4], data: Float32Array.from([1, 1, 2, 2]) },
  ],
  nodes: [
    { opType: 'Conv', inputs: ['x', 'w'], outputs: ['c'], attributes: { pads: attr.ints([1, 1, 1, 1]) } },
    { opType: 'Cast', inputs: ['c'], outputs: ['c2'], attributes: { to: attr.int(1) } },
    { opType: 'Resize', inputs: ['c2', '', 'scales'], outputs: ['y'], attributes: { mode: { type: 'string', value: 'nearest' } } },
  ],
});

describe('float16Model', () => {
  it('stores inputs, outputs and weights as float16, keeps Resize scales float32, casts to FLOAT16', () => {
    const g = decodeOnnx(float16Model(model));
    expect(g.inputs[0].dtype).toBe('float16');
    expect(g.outputs[0].dtype).toBe('float16');
    const w = g.initializers.get('w')!;
    expect(w.dtype).toBe('float16');
    expect(toNumbers(w)).toEqual(Array.from(W, roundF16));
    expect(g.initializers.get('scales')!.dtype).toBe('float32');
    expect(g.nodes.find((n) => n.opType === 'Cast')!.attributes.to).toEqual({ type: 'int', value: 10 });
  });
});

describe('demoteFloat16', () => {
  it('makes a float16 graph float32 with the exact binary16 values, and reports it', () => {
    const g = importOnnx(float16Model(model));
    expect(demoteFloat16(g)).toBe(true);
    expect(g.inputs[0].dtype).toBe('float32');
    expect([...g.values.values()].every((v) => v.dtype !== 'float16')).toBe(true);
    const w = g.initializers.get('w')!;
    expect(w.dtype).toBe('float32');
    expect(Array.from(w.data as Float32Array)).toEqual(Array.from(W, roundF16));
    expect(g.nodes.find((n) => n.opType === 'Cast')!.attributes.to).toEqual({ type: 'int', value: 1 });
  });
  it('leaves a float32 graph alone', () => {
    const g = importOnnx(model);
    expect(demoteFloat16(g)).toBe(false);
    expect(g.initializers.get('w')!.data).toEqual(W);
  });
});

import { describe, expect, it } from 'vitest';
import { OnnxLoadError } from '../../../src/graph/errors.ts';
import { importOnnx } from '../../../src/graph/onnx-import.ts';
import { attr, writeOnnx } from '../../../src/graph/onnx-writer.ts';
import { mulberry32, randomF32 } from '../../../src/util/random.ts';
import { tensor } from './helpers.ts';

// A small model with weights, attributes and a shape subgraph: Conv → BatchNormalization → Relu → MaxPool → Reshape
// (target computed from Shape/Gather/Unsqueeze/Concat) → Gemm → Softmax.
function model(): Uint8Array {
  const rng = mulberry32(2024);
  const f32 = (name: string, dims: number[]) => ({ name, dtype: 'float32' as const, dims, data: randomF32(dims.reduce((a, b) => a * b, 1), rng) });
  return writeOnnx({
    opset: 13,
    inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 3, 8, 8] }],
    outputs: [{ name: 'prob', dtype: 'float32', shape: ['N', 5] }],
    initializers: [
      f32('w', [4, 3, 3, 3]), f32('b', [4]), f32('scale', [4]), f32('bias', [4]), f32('mean', [4]), f32('var', [4]),
      f32('fc', [5, 64]), f32('fcb', [5]),
      tensor('zero', 'int64', [], [0]), tensor('axes0', 'int64', [1], [0]), tensor('minus1', 'int64', [1], [-1]),
    ],
    nodes: [
      { opType: 'Conv', name: 'conv', inputs: ['x', 'w', 'b'], outputs: ['c'], attributes: { pads: attr.ints([1, 1, 1, 1]) } },
      { opType: 'BatchNormalization', name: 'bn', inputs: ['c', 'scale', 'bias', 'mean', 'var'], outputs: ['n'], attributes: { epsilon: attr.float(1e-5) } },
      { opType: 'Relu', name: 'relu', inputs: ['n'], outputs: ['r'] },
      { opType: 'MaxPool', name: 'pool', inputs: ['r'], outputs: ['p'], attributes: { kernel_shape: attr.ints([2, 2]), strides: attr.ints([2, 2]) } },
      { opType: 'Shape', name: 'shape', inputs: ['p'], outputs: ['s'] },
      { opType: 'Gather', name: 'gather', inputs: ['s', 'zero'], outputs: ['batch'] },
      { opType: 'Unsqueeze', name: 'unsq', inputs: ['batch', 'axes0'], outputs: ['batch1'] },
      { opType: 'Concat', name: 'cat', inputs: ['batch1', 'minus1'], outputs: ['target'], attributes: { axis: attr.int(0) } },
      { opType: 'Reshape', name: 'flat', inputs: ['p', 'target'], outputs: ['v'] },
      { opType: 'Gemm', name: 'fc', inputs: ['v', 'fc', 'fcb'], outputs: ['logits'], attributes: { transB: attr.int(1) } },
      { opType: 'Softmax', name: 'softmax', inputs: ['logits'], outputs: ['prob'] },
    ],
  });
}

const inputShapes = { x: [2, 3, 8, 8] };

/** Imports the bytes; a refusal must be an OnnxLoadError that names what failed, never another error. */
function outcome(bytes: Uint8Array): 'ok' | string {
  try {
    importOnnx(bytes, { inputShapes });
    return 'ok';
  } catch (e) {
    if (!(e instanceof OnnxLoadError)) throw new Error(`not an OnnxLoadError: ${String(e)}`, { cause: e });
    expect(e.message.length).toBeGreaterThan(10);
    // Wrapped internal errors (a TypeError inside a rule) would mean a check is missing: none allowed.
    expect(e.message).not.toMatch(/^(shape inference failed|malformed ONNX model):/);
    return e.message;
  }
}

describe('corrupted and truncated model bytes', () => {
  const bytes = model();

  it('the intact model imports', () => {
    const g = importOnnx(bytes, { inputShapes });
    expect(g.values.get('prob')?.shape).toEqual([2, 5]);
  });

  it('300 random truncations (seed 7): each is an OnnxLoadError or a smaller valid model, never a crash', () => {
    const rng = mulberry32(7);
    const lengths = [0, 1, 2, bytes.length - 1, ...Array.from({ length: 296 }, () => Math.floor(rng() * bytes.length))];
    const results = lengths.map((n) => ({ n, r: outcome(bytes.subarray(0, n)) }));
    const refused = results.filter((x) => x.r !== 'ok');
    // Almost every cut lands inside a field: the decoder or the checks must notice.
    expect(refused.length).toBeGreaterThan(280);
    expect(results.find((x) => x.n === bytes.length - 1)!.r).not.toBe('ok');
  });

  it('300 random bit flips of 1–3 bits (seed 8): each is an OnnxLoadError or a model that still infers, never a crash', () => {
    const rng = mulberry32(8);
    let refused = 0;
    const t0 = performance.now();
    for (let k = 0; k < 300; k++) {
      const b = bytes.slice();
      const flips = 1 + Math.floor(rng() * 3);
      for (let j = 0; j < flips; j++) b[Math.floor(rng() * b.length)] ^= 1 << Math.floor(rng() * 8);
      if (outcome(b) !== 'ok') refused++;
    }
    // Most flips land in float weights (still a valid model); the rest must be caught. Time bounds a hang.
    expect(refused).toBeGreaterThan(10);
    expect(performance.now() - t0).toBeLessThan(20_000);
  });

  it('a flip in a structural byte gives a message naming the failure', () => {
    const b = bytes.slice();
    b[0] ^= 0xff; // the first field key
    expect(outcome(b)).toMatch(/ONNX decode failed|opset|graph/);
  });
});

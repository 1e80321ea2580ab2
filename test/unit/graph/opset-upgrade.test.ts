/**
 * upgradeOpset (src/graph/opset-upgrade.ts): each rewritten op's new form, the refusals, and equivalence: an opset-9
 * model using every rewritten op gives the same outputs in ONNX Runtime (onnxruntime-web's wasm backend, Node)
 * before and after the upgrade to 10, 11 and 13 (bit for bit: the rewrite moves attributes, not arithmetic).
 */
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { type GraphSpec, attr, writeOnnx } from '../../../src/graph/onnx-writer.ts';
import { upgradeOpset } from '../../../src/graph/opset-upgrade.ts';
import { mulberry32 } from '../../../src/util/random.ts';

ort.env.wasm.numThreads = 1;
ort.env.logLevel = 'error';

/** x [1, 2, 4, 6] → Slice → Clip → Pad → Squeeze/Unsqueeze → Split → ReduceSum → Softmax (last axis) → Dropout. */
function opset9(): GraphSpec {
  return {
    opset: 9,
    inputs: [{ name: 'x', dtype: 'float32', shape: [1, 2, 4, 6] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: undefined }, { name: 'r', dtype: 'float32', shape: undefined }],
    nodes: [
      { opType: 'Slice', name: 'slice', inputs: ['x'], outputs: ['s'], attributes: { starts: attr.ints([1, 1]), ends: attr.ints([4, 6]), axes: attr.ints([2, 3]) } },
      { opType: 'Clip', name: 'clip', inputs: ['s'], outputs: ['c'], attributes: { min: attr.float(-0.5), max: attr.float(0.75) } },
      { opType: 'Pad', name: 'pad', inputs: ['c'], outputs: ['p'], attributes: { pads: attr.ints([0, 0, 1, 0, 0, 0, 0, 2]), value: attr.float(0.25) } },
      { opType: 'Unsqueeze', name: 'unsq', inputs: ['p'], outputs: ['u'], attributes: { axes: attr.ints([0]) } },
      { opType: 'Squeeze', name: 'sq', inputs: ['u'], outputs: ['q'], attributes: { axes: attr.ints([0]) } },
      { opType: 'Split', name: 'split', inputs: ['q'], outputs: ['a', 'b'], attributes: { axis: attr.int(3), split: attr.ints([3, 4]) } },
      { opType: 'ReduceSum', name: 'rsum', inputs: ['b'], outputs: ['r'], attributes: { axes: attr.ints([3]), keepdims: attr.int(1) } },
      { opType: 'Softmax', name: 'sm', inputs: ['a'], outputs: ['m'], attributes: { axis: attr.int(3) } },
      { opType: 'Dropout', name: 'drop', inputs: ['m'], outputs: ['y'], attributes: { ratio: attr.float(0.3) } },
    ],
  };
}

async function run(spec: GraphSpec, x: Float32Array): Promise<Record<string, Float32Array>> {
  const s = await ort.InferenceSession.create(writeOnnx(spec), { executionProviders: ['wasm'], graphOptimizationLevel: 'disabled' });
  try {
    const r = await s.run({ x: new ort.Tensor('float32', x, [1, 2, 4, 6]) });
    return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v.data as Float32Array]));
  } finally {
    await s.release();
  }
}

describe('upgradeOpset', () => {
  it('moves the changed attributes into constant inputs, and names the rewritten nodes', () => {
    const up = upgradeOpset(opset9(), 13, () => 4);
    expect(up.from).toBe(9);
    expect(up.spec.opset).toEqual({ '': 13 });
    expect(up.rewritten).toEqual(['Slice slice', 'Clip clip', 'Pad pad', 'Unsqueeze unsq', 'Squeeze sq', 'Split split', 'ReduceSum rsum', 'Dropout drop']);
    const node = (name: string) => up.spec.nodes.find((n) => n.name === name)!;
    const init = (name: string) => up.spec.initializers!.find((t) => t.name === name)!;
    expect(node('slice').inputs).toEqual(['x', 'slice_starts', 'slice_ends', 'slice_axes']);
    expect(node('slice').attributes).toEqual({});
    expect(Array.from(init('slice_ends').data as BigInt64Array)).toEqual([4n, 6n]);
    expect(node('clip').inputs).toEqual(['s', 'clip_min', 'clip_max']);
    expect(init('clip_max').data[0]).toBe(0.75);
    expect(node('pad').inputs).toEqual(['c', 'pad_pads', 'pad_value']);
    expect(node('split').inputs).toEqual(['q', 'split_split']);
    expect(node('split').attributes).toEqual({ axis: attr.int(3) });
    expect(node('drop').attributes).toEqual({});
    // Softmax on the last axis keeps its meaning: unchanged
    expect(node('sm')).toEqual(opset9().nodes.find((n) => n.name === 'sm'));
    // the input spec is not modified
    expect(opset9().nodes[0].attributes).toHaveProperty('starts');
  });

  it('only rewrites what the target opset changed: 9 → 10 touches Slice, not Clip or Squeeze', () => {
    const up = upgradeOpset(opset9(), 10);
    expect(up.rewritten).toEqual(['Slice slice']);
    expect(upgradeOpset(opset9(), 9).rewritten).toEqual([]);
  });

  it('refuses what it cannot carry over, naming the node and the rule', () => {
    const spec = opset9();
    expect(() => upgradeOpset(spec, 13)).toThrow(/node Softmax sm: below opset 13 Softmax flattens its input to 2-D at axis 3; .*input rank unknown/);
    expect(() => upgradeOpset(spec, 13, () => 5)).toThrow(/input rank 5/);
    const ups = { ...spec, nodes: [{ opType: 'Upsample', name: 'up', inputs: ['x', 'sc'], outputs: ['y'] }] };
    expect(() => upgradeOpset(ups, 10)).toThrow(/node Upsample up: Upsample was removed at opset 10/);
    const rs = { ...spec, opset: 10, nodes: [{ opType: 'Resize', name: 'rz', inputs: ['x', 'sc'], outputs: ['y'] }] };
    expect(() => upgradeOpset(rs, 13)).toThrow(/node Resize rz: Resize's coordinate semantics changed at opset 11/);
    expect(() => upgradeOpset(spec, 14)).toThrow(/target opset 14 is above 13/);
  });

  it('gives ONNX Runtime the same outputs before and after, bit for bit (opset 9 → 10, 11, 13)', async () => {
    const rng = mulberry32(7);
    const x = Float32Array.from({ length: 48 }, () => rng() * 2 - 1);
    const before = await run(opset9(), x);
    for (const target of [10, 11, 13]) {
      const after = await run(upgradeOpset(opset9(), target, () => 4).spec, x);
      expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
      for (const k of Object.keys(before)) expect(Array.from(after[k]), `${k} at opset ${target}`).toEqual(Array.from(before[k]));
    }
  });
});

import { describe, expect, it } from 'vitest';
import { buildConvReluModel, _internal } from '../../../bench/onnx-model.ts';
import { geom } from '../../shapes.ts';

/** An independent protobuf wire-format reader: field number → list of values (varints as numbers, bytes as Uint8Array). */
type Fields = Map<number, (number | Uint8Array)[]>;
function decode(buf: Uint8Array): Fields {
  const out: Fields = new Map();
  let i = 0;
  const readVarint = () => {
    let v = 0;
    let mul = 1;
    for (;;) {
      const b = buf[i++];
      if (b === undefined) throw new Error('truncated varint');
      v += (b & 0x7f) * mul;
      mul *= 128;
      if (b < 0x80) return v;
    }
  };
  while (i < buf.length) {
    const key = readVarint();
    const field = Math.floor(key / 8);
    const wire = key % 8;
    let val: number | Uint8Array;
    if (wire === 0) val = readVarint();
    else if (wire === 2) {
      const n = readVarint();
      val = buf.subarray(i, i + n);
      if (i + n > buf.length) throw new Error('truncated bytes');
      i += n;
    } else throw new Error(`unexpected wire type ${wire}`);
    out.set(field, [...(out.get(field) ?? []), val]);
  }
  return out;
}
const sub = (f: Fields, n: number) => (f.get(n) ?? []).map((b) => decode(b as Uint8Array));
const text = (f: Fields, n: number) => (f.get(n) ?? []).map((b) => new TextDecoder().decode(b as Uint8Array));
const ints = (f: Fields, n: number) => (f.get(n) ?? []) as number[];

describe('ONNX Conv+Relu model encoder', () => {
  it('varints are little-endian base-128', () => {
    expect([..._internal.varint(0)]).toEqual([0]);
    expect([..._internal.varint(300)]).toEqual([0xac, 0x02]);
    expect([..._internal.varint(2 ** 35)]).toEqual([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]);
    expect(() => _internal.varint(-1)).toThrow(/non-negative/);
  });

  it('decodes to a ModelProto with one Conv (X, W, B) → Relu graph, attributes, initializers and shapes', () => {
    const g = geom({ batch: 2, inChannels: 6, outChannels: 4, groups: 2, inHeight: 9, inWidth: 7, strides: [2, 1], pads: [1, 0, 2, 1], dilations: [1, 2] });
    const w = Float32Array.from({ length: 4 * 3 * 3 * 3 }, (_, k) => (k - 50) / 7);
    const bias = Float32Array.from([0.5, -1.25, 3, 1e-3]);
    const m = buildConvReluModel(g, w, bias);
    expect(m.inputDims).toEqual([2, 6, 9, 7]);
    // output: floor((9 + 1 + 2 - 3) / 2) + 1 = 5; floor((7 + 0 + 1 - 5) / 1) + 1 = 4
    expect(m.outputDims).toEqual([2, 4, 5, 4]);

    const model = decode(m.bytes);
    expect(ints(model, 1)).toEqual([8]); // ir_version
    const [opset] = sub(model, 8);
    expect(ints(opset, 2)).toEqual([17]);
    const [graph] = sub(model, 7);
    const nodes = sub(graph, 1);
    expect(nodes.map((n) => text(n, 4)[0])).toEqual(['Conv', 'Relu']);
    expect(text(nodes[0], 1)).toEqual(['X', 'W', 'B']);
    expect(text(nodes[1], 1)).toEqual(text(nodes[0], 2));
    expect(text(nodes[1], 2)).toEqual(['Y']);
    const attrs = Object.fromEntries(sub(nodes[0], 5).map((a) => [text(a, 1)[0], { type: ints(a, 20)[0], ints: ints(a, 8), i: ints(a, 3) }]));
    expect(attrs.kernel_shape).toEqual({ type: 7, ints: [3, 3], i: [] });
    expect(attrs.strides.ints).toEqual([2, 1]);
    expect(attrs.pads.ints).toEqual([1, 0, 2, 1]);
    expect(attrs.dilations.ints).toEqual([1, 2]);
    expect(attrs.group).toEqual({ type: 2, ints: [], i: [2] });

    const inits = Object.fromEntries(sub(graph, 5).map((t) => [text(t, 8)[0], t]));
    expect(ints(inits.W, 1)).toEqual([4, 3, 3, 3]);
    expect(ints(inits.W, 2)).toEqual([1]); // FLOAT
    const raw = (f: Fields) => {
      const b = f.get(9)![0] as Uint8Array;
      return new Float32Array(b.slice().buffer);
    };
    expect([...raw(inits.W)]).toEqual([...w]);
    expect([...raw(inits.B)]).toEqual([...bias]);

    const dims = (vi: Fields) => {
      const [type] = sub(vi, 2);
      const [tensor] = sub(type, 1);
      expect(ints(tensor, 1)).toEqual([1]);
      const [shape] = sub(tensor, 2);
      return sub(shape, 1).map((d) => ints(d, 1)[0]);
    };
    const [input] = sub(graph, 11);
    const [output] = sub(graph, 12);
    expect(text(input, 1)).toEqual(['X']);
    expect(dims(input)).toEqual([2, 6, 9, 7]);
    expect(text(output, 1)).toEqual(['Y']);
    expect(dims(output)).toEqual([2, 4, 5, 4]);
  });

  it('rejects weights or bias of the wrong size', () => {
    const g = geom({ inChannels: 2, outChannels: 3, inHeight: 4, inWidth: 4 });
    expect(() => buildConvReluModel(g, new Float32Array(5), new Float32Array(3))).toThrow(/OIHW 3×2×3×3/);
    expect(() => buildConvReluModel(g, new Float32Array(54), new Float32Array(2))).toThrow(/bias has 2/);
  });
});

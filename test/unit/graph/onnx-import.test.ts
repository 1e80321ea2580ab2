import { describe, expect, it } from 'vitest';
import { OnnxLoadError } from '../../../src/graph/errors.ts';
import { type DType, type Graph, type Tensor, allocate } from '../../../src/graph/ir.ts';
import { decodeOnnx, importOnnx } from '../../../src/graph/onnx-import.ts';
import { onnxType } from '../../../src/graph/onnx-proto.ts';
import { type GraphSpec, attr, graphToSpec, writeOnnx } from '../../../src/graph/onnx-writer.ts';
import { mulberry32 } from '../../../src/util/random.ts';
import { tensor } from './helpers.ts';

function refused(fn: () => unknown): OnnxLoadError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(OnnxLoadError);
    return e as OnnxLoadError;
  }
  throw new Error('expected an OnnxLoadError, got none');
}

/** One tensor of every dtype the IR holds, with edge values (int64 beyond 2^53, negative zero, NaN bits). */
function everyDtype(): Tensor[] {
  const rng = mulberry32(11);
  const t = (name: string, dtype: DType, dims: number[], fill: (i: number) => number | bigint): Tensor => {
    const n = dims.reduce((a, b) => a * b, 1);
    const data = allocate(dtype, n);
    for (let i = 0; i < n; i++) (data as unknown as (number | bigint)[])[i] = fill(i);
    return { name, dtype, dims, data };
  };
  return [
    t('f32', 'float32', [2, 3], (i) => Math.fround((rng() - 0.5) * 10 ** i)),
    t('f64', 'float64', [3], (i) => [Math.PI, -0, 1e300][i]),
    t('f16', 'float16', [4], (i) => [0x3c00, 0x8000, 0x7e00, 0x0001][i]),
    t('bf16', 'bfloat16', [2], (i) => [0x3f80, 0xc000][i]),
    t('i8', 'int8', [3], (i) => [-128, 0, 127][i]),
    t('u8', 'uint8', [3], (i) => [0, 128, 255][i]),
    t('i16', 'int16', [2], (i) => [-32768, 32767][i]),
    t('u16', 'uint16', [2], (i) => [0, 65535][i]),
    t('i32', 'int32', [3], (i) => [-(2 ** 31), 7, 2 ** 31 - 1][i]),
    t('u32', 'uint32', [2], (i) => [0, 2 ** 32 - 1][i]),
    t('i64', 'int64', [4], (i) => [-(2n ** 63n), 2n ** 62n + 1n, -1n, 2n ** 63n - 1n][i]),
    t('u64', 'uint64', [2], (i) => [0n, 2n ** 64n - 1n][i]),
    t('b', 'bool', [3], (i) => [1, 0, 1][i]),
    t('empty', 'float32', [0, 4], () => 0),
    t('scalar', 'int64', [], () => 42n),
  ];
}

function spec(encoding: 'raw' | 'typed'): GraphSpec {
  return {
    name: 'roundtrip',
    opset: { '': 17, 'com.example': 1 },
    producer: 'test',
    tensorEncoding: encoding,
    inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 3, 'H', 7] }, { name: 'y', dtype: 'int64', shape: undefined }],
    outputs: [{ name: 'z', dtype: 'float32', shape: ['N', 8, 5, 5] }],
    initializers: everyDtype(),
    nodes: [
      {
        opType: 'Custom', name: 'everything', domain: 'com.example', inputs: ['x', '', 'f32'], outputs: ['z', 'w'],
        attributes: {
          f: attr.float(Math.fround(0.1)), i: attr.int(-(2 ** 53) + 1), big: attr.int(2 ** 63), s: attr.string('SAME_UPPER ünïcode'),
          t: attr.tensor(tensor('tt', 'float32', [2], [1.5, -2])), fs: attr.floats([1, Math.fround(2.2)]), is: attr.ints([0, -1, 5]),
          ss: attr.strings(['a', '']), ts: { type: 'tensors', value: [tensor('t0', 'int64', [1], [3])] },
        },
      },
      { opType: 'Relu', inputs: ['z'], outputs: ['r'] }, // unnamed: gets 'Relu_1'
    ],
  };
}

function comparable(g: Graph) {
  return {
    name: g.name, opsets: g.opsets, producer: g.producer, inputs: g.inputs, outputs: g.outputs,
    initializers: [...g.initializers.values()], nodes: g.nodes,
  };
}

describe('write → import round trip', () => {
  it.each(['raw', 'typed'] as const)('%s tensor data: the same IR, every dtype and attribute kind', (enc) => {
    const s = spec(enc);
    const g = decodeOnnx(writeOnnx(s));
    expect(g.opsets).toEqual({ '': 17, 'com.example': 1 });
    expect(g.inputs).toEqual(s.inputs);
    expect(g.outputs).toEqual(s.outputs);
    expect([...g.initializers.values()]).toEqual(s.initializers);
    for (const t of g.initializers.values()) expect(t.data.constructor).toBe(s.initializers!.find((u) => u.name === t.name)!.data.constructor);
    expect(g.nodes[0]).toEqual({ ...s.nodes[0], attributes: { ...s.nodes[0].attributes, big: attr.int(2 ** 63) } });
    expect(g.nodes[1].name).toBe('Relu_1');
    expect(g.nodes[1].domain).toBe('');
    // int64 attributes: INT64_MAX comes back as 2^63 (rounded), and is written back as INT64_MAX
    const again = decodeOnnx(writeOnnx(graphToSpec(g)));
    expect(comparable(again)).toEqual(comparable(g));
  });
  it('raw and typed encodings decode to identical tensors', () => {
    const a = decodeOnnx(writeOnnx(spec('raw')));
    const b = decodeOnnx(writeOnnx(spec('typed')));
    expect([...a.initializers.values()]).toEqual([...b.initializers.values()]);
  });
  it('initializers listed as graph inputs are not model inputs', () => {
    const g = importOnnx(writeOnnx({
      opset: 13, initializersAsInputs: true,
      inputs: [{ name: 'x', dtype: 'float32', shape: [1, 2, 4, 4] }],
      outputs: [{ name: 'y', dtype: 'float32', shape: [1, 3, 4, 4] }],
      initializers: [tensor('w', 'float32', [3, 2, 1, 1], [1, 2, 3, 4, 5, 6]), tensor('b', 'float32', [3], [0, 0, 0])],
      nodes: [{ opType: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['y'] }],
    }));
    expect(g.inputs.map((i) => i.name)).toEqual(['x']);
    expect(g.values.get('y')?.shape).toEqual([1, 3, 4, 4]);
    expect(Array.from(g.initializers.get('w')!.data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

function encodeModel(model: object): Uint8Array {
  const t = onnxType('ModelProto');
  return t.encode(t.fromObject(model)).finish();
}

const x = { name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }, { dimValue: 4 }] } } } };
const relu = (name: string) => ({ name, opType: 'Relu', input: ['x'], output: [`${name}_out`] });

describe('node order', () => {
  it('nodes out of topological order (as ORT\'s float16 converter writes input Casts) are sorted stably', () => {
    const spec = (order: number[]) => {
      const nodes = [
        { opType: 'Relu', name: 'r', inputs: ['c'], outputs: ['a'] },
        { opType: 'Sigmoid', name: 'n', inputs: ['a'], outputs: ['b'] },
        { opType: 'Relu', name: 'k', inputs: ['x'], outputs: ['k'] },
        { opType: 'Cast', name: 'cast', inputs: ['x'], outputs: ['c'], attributes: { to: attr.int(1) } },
      ];
      return writeOnnx({ opset: 17, inputs: [{ name: 'x', dtype: 'float32', shape: [2] }], outputs: [{ name: 'b', dtype: 'float32', shape: [2] }, { name: 'k', dtype: 'float32', shape: [2] }], nodes: order.map((i) => nodes[i]) });
    };
    expect(importOnnx(spec([0, 1, 2, 3])).nodes.map((n) => n.name)).toEqual(['k', 'cast', 'r', 'n']);
    // already sorted: untouched
    expect(importOnnx(spec([3, 2, 0, 1])).nodes.map((n) => n.name)).toEqual(['cast', 'k', 'r', 'n']);
  });
  it('a node whose input nothing produces is still refused, by name', () => {
    const e = refused(() => importOnnx(writeOnnx({
      opset: 17, inputs: [{ name: 'x', dtype: 'float32', shape: [2] }], outputs: [{ name: 'b', dtype: 'float32', shape: [2] }],
      nodes: [{ opType: 'Relu', name: 'r', inputs: ['nowhere'], outputs: ['b'] }, { opType: 'Sigmoid', name: 'n', inputs: ['x'], outputs: ['m'] }],
    })));
    expect(e.message).toMatch(/node 'r' \(Relu\): input 0 'nowhere' is not produced before this node \(or by any node\)/);
  });
});

describe('refusals at load', () => {
  it('every unsupported node in one error, with name and op type (and domain)', () => {
    const e = refused(() => importOnnx(writeOnnx({
      opset: { '': 17, 'com.x': 1 },
      inputs: [{ name: 'x', dtype: 'float32', shape: [1, 4] }],
      outputs: [{ name: 'c', dtype: 'float32', shape: undefined }],
      nodes: [
        { opType: 'Relu', name: 'ok', inputs: ['x'], outputs: ['a'] },
        { opType: 'LSTM', name: 'rnn1', inputs: ['a'], outputs: ['b'] },
        { opType: 'Foo', name: 'custom', domain: 'com.x', inputs: ['b'], outputs: ['c'] },
        { opType: 'NonMaxSuppression', inputs: ['c'], outputs: ['d'] },
      ],
    })));
    expect(e.message).toBe("model uses 3 node(s) with unsupported ops: 'rnn1' (LSTM), 'custom' (com.x.Foo), 'NonMaxSuppression_3' (NonMaxSuppression)");
  });
  it.each([6, 22])('default-domain opset %i is refused, naming the supported range', (v) => {
    const e = refused(() => importOnnx(writeOnnx({ opset: v, inputs: [], outputs: [], nodes: [] })));
    expect(e.message).toBe(`default-domain opset ${v} is not supported (supported: 7..21)`);
  });
  it('a model without a default-domain opset is refused', () => {
    expect(refused(() => importOnnx(writeOnnx({ opset: { 'com.x': 1 }, inputs: [], outputs: [], nodes: [] }))).message).toMatch(/no entry for the default domain/);
  });
  it('external data is refused with the tensor name and location', () => {
    const bytes = encodeModel({
      irVersion: 8, opsetImport: [{ domain: '', version: 17 }],
      graph: {
        name: 'g', input: [x], output: [x], node: [],
        initializer: [{ name: 'conv1.weight', dataType: 1, dims: [4], dataLocation: 1, externalData: [{ key: 'location', value: 'weights.bin' }, { key: 'offset', value: '0' }] }],
      },
    });
    expect(refused(() => importOnnx(bytes)).message).toBe("initializer 'conv1.weight' stores its data externally (location 'weights.bin'); external data is not supported");
  });
  it.each([
    ['raw_data too short', { name: 'w', dataType: 1, dims: [2, 3], rawData: new Uint8Array(20) }, "initializer 'w': raw_data has 20 bytes; float32 [2, 3] needs 24"],
    ['typed data too long', { name: 'w', dataType: 7, dims: [2], int64Data: [1, 2, 3] }, "initializer 'w': int64_data has 3 values; [2] needs 2"],
    ['no data at all', { name: 'w', dataType: 1, dims: [3] }, "initializer 'w': float_data has 0 values; [3] needs 3 (no data)"],
    ['string tensor', { name: 'labels', dataType: 8, dims: [1], stringData: [new Uint8Array([65])] }, "initializer 'labels' has data type STRING, which is not supported"],
    ['negative dim', { name: 'w', dataType: 1, dims: [-2] }, "initializer 'w': dim 0 = -2 is not a valid size"],
    ['segment', { name: 'w', dataType: 1, dims: [1], floatData: [1], segment: { begin: 0, end: 1 } }, "initializer 'w' is a segment"],
  ])('%s', (_n, init, message) => {
    const bytes = encodeModel({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph: { name: 'g', input: [x], output: [x], initializer: [init] } });
    expect(refused(() => importOnnx(bytes)).message).toContain(message);
  });
  it.each([
    ['a sequence input', { name: 'seq', type: { sequenceType: { elemType: { tensorType: { elemType: 1 } } } } }, "graph input 'seq' is a sequence value; only dense tensors are supported"],
    ['a complex64 input', { name: 'z', type: { tensorType: { elemType: 14 } } }, "graph input 'z' has element type COMPLEX64, which is not supported"],
  ])('%s', (_n, input, message) => {
    const bytes = encodeModel({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph: { name: 'g', input: [input], output: [] } });
    expect(refused(() => importOnnx(bytes)).message).toBe(message);
  });
  it('graph structure: undefined inputs, redefined outputs, missing outputs, wrong declared output shapes', () => {
    const g = (nodes: object[], output = [x]) => encodeModel({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph: { name: 'g', input: [x], output, node: nodes } });
    expect(refused(() => importOnnx(g([{ name: 'r', opType: 'Relu', input: ['nope'], output: ['y'] }]))).message)
      .toBe("node 'r' (Relu): input 0 'nope' is not produced before this node (or by any node)");
    expect(refused(() => importOnnx(g([relu('a'), { name: 'b', opType: 'Relu', input: ['x'], output: ['a_out'] }]))).message)
      .toBe("node 'b' (Relu): output 'a_out' is already defined");
    const out = { name: 'a_out', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }, { dimValue: 5 }] } } } };
    expect(refused(() => importOnnx(g([relu('a')], [out]))).message)
      .toBe("graph output 'a_out': the model declares shape [1, 5], inference gives [1, 4]");
    expect(refused(() => importOnnx(g([], [{ ...out, name: 'gone' }]))).message).toBe("graph output 'gone' is not produced by any node");
  });
  it('inputs: not bytes, empty bytes, not protobuf', () => {
    expect(refused(() => importOnnx('model.onnx' as unknown as Uint8Array)).message).toMatch(/expected an ArrayBuffer or Uint8Array/);
    expect(refused(() => importOnnx(new Uint8Array(0))).message).toBe('model bytes: empty');
    expect(refused(() => importOnnx(new TextEncoder().encode('{"not": "onnx"}'))).message).toMatch(/^ONNX decode failed|opset/);
  });
  it('accepts an ArrayBuffer as well as a Uint8Array', () => {
    const bytes = writeOnnx({
      inputs: [{ name: 'x', dtype: 'float32', shape: [1, 4] }], outputs: [{ name: 'a_out', dtype: 'float32', shape: [1, 4] }],
      nodes: [{ opType: 'Relu', inputs: ['x'], outputs: ['a_out'] }],
    });
    expect(bytes.constructor).toBe(Uint8Array);
    expect(bytes.byteLength).toBe(bytes.buffer.byteLength);
    expect(importOnnx(bytes.buffer as ArrayBuffer).values.get('a_out')?.shape).toEqual([1, 4]);
  });
});

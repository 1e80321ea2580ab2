/**
 * A one-layer ONNX model, Conv (with bias) → Relu, encoded in memory for the ONNX Runtime Web peer. Pure.
 *
 * A minimal protobuf writer (varints and length-delimited fields) covers the few ModelProto fields this
 * needs; field numbers are those of onnx/onnx.proto (proto2: repeated scalars unpacked). Activations are NCHW,
 * weights OIHW, float32, opset 17, IR version 8.
 */
import { type ConvGeometry } from '../src/conv/types.ts';
import { outputSize } from '../src/conv/geometry.ts';

const WIRE_VARINT = 0;
const WIRE_BYTES = 2;

/** onnx.proto TensorProto.DataType.FLOAT, AttributeProto.AttributeType.INT / INTS. */
export const ONNX_FLOAT = 1;
export const ONNX_ATTR_INT = 2;
export const ONNX_ATTR_INTS = 7;

type Part = Uint8Array;

function varint(v: number): Part {
  if (!Number.isSafeInteger(v) || v < 0) throw new Error(`protobuf varint: ${v} is not a non-negative safe integer`);
  const out: number[] = [];
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return Uint8Array.from(out);
}

function concat(parts: Part[]): Part {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const key = (field: number, wire: number) => varint(field * 8 + wire);
const int = (field: number, v: number): Part => concat([key(field, WIRE_VARINT), varint(v)]);
const bytes = (field: number, b: Part): Part => concat([key(field, WIRE_BYTES), varint(b.length), b]);
const str = (field: number, s: string): Part => bytes(field, new TextEncoder().encode(s));
const msg = (field: number, parts: Part[]): Part => bytes(field, concat(parts));

function float32LE(data: ArrayLike<number>): Part {
  const out = new Uint8Array(data.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
  return out;
}

// TensorShapeProto.Dimension { dim_value = 1 }, TensorShapeProto { dim = 1 }, TypeProto.Tensor { elem_type = 1, shape = 2 },
// TypeProto { tensor_type = 1 }, ValueInfoProto { name = 1, type = 2 }
function valueInfo(field: number, name: string, dims: number[]): Part {
  const shape = dims.map((d) => msg(1, [int(1, d)]));
  return msg(field, [str(1, name), msg(2, [msg(1, [int(1, ONNX_FLOAT), msg(2, shape)])])]);
}

// TensorProto { dims = 1, data_type = 2, name = 8, raw_data = 9 }
function initializer(name: string, dims: number[], data: ArrayLike<number>): Part {
  return msg(5, [...dims.map((d) => int(1, d)), int(2, ONNX_FLOAT), str(8, name), bytes(9, float32LE(data))]);
}

// AttributeProto { name = 1, i = 3, ints = 8, type = 20 }
function attrInts(name: string, values: number[]): Part {
  return msg(5, [str(1, name), ...values.map((v) => int(8, v)), int(20, ONNX_ATTR_INTS)]);
}
function attrInt(name: string, value: number): Part {
  return msg(5, [str(1, name), int(3, value), int(20, ONNX_ATTR_INT)]);
}

// NodeProto { input = 1, output = 2, name = 3, op_type = 4, attribute = 5 }
function node(name: string, op: string, inputs: string[], outputs: string[], attrs: Part[] = []): Part {
  return msg(1, [...inputs.map((s) => str(1, s)), ...outputs.map((s) => str(2, s)), str(3, name), str(4, op), ...attrs]);
}

export interface ConvReluModel {
  bytes: Uint8Array;
  inputName: string;
  outputName: string;
  inputDims: [number, number, number, number];
  outputDims: [number, number, number, number];
}

/**
 * ModelProto for Y = Relu(Conv(X, W, B)) with the geometry's strides, pads [top, left, bottom, right] (ONNX's
 * [x1_begin, x2_begin, x1_end, x2_end] is the same order), dilations and group.
 */
export function buildConvReluModel(g: ConvGeometry, weightOIHW: ArrayLike<number>, bias: ArrayLike<number>, opset = 17): ConvReluModel {
  const cinG = g.inChannels / g.groups;
  const wDims = [g.outChannels, cinG, g.kernelH, g.kernelW];
  if (weightOIHW.length !== wDims.reduce((a, b) => a * b)) throw new Error(`buildConvReluModel: weights have ${weightOIHW.length} values, OIHW ${wDims.join('×')} needs ${wDims.reduce((a, b) => a * b)}`);
  if (bias.length !== g.outChannels) throw new Error(`buildConvReluModel: bias has ${bias.length} values, needs ${g.outChannels}`);
  const { outHeight, outWidth } = outputSize(g);
  const inputDims: ConvReluModel['inputDims'] = [g.batch, g.inChannels, g.inHeight, g.inWidth];
  const outputDims: ConvReluModel['outputDims'] = [g.batch, g.outChannels, outHeight, outWidth];
  // GraphProto { node = 1, name = 2, initializer = 5, input = 11, output = 12 }
  const graph = msg(7, [
    node('conv', 'Conv', ['X', 'W', 'B'], ['conv_out'], [
      attrInts('kernel_shape', [g.kernelH, g.kernelW]),
      attrInts('strides', [...g.strides]),
      attrInts('pads', [...g.pads]),
      attrInts('dilations', [...g.dilations]),
      attrInt('group', g.groups),
    ]),
    node('relu', 'Relu', ['conv_out'], ['Y']),
    str(2, 'winoconv_bench_conv_relu'),
    initializer('W', wDims, weightOIHW),
    initializer('B', [g.outChannels], bias),
    valueInfo(11, 'X', inputDims),
    valueInfo(12, 'Y', outputDims),
  ]);
  // ModelProto { ir_version = 1, producer_name = 2, producer_version = 3, graph = 7, opset_import = 8 }
  // OperatorSetIdProto { domain = 1, version = 2 }
  const model = concat([int(1, 8), str(2, 'winoconv-bench'), str(3, '1'), graph, msg(8, [str(1, ''), int(2, opset)])]);
  return { bytes: model, inputName: 'X', outputName: 'Y', inputDims, outputDims };
}

/** Exposed for tests: the float writer (little-endian, as raw_data requires). */
export const _internal = { varint, float32LE };

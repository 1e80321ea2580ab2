/** The protobufjs message types for onnx.proto (light build: reflection from the JSON descriptor, no .proto parser). */
import { Root, type Type } from 'protobufjs/light.js';
import { ONNX_PROTO_JSON } from './onnx-schema.ts';

let root: Root | undefined;

export function onnxType(name: 'ModelProto' | 'TensorProto' | 'GraphProto' | 'NodeProto'): Type {
  root ??= Root.fromJSON(ONNX_PROTO_JSON);
  return root.lookupType(`onnx.${name}`);
}

/** An int64 as protobufjs decodes it: a number, or a Long when the `long` package is present. */
export type Int64Like = number | { low: number; high: number; unsigned?: boolean };

export function int64ToBigInt(v: Int64Like | null | undefined): bigint {
  if (v === null || v === undefined) return 0n;
  if (typeof v === 'number') return BigInt(v);
  const lo = BigInt(v.low >>> 0);
  const hi = BigInt(v.high >>> 0);
  const u = (hi << 32n) | lo;
  return v.unsigned ? u : BigInt.asIntN(64, u);
}

export function int64ToNumber(v: Int64Like | null | undefined): number {
  return Number(int64ToBigInt(v));
}

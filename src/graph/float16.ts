/**
 * float16 ONNX models in a runtime that stores floats in one format per session (issue 14): after import, every
 * float16 value, input, output, initializer and Constant becomes float32 in the graph (initializers decoded from
 * their binary16 bits, exactly), and Cast to FLOAT16 becomes a cast to FLOAT. The session then stores
 * every float activation as binary16 (SessionOptions.precision 'float16', the default for such a model), so the
 * model computes as written: f16 storage, f32 arithmetic, like ONNX Runtime's CPU kernels on a float16 graph.
 */
import { f16Bits } from '../util/float16.ts';
import { type Graph, type Tensor, toNumbers } from './ir.ts';
import { importOnnx } from './onnx-import.ts';
import { graphToSpec, writeOnnx } from './onnx-writer.ts';

/** ONNX TensorProto data type codes. */
const FLOAT = 1;
const FLOAT16 = 10;

const demoteTensor = (t: Tensor): Tensor => (t.dtype === 'float16' ? { ...t, dtype: 'float32', data: Float32Array.from(toNumbers(t)) } : t);

/** Rewrites a float16 graph as float32 in place (see the module comment); true when anything was float16. */
export function demoteFloat16(g: Graph): boolean {
  let any = false;
  const demote = <T extends { dtype: string }>(v: T): T => {
    if (v.dtype !== 'float16') return v;
    any = true;
    return { ...v, dtype: 'float32' };
  };
  g.inputs = g.inputs.map(demote);
  g.outputs = g.outputs.map(demote);
  for (const [k, v] of g.values) g.values.set(k, demote(v));
  for (const [k, v] of g.declared) g.declared.set(k, demote(v));
  for (const map of [g.initializers, g.folded]) {
    for (const [k, t] of map) {
      if (t.dtype !== 'float16') continue;
      any = true;
      map.set(k, demoteTensor(t));
    }
  }
  for (const n of g.nodes) {
    const to = n.attributes.to;
    if (n.opType === 'Cast' && to?.type === 'int' && to.value === FLOAT16) {
      n.attributes = { ...n.attributes, to: { type: 'int', value: FLOAT } };
      any = true;
    }
    for (const [k, a] of Object.entries(n.attributes)) {
      if (a.type === 'tensor' && a.value.dtype === 'float16') {
        n.attributes = { ...n.attributes, [k]: { type: 'tensor', value: demoteTensor(a.value) } };
        any = true;
      }
    }
  }
  return any;
}

/** Inputs that stay float32 in a float16 model (ONNX types them tensor(float) whatever the data's type). */
const KEEP_FLOAT32: Record<string, number[]> = { Resize: [1, 2], Upsample: [1] };

const toHalfTensor = (t: Tensor): Tensor =>
  t.dtype === 'float32' ? { ...t, dtype: 'float16', data: Uint16Array.from(t.data as Float32Array, f16Bits) } : t;

/**
 * A float32 model as a float16 one, as ONNX Runtime's float16 converter writes it without keeping float32 I/O:
 * float32 inputs, outputs, initializers and Constant / ConstantOfShape tensors become float16 (rounded to nearest
 * even), Cast to FLOAT becomes Cast to FLOAT16; Resize's roi and scales stay float32 (ONNX types them so). What the
 * runtime runs as a float16 model, and the test dirs' fp16 variants (ONNX Runtime computes their expected outputs).
 */
export function float16Model(bytes: Uint8Array, inputShapes: Record<string, readonly number[]> = {}): Uint8Array {
  const g = importOnnx(bytes, { inputShapes });
  const keep = new Set<string>();
  for (const n of g.nodes) for (const i of KEEP_FLOAT32[n.opType] ?? []) if (n.inputs[i]) keep.add(n.inputs[i]);
  const half = <T extends { dtype: string }>(v: T): T => (v.dtype === 'float32' ? { ...v, dtype: 'float16' } : v);
  const spec = graphToSpec(g);
  spec.inputs = spec.inputs.map(half);
  spec.outputs = spec.outputs.map(half);
  spec.initializers = (spec.initializers ?? []).map((t) => (keep.has(t.name) ? t : toHalfTensor(t)));
  spec.nodes = spec.nodes.map((n) => {
    const attributes = { ...(n.attributes ?? {}) };
    if (n.opType === 'Cast' && attributes.to?.type === 'int' && attributes.to.value === FLOAT) attributes.to = { type: 'int', value: FLOAT16 };
    const keepOut = n.outputs.some((o) => keep.has(o));
    // ConstantOfShape without `value` makes float32 zeros: give it a float16 zero.
    if (n.opType === 'ConstantOfShape' && !attributes.value && !keepOut) attributes.value = { type: 'tensor', value: { name: 'value', dtype: 'float16', dims: [1], data: new Uint16Array(1) } };
    for (const [k, a] of Object.entries(attributes)) if (a.type === 'tensor' && !keepOut) attributes[k] = { type: 'tensor', value: toHalfTensor(a.value) };
    return { ...n, attributes };
  });
  return writeOnnx(spec);
}

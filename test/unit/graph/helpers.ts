/** Builders for graph tests: one-node models written with the repo's ONNX writer, imported back. */
import { type Attribute, type DType, type Dim, type Graph, type Tensor, fromNumbers } from '../../../src/graph/ir.ts';
import { importOnnx } from '../../../src/graph/onnx-import.ts';
import { type NodeSpec, writeOnnx } from '../../../src/graph/onnx-writer.ts';

/** A node input: a model input of this shape, or (with `value`) an initializer; '' omits an optional input. */
export interface In {
  shape: Dim[];
  dtype?: DType;
  value?: number[];
}

export function tensor(name: string, dtype: DType, dims: number[], values: number[]): Tensor {
  return fromNumbers(name, dtype, dims, values);
}

/** Builds, writes and imports a model with one node; returns the imported graph. */
export function oneNode(
  opType: string,
  ins: (In | '')[],
  attributes: Record<string, Attribute> = {},
  opts: { opset?: number; outputs?: number; inputShapes?: Record<string, number[]> } = {},
): Graph {
  const inputs: { name: string; dtype: DType; shape: Dim[] }[] = [];
  const initializers: Tensor[] = [];
  const names = ins.map((v, i) => {
    if (v === '') return '';
    const name = `in${i}`;
    if (v.value) initializers.push(tensor(name, v.dtype ?? 'int64', v.shape as number[], v.value));
    else inputs.push({ name, dtype: v.dtype ?? 'float32', shape: v.shape });
    return name;
  });
  const outputs = Array.from({ length: opts.outputs ?? 1 }, (_, i) => `out${i}`);
  const node: NodeSpec = { opType, name: 'n0', inputs: names, outputs, attributes };
  const bytes = writeOnnx({
    opset: opts.opset ?? 17,
    inputs,
    outputs: outputs.map((name) => ({ name, dtype: 'float32', shape: undefined })),
    initializers,
    nodes: [node],
  });
  return importOnnx(bytes, { inputShapes: opts.inputShapes });
}

/** The output shapes of a one-node model. */
export function shapesOf(...args: Parameters<typeof oneNode>): (Dim[] | undefined)[] {
  const g = oneNode(...args);
  return g.nodes[0].outputs.map((o) => g.values.get(o)?.shape);
}

/** A model's summary, for `session.info` and the `winoconv` command: inputs, outputs, opsets, op histogram, per-node shapes. */
import { BYTES_PER_ELEMENT, type Dim, type DType, type Graph, elementCount, formatShape } from './ir.ts';

export interface ValueSummary {
  name: string;
  dtype: DType;
  shape: Dim[] | undefined;
}

export interface NodeSummary {
  name: string;
  opType: string;
  inputs: ValueSummary[];
  outputs: ValueSummary[];
  /** Whether every output is known at load (folded): such nodes need no kernel. */
  folded: boolean;
}

export interface GraphSummary {
  name: string;
  producer: string;
  opsets: Record<string, number>;
  inputs: ValueSummary[];
  outputs: ValueSummary[];
  /** op type → node count, most used first. */
  opHistogram: Record<string, number>;
  nodes: NodeSummary[];
  initializers: { count: number; elements: number; bytes: number };
}

export function describeGraph(graph: Graph): GraphSummary {
  const value = (name: string): ValueSummary => {
    const v = graph.values.get(name);
    return { name, dtype: v?.dtype ?? 'float32', shape: v?.shape };
  };
  const hist = new Map<string, number>();
  for (const n of graph.nodes) hist.set(n.opType, (hist.get(n.opType) ?? 0) + 1);
  let elements = 0;
  let bytes = 0;
  for (const t of graph.initializers.values()) {
    const n = elementCount(t.dims);
    elements += n;
    bytes += n * BYTES_PER_ELEMENT[t.dtype];
  }
  return {
    name: graph.name,
    producer: graph.producer,
    opsets: { ...graph.opsets },
    inputs: graph.inputs.map((v) => value(v.name)),
    outputs: graph.outputs.map((v) => value(v.name)),
    opHistogram: Object.fromEntries([...hist].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))),
    nodes: graph.nodes.map((n) => ({
      name: n.name,
      opType: n.opType,
      inputs: n.inputs.filter((i) => i !== '').map(value),
      outputs: n.outputs.filter((o) => o !== '').map(value),
      folded: n.outputs.every((o) => o === '' || graph.folded.has(o)),
    })),
    initializers: { count: graph.initializers.size, elements, bytes },
  };
}

/** The summary as text: a header, then one line per node (`name  op  inputs → outputs`). */
export function formatGraphSummary(s: GraphSummary): string {
  const v = (x: ValueSummary) => `${x.name}: ${x.dtype}${formatShape(x.shape)}`;
  const lines = [
    `graph '${s.name}' (producer '${s.producer}'), opsets ${Object.entries(s.opsets).map(([d, n]) => `${d || 'ai.onnx'} ${n}`).join(', ')}`,
    `inputs: ${s.inputs.map(v).join(', ')}`,
    `outputs: ${s.outputs.map(v).join(', ')}`,
    `initializers: ${s.initializers.count} (${s.initializers.elements} elements, ${s.initializers.bytes} bytes)`,
    `ops: ${Object.entries(s.opHistogram).map(([k, n]) => `${k} ${n}`).join(', ')}`,
    ...s.nodes.map((n) => `  ${n.name}  ${n.opType}${n.folded ? ' (folded)' : ''}  ${n.inputs.map((x) => formatShape(x.shape)).join(' ')} → ${n.outputs.map((x) => formatShape(x.shape)).join(' ')}`),
  ];
  return lines.join('\n');
}

/**
 * The layout pass and the schedule (pure, no GPU). Convolutions read and write NHWC (the engine's fastest layout
 * here); everything else is addressed through strides, so a value is stored 'nhwc' when a convolution produces or
 * reads it, or when its op follows an 'nhwc' input, and 'contiguous' otherwise (graph inputs and outputs, and
 * everything after a Reshape/Flatten into the classifier). A contiguous value that a convolution reads gets one
 * relayout copy (shared by every convolution that reads it); a convolution's graph output gets one copy back.
 * Integer values (int8, uint8, int32) are always 'contiguous' (row-major in their ONNX shape; runtime-types.ts).
 */
import { type Graph, type Node } from './ir.ts';
import { WINOCONV_DOMAIN } from './shape-inference.ts';
import type { Layout } from './runtime-types.ts';

/** Ops whose output may share the input's storage when both are contiguous (lowerOp returns aliasOf). */
const RESHAPING = new Set(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity', 'Cast', 'Dropout']);

export function isConvNode(n: Node): boolean {
  return (n.domain === '' && n.opType === 'Conv') || (n.domain === WINOCONV_DOMAIN && n.opType === 'FusedConv');
}

/** A scheduled step: a graph node, or a relayout copy the layout pass added. */
export type ScheduleItem =
  | { kind: 'node'; node: Node }
  | { kind: 'relayout'; from: string; to: string; toLayout: Layout };

export interface Schedule {
  items: ScheduleItem[];
  layouts: Map<string, Layout>;
  /** Per graph output: the value whose storage holds it (contiguous). */
  outputValue: Map<string, string>;
  /** Per convolution node: the value it reads as input / residual (after relayouts). */
  convInput: Map<Node, string>;
  convResidual: Map<Node, string>;
}

export function isConstant(g: Graph, name: string): boolean {
  return g.initializers.has(name) || g.folded.has(name);
}

function rank(g: Graph, name: string): number {
  return g.values.get(name)?.shape?.length ?? -1;
}

/** Also adds the relayout copies' values to `g.values`. */
export function scheduleGraph(g: Graph): Schedule {
  const consumers = new Map<string, Node[]>();
  for (const n of g.nodes) for (const i of n.inputs) if (i) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const outputs = new Set(g.outputs.map((o) => o.name));
  const layouts = new Map<string, Layout>();
  for (const inp of g.inputs) layouts.set(inp.name, 'contiguous');
  const convReads = (name: string) => (consumers.get(name) ?? []).some((c) => isConvNode(c) && (c.inputs[0] === name || c.inputs[3] === name));

  for (const n of g.nodes) {
    n.outputs.forEach((o, k) => {
      if (!o) return;
      let layout: Layout = 'contiguous';
      if (isConvNode(n)) layout = 'nhwc';
      else if (rank(g, o) === 4 && !outputs.has(o) && g.values.get(o)?.dtype === 'float32') {
        const data = n.inputs.find((i) => i && !isConstant(g, i));
        const follows = data !== undefined && layouts.get(data) === 'nhwc' && !RESHAPING.has(n.opType);
        if (convReads(o) || follows) layout = 'nhwc';
      }
      void k;
      layouts.set(o, layout);
    });
  }

  const items: ScheduleItem[] = [];
  const converted = new Map<string, string>();
  const convInput = new Map<Node, string>();
  const convResidual = new Map<Node, string>();
  const asNhwc = (name: string): string => {
    if (layouts.get(name) === 'nhwc') return name;
    let to = converted.get(name);
    if (!to) {
      to = `${name}::nhwc`;
      converted.set(name, to);
      g.values.set(to, { ...g.values.get(name)!, name: to });
      layouts.set(to, 'nhwc');
      items.push({ kind: 'relayout', from: name, to, toLayout: 'nhwc' });
    }
    return to;
  };
  for (const n of g.nodes) {
    if (isConvNode(n)) {
      convInput.set(n, asNhwc(n.inputs[0]));
      if (n.inputs[3]) convResidual.set(n, asNhwc(n.inputs[3]));
    }
    items.push({ kind: 'node', node: n });
  }
  const outputValue = new Map<string, string>();
  for (const o of g.outputs) {
    if (layouts.get(o.name) === 'nhwc') {
      const to = `${o.name}::out`;
      layouts.set(to, 'contiguous');
      g.values.set(to, { ...g.values.get(o.name)!, name: to });
      items.push({ kind: 'relayout', from: o.name, to, toLayout: 'contiguous' });
      outputValue.set(o.name, to);
    } else outputValue.set(o.name, o.name);
  }
  return { items, layouts, outputValue, convInput, convResidual };
}

/**
 * Raises a model's default-domain opset (pure, on a GraphSpec), rewriting the ops whose signature changed on the
 * way: what `onnx.version_converter` does for ONNX Runtime's quantizer (quantize_static upgrades an opset < 10 model
 * before it writes QuantizeLinear). Used by `quantizeGraph`: QuantizeLinear needs opset 10, per-axis DequantizeLinear
 * 13. Targets up to 13.
 *
 * Rewritten (attribute → constant input, as the newer opset takes it):
 *   Slice (10: starts, ends, axes)    Clip (11: min, max)     Pad (11: pads, value)     TopK (10: k)
 *   Squeeze, Unsqueeze (13: axes)      Split (13: split)       ReduceSum (13: axes)       Dropout (12: ratio, dropped:
 *                                                                                         inference ignores it)
 *   Softmax, LogSoftmax, Hardmax (13): below 13 they coerce the input to 2-D at `axis`; the same op at 13 only when
 *   axis is the last dimension (checked with `rankOf`), else refused.
 * Refused, with the op named: Upsample (removed at 10), Resize from opset 10 (its coordinate semantics changed at 11),
 * Scan / Loop / If (subgraphs not converted). Every other op keeps its meaning across these opsets.
 */
import type { Attribute, Tensor } from './ir.ts';
import type { GraphSpec, NodeSpec } from './onnx-writer.ts';
import { OnnxLoadError } from './errors.ts';

export interface OpsetUpgrade {
  spec: GraphSpec;
  /** The original default-domain opset. */
  from: number;
  /** Nodes rewritten, as "Slice p2o.Slice.0". */
  rewritten: string[];
}

const int64 = (name: string, values: number[], scalar = false): Tensor => ({
  name, dtype: 'int64', dims: scalar ? [] : [values.length], data: BigInt64Array.from(values.map((v) => BigInt(v))),
});
const float32 = (name: string, v: number): Tensor => ({ name, dtype: 'float32', dims: [], data: Float32Array.of(v) });

function ints(a: Attribute | undefined): number[] | undefined {
  return a && a.type === 'ints' ? a.value : undefined;
}
function num(a: Attribute | undefined): number | undefined {
  return a && (a.type === 'int' || a.type === 'float') ? a.value : undefined;
}

/**
 * `spec` raised to `target` (a copy; the input is not changed). `rankOf(value)` gives a value's rank where known
 * (Softmax's check). Throws OnnxLoadError naming the node when an op cannot be carried over.
 */
export function upgradeOpset(spec: GraphSpec, target: number, rankOf: (name: string) => number | undefined = () => undefined): OpsetUpgrade {
  if (target > 13) throw new OnnxLoadError(`upgradeOpset: target opset ${target} is above 13 (what this converter knows)`);
  const opsets: Record<string, number> = typeof spec.opset === 'number' ? { '': spec.opset } : { ...(spec.opset ?? { '': 17 }) };
  const from = opsets[''] ?? 1;
  if (from >= target) return { spec, from, rewritten: [] };
  const inits: Tensor[] = [...(spec.initializers ?? [])];
  const taken = new Set<string>([...inits.map((t) => t.name), ...spec.nodes.flatMap((n) => [...n.inputs, ...n.outputs])]);
  const fresh = (base: string) => {
    let n = base;
    for (let k = 1; taken.has(n); k++) n = `${base}_${k}`;
    taken.add(n);
    return n;
  };
  const rewritten: string[] = [];
  const crosses = (v: number) => from < v && target >= v;
  const nodes = spec.nodes.map((n): NodeSpec => {
    if ((n.domain ?? '') !== '') return n;
    const id = `${n.opType} ${n.name ?? n.outputs[0]}`;
    const at = { ...(n.attributes ?? {}) };
    const base = n.name || n.outputs[0];
    const constInput = (suffix: string, t: (name: string) => Tensor): string => {
      const name = fresh(`${base}_${suffix}`);
      inits.push(t(name));
      return name;
    };
    const done = (inputs: string[], attributes: Record<string, Attribute>): NodeSpec => {
      rewritten.push(id);
      while (inputs.length && inputs[inputs.length - 1] === '') inputs.pop();
      return { ...n, inputs, attributes };
    };
    switch (n.opType) {
      case 'Upsample':
        if (crosses(10)) throw new OnnxLoadError(`upgradeOpset: node ${id}: Upsample was removed at opset 10; rewrite it as Resize first`);
        return n;
      case 'Resize':
        if (from === 10 && target >= 11) throw new OnnxLoadError(`upgradeOpset: node ${id}: Resize's coordinate semantics changed at opset 11; not converted`);
        return n;
      case 'Scan': case 'Loop': case 'If':
        throw new OnnxLoadError(`upgradeOpset: node ${id}: subgraphs are not converted; convert the model with onnx.version_converter first`);
      case 'Slice': {
        if (!crosses(10)) return n;
        const starts = ints(at.starts);
        const ends = ints(at.ends);
        if (!starts || !ends) throw new OnnxLoadError(`upgradeOpset: node ${id}: opset-${from} Slice needs its starts and ends attributes`);
        const axes = ints(at.axes);
        delete at.starts; delete at.ends; delete at.axes;
        return done([n.inputs[0], constInput('starts', (m) => int64(m, starts)), constInput('ends', (m) => int64(m, ends)), ...(axes ? [constInput('axes', (m) => int64(m, axes))] : [])], at);
      }
      case 'TopK': {
        if (!crosses(10)) return n;
        const k = num(at.k);
        if (k === undefined) throw new OnnxLoadError(`upgradeOpset: node ${id}: opset-${from} TopK needs its k attribute`);
        delete at.k;
        return done([n.inputs[0], constInput('k', (m) => int64(m, [k]))], at);
      }
      case 'Clip': {
        if (!crosses(11)) return n;
        const lo = num(at.min);
        const hi = num(at.max);
        delete at.min; delete at.max;
        return done([n.inputs[0], lo !== undefined ? constInput('min', (m) => float32(m, lo)) : '', hi !== undefined ? constInput('max', (m) => float32(m, hi)) : ''], at);
      }
      case 'Pad': {
        if (!crosses(11)) return n;
        const pads = ints(at.pads);
        if (!pads) throw new OnnxLoadError(`upgradeOpset: node ${id}: opset-${from} Pad needs its pads attribute`);
        const value = num(at.value) ?? 0;
        delete at.pads; delete at.value;
        return done([n.inputs[0], constInput('pads', (m) => int64(m, pads)), ...(value !== 0 ? [constInput('value', (m) => float32(m, value))] : [])], at);
      }
      case 'Dropout': {
        if (!crosses(12) || !at.ratio) return n;
        delete at.ratio; // inference: Dropout is the identity whatever the ratio
        return done([...n.inputs], at);
      }
      case 'Squeeze': case 'Unsqueeze': case 'ReduceSum': {
        if (!crosses(13)) return n;
        const axes = ints(at.axes);
        delete at.axes;
        return done([n.inputs[0], ...(axes ? [constInput('axes', (m) => int64(m, axes))] : [])], at);
      }
      case 'Split': {
        if (!crosses(13)) return n;
        const split = ints(at.split);
        delete at.split;
        return done([n.inputs[0], ...(split ? [constInput('split', (m) => int64(m, split))] : [])], at);
      }
      case 'Softmax': case 'LogSoftmax': case 'Hardmax': {
        if (!crosses(13)) return n;
        const rank = rankOf(n.inputs[0]);
        const axis = num(at.axis) ?? 1;
        const last = rank !== undefined && (axis === rank - 1 || axis === -1);
        if (!last) {
          throw new OnnxLoadError(
            `upgradeOpset: node ${id}: below opset 13 ${n.opType} flattens its input to 2-D at axis ${axis}; the same op at 13 only when that is the last axis (input rank ${rank ?? 'unknown'})`,
          );
        }
        return n;
      }
      default:
        return n;
    }
  });
  opsets[''] = target;
  return { spec: { ...spec, opset: opsets, nodes, initializers: inits }, from, rewritten };
}

/**
 * `winoconv quantize --tapwise`: per-tap Winograd-domain scales for every 3×3 stride-1 Conv of a QDQ model, from the
 * real activations. The float model runs once more on the calibration inputs (a winoconv session); each such Conv's
 * input is quantized with its own QDQ parameters (exactly what QuantizeLinear gives), laid out NHWC, and handed with
 * the layer's int8 weights to `calibrateTapScales` (src/quant/tapwise.ts) for each tap-wise algorithm: F(2×2,3×3),
 * F(4×4,3×3), F(2×1,3×3), F(4×1,3×3); taps whose input transform keeps a nonnegative input nonnegative (after ReLU:
 * zp = the type's minimum) get the unsigned range. The result goes into the model's metadata_props under
 * `winoconv.tapScales`: JSON {format, version, nodes: {<Conv node name>: {<algorithm>: TapScalesJSON}}}, each
 * TapScalesJSON what createConv2d's `tapScales` option reads.
 */
import type { Engine } from '../engine/engine.ts';
import { type CalibrationInput, forEachCalibrationRun } from '../graph/calibrate.ts';
import type { Graph, Tensor } from '../graph/ir.ts';
import type { GraphSpec } from '../graph/onnx-writer.ts';
import { roundHalfEven } from '../graph/quantizer.ts';
import { type TapCalibrationSample, type TapScalesJSON, calibrateTapScales, tapScalesToJSON } from '../quant/tapwise.ts';
import type { Winograd2D } from '../winograd/types.ts';
import { winogradFromName } from '../winograd/winograd-2d.ts';

export const TAPWISE_ALGORITHMS = ['F(2x2,3x3)', 'F(4x4,3x3)', 'F(2x1,3x3)', 'F(4x1,3x3)'] as const;
export { TAP_SCALES_KEY } from '../graph/tapwise-select.ts';

export interface TapwiseLayer {
  node: string;
  /** The float tensor whose QuantizeLinear feeds the Conv. */
  input: string;
  xScale: number;
  xZeroPoint: number;
  inputDtype: 'int8' | 'uint8';
  weights: { data: Int8Array; outChannels: number; inChannels: number; zeroPoint: number[] };
  pads: [number, number, number, number];
}

const ints = (a: unknown): number[] | undefined => ((a as { type?: string })?.type === 'ints' ? (a as { value: number[] }).value : undefined);

/**
 * The 3×3 stride-1, dilation-1, group-1 Convs of a QDQ spec whose input and weights both come from DequantizeLinear
 * of constant-parameter QDQ (what quantizeGraph writes), with what calibration needs; `skipped` says why others
 * (3×3 ones) are left out.
 */
export function tapwiseLayers(spec: GraphSpec): { layers: TapwiseLayer[]; skipped: string[] } {
  const inits = new Map<string, Tensor>((spec.initializers ?? []).map((t) => [t.name, t]));
  const producer = new Map<string, GraphSpec['nodes'][number]>();
  for (const n of spec.nodes) for (const o of n.outputs) producer.set(o, n);
  const layers: TapwiseLayer[] = [];
  const skipped: string[] = [];
  for (const n of spec.nodes) {
    if ((n.domain ?? '') !== '' || n.opType !== 'Conv') continue;
    const name = n.name ?? '';
    const dqW = producer.get(n.inputs[1]);
    const wq = dqW?.opType === 'DequantizeLinear' ? inits.get(dqW.inputs[0]) : undefined;
    if (!wq || wq.dims.length !== 4 || wq.dims[2] !== 3 || wq.dims[3] !== 3) continue;
    const why = (w: string) => skipped.push(`${name}: ${w}`);
    const a = n.attributes ?? {};
    if ((ints(a.strides) ?? [1, 1]).some((v) => v !== 1)) { why('stride ≠ 1'); continue; }
    if ((ints(a.dilations) ?? [1, 1]).some((v) => v !== 1)) { why('dilation ≠ 1'); continue; }
    if (a.group?.type === 'int' && a.group.value !== 1) { why(`group ${a.group.value}`); continue; }
    const autoPad = a.auto_pad?.type === 'string' ? a.auto_pad.value : 'NOTSET';
    let pads: [number, number, number, number];
    if (autoPad === 'NOTSET') {
      const p = ints(a.pads) ?? [0, 0, 0, 0];
      pads = [p[0], p[1], p[2], p[3]];
    } else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') pads = [1, 1, 1, 1];
    else if (autoPad === 'VALID') pads = [0, 0, 0, 0];
    else { why(`auto_pad ${autoPad}`); continue; }
    if (wq.dtype !== 'int8') { why(`weights ${wq.dtype}`); continue; }
    const dqX = producer.get(n.inputs[0]);
    const q = dqX?.opType === 'DequantizeLinear' ? producer.get(dqX.inputs[0]) : undefined;
    const xs = q?.opType === 'QuantizeLinear' ? inits.get(q.inputs[1]) : undefined;
    const xz = q?.opType === 'QuantizeLinear' ? inits.get(q.inputs[2]) : undefined;
    if (!q || !xs || !xz || xs.data.length !== 1 || xz.data.length !== 1 || (xz.dtype !== 'int8' && xz.dtype !== 'uint8')) { why('input is not a per-tensor QuantizeLinear → DequantizeLinear'); continue; }
    const wz = inits.get(dqW!.inputs[2]);
    const [O, C] = wq.dims;
    layers.push({
      node: name,
      input: q.inputs[0],
      xScale: Number(xs.data[0]),
      xZeroPoint: Number(xz.data[0]),
      inputDtype: xz.dtype,
      weights: { data: wq.data as Int8Array, outChannels: O, inChannels: C, zeroPoint: wz ? Array.from(wz.data as Int8Array) : [0] },
      pads,
    });
  }
  return { layers, skipped };
}

/** float NCHW (batch 1 or more) → quantized integers NHWC, as QuantizeLinear computes them (float32 division). */
export function quantizeNhwc(x: Float32Array, dims: readonly number[], scale: number, zp: number, dtype: 'int8' | 'uint8'): TapCalibrationSample {
  const [N, C, H, W] = dims;
  const [lo, hi] = dtype === 'uint8' ? [0, 255] : [-128, 127];
  const out = dtype === 'uint8' ? new Uint8Array(x.length) : new Int8Array(x.length);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      for (let i = 0; i < H * W; i++) {
        const v = Math.min(hi, Math.max(lo, roundHalfEven(Math.fround(x[(n * C + c) * H * W + i] / scale)) + zp));
        out[(n * H * W + i) * C + c] = v;
      }
    }
  }
  return { data: out, batch: N, height: H, width: W };
}

export interface TapwiseDocument {
  format: 'winoconv-model-tap-scales';
  version: 1;
  nodes: Record<string, Record<string, TapScalesJSON>>;
}

/**
 * Runs the float `graph` on `data` (second pass), then calibrates every layer of `tapwiseLayers(spec)` for each
 * tap-wise algorithm (input scales by MSE, calibrateTapScales' default). Progress on `progress`.
 */
export async function calibrateTapwise(engine: Engine, graph: Graph, spec: GraphSpec, data: readonly CalibrationInput[], progress?: (line: string) => void): Promise<{ doc: TapwiseDocument; skipped: string[] }> {
  const { layers, skipped } = tapwiseLayers(spec);
  const byInput = new Map<string, TapwiseLayer[]>();
  for (const l of layers) byInput.set(l.input, [...(byInput.get(l.input) ?? []), l]);
  const samples = new Map<string, TapCalibrationSample[]>();
  const dimsOf = (name: string, k: number): number[] => {
    const v = graph.values.get(name);
    const given = Object.values(data[k].inputs)[0]?.dims;
    if (v?.shape && v.shape.every((d) => typeof d === 'number') && Object.keys(data[k].inputs).length === 1 && data.every((d) => JSON.stringify(Object.values(d.inputs)[0].dims) === JSON.stringify(given))) return v.shape as number[];
    throw new Error(`--tapwise: the shape of '${name}' is not known for calibration input ${data[k].label} (give calibration inputs of one shape)`);
  };
  await forEachCalibrationRun(engine, graph, [...byInput.keys()], data, (name, values, k) => {
    for (const l of byInput.get(name) ?? []) {
      const s = quantizeNhwc(values, dimsOf(name, k), l.xScale, l.xZeroPoint, l.inputDtype);
      samples.set(l.node, [...(samples.get(l.node) ?? []), s]);
    }
  }, progress, 'tap-wise pass');
  const algos = TAPWISE_ALGORITHMS.map((n) => winogradFromName(n) as Winograd2D);
  const nodes: TapwiseDocument['nodes'] = {};
  for (const [i, l] of layers.entries()) {
    const t = performance.now();
    nodes[l.node] = {};
    for (const algo of algos) {
      const s = calibrateTapScales(algo, samples.get(l.node) ?? [], l.weights, { inputDtype: l.inputDtype, xZeroPoint: l.xZeroPoint, pads: l.pads });
      nodes[l.node][algo.name] = tapScalesToJSON(s);
    }
    samples.delete(l.node);
    progress?.(`tap scales ${i + 1}/${layers.length} ${l.node} (${l.weights.outChannels}×${l.weights.inChannels}×3×3, ${l.inputDtype} zp ${l.xZeroPoint}): ${(performance.now() - t).toFixed(0)} ms`);
  }
  return { doc: { format: 'winoconv-model-tap-scales', version: 1, nodes }, skipped };
}

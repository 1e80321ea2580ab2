/**
 * A Winograd-aware quantized layer as a JSON document: learned (float) transforms A, B, G, tap scales, int8
 * weights, int32 bias and the QLinearConv quantization parameters. Such a layer was trained with the Winograd
 * transforms and the tap-wise quantization in the loop, so it is executed exactly like the tap-wise scheme
 * (src/quant/tapwise.ts) with its own matrices instead of Cook-Toom ones.
 *
 * ## Format (version 1)
 * ```jsonc
 * {
 *   "format": "winoconv-winograd-aware-layer",
 *   "version": 1,
 *   "name": "stage2.conv1",                  // optional, any non-empty string
 *   "kernel": [3, 3],                        // [rh, rw], integers 1..7
 *   "tile": [4, 4],                          // [mh, mw], integers 1..8; n = m + r − 1 per axis
 *   "inChannels": 64, "outChannels": 32,     // integers >= 1 (one group, stride 1, dilation 1)
 *   "pads": [1, 1, 1, 1],                    // optional [top, left, bottom, right], integers >= 0; default (r−1)/2 ("same")
 *   "transforms": {                          // learned 1-D transforms per axis (nested 2-D algorithm)
 *     "h": { "AT": [[...]],                  // mh × nh
 *            "G":  [[...]],                  // nh × rh
 *            "BT": [[...]] },                // nh × nh; entries: finite numbers or exact fraction strings ("1/6")
 *     "w": { ... }                           // mw × nw, nw × rw, nw × nw; may be omitted when mw = 1 (direct along W)
 *   },
 *   "input":   { "dtype": "uint8" | "int8", "scale": 0.0157, "zeroPoint": 0 },
 *   "weights": { "dtype": "int8" | "uint8",
 *                "layout": "OIHW" | "HWIO", "shape": [O, C, rh, rw] | [rh, rw, C, O],
 *                "data": [...],              // integers of dtype, row-major in layout
 *                "scale": 0.01 | [per O],    // QLinearConv w_scale, finite > 0
 *                "zeroPoint": 0 | [per O] }, // integers of dtype; default 0
 *   "bias":    { "dtype": "int32", "data": [per O] },   // optional; |b| <= 2^30, in accumulator units x_scale·w_scale[o]
 *   "output":  { "dtype": "int8" | "uint8", "scale": 0.05, "zeroPoint": 0 },
 *   "activation": "linear" | "relu" | "relu6",          // optional, default "linear"; fused as QLinearConv's clamp
 *   "tapScales": {                           // the tap scales of src/quant/tapwise.ts (TapScalesJSON) without
 *     "taps": 36, "outChannels": 32,         //   format/version/algorithm, which the layer implies
 *     "granularity": "tap", "method": "learned",
 *     "inputDtype": ["int8", ...],           // per tap; 'uint8' only on taps whose BT row products are >= 0
 *     "inputScale": [...],                   // per tap, float32 values > 0 (units of x − x_zp)
 *     "weightScale": [[...per tap] per O]    // float32 values > 0 (units of w − w_zp)
 *   }
 * }
 * ```
 * Execution (`runWinogradAwareLayer`): U = Gh·(w − w_zp)·Gwᵀ in float64 → int8 with the tap weight scales, then
 * the steps of tapwise.ts with the learned AT/BT rounded once to float32. Units are those of QLinearConv:
 * the output approximates Σ (x − x_zp)(w − w_zp), requantized with x_scale · w_scale[o] / y_scale.
 *
 * Every validation error is a `ConvDescError` naming the field path, the value and the rule.
 */
import { ConvDescError } from '../conv/validate.ts';
import { QUANT_RANGE, type QuantDType } from './scalar.ts';
import type { WinogradConvShape } from './winograd-stages.ts';
import type { Winograd1D, Winograd2D } from '../winograd/types.ts';
import { directAlgorithm } from '../winograd/cook-toom.ts';
import { userTransform1D, type UserMatrix, type UserTransforms } from '../winograd/user-transform.ts';
import { winograd2D } from '../winograd/winograd-2d.ts';
import { quantizeTapWeights, tapScalesFromJSON, tapScalesToJSON, tapwiseWinogradConv, type TapScales, type TapwiseResult } from './tapwise.ts';

export const WINOGRAD_AWARE_FORMAT = 'winoconv-winograd-aware-layer';

export type WinogradAwareActivation = 'linear' | 'relu' | 'relu6';

export interface QuantTensorParams {
  dtype: QuantDType;
  scale: number;
  zeroPoint: number;
}

export interface WinogradAwareLayer {
  name?: string;
  kernel: [number, number];
  tile: [number, number];
  inChannels: number;
  outChannels: number;
  pads: [number, number, number, number];
  /** The learned matrices as given (numbers or fraction strings); `w` is null when omitted (mw = 1, direct). */
  transforms: { h: UserTransforms; w: UserTransforms | null };
  /** The nested algorithm built from `transforms`. */
  algo: Winograd2D;
  input: QuantTensorParams;
  weights: {
    dtype: QuantDType;
    /** OIHW [O, C, rh, rw]. */
    data: Int32Array;
    /** Per output channel. */
    scale: Float64Array;
    /** Per output channel. */
    zeroPoint: Int32Array;
  };
  /** int32 per output channel, or null. */
  bias: Int32Array | null;
  output: QuantTensorParams;
  activation: WinogradAwareActivation;
  tapScales: TapScales;
}

function fail(field: string, value: unknown, rule: string): never {
  throw new ConvDescError(field, value, rule);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function int(field: string, v: unknown, lo: number, hi: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) fail(field, v, `must be an integer in [${lo}, ${hi}]`);
  return v;
}

function pair(field: string, v: unknown, lo: number, hi: number): [number, number] {
  if (!Array.isArray(v) || v.length !== 2) fail(field, v, `must be [a, b] with integers in [${lo}, ${hi}]`);
  return [int(`${field}[0]`, v[0], lo, hi), int(`${field}[1]`, v[1], lo, hi)];
}

function positive(field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) fail(field, v, 'must be a finite number > 0');
  const f = Math.fround(v);
  if (f === 0 || !Number.isFinite(f)) fail(field, v, 'must stay finite and > 0 in float32');
  return v;
}

function dtype(field: string, v: unknown): QuantDType {
  if (v !== 'uint8' && v !== 'int8') fail(field, v, "must be 'uint8' or 'int8'");
  return v;
}

function quantTensor(field: string, v: unknown): QuantTensorParams {
  if (!isObject(v)) fail(field, v, 'must be an object { dtype, scale, zeroPoint }');
  const dt = dtype(`${field}.dtype`, v.dtype);
  const [lo, hi] = QUANT_RANGE[dt];
  return { dtype: dt, scale: positive(`${field}.scale`, v.scale), zeroPoint: int(`${field}.zeroPoint`, v.zeroPoint ?? 0, lo, hi) };
}

function matrix(field: string, v: unknown, rows: number, cols: number, rule: string): UserMatrix {
  if (!Array.isArray(v) || v.length !== rows) fail(field, v, `must be an array of ${rows} rows (${rule})`);
  return v.map((row: unknown, i) => {
    if (!Array.isArray(row) || row.length !== cols) fail(`${field}[${i}]`, row, `must be an array of ${cols} entries (${rule})`);
    return row.map((e: unknown, j) => {
      if (typeof e === 'number') {
        if (!Number.isFinite(e)) fail(`${field}[${i}][${j}]`, e, 'must be a finite number');
        return e;
      }
      if (typeof e === 'string' && /^\s*-?\d+(\.\d+)?(\s*\/\s*\d+)?\s*$/.test(e) && !/\/\s*0+\s*$/.test(e)) return e.trim();
      return fail(`${field}[${i}][${j}]`, e, 'must be a finite number or an exact fraction string like "1/6"');
    });
  });
}

function transforms1D(field: string, v: unknown, m: number, r: number): UserTransforms {
  if (!isObject(v)) fail(field, v, 'must be an object { AT, G, BT }');
  const n = m + r - 1;
  return {
    AT: matrix(`${field}.AT`, v.AT, m, n, `m × n = ${m} × ${n}`),
    G: matrix(`${field}.G`, v.G, n, r, `n × r = ${n} × ${r}`),
    BT: matrix(`${field}.BT`, v.BT, n, n, `n × n = ${n} × ${n}`),
  };
}

function perChannel(field: string, v: unknown, O: number, check: (f: string, x: unknown) => number): number[] {
  if (typeof v === 'number') return new Array<number>(O).fill(check(field, v));
  if (!Array.isArray(v) || (v.length !== 1 && v.length !== O)) fail(field, v, `must be a number or an array of 1 or ${O} values (one per output channel)`);
  const vals = v.map((x: unknown, i) => check(`${field}[${i}]`, x));
  return vals.length === 1 ? new Array<number>(O).fill(vals[0]) : vals;
}

/** Builds the nested algorithm of a layer from its learned matrices. */
export function winogradAwareAlgorithm(transforms: { h: UserTransforms; w: UserTransforms | null }, kernel: [number, number], tile: [number, number]): Winograd2D {
  const [rh, rw] = kernel;
  const [mh, mw] = tile;
  const h: Winograd1D = userTransform1D(transforms.h, { m: mh, r: rh, name: `F(${mh},${rh})-user` });
  const w: Winograd1D = transforms.w ? userTransform1D(transforms.w, { m: mw, r: rw, name: `F(${mw},${rw})-user` }) : directAlgorithm(rw);
  return winograd2D(h, w);
}

/** Parses and validates a layer document (object or JSON text). */
export function parseWinogradAwareLayer(json: unknown): WinogradAwareLayer {
  let doc = json;
  if (typeof json === 'string') {
    try {
      doc = JSON.parse(json);
    } catch (e) {
      fail('json', json.length > 40 ? `${json.slice(0, 40)}…` : json, `must be valid JSON (${(e as Error).message})`);
    }
  }
  if (!isObject(doc)) fail('layer', doc, 'must be a JSON object');
  if (doc.format !== WINOGRAD_AWARE_FORMAT) fail('format', doc.format, `must be '${WINOGRAD_AWARE_FORMAT}'`);
  if (doc.version !== 1) fail('version', doc.version, 'must be 1');
  if (doc.name !== undefined && (typeof doc.name !== 'string' || doc.name.length === 0)) fail('name', doc.name, 'must be a non-empty string when given');
  const kernel = pair('kernel', doc.kernel, 1, 7);
  const tile = pair('tile', doc.tile, 1, 8);
  const [rh, rw] = kernel;
  const [mh, mw] = tile;
  const C = int('inChannels', doc.inChannels, 1, 65536);
  const O = int('outChannels', doc.outChannels, 1, 65536);
  let pads: [number, number, number, number];
  if (doc.pads === undefined) {
    pads = [Math.floor((rh - 1) / 2), Math.floor((rw - 1) / 2), rh - 1 - Math.floor((rh - 1) / 2), rw - 1 - Math.floor((rw - 1) / 2)];
  } else {
    if (!Array.isArray(doc.pads) || doc.pads.length !== 4) fail('pads', doc.pads, 'must be [top, left, bottom, right]');
    pads = doc.pads.map((p: unknown, i) => int(`pads[${i}]`, p, 0, 64)) as [number, number, number, number];
  }

  if (!isObject(doc.transforms)) fail('transforms', doc.transforms, 'must be an object { h, w }');
  const th = transforms1D('transforms.h', doc.transforms.h, mh, rh);
  let tw: UserTransforms | null = null;
  if (doc.transforms.w === undefined) {
    if (mw !== 1) fail('transforms.w', undefined, `is required when tile[1] (mw) = ${mw} > 1; it may be omitted only for mw = 1 (direct along W)`);
  } else {
    tw = transforms1D('transforms.w', doc.transforms.w, mw, rw);
  }
  const algo = winogradAwareAlgorithm({ h: th, w: tw }, kernel, tile);

  const input = quantTensor('input', doc.input);
  const output = quantTensor('output', doc.output);

  const wj = doc.weights;
  if (!isObject(wj)) fail('weights', wj, 'must be an object { dtype, layout, shape, data, scale, zeroPoint }');
  const wdt = dtype('weights.dtype', wj.dtype);
  const [wlo, whi] = QUANT_RANGE[wdt];
  if (wj.layout !== 'OIHW' && wj.layout !== 'HWIO') fail('weights.layout', wj.layout, "must be 'OIHW' or 'HWIO'");
  const wantShape = wj.layout === 'OIHW' ? [O, C, rh, rw] : [rh, rw, C, O];
  if (!Array.isArray(wj.shape) || wj.shape.length !== 4 || wj.shape.some((d, i) => d !== wantShape[i])) {
    fail('weights.shape', wj.shape, `must be [${wantShape.join(', ')}] (${wj.layout} of outChannels ${O}, inChannels ${C}, kernel ${rh}x${rw})`);
  }
  const count = O * C * rh * rw;
  if (!Array.isArray(wj.data) || wj.data.length !== count) fail('weights.data', Array.isArray(wj.data) ? `array of ${wj.data.length}` : wj.data, `must be an array of ${count} integers`);
  const raw = wj.data.map((v: unknown, i) => int(`weights.data[${i}]`, v, wlo, whi));
  const data = new Int32Array(count);
  if (wj.layout === 'OIHW') data.set(raw);
  else {
    for (let ky = 0; ky < rh; ky++)
      for (let kx = 0; kx < rw; kx++)
        for (let c = 0; c < C; c++) for (let o = 0; o < O; o++) data[((o * C + c) * rh + ky) * rw + kx] = raw[((ky * rw + kx) * C + c) * O + o];
  }
  const wScale = Float64Array.from(perChannel('weights.scale', wj.scale, O, positive));
  const wZero = Int32Array.from(perChannel('weights.zeroPoint', wj.zeroPoint ?? 0, O, (f, x) => int(f, x, wlo, whi)));

  let bias: Int32Array | null = null;
  if (doc.bias !== undefined) {
    const b = doc.bias;
    if (!isObject(b)) fail('bias', b, "must be an object { dtype: 'int32', data }");
    if (b.dtype !== 'int32') fail('bias.dtype', b.dtype, "must be 'int32'");
    if (!Array.isArray(b.data) || b.data.length !== O) fail('bias.data', b.data, `must be an array of ${O} integers (one per output channel)`);
    bias = Int32Array.from(b.data.map((v: unknown, i) => int(`bias.data[${i}]`, v, -(2 ** 30), 2 ** 30)));
  }

  const act = doc.activation ?? 'linear';
  if (act !== 'linear' && act !== 'relu' && act !== 'relu6') fail('activation', act, "must be 'linear', 'relu' or 'relu6'");

  if (!isObject(doc.tapScales)) fail('tapScales', doc.tapScales, 'must be an object (tap scales, see src/quant/tapwise.ts)');
  const tapScales = tapScalesFromJSON(doc.tapScales, algo, 'tapScales.');
  if (tapScales.outChannels !== O) fail('tapScales.outChannels', tapScales.outChannels, `must equal outChannels (${O})`);

  const layer: WinogradAwareLayer = {
    kernel,
    tile,
    inChannels: C,
    outChannels: O,
    pads,
    transforms: { h: th, w: tw },
    algo,
    input,
    weights: { dtype: wdt, data, scale: wScale, zeroPoint: wZero },
    bias,
    output,
    activation: act,
    tapScales,
  };
  if (doc.name !== undefined) layer.name = doc.name as string;
  return layer;
}

/** The layer as a JSON document (weights written OIHW; tap scales without the implied fields). */
export function winogradAwareLayerToJSON(layer: WinogradAwareLayer): Record<string, unknown> {
  const ts = tapScalesToJSON(layer.tapScales);
  const tapScales = {
    taps: ts.taps,
    outChannels: ts.outChannels,
    granularity: ts.granularity,
    method: ts.method,
    inputDtype: ts.inputDtype,
    inputScale: ts.inputScale,
    weightScale: ts.weightScale,
  };
  const O = layer.outChannels;
  const doc: Record<string, unknown> = {
    format: WINOGRAD_AWARE_FORMAT,
    version: 1,
    ...(layer.name !== undefined ? { name: layer.name } : {}),
    kernel: [...layer.kernel],
    tile: [...layer.tile],
    inChannels: layer.inChannels,
    outChannels: O,
    pads: [...layer.pads],
    transforms: {
      h: copyTransforms(layer.transforms.h),
      ...(layer.transforms.w ? { w: copyTransforms(layer.transforms.w) } : {}),
    },
    input: { ...layer.input },
    weights: {
      dtype: layer.weights.dtype,
      layout: 'OIHW',
      shape: [O, layer.inChannels, layer.kernel[0], layer.kernel[1]],
      data: Array.from(layer.weights.data),
      scale: Array.from(layer.weights.scale),
      zeroPoint: Array.from(layer.weights.zeroPoint),
    },
    ...(layer.bias ? { bias: { dtype: 'int32', data: Array.from(layer.bias) } } : {}),
    output: { ...layer.output },
    activation: layer.activation,
    tapScales,
  };
  return doc;
}

function copyTransforms(t: UserTransforms): UserTransforms {
  return { AT: t.AT.map((r) => [...r]), G: t.G.map((r) => [...r]), BT: t.BT.map((r) => [...r]) };
}

/** Runs the layer on an NHWC input of its input type with the tap-wise CPU reference (what a GPU kernel matches). */
export function runWinogradAwareLayer(layer: WinogradAwareLayer, input: ArrayLike<number>, batch: number, height: number, width: number): TapwiseResult {
  const shape: WinogradConvShape = { batch, inHeight: height, inWidth: width, inChannels: layer.inChannels, outChannels: layer.outChannels, pads: layer.pads };
  const weightsQ = quantizeTapWeights(
    layer.algo,
    { data: layer.weights.data, outChannels: layer.outChannels, inChannels: layer.inChannels, zeroPoint: layer.weights.zeroPoint },
    layer.tapScales,
  );
  return tapwiseWinogradConv(
    layer.algo,
    {
      input,
      inputDtype: layer.input.dtype,
      shape,
      xScale: layer.input.scale,
      xZeroPoint: layer.input.zeroPoint,
      weightsQ,
      wScale: layer.weights.scale,
      yScale: layer.output.scale,
      yZeroPoint: layer.output.zeroPoint,
      outputDtype: layer.output.dtype,
      bias: layer.bias ?? undefined,
      activation: { type: layer.activation },
    },
    layer.tapScales,
  );
}

/**
 * Conformance cases (shared/conformance/SCHEMA.md): parsing a case file into a normalized, validated object,
 * and running the CPU reference on it.
 *
 * Normalization:
 * - Geometry is derived from the input and weight shapes and layouts (`geometryFromShapes`). 1-D convs and
 *   unbatched inputs arrive already mapped to 4-D by the schema (H = 1, a leading batch of 1); depthwise convs
 *   arrive re-expressed as `group = C`, HWIO `[kH, kW, 1, C*M]`, checked against `weight.original_shape`.
 * - Float data is rounded through `Math.fround` (float32 cases: the data is uploaded as float32, so fp32(0.1)
 *   is what the engine sees; ONNX values come back bit-exact) or to the nearest float16 (float16 cases); the
 *   flag `float32Rounded` says so. Bias, PReLU slopes, leakyrelu alpha and quantization scales are rounded
 *   the same way. Expected values are kept as written.
 * - Missing strides/dilations/group take ONNX's defaults; missing pads are resolved from `auto_pad`,
 *   `source.onnx_attributes.pads` (2-D order [top, left, bottom, right]; 1-D [begin, end] along W) or `pad_spec`
 *   with the schema's rules, else 0.
 * - `dim_rounding_mode` (tfjs): the output size is mode((in + begin + end − effective kernel) / stride) + 1. When
 *   the expected shape matches that size rather than the floor size, the bottom/right pads are extended so that
 *   the floor formula gives it (the extra positions read zero padding, as tfjs does) and a note says so.
 * - The tolerance suggestion follows "Tolerance suggestion": the case's own atol/rtol when present, otherwise
 *   computed from max_abs_dot (the case's, or computed here with `maxAbsDot`).
 *
 * Malformed cases throw `ConvDescError` naming the field (`input.shape`, `quant.w_scale`, ...), the value and
 * the rule.
 */
import { roundF16 } from '../util/float16.ts';
import type { Activation, ActivationType, Broadcast, BroadcastTensor, ConvGeometry, Layout, WeightLayout } from '../conv/types.ts';
import {
  ConvDescError,
  formatValue,
  geometryFromShapes,
  outputTensorShape,
  requireInteger,
  requireLayout,
  requireWeightLayout,
  validateBroadcast,
  validateShape,
} from '../conv/validate.ts';
import { conv2dReference, maxAbsDot, type ConvOperands } from '../reference/conv2d.ts';
import { convIntegerReference, qlinearConvReference, roundHalfEven, type QuantDType } from '../reference/integer.ts';
import { effectiveKernel } from '../conv/geometry.ts';

export type OpKind = 'conv' | 'conv_integer' | 'qlinear_conv' | 'fused_conv';
export type CaseVariant = 'conv2d' | 'depthwise' | 'conv1d';
export type DimRoundingMode = 'floor' | 'round' | 'ceil';

export interface CaseTensor {
  shape: number[];
  dtype: string;
  data: Float64Array;
}

export interface CaseWeight extends CaseTensor {
  layout: WeightLayout;
  /** Depthwise cases: the tfjs filter shape `[kH, kW, C, M]` before re-expression. */
  originalShape?: number[];
  originalLayout?: string;
}

export interface CaseBroadcastTensor extends BroadcastTensor {
  shape: number[];
  data: Float64Array;
  dtype: string;
}

export interface CaseQuant {
  /** qlinear_conv only. */
  xScale?: number;
  xZeroPoint: number;
  /** qlinear_conv only: one value (per tensor) or one per output channel. */
  wScale?: number[];
  /** One value (per tensor) or one per output channel. */
  wZeroPoint: number[];
  wQuantAxis: 0 | null;
  /** qlinear_conv only. */
  yScale?: number;
  yZeroPoint: number;
  xZeroPointDtype?: string;
  wZeroPointDtype?: string;
  yZeroPointDtype?: string;
}

export interface AtolRtol {
  atol: number;
  rtol: number;
  /** `case`: the numbers in the case file; `schema`: computed with SCHEMA.md's rule. */
  from: 'case' | 'schema';
}

export type CaseTolerance =
  | {
      kind: 'float';
      fp32: AtolRtol;
      fp16: AtolRtol;
      /** max over outputs of Σ|x·w| + |bias|, computed here from the (rounded) data. */
      maxAbsDot: number;
      /** The case's own `tolerance.max_abs_dot`, if any (often rounded to 2 significant digits). */
      caseMaxAbsDot?: number;
    }
  | {
      kind: 'exact';
      /** LSB difference the schema notes as a fallback: 1 for qlinear_conv, 0 for conv_integer. */
      fallbackLsb: number;
    };

export interface ConformanceCase {
  id: string;
  op: OpKind;
  variant?: CaseVariant;
  /** Layout of input and expected output. */
  layout: Layout;
  geometry: ConvGeometry;
  /** Shape of the output in `layout`. */
  outputShape: [number, number, number, number];
  input: CaseTensor;
  weight: CaseWeight;
  bias?: CaseBroadcastTensor;
  activation: Activation;
  quant?: CaseQuant;
  expected: CaseTensor;
  tolerance: CaseTolerance;
  /** Float data (input, weight, bias, PReLU slopes) went through Math.fround (or float16 rounding). */
  float32Rounded: boolean;
  dimRoundingMode?: DimRoundingMode;
  autoPad?: string;
  padSpec?: unknown;
  /** The case's notes, then the parser's (e.g. pads extended for dim_rounding_mode). */
  notes: string[];
  summary?: string;
  source?: Record<string, unknown>;
  convertedFrom?: unknown;
  sourceTolerance?: number;
}

const OPS: readonly OpKind[] = ['conv', 'conv_integer', 'qlinear_conv', 'fused_conv'];
const VARIANTS: readonly CaseVariant[] = ['conv2d', 'depthwise', 'conv1d'];
const ACTIVATIONS: readonly ActivationType[] = ['linear', 'relu', 'relu6', 'elu', 'prelu', 'leakyrelu', 'sigmoid'];
const BROADCASTS: readonly Broadcast[] = ['channel', 'scalar', 'numpy'];
const ROUNDING: readonly DimRoundingMode[] = ['floor', 'round', 'ceil'];
const FLOAT_DTYPES = ['float32', 'float16', 'float64'];
const INT_RANGE: Record<string, readonly [number, number]> = {
  uint8: [0, 255],
  int8: [-128, 127],
  uint16: [0, 65535],
  int16: [-32768, 32767],
  int32: [-(2 ** 31), 2 ** 31 - 1],
};

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function requireObject(field: string, v: unknown): Json {
  if (!isObject(v)) throw new ConvDescError(field, v, 'must be an object');
  return v;
}

function requireOneOf<T extends string>(field: string, v: unknown, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !allowed.includes(v as T)) {
    throw new ConvDescError(field, v, `must be one of ${allowed.map((a) => `'${a}'`).join(', ')}`);
  }
  return v as T;
}

function requireFinite(field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ConvDescError(field, v, 'must be a finite number');
  return v;
}

function requireNumbers(field: string, v: unknown): number[] {
  if (!Array.isArray(v)) throw new ConvDescError(field, v, 'must be an array of numbers');
  return v.map((x, i) => requireFinite(`${field}[${i}]`, x));
}

/** A number, or an array holding numbers (quant parameters are written as `[s]`). */
function numberList(field: string, v: unknown): number[] {
  if (typeof v === 'number') return [requireFinite(field, v)];
  const list = requireNumbers(field, v);
  if (list.length === 0) throw new ConvDescError(field, v, 'must hold at least one value');
  return list;
}

function single(field: string, v: unknown): number {
  const list = numberList(field, v);
  if (list.length !== 1) throw new ConvDescError(field, v, 'must hold exactly one value (per tensor)');
  return list[0];
}

/** Rounds to the nearest float16 value (ties to even), as fp16 storage does (src/util/float16.ts). */
export const roundToFloat16 = roundF16;

function isFloatDtype(dtype: string): boolean {
  return FLOAT_DTYPES.includes(dtype);
}

/** Converts JSON data to float64 values as the engine will see them, checking integer ranges. */
function convertData(field: string, values: number[], dtype: string): Float64Array {
  const out = new Float64Array(values.length);
  if (isFloatDtype(dtype)) {
    const round = dtype === 'float32' ? Math.fround : dtype === 'float16' ? roundToFloat16 : (v: number) => v;
    values.forEach((v, i) => (out[i] = round(v)));
    return out;
  }
  const range = INT_RANGE[dtype];
  if (!range) throw new ConvDescError(`${field.replace(/\.data$/, '')}.dtype`, dtype, `must be one of ${[...FLOAT_DTYPES, ...Object.keys(INT_RANGE)].join(', ')}`);
  values.forEach((v, i) => {
    if (!Number.isInteger(v) || v < range[0] || v > range[1]) {
      throw new ConvDescError(`${field}[${i}]`, v, `must be an integer in the ${dtype} range [${range[0]}, ${range[1]}]`);
    }
    out[i] = v;
  });
  return out;
}

function parseTensor(field: string, raw: unknown, rank: number, meaning: string, defaultDtype?: string): CaseTensor {
  const t = requireObject(field, raw);
  const shape = validateShape(`${field}.shape`, t.shape, rank, meaning);
  const dtype = t.dtype === undefined && defaultDtype ? defaultDtype : t.dtype;
  if (typeof dtype !== 'string') throw new ConvDescError(`${field}.dtype`, dtype, 'must be a dtype name such as "float32" or "uint8"');
  const values = requireNumbers(`${field}.data`, t.data);
  const want = shape.reduce((a, b) => a * b, 1);
  if (values.length !== want) {
    throw new ConvDescError(`${field}.data.length`, values.length, `must equal the product of ${field}.shape ${formatValue(shape)} = ${want}`);
  }
  return { shape, dtype, data: convertData(`${field}.data`, values, dtype) };
}

/** Bias or PReLU slopes: any rank up to 4, with a broadcast rule (inferred when absent). */
function parseBroadcastTensor(field: string, raw: unknown, defaultDtype: string, outShape: number[], outChannels: number): CaseBroadcastTensor {
  const t = requireObject(field, raw);
  if (!Array.isArray(t.shape)) throw new ConvDescError(`${field}.shape`, t.shape, 'must be an array of at most 4 dimensions');
  const tensor = parseTensor(field, raw, t.shape.length, '', defaultDtype);
  const size = tensor.data.length;
  const broadcast: Broadcast =
    t.broadcast === undefined
      ? size === 1
        ? 'scalar'
        : tensor.shape.length === 1 && size === outChannels
          ? 'channel'
          : 'numpy'
      : requireOneOf(`${field}.broadcast`, t.broadcast, BROADCASTS);
  const out: CaseBroadcastTensor = { ...tensor, broadcast };
  validateBroadcast(field, out, outShape, outChannels);
  return out;
}

/** SCHEMA.md "Pads": total = max((ceil(in/s) − 1)·s + (k−1)·d + 1 − in, 0); the begin side gets the smaller half (upper). */
export function samePads(inSize: number, k: number, s: number, d: number, lower: boolean): [number, number] {
  const total = Math.max((Math.ceil(inSize / s) - 1) * s + (k - 1) * d + 1 - inSize, 0);
  const small = Math.floor(total / 2);
  return lower ? [total - small, small] : [small, total - small];
}

interface Dims {
  h: number;
  w: number;
  kh: number;
  kw: number;
}

function resolvePads(c: Json, layout: Layout, dims: Dims, strides: number[], dilations: number[]): number[] {
  if (c.pads !== undefined) return requireNumbers('pads', c.pads);
  const same = (lower: boolean): number[] => {
    const [t, b] = samePads(dims.h, dims.kh, strides[0], dilations[0], lower);
    const [l, r] = samePads(dims.w, dims.kw, strides[1], dilations[1], lower);
    return [t, l, b, r];
  };
  if (c.auto_pad !== undefined && c.auto_pad !== 'NOTSET') {
    const mode = requireOneOf('auto_pad', c.auto_pad, ['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'] as const);
    return mode === 'VALID' ? [0, 0, 0, 0] : same(mode === 'SAME_LOWER');
  }
  const attrs = isObject(c.source) && isObject(c.source.onnx_attributes) ? c.source.onnx_attributes : undefined;
  if (attrs?.pads !== undefined) {
    const p = requireNumbers('source.onnx_attributes.pads', attrs.pads);
    if (p.length === 4) return p;
    if (p.length === 2) return [0, p[0], 0, p[1]];
    throw new ConvDescError('source.onnx_attributes.pads', p, 'must hold [x1_begin, x2_begin, x1_end, x2_end] (2-D) or [begin, end] (1-D)');
  }
  const spec = c.pad_spec;
  if (spec === undefined || spec === 'valid') return [0, 0, 0, 0];
  if (spec === 'same') return same(false);
  if (typeof spec === 'number') return [spec, spec, spec, spec];
  const rule = "must be 'same', 'valid', a number or [[0,0],[t,b],[l,r],[0,0]] in the case's layout";
  if (!Array.isArray(spec) || spec.length !== 4 || !spec.every((p) => Array.isArray(p) && p.length === 2)) {
    throw new ConvDescError('pad_spec', spec, rule);
  }
  const [hi, wi] = layout === 'NHWC' ? [1, 2] : [2, 3];
  const [t, b] = spec[hi] as unknown[];
  const [l, r] = spec[wi] as unknown[];
  return [t, l, b, r].map((p, i) => requireFinite(`pad_spec (resolved pads[${i}])`, p));
}

/** Output size along one axis with tfjs' dim rounding ('floor' is convOutputDim of src/conv/geometry.ts). */
function roundedOutSize(inSize: number, begin: number, end: number, k: number, d: number, s: number, mode: DimRoundingMode): number {
  const span = (inSize + begin + end - effectiveKernel(k, d)) / s;
  const round = mode === 'floor' ? Math.floor : mode === 'ceil' ? Math.ceil : Math.round;
  return round(span) + 1;
}

/**
 * Checks the expected output shape; with a dim rounding mode whose size the expected shape matches, extends the
 * bottom/right pads so that the standard (floor) formula gives that size.
 */
function fitExpectedShape(g: ConvGeometry, layout: Layout, expectedShape: number[], mode: DimRoundingMode | undefined, notes: string[]): ConvGeometry {
  const same = (a: readonly number[]) => a.length === expectedShape.length && a.every((v, i) => v === expectedShape[i]);
  const floorShape = outputTensorShape(g, layout);
  if (same(floorShape)) return g;
  if (mode !== undefined && mode !== 'floor') {
    const oh = roundedOutSize(g.inHeight, g.pads[0], g.pads[2], g.kernelH, g.dilations[0], g.strides[0], mode);
    const ow = roundedOutSize(g.inWidth, g.pads[1], g.pads[3], g.kernelW, g.dilations[1], g.strides[1], mode);
    const bottom = Math.max(g.pads[2], (oh - 1) * g.strides[0] + effectiveKernel(g.kernelH, g.dilations[0]) - g.inHeight - g.pads[0]);
    const right = Math.max(g.pads[3], (ow - 1) * g.strides[1] + effectiveKernel(g.kernelW, g.dilations[1]) - g.inWidth - g.pads[1]);
    const extended: ConvGeometry = { ...g, pads: [g.pads[0], g.pads[1], bottom, right] };
    if (same(outputTensorShape(extended, layout))) {
      notes.push(
        `dim_rounding_mode '${mode}': output ${oh}x${ow} instead of the floor size; pads (t,l,b,r) extended from ` +
          `${g.pads.join(',')} to ${extended.pads.join(',')} (the extra positions read zero padding, as tfjs does)`,
      );
      return extended;
    }
  }
  const how = mode ? ` (dim_rounding_mode '${mode}')` : '';
  throw new ConvDescError('expected.shape', expectedShape, `must equal the output shape ${formatValue(floorShape)} in ${layout}${how}`);
}

function parseActivation(raw: unknown, op: OpKind, floatRound: (v: number) => number, outShape: number[], outChannels: number): Activation {
  if (raw === undefined || raw === null) return { type: 'linear' };
  const a = requireObject('activation', raw);
  const type = requireOneOf('activation.type', a.type, ACTIVATIONS);
  const allowed: readonly ActivationType[] =
    op === 'conv_integer' ? ['linear'] : op === 'qlinear_conv' ? ['linear', 'relu', 'relu6'] : ACTIVATIONS;
  if (!allowed.includes(type)) throw new ConvDescError('activation.type', type, `op '${op}' allows only ${allowed.join(', ')}`);
  if (type === 'leakyrelu') return { type, alpha: floatRound(a.alpha === undefined ? 0.2 : requireFinite('activation.alpha', a.alpha)) };
  if (type === 'prelu') {
    if (a.prelu_weights === undefined) throw new ConvDescError('activation.prelu_weights', undefined, "is required for activation 'prelu'");
    const w = parseBroadcastTensor('activation.prelu_weights', a.prelu_weights, 'float32', outShape, outChannels);
    return { type, preluWeights: { ...w, data: w.data.map(floatRound) } };
  }
  return { type };
}

function zeroPoint(field: string, v: unknown, dtype: string | undefined): number[] {
  const list = v === undefined ? [0] : numberList(field, v);
  const range = dtype ? INT_RANGE[dtype] : undefined;
  list.forEach((z, i) => {
    const at = list.length === 1 && !Array.isArray(v) ? field : `${field}[${i}]`;
    if (!Number.isInteger(z)) throw new ConvDescError(at, z, 'must be an integer');
    if (range && (z < range[0] || z > range[1])) throw new ConvDescError(at, z, `must be in the ${dtype} range [${range[0]}, ${range[1]}]`);
  });
  return list;
}

function perChannelList(field: string, list: number[], outChannels: number): number[] {
  if (list.length !== 1 && list.length !== outChannels) {
    throw new ConvDescError(field, list, `must hold 1 value (per tensor) or ${outChannels} values (one per output channel)`);
  }
  return list;
}

function optionalDtype(field: string, v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || !INT_RANGE[v]) throw new ConvDescError(field, v, `must be one of ${Object.keys(INT_RANGE).join(', ')}`);
  return v;
}

function parseQuant(raw: unknown, op: OpKind, c: { input: CaseTensor; weight: CaseTensor; expected: CaseTensor; outChannels: number }): CaseQuant {
  const q = requireObject('quant', raw);
  const xzDtype = optionalDtype('quant.x_zero_point_dtype', q.x_zero_point_dtype);
  const wzDtype = optionalDtype('quant.w_zero_point_dtype', q.w_zero_point_dtype);
  const yzDtype = optionalDtype('quant.y_zero_point_dtype', q.y_zero_point_dtype);
  const axis = q.w_quant_axis ?? null;
  if (axis !== null && axis !== 0) throw new ConvDescError('quant.w_quant_axis', axis, 'must be null (per tensor) or 0 (per output channel)');
  const xz = zeroPoint('quant.x_zero_point', q.x_zero_point, xzDtype ?? c.input.dtype);
  if (xz.length !== 1) throw new ConvDescError('quant.x_zero_point', q.x_zero_point, 'must hold exactly one value (per tensor)');
  const wz = perChannelList('quant.w_zero_point', zeroPoint('quant.w_zero_point', q.w_zero_point, wzDtype ?? c.weight.dtype), c.outChannels);
  if (axis === null && wz.length !== 1 && c.outChannels !== 1) {
    throw new ConvDescError('quant.w_zero_point', wz, 'must hold one value when w_quant_axis is null (per tensor)');
  }
  const quant: CaseQuant = {
    xZeroPoint: xz[0],
    wZeroPoint: wz,
    wQuantAxis: axis,
    yZeroPoint: 0,
    xZeroPointDtype: xzDtype,
    wZeroPointDtype: wzDtype,
    yZeroPointDtype: yzDtype,
  };
  if (op !== 'qlinear_conv') return quant;
  const scale = (field: string, v: number) => {
    if (!(v > 0)) throw new ConvDescError(field, v, 'must be a finite number > 0');
    return Math.fround(v);
  };
  for (const key of ['x_scale', 'w_scale', 'y_scale'] as const) {
    if (q[key] === undefined) throw new ConvDescError(`quant.${key}`, undefined, 'is required for qlinear_conv');
  }
  quant.xScale = scale('quant.x_scale', single('quant.x_scale', q.x_scale));
  quant.wScale = perChannelList('quant.w_scale', numberList('quant.w_scale', q.w_scale), c.outChannels).map((s, i) => scale(`quant.w_scale[${i}]`, s));
  if (axis === null && quant.wScale.length !== 1 && c.outChannels !== 1) {
    throw new ConvDescError('quant.w_scale', quant.wScale, 'must hold one value when w_quant_axis is null (per tensor)');
  }
  quant.yScale = scale('quant.y_scale', single('quant.y_scale', q.y_scale));
  if (yzDtype !== undefined && yzDtype !== c.expected.dtype) {
    throw new ConvDescError('quant.y_zero_point_dtype', yzDtype, `must equal expected.dtype (${c.expected.dtype})`);
  }
  const yz = zeroPoint('quant.y_zero_point', q.y_zero_point, c.expected.dtype);
  if (yz.length !== 1) throw new ConvDescError('quant.y_zero_point', q.y_zero_point, 'must hold exactly one value (per tensor)');
  quant.yZeroPoint = yz[0];
  return quant;
}

function isTfjs(id: string, source: Json | undefined): boolean {
  return id.startsWith('tfjs_') || (typeof source?.repo === 'string' && source.repo.startsWith('tensorflow/'));
}

function caseAtolRtol(raw: unknown, field: string): { atol: number; rtol: number } | undefined {
  if (!isObject(raw)) return undefined;
  if (raw.atol === undefined && raw.rtol === undefined) return undefined;
  const atol = requireFinite(`${field}.atol`, raw.atol);
  const rtol = requireFinite(`${field}.rtol`, raw.rtol);
  if (atol < 0) throw new ConvDescError(`${field}.atol`, atol, 'must be >= 0');
  if (rtol < 0) throw new ConvDescError(`${field}.rtol`, rtol, 'must be >= 0');
  return { atol, rtol };
}

/** SCHEMA.md "Tolerance suggestion" for float ops. */
export function schemaTolerance(maxAbsDotValue: number, tfjs: boolean): { fp32: { atol: number; rtol: number }; fp16: { atol: number; rtol: number } } {
  return {
    fp32: { atol: Math.max(1e-5 * maxAbsDotValue, tfjs ? 1e-3 : 1e-6), rtol: 1e-4 },
    fp16: { atol: Math.max(2e-3 * maxAbsDotValue, 1e-3), rtol: 1e-2 },
  };
}

/** The reference's operands for a float case. */
export function caseOperands(c: ConformanceCase): ConvOperands {
  return {
    input: c.input.data,
    inputLayout: c.layout,
    weight: c.weight.data,
    weightLayout: c.weight.layout,
    bias: c.bias,
    activation: c.activation,
  };
}

function parseTolerance(raw: unknown, op: OpKind, tfjs: boolean, computedMaxAbsDot: () => number): CaseTolerance {
  if (op === 'conv_integer') return { kind: 'exact', fallbackLsb: 0 };
  if (op === 'qlinear_conv') return { kind: 'exact', fallbackLsb: 1 };
  const t = raw === undefined ? {} : requireObject('tolerance', raw);
  const caseMaxAbsDot = t.max_abs_dot === undefined ? undefined : requireFinite('tolerance.max_abs_dot', t.max_abs_dot);
  const maxAbsDotValue = computedMaxAbsDot();
  const schema = schemaTolerance(caseMaxAbsDot ?? maxAbsDotValue, tfjs);
  const pick = (key: 'fp32' | 'fp16'): AtolRtol => {
    const own = caseAtolRtol(t[key], `tolerance.${key}`);
    return own ? { ...own, from: 'case' } : { ...schema[key], from: 'schema' };
  };
  return { kind: 'float', fp32: pick('fp32'), fp16: pick('fp16'), maxAbsDot: maxAbsDotValue, caseMaxAbsDot };
}

function checkDepthwise(weight: CaseWeight, groups: number): void {
  if (!weight.originalShape) return;
  const [kh, kw, c, m] = weight.originalShape;
  const want = [kh, kw, 1, c * m];
  if (weight.layout !== 'HWIO' || !want.every((v, i) => v === weight.shape[i]) || groups !== c) {
    throw new ConvDescError(
      'weight.original_shape',
      weight.originalShape,
      `a depthwise filter [kH, kW, C, M] must be re-expressed as HWIO [kH, kW, 1, C*M] = ${formatValue(want)} with group = C (${c}); got ${weight.layout} ${formatValue(weight.shape)}, group ${groups}`,
    );
  }
}

/** Parses and validates one conformance case (pure; see the file comment for the normalization). */
export function parseCase(json: unknown): ConformanceCase {
  const c = requireObject('case', json);
  if (typeof c.id !== 'string' || c.id.length === 0) throw new ConvDescError('id', c.id, 'must be a non-empty string');
  const id = c.id;
  try {
    return parseCaseBody(id, c);
  } catch (e) {
    throw e instanceof ConvDescError ? e.within(id) : e;
  }
}

function parseCaseBody(id: string, c: Json): ConformanceCase {
  const op = requireOneOf('op', c.op, OPS);
  const variant = c.variant === undefined ? undefined : requireOneOf('variant', c.variant, VARIANTS);
  const layout = requireLayout('layout', c.layout);
  const integerOp = op === 'conv_integer' || op === 'qlinear_conv';
  const source = isObject(c.source) ? c.source : undefined;

  const input = parseTensor('input', c.input, 4, layout === 'NCHW' ? ' ([N, C, H, W])' : ' ([N, H, W, C])');
  const rawWeight = requireObject('weight', c.weight);
  const wLayout = requireWeightLayout('weight.layout', rawWeight.layout);
  const weight: CaseWeight = {
    ...parseTensor('weight', rawWeight, 4, wLayout === 'OIHW' ? ' ([O, I/group, kH, kW])' : ' ([kH, kW, I/group, O])'),
    layout: wLayout,
  };
  if (rawWeight.original_shape !== undefined) {
    weight.originalShape = validateShape('weight.original_shape', rawWeight.original_shape, 4, ' ([kH, kW, C, M])');
  }
  if (typeof rawWeight.original_layout === 'string') weight.originalLayout = rawWeight.original_layout;
  for (const [field, t] of [['input', input], ['weight', weight]] as const) {
    const ok = integerOp ? t.dtype === 'uint8' || t.dtype === 'int8' : isFloatDtype(t.dtype);
    if (!ok) {
      throw new ConvDescError(`${field}.dtype`, t.dtype, `op '${op}' needs ${integerOp ? 'uint8 or int8' : FLOAT_DTYPES.join(', ')} data`);
    }
  }

  const strides = c.strides === undefined ? [1, 1] : requireNumbers('strides', c.strides);
  const dilations = c.dilations === undefined ? [1, 1] : requireNumbers('dilations', c.dilations);
  const groups = requireInteger('group', c.group ?? 1, 1);
  const [h, w] = layout === 'NCHW' ? [input.shape[2], input.shape[3]] : [input.shape[1], input.shape[2]];
  const [kh, kw] = wLayout === 'OIHW' ? [weight.shape[2], weight.shape[3]] : [weight.shape[0], weight.shape[1]];
  const pads = resolvePads(c, layout, { h, w, kh, kw }, strides, dilations);
  const notes: string[] = Array.isArray(c.notes) ? c.notes.map(String) : [];

  const baseGeometry = geometryFromShapes({ inputShape: input.shape, inputLayout: layout, weightShape: weight.shape, weightLayout: wLayout, strides, pads, dilations, groups });
  if (variant === 'depthwise') checkDepthwise(weight, groups);

  const expectedDtypes = op === 'conv_integer' ? ['int32'] : op === 'qlinear_conv' ? ['uint8', 'int8'] : FLOAT_DTYPES;
  const rawExpected = requireObject('expected', c.expected);
  if (!expectedDtypes.includes(rawExpected.dtype as string)) {
    throw new ConvDescError('expected.dtype', rawExpected.dtype, `op '${op}' needs one of ${expectedDtypes.join(', ')}`);
  }
  const expectedShape = validateShape('expected.shape', rawExpected.shape, 4, layout === 'NCHW' ? ' ([N, C, H, W])' : ' ([N, H, W, C])');
  const dimRoundingMode = c.dim_rounding_mode === undefined ? undefined : requireOneOf('dim_rounding_mode', c.dim_rounding_mode, ROUNDING);
  const geometry = fitExpectedShape(baseGeometry, layout, expectedShape, dimRoundingMode, notes);
  const outputShape = outputTensorShape(geometry, layout);
  const expectedValues = requireNumbers('expected.data', rawExpected.data);
  const expectedCount = expectedShape.reduce((a, b) => a * b, 1);
  if (expectedValues.length !== expectedCount) {
    throw new ConvDescError('expected.data.length', expectedValues.length, `must equal the product of expected.shape ${formatValue(expectedShape)} = ${expectedCount}`);
  }
  const expected: CaseTensor = {
    shape: expectedShape,
    dtype: rawExpected.dtype as string,
    data: isFloatDtype(rawExpected.dtype as string) ? Float64Array.from(expectedValues) : convertData('expected.data', expectedValues, rawExpected.dtype as string),
  };

  const float32Rounded = !integerOp && input.dtype !== 'float64';
  const floatRound = input.dtype === 'float16' ? roundToFloat16 : float32Rounded ? Math.fround : (v: number) => v;
  const bias =
    c.bias === undefined || c.bias === null
      ? undefined
      : parseBroadcastTensor('bias', c.bias, integerOp ? 'int32' : input.dtype, outputShape, geometry.outChannels);
  if (bias && integerOp) {
    if (op === 'conv_integer') throw new ConvDescError('bias', c.bias, "op 'conv_integer' takes no bias");
    if (bias.dtype !== 'int32') throw new ConvDescError('bias.dtype', bias.dtype, "qlinear_conv's bias must be int32");
  }
  if (bias && !integerOp) bias.data = bias.data.map(floatRound);
  const activation = parseActivation(c.activation, op, floatRound, outputShape, geometry.outChannels);

  const quant = integerOp
    ? parseQuant(c.quant, op, { input, weight, expected, outChannels: geometry.outChannels })
    : undefined;
  if (!integerOp && c.quant !== undefined && c.quant !== null) throw new ConvDescError('quant', c.quant, `is only valid for conv_integer and qlinear_conv, not '${op}'`);

  const tolerance = parseTolerance(c.tolerance, op, isTfjs(id, source), () =>
    maxAbsDot(geometry, { input: input.data, inputLayout: layout, weight: weight.data, weightLayout: wLayout, bias, activation }).max,
  );
  return {
    id,
    op,
    variant,
    layout,
    geometry,
    outputShape,
    input,
    weight,
    bias,
    activation,
    quant,
    expected,
    tolerance,
    float32Rounded,
    dimRoundingMode,
    autoPad: typeof c.auto_pad === 'string' ? c.auto_pad : undefined,
    padSpec: c.pad_spec,
    notes,
    summary: typeof c.summary === 'string' ? c.summary : undefined,
    source,
    convertedFrom: c.converted_from,
    sourceTolerance: typeof c.source_tolerance === 'number' ? c.source_tolerance : undefined,
  };
}

export interface ReferenceResult {
  data: Float64Array;
  shape: [number, number, number, number];
}

/** Runs the CPU reference for a case: float64 direct conv, exact ConvInteger, or QLinearConv. */
export function runReference(c: ConformanceCase): ReferenceResult {
  const base = { input: c.input.data, inputLayout: c.layout, weight: c.weight.data, weightLayout: c.weight.layout };
  if (c.op === 'conv' || c.op === 'fused_conv') return conv2dReference(c.geometry, caseOperands(c));
  const q = c.quant!;
  if (c.op === 'conv_integer') return convIntegerReference(c.geometry, { ...base, xZeroPoint: q.xZeroPoint, wZeroPoint: q.wZeroPoint });
  return qlinearConvReference(c.geometry, {
    ...base,
    xZeroPoint: q.xZeroPoint,
    wZeroPoint: q.wZeroPoint,
    xScale: q.xScale!,
    wScale: q.wScale!,
    yScale: q.yScale!,
    yZeroPoint: q.yZeroPoint,
    outputDtype: c.expected.dtype as QuantDType,
    bias: c.bias,
    activation: c.activation,
  });
}

/**
 * Descriptor and tensor validation. Every check throws a `ConvDescError` naming the field, the offending value
 * and the rule it breaks, e.g. `strides[0] = 0: must be an integer >= 1`.
 *
 * Must-reject classes (shared/conformance/SCHEMA.md): wrong tensor rank, input channels that do not match the
 * weight's in-channels times `groups`, `groups` not dividing the in or out channels, stride or dilation < 1,
 * pads < 0, an output size < 1, data whose length does not match its shape, NaN/Inf/non-integers in shapes.
 * Stride > 1 together with dilation > 1 is valid.
 */
import { tensorShape, weightShape } from './types.ts';
import { outputSize } from './geometry.ts';
import type { BroadcastTensor, ConvGeometry, Layout, OutputShape, WeightLayout } from './types.ts';

export class ConvDescError extends Error {
  override readonly name = 'ConvDescError';
  /** Path of the offending field, e.g. `strides[0]`, `input.shape`, `bias.data.length`. */
  readonly field: string;
  readonly value: unknown;
  /** The rule the value breaks, e.g. `must be an integer >= 1`. */
  readonly rule: string;
  /** Where the descriptor came from (a case id, a file path), prefixed to the message. */
  readonly context?: string;

  constructor(field: string, value: unknown, rule: string, context?: string) {
    super(`${context ? `${context}: ` : ''}${field} = ${formatValue(value)}: ${rule}`);
    this.field = field;
    this.value = value;
    this.rule = rule;
    this.context = context;
  }

  /** The same error with `outer` prepended to its context. */
  within(outer: string): ConvDescError {
    return new ConvDescError(this.field, this.value, this.rule, this.context ? `${outer} (${this.context})` : outer);
  }
}

/** Readable rendering of a value for error messages: NaN and Infinity stay visible, long arrays are cut. */
export function formatValue(v: unknown): string {
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  if (Array.isArray(v) || ArrayBuffer.isView(v)) {
    const items = Array.from(v as ArrayLike<unknown>);
    const shown = items.slice(0, 8).map(formatValue).join(', ');
    return `[${shown}${items.length > 8 ? `, … (${items.length} items)` : ''}]`;
  }
  if (typeof v === 'object') {
    const s = JSON.stringify(v);
    return s.length > 80 ? `${s.slice(0, 77)}...` : s;
  }
  return String(v);
}

/** `v` must be a finite integer >= min. */
export function requireInteger(field: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new ConvDescError(field, v, `must be an integer >= ${min}`);
  }
  return v;
}

/** `v` must be an array of `length` integers, each >= min. */
export function requireIntegerTuple(field: string, v: unknown, length: number, min: number, meaning: string): number[] {
  if (!Array.isArray(v) || v.length !== length) {
    throw new ConvDescError(field, v, `must be an array of ${length} integers ${meaning}`);
  }
  return v.map((x, i) => requireInteger(`${field}[${i}]`, x, min));
}

/** Checks a fully resolved geometry and returns its output size. */
export function validateGeometry(g: ConvGeometry): OutputShape {
  if (g === null || typeof g !== 'object') throw new ConvDescError('geometry', g, 'must be an object');
  for (const key of ['batch', 'inChannels', 'outChannels', 'inHeight', 'inWidth', 'kernelH', 'kernelW', 'groups'] as const) {
    requireInteger(key, g[key], 1);
  }
  requireIntegerTuple('strides', g.strides, 2, 1, '[sH, sW] >= 1');
  requireIntegerTuple('dilations', g.dilations, 2, 1, '[dH, dW] >= 1');
  requireIntegerTuple('pads', g.pads, 4, 0, '[top, left, bottom, right] >= 0');
  if (g.inChannels % g.groups !== 0) {
    throw new ConvDescError('groups', g.groups, `must divide inChannels (${g.inChannels})`);
  }
  if (g.outChannels % g.groups !== 0) {
    throw new ConvDescError('groups', g.groups, `must divide outChannels (${g.outChannels})`);
  }
  const out = outputSize(g);
  const axes = [
    ['outHeight', out.outHeight, g.inHeight, g.pads[0], g.pads[2], g.kernelH, g.dilations[0], g.strides[0]],
    ['outWidth', out.outWidth, g.inWidth, g.pads[1], g.pads[3], g.kernelW, g.dilations[1], g.strides[1]],
  ] as const;
  for (const [field, size, inSize, begin, end, k, d, s] of axes) {
    if (size < 1) {
      const eff = (k - 1) * d + 1;
      throw new ConvDescError(
        field,
        size,
        `must be >= 1: floor((in ${inSize} + pads ${begin} + ${end} - effective kernel ${eff}) / stride ${s}) + 1`,
      );
    }
  }
  return out;
}

/** `shape` must be an array of `rank` integers >= 1 (no NaN, Infinity or fractions). */
export function validateShape(field: string, shape: unknown, rank: number, meaning = ''): number[] {
  if (!Array.isArray(shape)) throw new ConvDescError(field, shape, `must be an array of ${rank} dimensions${meaning}`);
  if (shape.length !== rank) throw new ConvDescError(field, shape, `must have rank ${rank}${meaning}`);
  return shape.map((d, i) => requireInteger(`${field}[${i}]`, d, 1));
}

/** The data length must equal the product of the shape. */
export function validateDataLength(field: string, data: ArrayLike<number>, shape: readonly number[]): void {
  const want = shape.reduce((a, b) => a * b, 1);
  if (data == null || typeof data.length !== 'number') throw new ConvDescError(`${field}.data`, data, 'must be an array of numbers');
  if (data.length !== want) {
    throw new ConvDescError(`${field}.data.length`, data.length, `must equal the product of ${field}.shape ${formatValue(shape)} = ${want}`);
  }
}

/** Stride/pad/dilation/group parameters, as in ConvGeometry; omitted ones take ONNX's defaults. */
export interface ConvParams {
  strides?: readonly [number, number] | readonly number[];
  pads?: readonly [number, number, number, number] | readonly number[];
  dilations?: readonly [number, number] | readonly number[];
  groups?: number;
}

export interface ConvShapes extends ConvParams {
  inputShape: readonly number[];
  inputLayout: Layout;
  weightShape: readonly number[];
  weightLayout: WeightLayout;
}

const INPUT_MEANING: Record<Layout, string> = { NCHW: ' ([N, C, H, W])', NHWC: ' ([N, H, W, C])' };
const WEIGHT_MEANING: Record<WeightLayout, string> = { OIHW: ' ([O, I/group, kH, kW])', HWIO: ' ([kH, kW, I/group, O])' };

/**
 * Derives and validates the geometry of a convolution from its tensor shapes and layouts. Field names follow
 * the conformance schema (`input.shape`, `weight.shape[1]`, `group`).
 */
export function geometryFromShapes(s: ConvShapes): ConvGeometry {
  const layout = requireLayout('input.layout', s.inputLayout);
  const wLayout = requireWeightLayout('weight.layout', s.weightLayout);
  const [n, d1, d2, d3] = validateShape('input.shape', s.inputShape, 4, INPUT_MEANING[layout]);
  const [w0, w1, w2, w3] = validateShape('weight.shape', s.weightShape, 4, WEIGHT_MEANING[wLayout]);
  const [c, h, w] = layout === 'NCHW' ? [d1, d2, d3] : [d3, d1, d2];
  const [o, i, kh, kw] = wLayout === 'OIHW' ? [w0, w1, w2, w3] : [w3, w2, w0, w1];
  const iField = wLayout === 'OIHW' ? 'weight.shape[1]' : 'weight.shape[2]';
  const oField = wLayout === 'OIHW' ? 'weight.shape[0]' : 'weight.shape[3]';
  const groups = requireInteger('group', s.groups ?? 1, 1);
  if (c % groups !== 0) throw new ConvDescError('group', groups, `must divide the input channels (${c})`);
  if (o % groups !== 0) throw new ConvDescError('group', groups, `must divide the output channels ${oField} (${o})`);
  if (i * groups !== c) {
    throw new ConvDescError(iField, i, `in-channels per group times group (${i} x ${groups} = ${i * groups}) must equal the input channels (${c})`);
  }
  const g: ConvGeometry = {
    batch: n,
    inChannels: c,
    outChannels: o,
    inHeight: h,
    inWidth: w,
    kernelH: kh,
    kernelW: kw,
    strides: requireIntegerTuple('strides', s.strides ?? [1, 1], 2, 1, '[sH, sW] >= 1') as [number, number],
    pads: requireIntegerTuple('pads', s.pads ?? [0, 0, 0, 0], 4, 0, '[top, left, bottom, right] >= 0') as [number, number, number, number],
    dilations: requireIntegerTuple('dilations', s.dilations ?? [1, 1], 2, 1, '[dH, dW] >= 1') as [number, number],
    groups,
  };
  validateGeometry(g);
  return g;
}

export function requireLayout(field: string, v: unknown): Layout {
  if (v !== 'NCHW' && v !== 'NHWC') throw new ConvDescError(field, v, "must be 'NCHW' or 'NHWC'");
  return v;
}

export function requireWeightLayout(field: string, v: unknown): WeightLayout {
  if (v !== 'OIHW' && v !== 'HWIO') throw new ConvDescError(field, v, "must be 'OIHW' or 'HWIO'");
  return v;
}

/** Shape of the 4-D output tensor of `g` in `layout`. */
export function outputTensorShape(g: ConvGeometry, layout: Layout): [number, number, number, number] {
  const { outHeight, outWidth } = outputSize(g);
  return tensorShape(layout, g.batch, g.outChannels, outHeight, outWidth);
}

/**
 * A bias or PReLU tensor must be broadcastable to the output (`outShape`, 4-D in the output layout):
 * `scalar` holds one value; `channel` is 1-D with one value per output channel (or a single value);
 * `numpy` aligns its dimensions with the output's trailing dimensions, each equal to the output's or 1.
 */
export function validateBroadcast(field: string, t: BroadcastTensor, outShape: readonly number[], outChannels: number): void {
  if (t === null || typeof t !== 'object') throw new ConvDescError(field, t, 'must be an object with shape, data and broadcast');
  if (!Array.isArray(t.shape) || t.shape.length > 4) {
    throw new ConvDescError(`${field}.shape`, t.shape, 'must be an array of at most 4 dimensions');
  }
  t.shape.forEach((d, i) => requireInteger(`${field}.shape[${i}]`, d, 1));
  validateDataLength(field, t.data, t.shape);
  const size = t.data.length;
  switch (t.broadcast) {
    case 'scalar':
      if (size !== 1) throw new ConvDescError(`${field}.shape`, t.shape, "broadcast 'scalar' needs exactly one value");
      return;
    case 'channel':
      if (t.shape.length !== 1 || (size !== outChannels && size !== 1)) {
        throw new ConvDescError(`${field}.shape`, t.shape, `broadcast 'channel' needs a 1-D tensor of ${outChannels} values (one per output channel)`);
      }
      return;
    case 'numpy': {
      const offset = outShape.length - t.shape.length;
      t.shape.forEach((d, i) => {
        if (d !== 1 && d !== outShape[offset + i]) {
          throw new ConvDescError(`${field}.shape`, t.shape, `not broadcastable (numpy, trailing dimensions) to the output shape ${formatValue(outShape)}`);
        }
      });
      return;
    }
    default:
      throw new ConvDescError(`${field}.broadcast`, t.broadcast, "must be 'channel', 'scalar' or 'numpy'");
  }
}

/** Tensors of a convolution, as the references take them. */
export interface ConvTensors {
  input: ArrayLike<number>;
  inputLayout: Layout;
  weight: ArrayLike<number>;
  weightLayout: WeightLayout;
  bias?: BroadcastTensor;
  preluWeights?: BroadcastTensor;
}

/** Validates `g` and that every tensor matches it; returns the output shape in the input's layout. */
export function validateConvTensors(g: ConvGeometry, t: ConvTensors): [number, number, number, number] {
  validateGeometry(g);
  const layout = requireLayout('inputLayout', t.inputLayout);
  const wLayout = requireWeightLayout('weightLayout', t.weightLayout);
  validateDataLength('input', t.input, tensorShape(layout, g.batch, g.inChannels, g.inHeight, g.inWidth));
  validateDataLength('weight', t.weight, weightShape(g, wLayout));
  const out = outputTensorShape(g, layout);
  if (t.bias) validateBroadcast('bias', t.bias, out, g.outChannels);
  if (t.preluWeights) validateBroadcast('activation.preluWeights', t.preluWeights, out, g.outChannels);
  return out;
}

/** Levenshtein distance, case-insensitive (for "did you mean" suggestions). */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const cur = [i];
    for (let j = 1; j <= t.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (s[i - 1] === t[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[t.length];
}

/**
 * The valid key closest to `key`: by edit distance (case-insensitive), preferring keys that share a prefix of 3 or
 * more characters (`stride` → `strides`, `padding` → `pads`, `yZeroPt` → `yZeroPoint`); undefined when nothing is close.
 */
export function nearestKey(key: string, valid: readonly string[]): string | undefined {
  const k = key.toLowerCase();
  let best: string | undefined;
  let bestScore = Infinity;
  for (const v of valid) {
    const l = v.toLowerCase();
    const dist = editDistance(k, l);
    let prefix = 0;
    while (prefix < k.length && prefix < l.length && k[prefix] === l[prefix]) prefix++;
    const score = prefix >= 3 && prefix >= Math.min(k.length, l.length) / 2 ? Math.min(dist, 1 + dist / 100) : dist;
    if (score < bestScore) {
      bestScore = score;
      best = v;
    }
  }
  return bestScore <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

/**
 * Refuses keys of `obj` that are not in `valid` (a key whose value is undefined counts as absent), naming the
 * key and suggesting the nearest valid one, e.g. `desc.stride = 2: unknown key; did you mean 'strides'?`.
 */
export function rejectUnknownKeys(field: string, obj: object, valid: readonly string[]): void {
  for (const key of Object.keys(obj)) {
    if (valid.includes(key) || (obj as Record<string, unknown>)[key] === undefined) continue;
    const near = nearestKey(key, valid);
    const path = field ? `${field}.${key}` : key;
    throw new ConvDescError(path, (obj as Record<string, unknown>)[key], `unknown key${near ? `; did you mean '${near}'?` : ''} (valid: ${valid.join(', ')})`);
  }
}

/** `v` must be a non-null object (not an array); `what` describes it for the message. */
export function requireObject(field: string, v: unknown, what: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ConvDescError(field, v, `must be ${what}`);
  return v as Record<string, unknown>;
}

/** `v` must be an array or a (non-BigInt) typed array of numbers; returns it. Elements are checked by the caller. */
export function requireNumberArray(field: string, v: unknown, what = 'an array or typed array of numbers'): ArrayLike<number> {
  const ok = Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView) && !(v instanceof BigInt64Array) && !(v instanceof BigUint64Array));
  if (!ok) throw new ConvDescError(field, v, `must be ${what}`);
  return v as ArrayLike<number>;
}

/**
 * Every element must be a number (plain arrays: typeof number; typed arrays hold numbers already); `finite`: and
 * finite; `integer`: an integer in [lo, hi], with `rangeName` in the message.
 */
export function requireNumberElements(field: string, data: ArrayLike<number>, rule: { finite?: boolean; integer?: { lo: number; hi: number; rangeName: string }; maxAbs?: { value: number; rangeName: string } } = {}): void {
  const plain = !ArrayBuffer.isView(data);
  const { maxAbs } = rule;
  const { integer } = rule;
  const finite = rule.finite || integer !== undefined;
  const intRule = integer ? `an integer in the ${integer.rangeName} range [${integer.lo}, ${integer.hi}]` : '';
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as unknown;
    if (plain && typeof v !== 'number') throw new ConvDescError(`${field}[${i}]`, v, `must be a number${integer ? ` (${intRule})` : ''}`);
    if (finite && !Number.isFinite(v)) throw new ConvDescError(`${field}[${i}]`, v, `must be a finite number${integer ? ` (${intRule})` : ''}`);
    if (integer && (!Number.isInteger(v) || (v as number) < integer.lo || (v as number) > integer.hi)) throw new ConvDescError(`${field}[${i}]`, v, `must be ${intRule}`);
    if (maxAbs && Number.isFinite(v) && Math.abs(v as number) > maxAbs.value) throw new ConvDescError(`${field}[${i}]`, v, `must be within ±${maxAbs.value} (${maxAbs.rangeName}: larger values round to infinity)`);
  }
}

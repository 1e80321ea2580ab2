/**
 * The public convolution descriptor and its normalisation. `normalizeDesc` validates every field before any
 * GPU work; errors are `ConvDescError`s naming the field, the value and the rule.
 */
import { ConvDescError, rejectUnknownKeys, requireInteger, requireIntegerTuple, requireNumberArray, requireNumberElements, requireObject, validateDataLength } from './validate.ts';
import { TENSOR_DTYPES, type Activation, type ActivationType, type BroadcastTensor, type DType, type Layout, type TensorDType, type WeightLayout } from './types.ts';

/** Algorithm names, the same in the API and the CLI. */
export const ALGORITHMS = [
  'auto', 'direct', 'im2col', 'winograd2', 'winograd4', 'winograd6', 'winograd2x1', 'winograd4x1', 'winograd1x2', 'winograd1x4',
  'winograd2-exact', 'winograd2-tap', 'winograd4-tap', 'winograd2x1-tap', 'winograd4x1-tap',
] as const;
export type AlgorithmName = (typeof ALGORITHMS)[number];

export const ALGORITHM_HELP: Record<AlgorithmName, string> = {
  auto: 'choose among the verified candidates by the selection rules (plan.info says why)',
  direct: 'direct convolution (a dedicated depthwise kernel for depthwise); serves everything',
  im2col: 'implicit im2col + the shared tiled GEMM (1×1 stride-1 convolutions as a plain GEMM); serves everything',
  winograd2: 'Winograd F(2×2, r×r), r = 3 or 5: stride 1, dilation 1, groups 1',
  winograd4: 'Winograd F(4×4, r×r), r = 3 or 5: stride 1, dilation 1, groups 1',
  winograd6: 'Winograd F(6×6, 3×3): stride 1, dilation 1, groups 1; largest error (fractions 1/90 in G)',
  winograd2x1: 'Winograd F(2×1, 3×3): Winograd along H, direct along W',
  winograd4x1: 'Winograd F(4×1, 3×3): Winograd along H, direct along W',
  winograd1x2: 'Winograd F(1×2, 3×3): direct along H, Winograd along W',
  winograd1x4: 'Winograd F(1×4, 3×3): direct along H, Winograd along W',
  'winograd2-exact': 'int8/uint8: exact integer F(2×2, 3×3), bit-identical to ConvInteger/QLinearConv; refused above the int32 overflow bound on C_in',
  'winograd2-tap': 'int8/uint8: tap-wise quantized F(2×2, 3×3) (approximate; SQNR measured before use)',
  'winograd4-tap': 'int8/uint8: tap-wise quantized F(4×4, 3×3) (approximate; never chosen by auto without minSqnrDb)',
  'winograd2x1-tap': 'int8/uint8: tap-wise quantized F(2×1, 3×3) (approximate)',
  'winograd4x1-tap': 'int8/uint8: tap-wise quantized F(4×1, 3×3) (approximate)',
};

export const ACTIVATIONS: ActivationType[] = ['linear', 'relu', 'relu6', 'leakyrelu', 'prelu', 'elu', 'sigmoid', 'clip', 'hardsigmoid', 'hardswish'];

/** dtypes a plan can be created for. */
export type PlanDType = DType;

/**
 * A 2-D convolution. Unknown keys are refused (with the nearest valid key suggested); a key whose value is
 * `undefined` counts as absent and takes the default.
 */
export interface Conv2dDesc {
  inChannels: number;
  outChannels: number;
  /** [kH, kW] or one number for both. */
  kernelSize: number | [number, number];
  /** [sH, sW] or one number; default 1. Any stride up to 2³¹ − 1 (a stride past the input gives output size 1). */
  strides?: number | [number, number];
  /** [top, left, bottom, right], or one number for all four; default 0. */
  pads?: number | [number, number, number, number];
  /** [dH, dW] or one number; default 1. */
  dilations?: number | [number, number];
  /** Default 1; must divide inChannels and outChannels. */
  groups?: number;
  /** Layout of input and output; default 'NHWC'. */
  layout?: Layout;
  /**
   * Default 'float32'. 'float16': activations, weights and Winograd-domain operands stored as binary16 (half the
   * bytes), f32 arithmetic; inputs and weights are rounded to binary16 at upload. 'int8' / 'uint8' need `quant`.
   */
  dtype?: PlanDType;
  /**
   * Activation after the bias; a type name or {type, alpha?, beta?, min?, max?}. Default 'linear'. `alpha`:
   * leakyrelu (default 0.2) and hardsigmoid (default 0.2, with `beta` default 0.5: y = max(0, min(1, alpha·x +
   * beta))); `min`, `max`: clip (default ∓ the largest float32); hardswish is x·max(0, min(1, x/6 + 0.5)). PReLU
   * slopes go in the options' `preluWeights`.
   */
  activation?: ActivationType | Activation;
  /** Default 'auto'. */
  algorithm?: AlgorithmName;
}

export interface NormalizedDesc {
  inChannels: number;
  outChannels: number;
  kernelH: number;
  kernelW: number;
  strides: [number, number];
  pads: [number, number, number, number];
  dilations: [number, number];
  groups: number;
  layout: Layout;
  dtype: DType;
  activation: Activation;
  algorithm: AlgorithmName;
}

/** Geometry integers go to the kernels as 32-bit uniforms (and into i32 index arithmetic). */
export const MAX_GEOMETRY_INT = 2 ** 31 - 1;

function upTo(field: string, v: number): number {
  if (v > MAX_GEOMETRY_INT) throw new ConvDescError(field, v, `must be an integer <= ${MAX_GEOMETRY_INT} (2^31 - 1: the kernels' 32-bit index arithmetic)`);
  return v;
}

function pair(field: string, v: unknown, dflt: number, min: number): [number, number] {
  if (v === undefined) return [dflt, dflt];
  if (typeof v === 'number') {
    upTo(field, requireInteger(field, v, min));
    return [v, v];
  }
  const t = requireIntegerTuple(field, v, 2, min, `[h, w] >= ${min}`) as [number, number];
  t.forEach((x, i) => upTo(`${field}[${i}]`, x));
  return t;
}

export const DESC_KEYS = ['inChannels', 'outChannels', 'kernelSize', 'strides', 'pads', 'dilations', 'groups', 'layout', 'dtype', 'activation', 'algorithm'] as const;
export const ACTIVATION_KEYS = ['type', 'alpha', 'beta', 'min', 'max', 'preluWeights'] as const;

/** The largest finite float32: clip's default bounds (ONNX Clip without min / max). */
export const F32_MAX = 3.4028234663852886e38;

/** Default parameters of the parametric activations (ONNX defaults: LeakyRelu alpha 0.01 differs; tfjs 0.2 kept). */
const ACTIVATION_DEFAULTS: Partial<Record<ActivationType, Partial<Activation>>> = {
  leakyrelu: { alpha: 0.2 },
  clip: { min: -F32_MAX, max: F32_MAX },
  hardsigmoid: { alpha: 0.2, beta: 0.5 },
};

/** Which activation takes which number parameter. */
const ACTIVATION_PARAMS: Record<'alpha' | 'beta' | 'min' | 'max', ActivationType[]> = {
  alpha: ['leakyrelu', 'hardsigmoid'],
  beta: ['hardsigmoid'],
  min: ['clip'],
  max: ['clip'],
};

/**
 * An activation field (`field`: 'activation', or the options' 'preActivation'): a type name or {type, alpha?,
 * beta?, min?, max?, preluWeights?}; each number parameter only with the activations that take it (alpha:
 * leakyrelu, hardsigmoid; beta: hardsigmoid; min, max: clip, min <= max), finite float32 values (clip's min may
 * be -Infinity and max +Infinity: no bound, kept as ∓ the largest float32); slopes only with prelu.
 */
export function normalizeActivation(v: unknown, field = 'activation'): Activation {
  if (v === undefined) return { type: 'linear' };
  if (typeof v === 'string') {
    if (!ACTIVATIONS.includes(v as ActivationType)) throw new ConvDescError(field, v, `must be one of ${ACTIVATIONS.join(', ')}`);
    return { type: v as ActivationType, ...ACTIVATION_DEFAULTS[v as ActivationType] };
  }
  const a = requireObject(field, v, `one of ${ACTIVATIONS.join(', ')}, or {type, alpha?, beta?, min?, max?} (omit it for linear)`);
  rejectUnknownKeys(field, a, ACTIVATION_KEYS);
  if (!ACTIVATIONS.includes(a.type as ActivationType)) throw new ConvDescError(`${field}.type`, a.type, `must be one of ${ACTIVATIONS.join(', ')}`);
  const type = a.type as ActivationType;
  const act: Activation = { type, ...ACTIVATION_DEFAULTS[type] };
  for (const k of ['alpha', 'beta', 'min', 'max'] as const) {
    const takers = ACTIVATION_PARAMS[k];
    if (a[k] === undefined) continue;
    if (!takers.includes(type)) throw new ConvDescError(`${field}.${k}`, a[k], `applies only to ${takers.join(' and ')}, not ${type}${k === 'alpha' ? ' (elu is fixed at alpha 1)' : ''}`);
    // ONNX Clip's unbounded defaults: -Infinity for min, +Infinity for max mean no bound (∓ the largest float32).
    if ((k === 'min' && a[k] === -Infinity) || (k === 'max' && a[k] === Infinity)) continue;
    if (typeof a[k] !== 'number' || !Number.isFinite(a[k])) throw new ConvDescError(`${field}.${k}`, a[k], 'must be a finite number');
    if (Math.abs(a[k] as number) > F32_MAX) throw new ConvDescError(`${field}.${k}`, a[k], `must be a float32 value (|${k}| <= ${F32_MAX})`);
    act[k] = a[k] as number;
  }
  if (type === 'clip' && act.min! > act.max!) throw new ConvDescError(`${field}.min`, act.min, `must be <= max (${act.max})`);
  if (a.preluWeights !== undefined) {
    if (type !== 'prelu') throw new ConvDescError(`${field}.preluWeights`, a.preluWeights, `apply only to activation 'prelu', not ${type}`);
    act.preluWeights = a.preluWeights as Activation['preluWeights'];
  }
  return act;
}

export function normalizeDesc(desc: Conv2dDesc): NormalizedDesc {
  requireObject('desc', desc, 'an object {inChannels, outChannels, kernelSize, ...}');
  rejectUnknownKeys('', desc, DESC_KEYS);
  const inChannels = upTo('inChannels', requireInteger('inChannels', desc.inChannels, 1));
  const outChannels = upTo('outChannels', requireInteger('outChannels', desc.outChannels, 1));
  if (desc.kernelSize === undefined) throw new ConvDescError('kernelSize', undefined, 'is required: [kH, kW] or one number');
  const [kernelH, kernelW] = pair('kernelSize', desc.kernelSize, 1, 1);
  const strides = pair('strides', desc.strides, 1, 1);
  const dilations = pair('dilations', desc.dilations, 1, 1);
  let pads: [number, number, number, number];
  if (desc.pads === undefined) pads = [0, 0, 0, 0];
  else if (typeof desc.pads === 'number') {
    upTo('pads', requireInteger('pads', desc.pads, 0));
    pads = [desc.pads, desc.pads, desc.pads, desc.pads];
  } else {
    pads = requireIntegerTuple('pads', desc.pads, 4, 0, '[top, left, bottom, right] >= 0') as typeof pads;
    pads.forEach((x, i) => upTo(`pads[${i}]`, x));
  }
  const groups = desc.groups === undefined ? 1 : requireInteger('groups', desc.groups, 1);
  if (inChannels % groups !== 0) throw new ConvDescError('groups', groups, `must divide inChannels (${inChannels})`);
  if (outChannels % groups !== 0) throw new ConvDescError('groups', groups, `must divide outChannels (${outChannels})`);
  const layout = desc.layout === undefined ? 'NHWC' : desc.layout;
  if (layout !== 'NHWC' && layout !== 'NCHW') throw new ConvDescError('layout', layout, "must be 'NHWC' or 'NCHW'");
  const dtype = desc.dtype === undefined ? 'float32' : (desc.dtype as DType);
  if (dtype !== 'float32' && dtype !== 'float16' && dtype !== 'int8' && dtype !== 'uint8') {
    throw new ConvDescError('dtype', dtype, "must be 'float32', 'float16', 'int8' or 'uint8'");
  }
  const activation = normalizeActivation(desc.activation);
  const algorithm = desc.algorithm === undefined ? 'auto' : desc.algorithm;
  if (!ALGORITHMS.includes(algorithm)) throw new ConvDescError('algorithm', algorithm, `must be one of ${ALGORITHMS.join(', ')}`);
  return { inChannels, outChannels, kernelH, kernelW, strides, pads, dilations, groups, layout, dtype, activation, algorithm };
}

/** Weights, bias and options given at plan creation. */
export interface Conv2dWeights {
  /** Flat weights in `weightLayout`: OIHW [out, in/groups, kH, kW] or HWIO [kH, kW, in/groups, out]. */
  weights: ArrayLike<number>;
  /** Default 'OIHW' (ONNX); 'HWIO' is TensorFlow's. */
  weightLayout?: WeightLayout;
  /** A per-channel vector (length outChannels), a scalar (length 1), or a broadcast tensor. */
  bias?: ArrayLike<number> | BroadcastTensor;
  /** PReLU slopes when activation is 'prelu': per channel, or a broadcast tensor. */
  preluWeights?: ArrayLike<number> | BroadcastTensor;
}

export const BROADCAST_TENSOR_KEYS = ['shape', 'data', 'broadcast', 'dtype'] as const;

/**
 * A bias / PReLU operand as a broadcast tensor: a plain array of outChannels values (per channel) or of one value
 * (scalar), or `{shape, data, broadcast}` (unknown keys refused). Checks the data (numbers, finite, length = the
 * product of the shape) and the kind's shape rule; a numpy tensor's fit to the output is checked by
 * `checkEpilogueTensor` (channel axis, at creation) and `validateBroadcast` (whole output shape, at resize).
 */
export function asBroadcast(field: string, v: ArrayLike<number> | BroadcastTensor, outChannels: number): BroadcastTensor {
  const what = `an array of outChannels (${outChannels}) numbers or of one number, or {shape, data, broadcast: 'channel' | 'scalar' | 'numpy'}`;
  if (v === null || typeof v !== 'object') throw new ConvDescError(field, v, `must be ${what}`);
  if (!Array.isArray(v) && !ArrayBuffer.isView(v)) {
    const t = v as unknown as Record<string, unknown>;
    rejectUnknownKeys(field, t, BROADCAST_TENSOR_KEYS);
    if (t.broadcast !== 'channel' && t.broadcast !== 'scalar' && t.broadcast !== 'numpy') throw new ConvDescError(`${field}.broadcast`, t.broadcast, "must be 'channel', 'scalar' or 'numpy'");
    if (!Array.isArray(t.shape) || t.shape.length > 4) throw new ConvDescError(`${field}.shape`, t.shape, 'must be an array of at most 4 dimensions');
    t.shape.forEach((x, i) => requireInteger(`${field}.shape[${i}]`, x, 1));
    const data = requireNumberArray(`${field}.data`, t.data);
    validateDataLength(field, data, t.shape as number[]);
    requireNumberElements(`${field}.data`, data, { finite: true });
    if (t.dtype !== undefined && !TENSOR_DTYPES.includes(t.dtype as TensorDType)) throw new ConvDescError(`${field}.dtype`, t.dtype, `must be one of ${TENSOR_DTYPES.join(', ')} (or omitted)`);
    const bt = { shape: [...(t.shape as number[])], data, broadcast: t.broadcast } as BroadcastTensor;
    if (bt.broadcast === 'scalar' && data.length !== 1) throw new ConvDescError(`${field}.shape`, bt.shape, "broadcast 'scalar' needs exactly one value");
    if (bt.broadcast === 'channel' && (bt.shape.length !== 1 || (data.length !== outChannels && data.length !== 1))) {
      throw new ConvDescError(`${field}.shape`, bt.shape, `broadcast 'channel' needs a 1-D tensor of ${outChannels} values (one per output channel)`);
    }
    return bt;
  }
  const data = requireNumberArray(field, v, what);
  requireNumberElements(field, data, { finite: true });
  if (data.length === outChannels) return { shape: [outChannels], data, broadcast: 'channel' };
  if (data.length === 1) return { shape: [1], data, broadcast: 'scalar' };
  throw new ConvDescError(`${field}.length`, data.length, `must be outChannels (${outChannels}) or 1, or give {shape, data, broadcast}`);
}

/**
 * The output shape of a plan in its layout, with the dimensions not known before resize (batch, height,
 * width) as undefined; at resize, the full shape.
 */
export function outputShapePattern(d: NormalizedDesc, size?: { batch: number; outHeight: number; outWidth: number }): (number | undefined)[] {
  const [n, h, w] = size ? [size.batch, size.outHeight, size.outWidth] : [undefined, undefined, undefined];
  return d.layout === 'NHWC' ? [n, h, w, d.outChannels] : [n, d.outChannels, h, w];
}

/**
 * A numpy-broadcast tensor against the output shape (trailing dimensions aligned; each dimension 1 or the
 * output's). Dimensions of `outShape` that are undefined (not known before resize) match anything. Throws a
 * ConvDescError naming the field, the tensor's shape and the output shape.
 */
export function checkEpilogueTensor(field: string, t: BroadcastTensor, outShape: readonly (number | undefined)[], layout: string): void {
  if (t.broadcast !== 'numpy') return;
  const offset = outShape.length - t.shape.length;
  const shown = `[${outShape.map((x, i) => x ?? (layout === 'NHWC' ? 'NHW'[i] : 'N?HW'[i])).join(', ')}]`;
  t.shape.forEach((dim, i) => {
    const want = outShape[offset + i];
    if (dim !== 1 && want !== undefined && dim !== want) {
      throw new ConvDescError(`${field}.shape`, t.shape, `not broadcastable (numpy: trailing dimensions aligned, each 1 or equal) to the output shape ${shown} (${layout}): dimension ${i} is ${dim}, the output's is ${want}`);
    }
  });
}

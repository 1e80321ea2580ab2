/**
 * The public convolution descriptor and its normalisation. `normalizeDesc` validates every field before any
 * GPU work; errors are `ConvDescError`s naming the field, the value and the rule.
 */
import { ConvDescError, requireInteger, requireIntegerTuple } from './validate.ts';
import type { Activation, ActivationType, BroadcastTensor, DType, Layout, WeightLayout } from './types.ts';

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

export const ACTIVATIONS: ActivationType[] = ['linear', 'relu', 'relu6', 'leakyrelu', 'prelu', 'elu', 'sigmoid'];

export interface Conv2dDesc {
  inChannels: number;
  outChannels: number;
  /** [kH, kW] or one number for both. */
  kernelSize: number | [number, number];
  /** [sH, sW] or one number; default 1. */
  strides?: number | [number, number];
  /** [top, left, bottom, right], or one number for all four; default 0. */
  pads?: number | [number, number, number, number];
  /** [dH, dW] or one number; default 1. */
  dilations?: number | [number, number];
  groups?: number;
  /** Layout of input and output; default NHWC. */
  layout?: Layout;
  dtype?: DType;
  /** Activation after the bias; a type name or {type, alpha}. Default linear. */
  activation?: ActivationType | Activation;
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

function pair(field: string, v: unknown, dflt: number, min: number): [number, number] {
  if (v === undefined) return [dflt, dflt];
  if (typeof v === 'number') {
    requireInteger(field, v, min);
    return [v, v];
  }
  return requireIntegerTuple(field, v, 2, min, `[h, w] >= ${min}`) as [number, number];
}

export function normalizeDesc(desc: Conv2dDesc): NormalizedDesc {
  if (desc === null || typeof desc !== 'object') throw new ConvDescError('desc', desc, 'must be an object');
  const inChannels = requireInteger('inChannels', desc.inChannels, 1);
  const outChannels = requireInteger('outChannels', desc.outChannels, 1);
  if (desc.kernelSize === undefined) throw new ConvDescError('kernelSize', undefined, 'is required: [kH, kW] or one number');
  const [kernelH, kernelW] = pair('kernelSize', desc.kernelSize, 1, 1);
  const strides = pair('strides', desc.strides, 1, 1);
  const dilations = pair('dilations', desc.dilations, 1, 1);
  let pads: [number, number, number, number];
  if (desc.pads === undefined) pads = [0, 0, 0, 0];
  else if (typeof desc.pads === 'number') {
    requireInteger('pads', desc.pads, 0);
    pads = [desc.pads, desc.pads, desc.pads, desc.pads];
  } else pads = requireIntegerTuple('pads', desc.pads, 4, 0, '[top, left, bottom, right] >= 0') as typeof pads;
  const groups = desc.groups === undefined ? 1 : requireInteger('groups', desc.groups, 1);
  if (inChannels % groups !== 0) throw new ConvDescError('groups', groups, `must divide inChannels (${inChannels})`);
  if (outChannels % groups !== 0) throw new ConvDescError('groups', groups, `must divide outChannels (${outChannels})`);
  const layout = desc.layout ?? 'NHWC';
  if (layout !== 'NHWC' && layout !== 'NCHW') throw new ConvDescError('layout', layout, "must be 'NHWC' or 'NCHW'");
  const dtype = desc.dtype ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'int8' && dtype !== 'uint8') {
    throw new ConvDescError('dtype', dtype, dtype === 'float16' ? "is not implemented yet: 'float32', 'int8' and 'uint8' are" : "must be 'float32', 'int8' or 'uint8' (float16 planned)");
  }
  const act: Activation = typeof desc.activation === 'string' || desc.activation === undefined ? { type: desc.activation ?? 'linear' } : desc.activation;
  if (!ACTIVATIONS.includes(act.type)) throw new ConvDescError('activation', act.type, `must be one of ${ACTIVATIONS.join(', ')}`);
  if (act.type === 'leakyrelu') {
    const alpha = act.alpha ?? 0.2;
    if (!Number.isFinite(alpha)) throw new ConvDescError('activation.alpha', alpha, 'must be a finite number');
    act.alpha = alpha;
  }
  const algorithm = desc.algorithm ?? 'auto';
  if (!ALGORITHMS.includes(algorithm)) throw new ConvDescError('algorithm', algorithm, `must be one of ${ALGORITHMS.join(', ')}`);
  return { inChannels, outChannels, kernelH, kernelW, strides, pads, dilations, groups, layout, dtype, activation: { ...act }, algorithm };
}

/** Weights, bias and options given at plan creation. */
export interface Conv2dWeights {
  /** Flat weights in `weightLayout`: OIHW [out, in/groups, kH, kW] or HWIO [kH, kW, in/groups, out]. */
  weights: ArrayLike<number>;
  weightLayout?: WeightLayout;
  /** A per-channel vector (length outChannels), a scalar (length 1), or a broadcast tensor. */
  bias?: ArrayLike<number> | BroadcastTensor;
  /** PReLU slopes when activation is 'prelu': per channel, or a broadcast tensor. */
  preluWeights?: ArrayLike<number> | BroadcastTensor;
}

export function asBroadcast(field: string, v: ArrayLike<number> | BroadcastTensor, outChannels: number): BroadcastTensor {
  if (typeof (v as BroadcastTensor).broadcast === 'string') return v as BroadcastTensor;
  const data = v as ArrayLike<number>;
  if (typeof data.length !== 'number') throw new ConvDescError(field, v, 'must be an array of numbers or {shape, data, broadcast}');
  if (data.length === outChannels) return { shape: [outChannels], data, broadcast: 'channel' };
  if (data.length === 1) return { shape: [1], data, broadcast: 'scalar' };
  throw new ConvDescError(`${field}.length`, data.length, `must be outChannels (${outChannels}) or 1, or give {shape, data, broadcast}`);
}

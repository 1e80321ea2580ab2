/**
 * Core convolution types shared by the validator, the CPU references, the kernel generators and the engine.
 * Pure: no GPU imports here.
 */

/** Activation / output tensor layout. */
export type Layout = 'NHWC' | 'NCHW';
/** Weight layout: ONNX `[out, in/group, kH, kW]` or TF `[kH, kW, in/group, out]`. */
export type WeightLayout = 'OIHW' | 'HWIO';
export type DType = 'float32' | 'float16' | 'int8' | 'uint8';

export type ActivationType = 'linear' | 'relu' | 'relu6' | 'leakyrelu' | 'prelu' | 'elu' | 'sigmoid' | 'clip' | 'hardsigmoid' | 'hardswish';

/** How a bias or PReLU tensor is broadcast against the 4-D output (see shared/conformance/SCHEMA.md). */
export type Broadcast = 'channel' | 'scalar' | 'numpy';

export interface BroadcastTensor {
  shape: number[];
  data: ArrayLike<number>;
  broadcast: Broadcast;
  /**
   * Element type the data came as (SCHEMA.md tensors carry it): one of TENSOR_DTYPES, checked by the engine;
   * optional, the values are numbers either way.
   */
  dtype?: string;
}

/** Element types a tensor's `dtype` tag may name. */
export const TENSOR_DTYPES = ['float32', 'float16', 'float64', 'int32', 'int8', 'uint8'] as const;
export type TensorDType = (typeof TENSOR_DTYPES)[number];

export interface Activation {
  type: ActivationType;
  /** leakyrelu slope (tfjs default 0.2); hardsigmoid slope (default 0.2). */
  alpha?: number;
  /** hardsigmoid offset (default 0.5): y = max(0, min(1, alpha·x + beta)). */
  beta?: number;
  /** clip bounds (default ∓ the largest float32). */
  min?: number;
  max?: number;
  /** prelu slopes. */
  preluWeights?: BroadcastTensor;
}

/** Geometry of one 2-D convolution, fully resolved (pads explicit). */
export interface ConvGeometry {
  batch: number;
  inChannels: number;
  outChannels: number;
  inHeight: number;
  inWidth: number;
  kernelH: number;
  kernelW: number;
  /** [sH, sW] */
  strides: [number, number];
  /** [top, left, bottom, right] */
  pads: [number, number, number, number];
  /** [dH, dW] */
  dilations: [number, number];
  groups: number;
}

export interface OutputShape {
  outHeight: number;
  outWidth: number;
}


/** Shape of the 4-D activation tensor in the given layout. */
export function tensorShape(layout: Layout, n: number, c: number, h: number, w: number): [number, number, number, number] {
  return layout === 'NHWC' ? [n, h, w, c] : [n, c, h, w];
}

/** Shape of the weight tensor in the given layout. */
export function weightShape(g: ConvGeometry, layout: WeightLayout): [number, number, number, number] {
  const cin = g.inChannels / g.groups;
  return layout === 'OIHW' ? [g.outChannels, cin, g.kernelH, g.kernelW] : [g.kernelH, g.kernelW, cin, g.outChannels];
}

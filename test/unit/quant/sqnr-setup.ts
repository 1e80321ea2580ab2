/**
 * The SQNR experiment of issue 4, as data shared by the unit test (which asserts floors) and the scratch
 * measurement: ReLU-like activations (half-normal, quantized to uint8 with zero point 0), int8 weights with
 * per-output-channel scales, int32 bias, int8 output; C_in 64, 16×16, seeded.
 */
import type { ConvGeometry } from '../../../src/conv/types.ts';
import {
  calibrateTapScales,
  quantizeTapWeights,
  sqnrDb,
  tapwiseWinogradConv,
  type TapCalibrationOptions,
  type TapScales,
  type TapWeights,
} from '../../../src/quant/tapwise.ts';
import { qlinearConvReference, type QLinearConvOutput } from '../../../src/reference/integer.ts';
import type { WinogradConvShape } from '../../../src/reference/winograd.ts';
import type { Winograd2D } from '../../../src/winograd/types.ts';
import { mulberry32 } from '../helpers/rng.ts';

export interface SqnrProblem {
  shape: WinogradConvShape;
  geometry: ConvGeometry;
  input: Int32Array;
  calibration: Int32Array[];
  weights: TapWeights;
  xScale: number;
  wScale: Float64Array;
  bias: Int32Array;
  yScale: number;
  ref: QLinearConvOutput;
}

function normal(rng: () => number): () => number {
  return () => {
    const u = Math.max(rng(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
  };
}

/** Half-normal activations |N(0,1)| quantized to uint8 with x_scale = 4/255 (clipping at 4σ), zero point 0. */
export function halfNormalUint8(n: number, seed: number, xScale: number): Int32Array {
  const z = normal(mulberry32(seed));
  return Int32Array.from({ length: n }, () => Math.min(255, Math.max(0, Math.round(Math.abs(z()) / xScale))));
}

export function sqnrProblem(opts: { inChannels?: number; outChannels?: number; size?: number; seed?: number; calibrationSamples?: number } = {}): SqnrProblem {
  const C = opts.inChannels ?? 64;
  const O = opts.outChannels ?? 32;
  const H = opts.size ?? 16;
  const seed = opts.seed ?? 2024;
  const shape: WinogradConvShape = { batch: 1, inHeight: H, inWidth: H, inChannels: C, outChannels: O, pads: [1, 1, 1, 1] };
  const geometry: ConvGeometry = {
    batch: 1, inChannels: C, outChannels: O, inHeight: H, inWidth: H, kernelH: 3, kernelW: 3,
    strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1], groups: 1,
  };
  const xScale = Math.fround(4 / 255);
  const input = halfNormalUint8(H * H * C, seed, xScale);
  const calibration = Array.from({ length: opts.calibrationSamples ?? 4 }, (_, k) => halfNormalUint8(H * H * C, seed + 1000 + k, xScale));
  // weights: N(0, σ_o²), σ_o log-uniform in [0.5, 2], quantized per output channel to int8 (symmetric)
  const rng = mulberry32(seed + 7);
  const z = normal(rng);
  const wData = new Int32Array(O * C * 9);
  const wScale = new Float64Array(O);
  for (let o = 0; o < O; o++) {
    const sigma = 0.5 * 4 ** rng();
    const wf = Float64Array.from({ length: C * 9 }, () => sigma * z());
    const maxAbs = wf.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    wScale[o] = Math.fround(maxAbs / 127);
    for (let i = 0; i < C * 9; i++) wData[o * C * 9 + i] = Math.max(-127, Math.min(127, Math.round(wf[i] / wScale[o])));
  }
  const weights: TapWeights = { data: wData, outChannels: O, inChannels: C, zeroPoint: 0 };
  // bias: real N(0, σ_o·2), as int32 in accumulator units
  const bias = Int32Array.from({ length: O }, (_, o) => Math.round((z() * 2 * 0.5 * 4 ** 0.5) / (xScale * wScale[o])));
  // y_scale: the exact real output's max |y| mapped to 127 (the same for every method compared)
  const probe = qlinearConvReference(geometry, {
    input, inputLayout: 'NHWC', weight: wData, weightLayout: 'OIHW', xZeroPoint: 0, wZeroPoint: 0,
    xScale, wScale, yScale: 1, yZeroPoint: 0, outputDtype: 'int8', bias: { shape: [O], data: bias, broadcast: 'channel' },
  });
  let maxReal = 0;
  probe.accumulator.forEach((a, i) => {
    maxReal = Math.max(maxReal, Math.abs(a * xScale * wScale[i % O]));
  });
  const yScale = Math.fround(maxReal / 127);
  const ref = qlinearConvReference(geometry, {
    input, inputLayout: 'NHWC', weight: wData, weightLayout: 'OIHW', xZeroPoint: 0, wZeroPoint: 0,
    xScale, wScale, yScale, yZeroPoint: 0, outputDtype: 'int8', bias: { shape: [O], data: bias, broadcast: 'channel' },
  });
  return { shape, geometry, input, calibration, weights, xScale, wScale, bias, yScale, ref };
}

export interface SqnrResult {
  /** Output domain: int8 outputs against QLinearConv's (zero point 0). */
  outputDb: number;
  /** Accumulator domain: Y before rounding against the exact ConvInteger sums. */
  accDb: number;
  scales: TapScales;
}

export function measureSqnr(algo: Winograd2D, p: SqnrProblem, options: Partial<TapCalibrationOptions> = {}): SqnrResult {
  const H = p.shape.inHeight;
  const scales = calibrateTapScales(
    algo,
    p.calibration.map((data) => ({ data, batch: 1, height: H, width: p.shape.inWidth })),
    p.weights,
    { inputDtype: 'uint8', xZeroPoint: 0, ...options },
  );
  const weightsQ = quantizeTapWeights(algo, p.weights, scales);
  const r = tapwiseWinogradConv(
    algo,
    {
      input: p.input, inputDtype: 'uint8', shape: p.shape, xScale: p.xScale, xZeroPoint: 0, weightsQ, wScale: p.wScale,
      yScale: p.yScale, yZeroPoint: 0, outputDtype: 'int8', bias: p.bias,
    },
    scales,
  );
  const O = p.shape.outChannels;
  const exactAcc = p.ref.accumulator.map((a, i) => a - p.bias[i % O]);
  return { outputDb: sqnrDb(r.output, p.ref.data), accDb: sqnrDb(r.accFloat, exactAcc), scales };
}

/**
 * int8/uint8 plans of the 'direct' and 'im2col' algorithms (src/kernels/int8): ConvInteger (int32 out),
 * QLinearConv (requantized int8/uint8 out, bit-exact with the reference through src/quant/requant.ts), or
 * dequantized float32 out. Input: int8/uint8 values packed 4 per u32 (NHWC: [N][H][W][ceil(C/4)·4] bytes;
 * NCHW: the plain byte tensor), see src/kernels/int8/format.ts.
 */
import { outputSize } from '../../conv/geometry.ts';
import type { NormalizedQuant } from '../../conv/quant-options.ts';
import {
  F32_MAX, directI8ConfigFor, directI8Dispatch, generateDirectI8Kernel, generateIm2colI8Kernel, im2colI8ConfigFor, im2colI8Dispatch,
  im2colI8KLayout, int8DotPathFor, packChannelParams, packInt8Weights, packedActivationWords, qOutputBytes,
  type QCallValues, type QOperandConfig, type QOutputMode,
} from '../../kernels/int8/index.ts';
import type { KernelSource } from '../../kernels/types.ts';
import { requantClamp, requantParams } from '../../quant/requant.ts';
import type { PrepareContext, PreparedConv } from '../algorithm.ts';
import { preparedFrom, thrownReason, triedLimit } from '../described.ts';
import { geometryAt, representativeGeometry } from '../epilogue-buffers.ts';
import { readWriteMode, readWriteVariant } from '../../kernels/read-write-variant.ts';

export const QUANT_OUTPUT_MODE: Record<NormalizedQuant['output'], QOutputMode> = { int32: 'convint', int8: 'qlinear', uint8: 'qlinear', float32: 'float' };

export async function prepareInt8(ctx: PrepareContext, kind: 'direct' | 'im2col'): Promise<PreparedConv> {
  const { core, desc: d } = ctx;
  const q = ctx.quant!;
  const g0 = representativeGeometry(d);
  const output = QUANT_OUTPUT_MODE[q.output];
  const dot = int8DotPathFor({ wgslLanguageFeatures: core.wgslLanguageFeatures }, core.adapterInfo);
  const probe = { layout: d.layout, input: q.inputDtype, weights: 'int8' as const, wzp: false, output, dot };
  const kLayout = kind === 'direct' ? 'tap4' : im2colI8KLayout(im2colI8ConfigFor(g0, probe).reader);
  const packed = packInt8Weights(ctx.weightsInt!, 'OIHW', g0, { input: q.inputDtype, weightDtype: q.weightDtype, wZeroPoint: q.wZeroPoint, kLayout });
  const ops: Pick<QOperandConfig, 'layout' | 'input' | 'weights' | 'wzp' | 'output' | 'dot' | 'rounding'> = {
    ...probe, weights: packed.storage, wzp: packed.wzp, ...(output === 'qlinear' && q.rounding === 'float32' ? { rounding: 'float32' as const } : {}),
  };
  const call: QCallValues = { xZeroPoint: q.xZeroPoint };
  let chan: Int32Array;
  if (output === 'qlinear') {
    const rq = requantParams(q.xScale, q.wScale, q.yScale);
    const act = d.activation.type === 'linear' ? undefined : { type: d.activation.type };
    const cl = requantClamp(act, q.yScale, q.yZeroPoint, q.output as 'int8' | 'uint8');
    call.yZeroPoint = cl.zp;
    call.clamp = [cl.lo, cl.hi];
    chan = packChannelParams('qlinear', g0, packed, { bias: ctx.biasInt, m0: rq.m0, shift: rq.shift });
  } else if (output === 'float') {
    call.xScale = q.xScale;
    call.floatClamp = d.activation.type === 'relu' ? [0, F32_MAX] : d.activation.type === 'relu6' ? [0, 6] : undefined;
    chan = packChannelParams('float', g0, packed, { wScale: q.wScale, bias: ctx.biasFloat });
  } else {
    chan = packChannelParams('convint', g0, packed);
  }
  const directCfg = kind === 'direct' ? directI8ConfigFor(g0, ops) : undefined;
  const im2colCfg = kind === 'im2col' ? im2colI8ConfigFor(g0, ops) : undefined;
  const kernel: KernelSource = readWriteVariant(directCfg ? generateDirectI8Kernel(directCfg) : generateIm2colI8Kernel(im2colCfg!), readWriteMode(ctx), { workspace: [], io: ['input', 'output'] });
  const weights = core.createBufferFrom(packed.words, GPUBufferUsage.STORAGE, `${kernel.id} weights`);
  const qchan = core.createBufferFrom(chan, GPUBufferUsage.STORAGE, `${kernel.id} qchan`);
  const built = await core.pipeline(kernel);
  const maxPerDim = core.limits.maxComputeWorkgroupsPerDimension;
  const dispatch = (n: number, height: number, width: number) => {
    const g = geometryAt(d, n, height, width);
    return directCfg ? directI8Dispatch(directCfg, g, call, maxPerDim) : im2colI8Dispatch(im2colCfg!, g, call, maxPerDim);
  };
  return preparedFrom(core, d, {
    algorithm: kind,
    kernels: [built],
    constants: { weights, qchan },
    shape(height, width) {
      const { outHeight, outWidth } = outputSize(geometryAt(d, 1, height, width));
      // Exact bytes per image (NCHW packs images back to back; chunk starts are aligned, ranges rounded to words).
      const inBytes = d.layout === 'NHWC' ? 4 * packedActivationWords('NHWC', { n: 1, c: d.inChannels, h: height, w: width }) : d.inChannels * height * width;
      const outBytes = output === 'qlinear' && d.layout === 'NCHW' ? d.outChannels * outHeight * outWidth : qOutputBytes(ops, 1, d.outChannels, outHeight, outWidth);
      return { outHeight, outWidth, inBytes, outBytes };
    },
    // The GEMM rows / direct pixels of a chunk must fit one dispatch (maxComputeWorkgroupsPerDimension).
    maxBatch: (height, width, batch) => triedLimit(batch, (n) => thrownReason(() => dispatch(n, height, width))),
    steps: (n, height, width) => [dispatch(n, height, width)],
    notes: () => [`int8 dot path: ${dot}`],
    workspaceMode: ctx.workspace ?? 'internal',
  });
}

/**
 * int8/uint8 plans of the 'direct' and 'im2col' algorithms (src/kernels/int8): ConvInteger (int32 out),
 * QLinearConv (requantized int8/uint8 out, bit-exact with the reference through src/quant/requant.ts), or
 * dequantized float32 out. Input: int8/uint8 values packed 4 per u32 (NHWC: [N][H][W][ceil(C/4)·4] bytes;
 * NCHW: the plain byte tensor), see src/kernels/int8/format.ts.
 */
import { ConvDescError } from '../../conv/validate.ts';
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
import { geometryAt, representativeGeometry } from '../epilogue-buffers.ts';
import { StepList, INPUT, OUTPUT } from '../steps.ts';
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
  const steps = new StepList(core);
  const maxPerDim = core.limits.maxComputeWorkgroupsPerDimension;
  return {
    algorithm: kind,
    kernelIds: [kernel.id],
    resize(batch, height, width) {
      const g = geometryAt(d, batch, height, width);
      const { outHeight, outWidth } = outputSize(g);
      const inputBytes = 4 * packedActivationWords(d.layout, { n: batch, c: d.inChannels, h: height, w: width });
      const outputBytes = qOutputBytes(ops, batch, d.outChannels, outHeight, outWidth);
      for (const [what, bytes] of [['the packed int8 input', inputBytes], ['the output', outputBytes]] as const) {
        const why = core.bindingMisfit(what, bytes);
        if (why) throw new ConvDescError('batch', batch, `int8 ${kind} at ${height}×${width}: ${why}; int8 plans do not split batches yet: call with a smaller batch`);
      }
      const disp = directCfg ? directI8Dispatch(directCfg, g, call, maxPerDim) : im2colI8Dispatch(im2colCfg!, g, call, maxPerDim);
      steps.set([{ built, buffers: { input: INPUT, weights, qchan, output: OUTPUT }, uniforms: disp.uniforms, workgroups: disp.workgroups }]);
      // An external workspace's size: these kernels use none.
      return { outHeight, outWidth, workspaceBytes: ctx.workspace === 'external' ? 0 : weights.size + qchan.size, notes: [`int8 dot path: ${dot}`], inputBytes, outputBytes };
    },
    stepKernelIds: () => steps.kernelIds(),
    releaseRetired: () => steps.releaseRetired(),
    encode: (target, io, ts, perStep) => steps.encode(target, io, ts, perStep),
    ioNames: () => steps.ioNames(),
    destroy() {
      steps.destroy();
      weights.destroy();
      qchan.destroy();
    },
  };
}

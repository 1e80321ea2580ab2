/**
 * int8/uint8 Winograd in the engine: 'winograd2-exact' (exact integer F(2×2,3×3): bit-identical to ConvInteger /
 * QLinearConv, refused above the derived int32 overflow bound) and the tap-wise quantized schemes
 * 'winograd2-tap', 'winograd4-tap', 'winograd2x1-tap', 'winograd4x1-tap' (approximate: tap scales from the
 * caller, from calibration samples, or bound-derived; the plan's SQNR against the exact QLinearConv result is
 * measured before use and must meet a floor). Kernels: src/kernels/int8-winograd.
 */
import { ConvDescError } from '../../conv/validate.ts';
import type { NormalizedDesc } from '../../conv/desc.ts';
import type { Winograd2D } from '../../winograd/index.ts';
import {
  exactWinogradApplicable, int8WinogradAlgo, prepareExactWinograd, prepareTapwiseWinograd, winogradGeometryReason,
  type Int8WinogradPrepared, type Int8WinogradScheme, type PackedWinogradWeights,
} from '../../kernels/int8-winograd/index.ts';
import { calibrateTapScales, staticTapScales, tapScalesFromJSON, tapScalesToJSON, type TapScales } from '../../quant/tapwise.ts';
import type { AlgorithmImpl, PrepareContext, PreparedConv } from '../algorithm.ts';
import type { EngineCore } from '../engine-core.ts';
import { geometryAt, representativeGeometry } from '../epilogue-buffers.ts';
import { preparedFrom, thrownReason, triedLimit } from '../described.ts';
import { readWriteMode, readWriteVariant } from '../../kernels/read-write-variant.ts';
import type { KernelSource } from '../../kernels/types.ts';
import { QUANT_OUTPUT_MODE } from './int8.ts';
import { int8DotPathFor } from '../../kernels/int8/index.ts';

const int8DotPathForWinograd = (core: EngineCore) => int8DotPathFor({ wgslLanguageFeatures: core.wgslLanguageFeatures }, core.adapterInfo);

/**
 * SQNR floors (dB, output domain, against the exact QLinearConv result) a tap-wise plan must measure before use
 * when the caller sets no minSqnrDb. Measured: src/quant on ReLU-like data with calibrated scales, accumulator-
 * fine outputs: 34.4 / 23.9 / 35.4 / 31.7 dB; the engine GPU case with a coarse y_scale (0.5): 26.8 / 22.1 /
 * 29.7 / 26.0 dB. Each floor sits about 2 dB under the lower of the two: a plan far below its scheme's normal
 * accuracy (bad scales, wrong data range) is refused, not run.
 */
export const TAP_SQNR_FLOOR_DB: Record<Exclude<Int8WinogradScheme, 'winograd2-exact'>, number> = {
  'winograd2-tap': 25,
  'winograd4-tap': 20,
  'winograd2x1-tap': 27,
  'winograd4x1-tap': 24,
};

function prepareFor(scheme: Int8WinogradScheme, ctx: PrepareContext, g: ReturnType<typeof geometryAt>, scales: TapScales | undefined, core: EngineCore, packed?: PackedWinogradWeights): Int8WinogradPrepared {
  const d = ctx.desc;
  const q = ctx.quant!;
  if (q.rounding === 'float32' && (q.output === 'int8' || q.output === 'uint8')) {
    throw new ConvDescError('quant.rounding', 'float32', `${scheme} requantizes with the reference's float64 product only; ONNX Runtime's float32 rounding runs on direct and im2col`);
  }
  const base = {
    geometry: g, layout: d.layout, input: q.inputDtype, xZeroPoint: q.xZeroPoint, weights: ctx.weightsInt!, weightLayout: 'OIHW' as const,
    weightDtype: q.weightDtype, wZeroPoint: q.wZeroPoint, maxWorkgroupsPerDimension: core.limits.maxComputeWorkgroupsPerDimension, packed,
    quant: {
      output: QUANT_OUTPUT_MODE[q.output], xScale: q.xScale, wScale: q.wScale.length === 1 ? q.wScale[0] : q.wScale, yScale: q.yScale, yZeroPoint: q.yZeroPoint,
      outputDtype: q.output === 'int8' || q.output === 'uint8' ? q.output : undefined, bias: ctx.biasInt ?? ctx.biasFloat,
      activation: d.activation.type as 'linear' | 'relu' | 'relu6',
    },
  };
  if (scheme === 'winograd2-exact') return prepareExactWinograd(base);
  return prepareTapwiseWinograd({ ...base, scheme, scales: scales!, dot: int8DotPathForWinograd(core), algo: ctx.transforms });
}

/** The tap scales of a plan: given (object or JSON), calibrated from samples, or derived from bounds. */
export function tapScalesFor(scheme: Int8WinogradScheme, ctx: PrepareContext): { scales: TapScales; source: string } {
  const algo = ctx.transforms ?? int8WinogradAlgo(scheme);
  const d = ctx.desc;
  const q = ctx.quant!;
  const weights = { data: ctx.weightsInt!, outChannels: d.outChannels, inChannels: d.inChannels, zeroPoint: q.wZeroPoint };
  if (ctx.tapScales) {
    // Learned transforms are named by the caller's tooling; the matrices (in the kernel IDs' hash) are what count.
    const json = ctx.transforms && typeof ctx.tapScales === 'object' ? { ...(ctx.tapScales as object), algorithm: algo.name } : ctx.tapScales;
    return { scales: tapScalesFromJSON(json, algo, 'tapScales.'), source: 'given by the caller' };
  }
  if (ctx.calibration?.length) {
    const samples = ctx.calibration.map((s) => ({ ...s, data: s.data }));
    return { scales: calibrateTapScales(algo, samples, weights, { inputDtype: q.inputDtype, xZeroPoint: q.xZeroPoint, pads: d.pads }), source: `calibrated on ${samples.length} sample(s)` };
  }
  return { scales: staticTapScales(algo, weights, { inputDtype: q.inputDtype, xZeroPoint: q.xZeroPoint }), source: 'bound-derived (no calibration samples given)' };
}

function makeImpl(scheme: Int8WinogradScheme): AlgorithmImpl {
  const tap = scheme !== 'winograd2-exact';
  return {
    name: scheme,
    cannotServe(d: NormalizedDesc, transforms?: Winograd2D) {
      if (d.dtype === 'float32') return `dtype float32: ${scheme} is an int8/uint8 algorithm`;
      const standard = int8WinogradAlgo(scheme);
      if (transforms) {
        if (!tap) return 'learned transforms run on the tap-wise schemes, not on exact integer Winograd';
        if (transforms.mh !== standard.mh || transforms.mw !== standard.mw) return `learned transforms have output tile ${transforms.mh}×${transforms.mw}; ${scheme} is ${standard.mh}×${standard.mw}`;
      }
      const why = winogradGeometryReason(representativeGeometry(d), transforms ?? standard);
      if (why) return why;
      return undefined;
    },
    async prepare(ctx): Promise<PreparedConv> {
      const { core, desc: d } = ctx;
      const q = ctx.quant!;
      if (tap && q.output !== 'int8' && q.output !== 'uint8') throw new Error(`${scheme}: quant.output ${q.output}: tap-wise Winograd serves QLinearConv outputs (int8, uint8); use winograd2-exact, im2col or direct`);
      const g0 = representativeGeometry(d);
      if (!tap) {
        const why = exactWinogradApplicable(g0, { input: q.inputDtype, xZeroPoint: q.xZeroPoint, weightDtype: q.weightDtype, wZeroPoint: q.wZeroPoint, weights: ctx.weightsInt, weightLayout: 'OIHW' });
        if (why) throw new Error(`winograd2-exact not applicable: ${why}`);
      }
      const chosen = tap ? tapScalesFor(scheme, ctx) : undefined;
      const first = prepareFor(scheme, ctx, g0, chosen?.scales, core);
      const missing = first.features.filter((f) => !core.device.features.has(f));
      if (missing.length) throw new Error(`${scheme}: the device lacks ${missing.join(', ')}`);
      const constants: Record<string, GPUBuffer> = {};
      for (const [name, data] of Object.entries(first.constants)) constants[name] = core.createBufferFrom(data, GPUBufferUsage.STORAGE, `${scheme} ${name}`);
      // Workspaces: every binding but the constants and the caller's input and output.
      const workspaceNames = (k: KernelSource) => k.bindings.map((b) => b.name).filter((n) => !(n in first.constants) && n !== 'input' && n !== 'output');
      const variant = (k: KernelSource) => readWriteVariant(k, readWriteMode(ctx), { workspace: workspaceNames(k), io: ['input', 'output'] });
      const built = await Promise.all(first.stages.map((s) => core.pipeline(variant(s.kernel))));
      const kernelIds = built.map((b) => b.kernel.id);
      const notes = [...first.notes];
      if (chosen) notes.push(`tap scales: ${chosen.source}`);
      // Sizes only change uniforms, dispatch sizes and workspace; the weights packed at creation (first.packed) are
      // handed back, not recomputed, and the constants uploaded then stay. One preparation per chunk size.
      const memo = new Map<string, Int8WinogradPrepared>();
      const at = (n: number, height: number, width: number): Int8WinogradPrepared => {
        const key = `${n}x${height}x${width}`;
        let p = memo.get(key);
        if (!p) {
          if (memo.size > 8) memo.clear();
          p = prepareFor(scheme, ctx, geometryAt(d, n, height, width), chosen?.scales, core, first.packed);
          p.stages.forEach((s, i) => {
            if (variant(s.kernel).id !== kernelIds[i]) throw new Error(`${scheme}: kernel ${s.kernel.id} at this size differs from the plan's ${kernelIds[i]}`);
          });
          memo.set(key, p);
        }
        return p;
      };
      const misfit = (n: number, height: number, width: number): string | undefined => {
        const why = thrownReason(() => at(n, height, width));
        if (why) return why;
        for (const [name, bytes] of Object.entries(at(n, height, width).workspace)) {
          const w = core.bindingMisfit(`${scheme} workspace ${name}`, bytes);
          if (w) return w;
        }
        return undefined;
      };
      return preparedFrom(core, d, {
        algorithm: scheme,
        kernels: built,
        constants,
        tapScales: chosen ? tapScalesToJSON(chosen.scales) : undefined,
        shape(height, width) {
          const p = at(1, height, width);
          const [oh, ow] = [p.outputDims[2], p.outputDims[3]];
          // Exact bytes per image: NCHW int8 tensors pack images back to back (at(1) rounds them up to a word).
          const nchw = d.layout === 'NCHW';
          return { outHeight: oh, outWidth: ow, inBytes: nchw ? d.inChannels * height * width : p.inputBytes, outBytes: nchw && q.output !== 'int32' && q.output !== 'float32' ? d.outChannels * oh * ow : p.outputBytes };
        },
        // Workspace bindings and dispatch sizes of a chunk must fit the device: the largest chunk that does.
        maxBatch: (height, width, batch) => triedLimit(batch, (n) => misfit(n, height, width)),
        workspace: (n, height, width) => Object.entries(at(n, height, width).workspace).map(([name, bytes]) => ({ name, bytes, label: `${scheme} ${name}` })),
        steps: (n, height, width) => at(n, height, width).stages.map((s) => ({ uniforms: s.uniforms, workgroups: s.workgroups })),
        notes: () => notes,
        workspaceMode: ctx.workspace ?? 'internal',
      });
    },
  };
}

export const int8WinogradImpls: AlgorithmImpl[] = (['winograd2-exact', 'winograd2-tap', 'winograd4-tap', 'winograd2x1-tap', 'winograd4x1-tap'] as Int8WinogradScheme[]).map(makeImpl);

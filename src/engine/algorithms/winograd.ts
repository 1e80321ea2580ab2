/**
 * Winograd F(m×m, r×r) (and the 1-D forms F(m×1, r×r) / F(1×m, r×r), and user-supplied learned transforms) as
 * three dispatches: input transform → batched GEMM over the taps (the shared GEMM body with plain operands)
 * → output transform fused with bias and activation. The filter transform runs once, on the CPU in float64,
 * at plan creation.
 */
import type { NormalizedDesc } from '../../conv/desc.ts';
import { directAlgorithm, winograd1D, winograd2D, type Winograd2D } from '../../winograd/index.ts';
import { generateGemmKernel, gemmDispatch } from '../../kernels/gemm.ts';
import { gemmFormatFor, gemmTileFor, gemmTilings } from '../gemm-tile.ts';
import { plainAPart, plainBPart, plainCPart, plainGemmUniforms } from '../../kernels/gemm-plain.ts';
import { transformWinogradFilter } from '../../kernels/winograd-filter.ts';
import { generateWinogradInputKernel, winogradInputInvocations, winogradInputUniforms } from '../../kernels/winograd-input.ts';
import { winogradAlgoIdPart, winogradLayout, type WinogradProblem } from '../../kernels/winograd-layout.ts';
import { generateWinogradOutputKernel, winogradOutputInvocations, winogradOutputUniforms, type WinogradOutputConfig } from '../../kernels/winograd-output.ts';
import { linearDispatch } from '../../runtime/pipeline.ts';
import type { AlgorithmImpl, ConcreteAlgorithm, PreparedConv } from '../algorithm.ts';
import { EpilogueBuffers } from '../epilogue-buffers.ts';
import { preparedFrom } from '../described.ts';
import { elementBytes, storageData, storageKernel } from '../float-storage.ts';
import { readWriteMode, readWriteVariant } from '../../kernels/read-write-variant.ts';

type WinogradName = Exclude<Extract<ConcreteAlgorithm, `winograd${string}`>, `${string}-${string}`>;

/** Output tile (mh, mw) of each Winograd algorithm name; 1 means direct along that axis. */
const TILE: Record<WinogradName, [number, number]> = {
  winograd2: [2, 2], winograd4: [4, 4], winograd6: [6, 6], winograd2x1: [2, 1], winograd4x1: [4, 1], winograd1x2: [1, 2], winograd1x4: [1, 4],
};

/** The algorithm name that serves user transforms with output tile mh × mw. */
export function winogradNameForTile(mh: number, mw: number): WinogradName | undefined {
  return (Object.keys(TILE) as WinogradName[]).find((k) => TILE[k][0] === mh && TILE[k][1] === mw);
}

/**
 * The standard transforms of an algorithm name. float16 plans take F(4,3) from the points {0, ±1, 1/2, −2, ∞}
 * ('alt'): with f16 storage of x, w, U, V and y they measured the lowest error of the F(4,3) point sets
 * (bench/fp16-error.ts, max|y − ref| / max|ref| vs float64, C = 32 @24² / C = 128 @16²: alt 2.1e-3 / 1.6e-3,
 * default {0, ±1, ±2} 4.4e-3 / 3.9e-3, {0, ±1, ±1/2} 4.7e-3 / 3.9e-3).
 */
export function standardAlgorithm(name: WinogradName, r: number, dtype: NormalizedDesc['dtype'] = 'float32'): Winograd2D {
  const [mh, mw] = TILE[name];
  const axis = (m: number) => (m === 1 ? directAlgorithm(r) : winograd1D(m, r, dtype === 'float16' && m === 4 && r === 3 ? 'alt' : 'default'));
  return winograd2D(axis(mh), axis(mw));
}

function makeImpl(name: WinogradName): AlgorithmImpl {
  const [mh, mw] = TILE[name];
  const cannotServe = (d: NormalizedDesc, transforms?: Winograd2D): string | undefined => {
    if (d.dtype !== 'float32' && d.dtype !== 'float16') return `dtype ${d.dtype}: this is the float Winograd; int8/uint8 plans take winograd2-exact or the tap-wise schemes`;
    if (d.strides[0] !== 1 || d.strides[1] !== 1) return `stride ${d.strides[0]}×${d.strides[1]}: Winograd needs stride 1`;
    if (d.dilations[0] !== 1 || d.dilations[1] !== 1) return `dilation ${d.dilations[0]}×${d.dilations[1]}: Winograd needs dilation 1`;
    if (d.groups !== 1) return `groups ${d.groups}: Winograd serves groups = 1 (grouped and depthwise go to direct or im2col)`;
    if (transforms) {
      const own = winogradNameForTile(transforms.mh, transforms.mw);
      if (own !== name) return `user transforms are F(${transforms.mh}×${transforms.mw}, ${transforms.rh}×${transforms.rw}): served by ${own ?? 'no algorithm name'}`;
      return undefined;
    }
    if (d.kernelH !== d.kernelW) return `kernel ${d.kernelH}×${d.kernelW}: Winograd here needs a square kernel`;
    const r = d.kernelH;
    const square = mh === mw;
    const okR = square && mh <= 4 ? [3, 5] : [3];
    if (!okR.includes(r)) return `kernel ${r}×${r}: F(${mh}×${mw}, r×r) is offered for r = ${okR.join(' or ')}`;
    return undefined;
  };
  return {
    name,
    cannotServe,
    tunings: (d, core) => gemmTilings(core, d.dtype),
    async prepare(ctx): Promise<PreparedConv> {
      const { core, desc: d } = ctx;
      const algo = ctx.transforms ?? standardAlgorithm(name, d.kernelH, d.dtype);
      const epi = new EpilogueBuffers(core, d, ctx.bias, ctx.prelu, { residual: ctx.residual, preActivation: ctx.preActivation });
      const rw = readWriteMode(ctx);
      const inputKernel = readWriteVariant(storageKernel(d, generateWinogradInputKernel({ algo, layout: d.layout, dtype: 'f32', channelsAligned: d.inChannels % 4 === 0 })), rw);
      const outCfg: WinogradOutputConfig = { algo, layout: d.layout, dtype: 'f32', channelsAligned: d.outChannels % 4 === 0, epilogue: epi.config };
      const outputKernel = readWriteVariant(storageKernel(d, generateWinogradOutputKernel(outCfg)), rw);
      const tile = gemmTileFor(core, d.outChannels, ctx.tuning);
      const gemmKernel = readWriteVariant(storageKernel(d, generateGemmKernel({ idPrefix: `${winogradAlgoIdPart(algo)}_gemm_f32`, operands: { a: plainAPart(), b: plainBPart(), c: plainCPart() }, tile, format: gemmFormatFor(core, ctx.tuning) })), rw);
      // The filter transform runs in float64 from the (float16 plans: rounded) weights; U is stored in the plan's dtype.
      const u = storageData(d, transformWinogradFilter(algo, ctx.weightsOIHW, { weightLayout: 'OIHW', outChannels: d.outChannels, inChannels: d.inChannels }));
      const misfitU = core.bindingMisfit('the transformed filter U', u.byteLength);
      if (misfitU) throw new Error(misfitU);
      const uBuf = core.createBufferFrom(u, GPUBufferUsage.STORAGE, `${gemmKernel.id} U`);
      const [inB, gemmB, outB] = await Promise.all([core.pipeline(inputKernel), core.pipeline(gemmKernel), core.pipeline(outputKernel)]);
      const maxPerDim = core.limits.maxComputeWorkgroupsPerDimension;
      const problem = (n: number, height: number, width: number): WinogradProblem => ({ batch: n, inHeight: height, inWidth: width, inChannels: d.inChannels, outChannels: d.outChannels, pads: d.pads });
      return preparedFrom(core, d, {
        algorithm: name,
        kernels: [inB, gemmB, outB],
        constants: { wino_u: uBuf },
        // The plain GEMM's operands are the Winograd buffers: A = V, B = U, C = M.
        aliases: { gemm_a: 'wino_v', gemm_b: 'wino_u', gemm_c: 'wino_m' },
        epilogue: epi,
        shape(height, width) {
          const one = winogradLayout(algo, problem(1, height, width));
          const e = elementBytes(d);
          return { outHeight: one.outHeight, outWidth: one.outWidth, inBytes: height * width * d.inChannels * e, outBytes: one.outHeight * one.outWidth * d.outChannels * e };
        },
        maxBatch(height, width) {
          const one = winogradLayout(algo, problem(1, height, width));
          const maxBinding = core.limits.maxStorageBufferBindingSize;
          const wsPerImage = (Math.max(one.vBytes, one.mBytes) * elementBytes(d)) / 4;
          const tilesPerCall = maxPerDim * tile.tm * tile.wgy;
          return [
            { batch: Math.floor(maxBinding / wsPerImage), reason: `V/M workspace of ${wsPerImage} bytes per image, maxStorageBufferBindingSize ${maxBinding}` },
            { batch: Math.floor(tilesPerCall / one.tiles), reason: `${one.tiles} tiles per image, ${tilesPerCall} GEMM rows per dispatch (maxComputeWorkgroupsPerDimension)` },
          ].reduce((a, b) => (b.batch < a.batch ? b : a));
        },
        workspace(n, height, width) {
          const l = winogradLayout(algo, problem(n, height, width));
          // V and M in the plan's storage dtype (winogradLayout counts 4-byte floats).
          const e = elementBytes(d);
          return [{ name: 'wino_v', bytes: (l.vBytes * e) / 4, label: `${inputKernel.id} V` }, { name: 'wino_m', bytes: (l.mBytes * e) / 4, label: `${gemmKernel.id} M` }];
        },
        steps(n, height, width) {
          const p = problem(n, height, width);
          const l = winogradLayout(algo, p);
          const inD = linearDispatch(winogradInputInvocations(l), inputKernel.workgroupSize[0], maxPerDim);
          const outD = linearDispatch(winogradOutputInvocations(l), outputKernel.workgroupSize[0], maxPerDim);
          return [
            { uniforms: winogradInputUniforms(l, p, inD.rowPitch), workgroups: [inD.x, inD.y, 1] },
            { uniforms: plainGemmUniforms({ batch: l.taps, m: l.tiles, n: d.outChannels, k: l.cPad }), workgroups: gemmDispatch(tile, l.tiles, d.outChannels, l.taps) },
            { uniforms: winogradOutputUniforms(outCfg, l, p, outD.rowPitch, epi.params()), workgroups: [outD.x, outD.y, 1] },
          ];
        },
        notes(n, height, width) {
          const l = winogradLayout(algo, problem(n, height, width));
          return [`${l.taps} taps × GEMM ${l.tiles}×${d.outChannels}×${l.cPad} per call`];
        },
        workspaceMode: ctx.workspace ?? 'internal',
      });
    },
  };
}

export const winogradImpls: AlgorithmImpl[] = (Object.keys(TILE) as WinogradName[]).map(makeImpl);

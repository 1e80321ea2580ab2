/**
 * Winograd output transform: Y = AhT · M · Aw per tile and vec4 group of output channels, from the GEMM
 * result M[ξ][t][o4] (layout: src/kernels/winograd-layout.ts), fused with the shared epilogue (bias,
 * activation: src/kernels/epilogue.ts) and written in the caller's layout, cropped to Ho × Wo.
 *
 * One invocation: one tile × 4 output channels. It loads the nh·nw vec4 values of its tile, applies the
 * transform unrolled from the exact matrices (f32 literals rounded once, zero terms dropped, ±1 as
 * add/sub), then runs epilogue4 on each of the mh·mw output pixels and stores them. Whole tiles (all but the
 * last row/column of tiles) take a store path without per-pixel tests.
 *
 * As in the input transform, the 2-D transform is two 1-D passes written out term by term as straight-line
 * code (no loops, no private arrays: see src/kernels/winograd-input.ts for the measurement). The bias and
 * PReLU slopes of the tile's 4 channels are loaded once, not once per pixel (epilogueHoist).
 */
import type { Layout } from '../conv/types.ts';
import { composeKernel, type WgslPart } from './compose.ts';
import { type EpilogueConfig, type EpilogueParams, epilogueHoist, epilogueIdPart, epiloguePart } from './epilogue.ts';
import { epilogueUniformValues } from './weight-pack.ts';
import type { KernelSource } from './types.ts';
import type { Winograd2D } from '../winograd/types.ts';
import {
  type WinogradLayout,
  type WinogradProblem,
  isBareOperand,
  matrixComment,
  outputTileIndexPrologue,
  range,
  tapIndex,
  unrolled1D,
  winogradAlgoIdPart,
  ZERO_VEC4,
} from './winograd-layout.ts';

export interface WinogradOutputConfig {
  algo: Winograd2D;
  /** Layout of the output tensor. */
  layout: Layout;
  dtype: 'f32';
  /**
   * True when the output channel count is a multiple of 4: NHWC stores whole vec4s, NCHW drops the
   * per-lane channel bounds. False works for any O (scalar stores with c < O; ID suffix `_cbound`).
   */
  channelsAligned: boolean;
  epilogue: EpilogueConfig;
  /** Invocations per workgroup (1-D); default 64. */
  workgroupSize?: number;
}

export const WINOGRAD_OUTPUT_UNIFORMS = ['batch', 'out_h', 'out_w', 'out_c', 'tiles_h', 'tiles_w', 'o4', 'row_pitch'] as const;

const DEFAULT_WG = 64;

function checkConfig(cfg: WinogradOutputConfig): number {
  if (cfg?.algo?.dims !== 2) throw new Error(`algo: expected a 2-D Winograd algorithm (winograd2D), got ${String(cfg?.algo?.name ?? cfg?.algo)}`);
  if (cfg.layout !== 'NHWC' && cfg.layout !== 'NCHW') throw new Error(`layout: expected 'NHWC' or 'NCHW', got ${JSON.stringify(cfg.layout)}`);
  if (cfg.dtype !== 'f32') throw new Error(`dtype: expected 'f32', got ${JSON.stringify(cfg.dtype)}`);
  if (typeof cfg.channelsAligned !== 'boolean') throw new Error(`channelsAligned: expected a boolean (output channels % 4 == 0), got ${String(cfg.channelsAligned)}`);
  if (!cfg.epilogue) throw new Error('epilogue: expected an EpilogueConfig ({ bias, activation })');
  const wg = cfg.workgroupSize ?? DEFAULT_WG;
  if (!Number.isInteger(wg) || wg < 1 || wg > 256) throw new Error(`workgroupSize: expected an integer in [1, 256], got ${String(wg)}`);
  return wg;
}

/** Kernel ID: `<algo>_output_f32_<nhwc|nchw>[_cbound][_wgN][_<epilogue>]`, e.g. `wino4x4_output_f32_nhwc_bias_relu`. */
export function winogradOutputKernelId(cfg: WinogradOutputConfig): string {
  const wg = checkConfig(cfg);
  const parts = [winogradAlgoIdPart(cfg.algo), 'output', cfg.dtype, cfg.layout.toLowerCase()];
  if (!cfg.channelsAligned) parts.push('cbound');
  if (wg !== DEFAULT_WG) parts.push(`wg${wg}`);
  const epi = epilogueIdPart(cfg.epilogue);
  if (epi) parts.push(epi);
  return parts.join('_');
}

/** Invocations to dispatch: tiles · o4 (1-D, split over y by the caller with `row_pitch`). */
export function winogradOutputInvocations(l: WinogradLayout): number {
  return l.tiles * l.o4;
}

/**
 * The kernel's uniform values for one call, including the epilogue's (epi_cpad = 4·o4 for tensor-mode
 * bias/slopes, epi_alpha for leakyrelu) when its config uses them.
 */
export function winogradOutputUniforms(
  cfg: WinogradOutputConfig,
  l: WinogradLayout,
  p: WinogradProblem,
  rowPitch: number,
  leakyAlpha: number | EpilogueParams = 0.2,
): Record<string, number> {
  const u: Record<string, number> = {
    batch: p.batch,
    out_h: l.outHeight,
    out_w: l.outWidth,
    out_c: p.outChannels,
    tiles_h: l.tilesH,
    tiles_w: l.tilesW,
    o4: l.o4,
    row_pitch: rowPitch,
  };
  const epi = epilogueUniformValues(cfg.epilogue, p.outChannels, leakyAlpha, l.outHeight * l.outWidth);
  if (epi.epi_cpad !== undefined) epi.epi_cpad = l.oPad;
  return { ...u, ...epi };
}

export function generateWinogradOutputKernel(cfg: WinogradOutputConfig): KernelSource {
  const wg = checkConfig(cfg);
  const id = winogradOutputKernelId(cfg);
  const { algo } = cfg;
  const { mh, mw, nh, nw } = algo;
  const nhwc = cfg.layout === 'NHWC';
  const vecStores = nhwc && cfg.channelsAligned;
  const laneBounds = !cfg.channelsAligned;
  const I = '  ';
  const II = I + I;

  const part: WgslPart = {
    idPart: '',
    bindings: [
      { name: 'wino_m', kind: 'read-only-storage', type: 'array<vec4<f32>>' },
      { name: 'output', kind: 'storage', type: vecStores ? 'array<vec4<f32>>' : 'array<f32>' },
    ],
    uniforms: WINOGRAD_OUTPUT_UNIFORMS.map((name) => ({ name, type: 'u32' as const })),
    code: [
      '// NaN in every lane whose tile holds a non-finite value (nf), else y unchanged; on the bits, so it cannot be folded.',
      'fn nan_tile(y: vec4<f32>, nf: vec4<bool>) -> vec4<f32> {',
      '  return bitcast<vec4<f32>>(select(bitcast<vec4<u32>>(y), vec4<u32>(0x7fc00000u), nf));',
      '}',
    ].join('\n'),
  };
  const epi = epiloguePart(cfg.epilogue);

  const body: string[] = outputTileIndexPrologue(nhwc, I);
  body.push(...matrixComment(`Y = AhT · M · Aw (${algo.name}), step 1 along H: t[:, b] = AhT · M[:, b] for each tap column b; AhT = ${algo.h.name} AT`, algo.h.AT, I));
  for (let b = 0; b < nw; b++) {
    for (let a = 0; a < nh; a++) {
      const xi = a * nw + b;
      body.push(`${I}let m${a}_${b} = wino_m[${tapIndex('mb', 'ms', xi)}];`);
    }
    body.push(...unrolled1D(algo.h.AT, range(nh).map((a) => `m${a}_${b}`), (i, e) => `${I}let t${i}_${b} = ${e};`));
  }

  // Output addressing: p0 = linear pixel of the tile's first output; NCHW adds q0 = its element index in channel c.
  body.push(`${I}let c = 4u * k;`, `${I}let oh0 = ${mh === 1 ? 'th' : `th * ${mh}u`};`, `${I}let ow0 = ${mw === 1 ? 'tw' : `tw * ${mw}u`};`);
  body.push(`${I}let p0 = (n * params.out_h + oh0) * params.out_w + ow0;`);
  if (!nhwc) {
    body.push(`${I}let plane = params.out_h * params.out_w;`);
    body.push(`${I}let q0 = (n * params.out_c + c) * plane + oh0 * params.out_w + ow0;`);
  }
  // Bias and PReLU slopes of channels c … c+3, loaded once for the tile's mh·mw pixels.
  const hoist = epilogueHoist(cfg.epilogue);
  body.push(...hoist.prelude('c', I));
  if (laneBounds) body.push(`${I}let lane_ok = vec4<u32>(c) + vec4<u32>(0u, 1u, 2u, 3u) < vec4<u32>(params.out_c);`);
  body.push(`${I}let rows = params.out_h - oh0;`, `${I}let cols = params.out_w - ow0;`);
  body.push(`${I}let whole = rows >= ${mh}u && cols >= ${mw}u;`);

  const lanes = ['x', 'y', 'z', 'w'];
  /** Stores pixel j of output row i (value `v`), through the epilogue. */
  const storePixel = (i: number, j: number, v: string, ind: string): string[] => {
    const px = `p${i}_${j}`;
    const pix = [`${ind}let ${px} = p0${i ? ` + ${i === 1 ? '' : `${i}u * `}params.out_w` : ''}${j ? ` + ${j}u` : ''};`];
    if (vecStores) return [...pix, `${ind}output[${px} * params.o4 + k] = ${hoist.call4(v, px, 'c')};`];
    const out = [`${ind}{`, ...pix.map((l) => I + l), `${ind}${I}let e = ${hoist.call4(v, px, 'c')};`];
    out.push(nhwc ? `${ind}${I}let o = ${px} * params.out_c + c;` : `${ind}${I}let o = q0${i ? ` + ${i === 1 ? '' : `${i}u * `}params.out_w` : ''}${j ? ` + ${j}u` : ''};`);
    lanes.forEach((ln, l) => {
      const at = l === 0 ? 'o' : nhwc ? `o + ${l}u` : l === 1 ? 'o + plane' : `o + ${l}u * plane`;
      const st = `output[${at}] = e.${ln};`;
      // Lane 0 is always a real channel (c = 4k < O).
      out.push(laneBounds && l > 0 ? `${ind}${I}if (lane_ok.${ln}) { ${st} }` : `${ind}${I}${st}`);
    });
    out.push(`${ind}}`);
    return out;
  };
  const III = II + I;
  body.push(...matrixComment(`step 2 along W: Y[i, :] = AwT · t[i, :] for each output row i; AwT = ${algo.w.name} AT`, algo.w.AT, I));
  const ys: string[][] = [];
  for (let i = 0; i < mh; i++) {
    ys.push(
      unrolled1D(algo.w.AT, range(nw).map((b) => `t${i}_${b}`), (j, e) => {
        if (isBareOperand(e) || e === ZERO_VEC4) return e;
        body.push(`${I}let y${i}_${j} = ${e};`);
        return `y${i}_${j}`;
      }),
    );
  }
  // Non-finite values: Winograd mixes a tile's whole input patch into every output of the tile, and an Inf
  // comes out of the transforms with signs and magnitudes unrelated to the direct result (-Inf where direct
  // gives +Inf, then 0 after a ReLU). So a non-finite y (exponent bits all ones) makes the tile's 4 channels'
  // outputs NaN (README "Special values"), in integer ops the compiler cannot fold. Cost: 3 ops per y + 1 select.
  const yTerms = ys.flat().filter((y) => y !== ZERO_VEC4);
  const EXP = 'vec4<u32>(0x7f800000u)';
  body.push(`${I}let nf = ${yTerms.map((y) => `((bitcast<vec4<u32>>(${y}) & ${EXP}) == ${EXP})`).join(' | ')};`);
  for (let i = 0; i < mh; i++) for (let j = 0; j < mw; j++) ys[i][j] = `nan_tile(${ys[i][j]}, nf)`;
  // Whole tiles: no tests. The last tile row/column: rows past Ho and pixels past Wo are skipped.
  body.push(`${I}if (whole) {`);
  for (let i = 0; i < mh; i++) for (let j = 0; j < mw; j++) body.push(...storePixel(i, j, ys[i][j], II));
  body.push(`${I}} else {`);
  for (let i = 0; i < mh; i++) {
    const inner: string[] = [];
    for (let j = 0; j < mw; j++) {
      if (j === 0) inner.push(...storePixel(i, j, ys[i][j], III));
      else inner.push(`${III}if (${j}u < cols) {`, ...storePixel(i, j, ys[i][j], III + I), `${III}}`);
    }
    if (i === 0) body.push(...inner.map((l) => l.slice(I.length)));
    else body.push(`${II}if (${i}u < rows) {`, ...inner, `${II}}`);
  }
  body.push(`${I}}`);


  const storeDesc = vecStores
    ? 'NHWC, O % 4 == 0: one vec4 store per pixel at output[pix · o4 + k]'
    : nhwc
      ? 'NHWC, any O: scalar stores at output[pix · O + c + l] for c + l < O'
      : `NCHW: scalar stores at output[((n · O + c + l) · Ho + oh) · Wo + ow]${laneBounds ? ' for c + l < O' : ''}`;
  const header = [
    `Winograd output transform ${algo.name} (tile ${mh}x${mw} outputs from ${nh}x${nw} taps), f32, ${cfg.layout} output, epilogue: bias ${cfg.epilogue.bias}, ${cfg.epilogue.activation}.`,
    `Thread mapping: one invocation = one tile t × 4 output channels (vec4 group k, c = 4k); idx = gid.y · row_pitch + gid.x,`,
    nhwc ? `  k = idx % o4 (fastest), t = idx / o4.` : `  t = idx % tiles (fastest: neighbours write neighbouring columns), k = idx / tiles.`,
    `Reads: M[ξ][t][k] for the ${nh * nw} taps ξ. Computes Y = AhT · M · Aw, then epilogue4(y, pix, c) per pixel,`,
    `  pix = (n · Ho + oh) · Wo + ow; ${storeDesc}.`,
    `  Pixels past Ho/Wo in the last tile row/column are skipped (whole tiles take a test-free path).`,
    `Y = AhT · M · Aw as straight-line code: per tap column, load it and apply AhT; per row of the result, apply AwT;`,
    `  then the epilogue (per-channel operands loaded once) and the stores.`,
    `Workgroup memory: none. Barriers: none.`,
    `Dispatch: ${wg} invocations per workgroup along x; tiles · o4 invocations in all (tiles = batch · tiles_h · tiles_w),`,
    `  x = ceil(total / ${wg}) workgroups (split over y past the device limit, row_pitch = x · ${wg}).`,
  ].join('\n');

  const main = [`@compute @workgroup_size(${wg})`, 'fn main(@builtin(global_invocation_id) gid: vec3<u32>) {', ...body, '}'].join('\n');
  return composeKernel({ id, header, parts: [part, epi], main, workgroupSize: [wg, 1, 1] });
}

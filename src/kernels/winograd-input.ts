/**
 * Winograd input transform: V[ξ][t][c4] = (BhT · d · Bw)[ξ] for every tile t and vec4 group of input
 * channels, read straight from the caller's tensor (padding handled in the reads, no padded copy) and
 * written in the GEMM-A layout of src/kernels/winograd-layout.ts.
 *
 * One invocation: one tile × 4 channels (a vec4). It loads the nh×nw patch (zeros outside the image),
 * applies the transform unrolled from the exact matrices (f32 literals rounded once, zero terms dropped,
 * ±1 as add/sub) and stores the nh·nw vec4 results. The out-of-image test is branch-free: row and column
 * indices are clamped into the image (so every load is in bounds) and the value is replaced by zero with
 * `select`; the interior path therefore has no branches at all.
 *
 * The 2-D transform is two 1-D passes, written out term by term as straight-line code: each patch column is
 * loaded and BhT applied to it, then BwT is applied to each row of that result and the values are stored.
 * No loops and no private arrays: on SwiftShader (the Subzero JIT neither unrolls loops nor keeps a private
 * array in registers) this halves the transform's time against the earlier loop form (64@56², F(4×4,3×3):
 * ~5.5 → ~3.0 ms; F(2×2,3×3): ~11.5 → ~4.4 ms), at ~0.1–0.3 s more pipeline compilation per kernel.
 */
import type { Layout } from '../conv/types.ts';
import { composeKernel, type WgslPart } from './compose.ts';
import type { KernelSource } from './types.ts';
import type { Winograd2D } from '../winograd/types.ts';
import {
  type WinogradLayout,
  type WinogradProblem,
  matrixComment,
  tileIndexPrologue,
  range,
  tapIndex,
  unrolled1D,
  winogradAlgoIdPart,
} from './winograd-layout.ts';

export interface WinogradInputConfig {
  algo: Winograd2D;
  /** Layout of the input tensor. */
  layout: Layout;
  dtype: 'f32';
  /**
   * True when the input channel count is a multiple of 4: NHWC reads whole vec4s, NCHW drops the per-lane
   * channel bounds. False works for any C (scalar NHWC reads with channel bounds; ID suffix `_cbound`).
   */
  channelsAligned: boolean;
  /** Invocations per workgroup (1-D); default 64. */
  workgroupSize?: number;
}

export const WINOGRAD_INPUT_UNIFORMS = ['batch', 'in_h', 'in_w', 'in_c', 'pad_top', 'pad_left', 'tiles_h', 'tiles_w', 'c4', 'row_pitch'] as const;

const DEFAULT_WG = 64;

function checkConfig(cfg: WinogradInputConfig): number {
  if (cfg?.algo?.dims !== 2) throw new Error(`algo: expected a 2-D Winograd algorithm (winograd2D), got ${String(cfg?.algo?.name ?? cfg?.algo)}`);
  if (cfg.layout !== 'NHWC' && cfg.layout !== 'NCHW') throw new Error(`layout: expected 'NHWC' or 'NCHW', got ${JSON.stringify(cfg.layout)}`);
  if (cfg.dtype !== 'f32') throw new Error(`dtype: expected 'f32', got ${JSON.stringify(cfg.dtype)}`);
  if (typeof cfg.channelsAligned !== 'boolean') throw new Error(`channelsAligned: expected a boolean (input channels % 4 == 0), got ${String(cfg.channelsAligned)}`);
  const wg = cfg.workgroupSize ?? DEFAULT_WG;
  if (!Number.isInteger(wg) || wg < 1 || wg > 256) throw new Error(`workgroupSize: expected an integer in [1, 256], got ${String(wg)}`);
  return wg;
}

/** Kernel ID: `<algo>_input_f32_<nhwc|nchw>[_cbound][_wgN]`, e.g. `wino4x4_input_f32_nhwc`. */
export function winogradInputKernelId(cfg: WinogradInputConfig): string {
  const wg = checkConfig(cfg);
  const parts = [winogradAlgoIdPart(cfg.algo), 'input', cfg.dtype, cfg.layout.toLowerCase()];
  if (!cfg.channelsAligned) parts.push('cbound');
  if (wg !== DEFAULT_WG) parts.push(`wg${wg}`);
  return parts.join('_');
}

/** Invocations to dispatch: tiles · c4 (1-D, split over y by the caller with `row_pitch`). */
export function winogradInputInvocations(l: WinogradLayout): number {
  return l.tiles * l.c4;
}

/** The kernel's uniform values for one call; `rowPitch` = invocations per dispatch row (x groups · workgroup size). */
export function winogradInputUniforms(l: WinogradLayout, p: WinogradProblem, rowPitch: number): Record<(typeof WINOGRAD_INPUT_UNIFORMS)[number], number> {
  return {
    batch: p.batch,
    in_h: p.inHeight,
    in_w: p.inWidth,
    in_c: p.inChannels,
    pad_top: p.pads[0],
    pad_left: p.pads[1],
    tiles_h: l.tilesH,
    tiles_w: l.tilesW,
    c4: l.c4,
    row_pitch: rowPitch,
  };
}

export function generateWinogradInputKernel(cfg: WinogradInputConfig): KernelSource {
  const wg = checkConfig(cfg);
  const id = winogradInputKernelId(cfg);
  const { algo } = cfg;
  const { mh, mw, nh, nw } = algo;
  const nhwc = cfg.layout === 'NHWC';
  const vecReads = nhwc && cfg.channelsAligned;
  const laneBounds = !cfg.channelsAligned;
  const I = '  ';

  const part: WgslPart = {
    idPart: '',
    bindings: [
      { name: 'input', kind: 'read-only-storage', type: vecReads ? 'array<vec4<f32>>' : 'array<f32>' },
      { name: 'wino_v', kind: 'storage', type: 'array<vec4<f32>>' },
    ],
    uniforms: WINOGRAD_INPUT_UNIFORMS.map((name) => ({ name, type: 'u32' as const })),
    code: '',
  };

  const body: string[] = tileIndexPrologue(mh, mw, nhwc, I);

  if (laneBounds) {
    body.push(`${I}let lanes = vec4<u32>(4u * k) + vec4<u32>(0u, 1u, 2u, 3u);`);
    body.push(`${I}let lane_ok = lanes < vec4<u32>(params.in_c);`);
    // Lanes past C read channel C − 1 (in bounds) and are zeroed when V is stored.
    body.push(`${I}let lane = min(lanes, vec4<u32>(params.in_c - 1u));`);
  }
  if (!nhwc) {
    body.push(`${I}let plane = params.in_h * params.in_w;`);
    for (let j = 0; j < 4; j++) body.push(`${I}let p${j} = (n * params.in_c + ${laneBounds ? `lane[${j}]` : `4u * k + ${j}u`}) * plane;`);
  }
  // Patch rows (fixed over the column loop), as element offsets; the loop adds the column's offset.
  const rowScale = vecReads ? ' * params.c4 + k' : nhwc ? ' * params.in_c' : '';
  for (let a = 0; a < nh; a++) {
    const y = a === 0 ? 'y0' : `y0 + ${a}u`;
    body.push(`${I}let ok_r${a} = ${y} < params.in_h;`);
    const row = nhwc ? `(n * params.in_h + min(${y}, ymax)) * params.in_w` : `min(${y}, ymax) * params.in_w`;
    body.push(`${I}let row${a} = ${rowScale ? `${nhwc ? row : `(${row})`}${rowScale}` : row};`);
  }
  // Patch column b: x_b, its in-image test and its element offset (every load index is clamped in bounds).
  const colOf = (b: string) => (vecReads ? `min(${b}, xmax) * params.c4` : nhwc ? `min(${b}, xmax) * params.in_c` : `min(${b}, xmax)`);
  const load = (a: number, b: number): string => {
    if (vecReads) return `input[row${a} + col${b}]`;
    if (nhwc) return `vec4<f32>(${[0, 1, 2, 3].map((j) => `input[row${a} + col${b} + lane[${j}]]`).join(', ')})`;
    return `vec4<f32>(${[0, 1, 2, 3].map((j) => `input[p${j} + row${a} + col${b}]`).join(', ')})`;
  };
  body.push(`${I}let zero = vec4<f32>(0.0);`);
  for (let b = 0; b < nw; b++) {
    const x = b ? `x0 + ${b}u` : 'x0';
    body.push(`${I}let ok_c${b} = ${x} < params.in_w;`, `${I}let col${b} = ${colOf(x)};`);
  }
  body.push(...matrixComment(`V = BhT · d · Bw (${algo.name}), step 1 along H: t[:, b] = BhT · d[:, b] for each patch column b; BhT = ${algo.h.name} BT`, algo.h.BT, I));
  for (let b = 0; b < nw; b++) {
    for (let a = 0; a < nh; a++) body.push(`${I}let d${a}_${b} = select(zero, ${load(a, b)}, ok_r${a} && ok_c${b});`);
    body.push(...unrolled1D(algo.h.BT, range(nh).map((a) => `d${a}_${b}`), (i, e) => `${I}let t${i}_${b} = ${e};`));
  }
  body.push(...matrixComment(`step 2 along W: V[i, :] = BwT · t[i, :] for each row i, stored as it is computed; BwT = ${algo.w.name} BT`, algo.w.BT, I));
  body.push(`${I}let vs = tiles * params.c4;`, `${I}let vb = t * params.c4 + k;`);
  for (let i = 0; i < nh; i++) {
    unrolled1D(algo.w.BT, range(nw).map((b) => `t${i}_${b}`), (_j, e) => e).forEach((e, j) => {
      const xi = i * nw + j;
      body.push(`${I}wino_v[${tapIndex('vb', 'vs', xi)}] = ${laneBounds ? `select(zero, ${e}, lane_ok)` : e};`);
    });
  }

  const readDesc = vecReads
    ? 'NHWC, C % 4 == 0: one vec4 load per patch element'
    : nhwc
      ? 'NHWC, any C: 4 scalar loads per patch element, lanes past C clamped and zeroed'
      : `NCHW: 4 scalar gathers (one per channel plane) per patch element${laneBounds ? ', lanes past C clamped and zeroed' : ''}`;
  const header = [
    `Winograd input transform ${algo.name} (tile ${mh}x${mw} outputs, ${nh}x${nw} patch), f32, ${cfg.layout} input.`,
    `Thread mapping: one invocation = one tile t × 4 input channels (vec4 group k); idx = gid.y · row_pitch + gid.x,`,
    nhwc ? `  k = idx % c4 (fastest), t = idx / c4.` : `  t = idx % tiles (fastest: neighbours read neighbouring columns), k = idx / tiles.`,
    `Reads: the ${nh}x${nw} patch at rows th·${mh} − pad_top + a, cols tw·${mw} − pad_left + b (${readDesc});`,
    `  outside the image → 0 by select on clamped indices (no branches).`,
    `Computes V = BhT · d · Bw as straight-line code: per patch column, load it and apply BhT; per row of the result,`,
    `  apply BwT and store.`,
    `Writes: V[ξ][t][k] (vec4), ξ = a·${nw} + b, for all ${nh * nw} taps; lanes of channels ≥ C are 0.`,
    `Workgroup memory: none. Barriers: none.`,
    `Dispatch: ${wg} invocations per workgroup along x; tiles · c4 invocations in all (tiles = batch · tiles_h · tiles_w),`,
    `  x = ceil(total / ${wg}) workgroups (split over y past the device limit, row_pitch = x · ${wg}).`,
  ].join('\n');

  const main = [
    `@compute @workgroup_size(${wg})`,
    'fn main(@builtin(global_invocation_id) gid: vec3<u32>) {',
    ...body,
    '}',
  ].join('\n');
  return composeKernel({ id, header, parts: [part], main, workgroupSize: [wg, 1, 1] });
}

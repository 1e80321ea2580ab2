/**
 * The GEMM tile the engine uses for a problem with N output columns (channels) on a device. Measurements
 * behind it are next to GEMM_TILES in src/kernels/gemm.ts: 16×16 register blocks beat 8×8 by ~65% on
 * SwiftShader, sharing A rows across a quad of invocations (needs 'subgroups') adds ~20%. The 16×16 workgroup
 * is 64 columns wide (wgx 4 · tn 16); on N < 64 its extra columns are clamped loads, never stored, and that
 * still beats the 8×8 tile from N = 16 up (issue 12; bench/models/auto-check.ts duels, SwiftShader, 2 cores,
 * medians of 7–9 interleaved runs, ms 16×16(-quad) vs 8×8): 3→24 5×5 s2 im2col @256² 300 vs 1384;
 * 24→24 1×1 @128² 41 vs 59, @64² 9.0 vs 12.6; 16→16 1×1 @64² 3.7 vs 4.0; F(4×4) 24→24 @64² 49 vs 68,
 * 16→16 @24² 6.0 vs 7.3, 24→24 @32² 11.5 vs 12.9, 16→16 @16² 0.8 vs 2.3. (It was N < 32 → 8×8.) Below N = 16,
 * where a 64-column workgroup wastes over 3/4 of its FMAs, 8×8 stays. The choice depends on the descriptor
 * and device only, never on the input size, so a plan's verified kernels serve every size.
 */
import { F16_MATH_FORMAT, FLOAT_GEMM_PRESETS, GEMM_TILES, gemmRequiredFeatures, type GemmFormat, type GemmTile, type GemmTileName } from '../kernels/gemm.ts';
import type { TuningConfig } from './algorithm.ts';
import type { EngineCore } from './engine-core.ts';

export function chooseGemmTile(core: EngineCore, n: number): GemmTile {
  if (n < 16) return GEMM_TILES['regblock-8x8'];
  return core.device.features.has('subgroups') ? GEMM_TILES['regblock-16x16-quad'] : GEMM_TILES['regblock-16x16'];
}

/** The tile a plan uses: the autotuner's choice when given, else the heuristic above. */
export function gemmTileFor(core: EngineCore, n: number, tuning?: TuningConfig): GemmTile {
  return tuning?.gemmTile ? GEMM_TILES[tuning.gemmTile] : chooseGemmTile(core, n);
}

/**
 * Every GEMM tile preset this device can run: what the autotuner times. float16 plans on a device with
 * 'shader-f16' also get each preset with f16 products (TuningConfig.f16Math).
 */
export function gemmTilings(core: EngineCore, dtype: string = 'float32'): TuningConfig[] {
  const tiles = FLOAT_GEMM_PRESETS.filter((name) => gemmRequiredFeatures(GEMM_TILES[name]).every((f) => core.device.features.has(f)));
  const out: TuningConfig[] = tiles.map((gemmTile: GemmTileName) => ({ gemmTile }));
  if (dtype === 'float16' && core.device.features.has('shader-f16')) out.push(...tiles.map((gemmTile: GemmTileName) => ({ gemmTile, f16Math: true })));
  return out;
}

/** The GEMM format a plan's tuning asks for (f32 unless TuningConfig.f16Math). */
export function gemmFormatFor(core: EngineCore, tuning?: TuningConfig): GemmFormat | undefined {
  if (!tuning?.f16Math) return undefined;
  if (!core.device.features.has('shader-f16')) throw new Error("tuning.f16Math needs the device feature 'shader-f16', which this device does not have");
  return F16_MATH_FORMAT;
}

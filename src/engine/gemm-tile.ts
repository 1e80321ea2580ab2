/**
 * The GEMM tile the engine uses for a problem with N output columns (channels) on a device. Measurements
 * behind it are next to GEMM_TILES in src/kernels/gemm.ts: 16×16 register blocks beat 8×8 by ~65% on
 * SwiftShader, sharing A rows across a quad of invocations (needs 'subgroups') adds ~20%; a workgroup must
 * not be wider than N, so narrow layers keep 8×8. The choice depends on the descriptor and device only,
 * never on the input size, so a plan's verified kernels serve every size.
 */
import { GEMM_TILES, gemmRequiredFeatures, type GemmTile, type GemmTileName } from '../kernels/gemm.ts';
import type { TuningConfig } from './algorithm.ts';
import type { EngineCore } from './engine-core.ts';

export function chooseGemmTile(core: EngineCore, n: number): GemmTile {
  if (n < 32) return GEMM_TILES['regblock-8x8'];
  return core.device.features.has('subgroups') ? GEMM_TILES['regblock-16x16-quad'] : GEMM_TILES['regblock-16x16'];
}

/** The tile a plan uses: the autotuner's choice when given, else the heuristic above. */
export function gemmTileFor(core: EngineCore, n: number, tuning?: TuningConfig): GemmTile {
  return tuning?.gemmTile ? GEMM_TILES[tuning.gemmTile] : chooseGemmTile(core, n);
}

/** Every GEMM tile preset this device can run: what the autotuner times. */
export function gemmTilings(core: EngineCore): TuningConfig[] {
  return (Object.keys(GEMM_TILES) as GemmTileName[])
    .filter((name) => gemmRequiredFeatures(GEMM_TILES[name]).every((f) => core.device.features.has(f)))
    .map((gemmTile) => ({ gemmTile }));
}

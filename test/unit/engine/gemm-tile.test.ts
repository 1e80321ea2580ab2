import { describe, expect, it } from 'vitest';
import { chooseGemmTile } from '../../../src/engine/gemm-tile.ts';
import { GEMM_TILES } from '../../../src/kernels/gemm.ts';
import type { EngineCore } from '../../../src/engine/engine-core.ts';

const core = (features: string[]) => ({ device: { features: new Set(features) } }) as unknown as EngineCore;

// Issue 12: the 16x16 register block beats 8x8 from N = 16 (measurements in src/engine/gemm-tile.ts).
describe('chooseGemmTile', () => {
  it('takes the 16x16 block from 16 output channels, quad-shared with subgroups', () => {
    expect(chooseGemmTile(core(['subgroups']), 24)).toEqual(GEMM_TILES['regblock-16x16-quad']);
    expect(chooseGemmTile(core([]), 16)).toEqual(GEMM_TILES['regblock-16x16']);
    expect(chooseGemmTile(core(['subgroups']), 512)).toEqual(GEMM_TILES['regblock-16x16-quad']);
  });
  it('keeps 8x8 below 16 output channels', () => {
    expect(chooseGemmTile(core(['subgroups']), 15)).toEqual(GEMM_TILES['regblock-8x8']);
    expect(chooseGemmTile(core([]), 2)).toEqual(GEMM_TILES['regblock-8x8']);
  });
});

import { describe, expect, it } from 'vitest';
import { chooseGemmTile, gemmFormatFor, gemmTilings } from '../../../src/engine/gemm-tile.ts';
import { F16_MATH_FORMAT, GEMM_TILES } from '../../../src/kernels/gemm.ts';
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

describe('gemmTilings and f16 arithmetic', () => {
  it('adds f16Math tunings only for float16 plans on devices with shader-f16', () => {
    const with16 = core(['shader-f16']);
    expect(gemmTilings(with16, 'float32').some((t) => t.f16Math)).toBe(false);
    expect(gemmTilings(core([]), 'float16').some((t) => t.f16Math)).toBe(false);
    const t16 = gemmTilings(with16, 'float16');
    expect(t16.filter((t) => t.f16Math).length).toBe(t16.filter((t) => !t.f16Math).length);
    expect(gemmFormatFor(with16, { f16Math: true })).toBe(F16_MATH_FORMAT);
    expect(gemmFormatFor(with16, {})).toBeUndefined();
    expect(() => gemmFormatFor(core([]), { f16Math: true })).toThrow(/needs the device feature 'shader-f16'/);
  });
});

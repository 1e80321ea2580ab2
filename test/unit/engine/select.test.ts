import { describe, expect, it } from 'vitest';
import { normalizeDesc, type Conv2dDesc } from '../../../src/conv/desc.ts';
import { selectCandidates } from '../../../src/engine/select.ts';
import { ALGORITHM_IMPLS } from '../../../src/engine/algorithms/index.ts';

const sel = (desc: Conv2dDesc, size?: number) => selectCandidates(ALGORITHM_IMPLS, { desc: normalizeDesc(desc), height: size, width: size });
const firstCandidate = (desc: Conv2dDesc, size?: number) => sel(desc, size).find((v) => v.status === 'candidate')?.algorithm;

describe('candidate selection', () => {
  it('gives every algorithm a verdict with a reason', () => {
    const v = sel({ inChannels: 64, outChannels: 64, kernelSize: 3, pads: 1 }, 56);
    expect(v.map((x) => x.algorithm).sort()).toEqual(ALGORITHM_IMPLS.map((i) => i.name).sort());
    for (const x of v) expect(x.reason.length).toBeGreaterThan(5);
  });
  it('prefers F(4x4,3x3) on a dense 3x3 layer with little tile waste', () => {
    expect(firstCandidate({ inChannels: 64, outChannels: 64, kernelSize: 3, pads: 1 }, 56)).toBe('winograd4');
  });
  it('prefers F(2x2,3x3) when F(4x4) tile waste eats its advantage (6x6 output: 8x8 of F(4) tiles)', () => {
    expect(firstCandidate({ inChannels: 512, outChannels: 512, kernelSize: 3, pads: 1 }, 6)).toBe('winograd2');
    expect(firstCandidate({ inChannels: 512, outChannels: 512, kernelSize: 3, pads: 1 }, 28)).toBe('winograd4');
  });
  it('prefers F(2x2,3x3) on 7x7 where F(4x4) has too few tiles to fill a GEMM row block', () => {
    expect(firstCandidate({ inChannels: 512, outChannels: 512, kernelSize: 3, pads: 1 }, 7)).toBe('winograd2');
    expect(firstCandidate({ inChannels: 256, outChannels: 256, kernelSize: 3, pads: 1 }, 14)).toBe('winograd4');
  });
  it('keeps F(6x6) out of auto for accuracy, with the reason', () => {
    const v = sel({ inChannels: 64, outChannels: 64, kernelSize: 3, pads: 1 }, 56).find((x) => x.algorithm === 'winograd6')!;
    expect(v.status).toBe('excluded');
    expect(v.reason).toMatch(/error bound/);
  });
  it('rejects Winograd for stride, dilation and groups, saying which', () => {
    const s2 = sel({ inChannels: 64, outChannels: 64, kernelSize: 3, pads: 1, strides: 2 }).find((x) => x.algorithm === 'winograd4')!;
    expect(s2.status).toBe('rejected');
    expect(s2.reason).toMatch(/stride/);
    const d2 = sel({ inChannels: 64, outChannels: 64, kernelSize: 3, pads: 2, dilations: 2 }).find((x) => x.algorithm === 'winograd2')!;
    expect(d2.reason).toMatch(/dilation/);
    const g2 = sel({ inChannels: 64, outChannels: 64, kernelSize: 3, pads: 1, groups: 2 }).find((x) => x.algorithm === 'winograd2')!;
    expect(g2.reason).toMatch(/group/);
  });
  it('uses a plain GEMM for 1x1 and the depthwise kernel for depthwise', () => {
    expect(firstCandidate({ inChannels: 64, outChannels: 32, kernelSize: 1 })).toBe('im2col');
    expect(firstCandidate({ inChannels: 32, outChannels: 32, kernelSize: 3, pads: 1, groups: 32 })).toBe('direct');
  });
  it('avoids Winograd on very few channels', () => {
    expect(firstCandidate({ inChannels: 3, outChannels: 16, kernelSize: 3, pads: 1 }, 56)).toBe('im2col');
  });
  // Issue 12 (auto-check on BlazeFace, SwiftShader; numbers in select.ts): 1x1 with fewer than 32 output channels.
  it('uses the direct kernel on narrow 1x1 layers', () => {
    expect(firstCandidate({ inChannels: 24, outChannels: 24, kernelSize: 1 }, 128)).toBe('direct');
    expect(firstCandidate({ inChannels: 96, outChannels: 2, kernelSize: 1 }, 16)).toBe('direct');
    expect(firstCandidate({ inChannels: 96, outChannels: 6, kernelSize: 1 }, 8)).toBe('direct');
    const v = sel({ inChannels: 24, outChannels: 24, kernelSize: 1 }, 64).find((x) => x.algorithm === 'direct')!;
    expect(v.reason).toMatch(/< 32/);
  });
  it('keeps the GEMM from 32 output channels, for k x k stems, and Winograd on narrow 3x3 layers it serves', () => {
    expect(firstCandidate({ inChannels: 96, outChannels: 32, kernelSize: 1 }, 16)).toBe('im2col');
    expect(firstCandidate({ inChannels: 24, outChannels: 48, kernelSize: 1 }, 32)).toBe('im2col');
    expect(firstCandidate({ inChannels: 3, outChannels: 24, kernelSize: 5, strides: 2, pads: [1, 1, 2, 2] }, 256)).toBe('im2col');
    expect(firstCandidate({ inChannels: 3, outChannels: 64, kernelSize: 7, strides: 2, pads: 3 }, 224)).toBe('im2col');
    expect(firstCandidate({ inChannels: 16, outChannels: 16, kernelSize: 3, pads: 1 }, 64)).toBe('winograd4');
  });
});

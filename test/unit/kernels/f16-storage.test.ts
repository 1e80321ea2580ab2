/**
 * The float16-storage variant of the float kernels (src/kernels/f16-storage.ts): IDs, binding types, every access
 * rewritten, the WGSL contract (wgsl_reflect), and clear errors for kernels it does not apply to.
 */
import { describe, expect, it } from 'vitest';
import { f16StorageVariant, floatStorageBytes } from '../../../src/kernels/f16-storage.ts';
import { directConfigFor, generateDirectKernel } from '../../../src/kernels/direct.ts';
import { depthwiseConfigFor, generateDepthwiseKernel } from '../../../src/kernels/depthwise.ts';
import { F16_MATH_FORMAT, GEMM_TILES, gemmFormatFeatures, generateGemmKernel } from '../../../src/kernels/gemm.ts';
import { im2colConfigFor, im2colGemmParts } from '../../../src/kernels/im2col.ts';
import { generateWinogradInputKernel } from '../../../src/kernels/winograd-input.ts';
import { generateWinogradOutputKernel } from '../../../src/kernels/winograd-output.ts';
import { plainAPart, plainBPart, plainCPart } from '../../../src/kernels/gemm-plain.ts';
import { readWriteVariant } from '../../../src/kernels/read-write-variant.ts';
import { kernelContractMismatches } from '../../../src/kernels/reflect.ts';
import { winograd1D, winograd2D } from '../../../src/winograd/index.ts';
import type { ConvGeometry } from '../../../src/conv/types.ts';
import type { EpilogueConfig } from '../../../src/kernels/epilogue.ts';

const G: ConvGeometry = { batch: 2, inChannels: 3, outChannels: 13, inHeight: 9, inWidth: 7, kernelH: 3, kernelW: 3, strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1], groups: 1 };
const G4: ConvGeometry = { ...G, inChannels: 8, outChannels: 16 };
const algo = winograd2D(winograd1D(4, 3, 'alt'), winograd1D(4, 3, 'alt'));

function kernels() {
  const out = [];
  for (const layout of ['NHWC', 'NCHW'] as const) {
    for (const epi of [{ bias: 'channel', activation: 'relu' }, { bias: 'channel', activation: 'relu', residual: true, residualLayout: layout }] as EpilogueConfig[]) {
      for (const g of [G, G4]) {
        out.push(generateDirectKernel(directConfigFor(g, layout, epi)));
        out.push(generateDepthwiseKernel(depthwiseConfigFor({ ...g, outChannels: g.inChannels, groups: g.inChannels }, layout, epi)));
        out.push(generateGemmKernel({ idPrefix: 'im2col_gemm_f32', operands: im2colGemmParts(im2colConfigFor(g, layout, epi)), tile: GEMM_TILES['regblock-8x8'] }));
        out.push(generateWinogradInputKernel({ algo, layout, dtype: 'f32', channelsAligned: g.inChannels % 4 === 0 }));
        out.push(generateWinogradOutputKernel({ algo, layout, dtype: 'f32', channelsAligned: g.outChannels % 4 === 0, epilogue: epi }));
      }
    }
  }
  out.push(generateGemmKernel({ idPrefix: 'wino4x4_gemm_f32', operands: { a: plainAPart(), b: plainBPart(), c: plainCPart() }, tile: GEMM_TILES['wgtile-4x4'] }));
  return out;
}

describe('float16 storage variant', () => {
  it('turns the f32 token of the ID into f16, stores halves in u32 words, and keeps the contract', () => {
    for (const k of kernels()) {
      for (const base of [k, readWriteVariant(k, 'shared')]) {
        const v = f16StorageVariant(base);
        expect(v.id).toBe(base.id.replace('_f32', '_f16'));
        expect(v.code.startsWith(`// ${v.id}\n`)).toBe(true);
        expect(kernelContractMismatches(v), v.id).toEqual([]);
        expect(v.code, v.id).not.toMatch(/array<(vec4<)?f32>>;/);
        // Every access goes through the accessors (no raw index of a rewritten binding outside them).
        for (const name of ['input', 'output', 'weights', 'wino_v', 'wino_m', 'gemm_a', 'gemm_b', 'gemm_c', 'epi_residual']) {
          const body = v.code.split('\n').filter((l) => !l.startsWith('//') && !l.includes(`fn ${name}_`) && !/^\s+(let w = |return unpack2x16float|atomic|[a-z_]+\[i\] = vec2)/.test(l));
          expect(body.join('\n'), `${v.id}: ${name}`).not.toMatch(new RegExp(`(?<![\\w.&])${name}\\[`));
        }
      }
    }
  });
  it('uses atomic half stores only where single elements are stored', () => {
    const scalar = f16StorageVariant(generateDirectKernel(directConfigFor(G, 'NCHW', { bias: 'channel', activation: 'relu' })));
    expect(scalar.code).toMatch(/var<storage, read_write> output: array<atomic<u32>>;/);
    expect(scalar.code).toMatch(/atomicAnd\(&output\[i >> 1u\], ~\(0xffffu << sh\)\)/);
    const vec = f16StorageVariant(generateWinogradInputKernel({ algo, layout: 'NHWC', dtype: 'f32', channelsAligned: true }));
    expect(vec.code).toMatch(/wino_v: array<vec2<u32>>;/);
    expect(vec.code).not.toMatch(/atomic/);
  });
  it('refuses kernels without an f32 dtype token', () => {
    const k = generateDirectKernel(directConfigFor(G, 'NHWC', { bias: 'none', activation: 'linear' }));
    expect(() => f16StorageVariant({ ...k, id: 'direct_x_nhwc' })).toThrow(/no 'f32' dtype token/);
  });
  it('f16 arithmetic (F16_MATH_FORMAT): enable f16, f16 products added to f32 accumulators, h16 in the ID, every tile', () => {
    for (const name of ['regblock-8x8', 'regblock-16x16-quad', 'wgtile-4x4'] as const) {
      const k = f16StorageVariant(generateGemmKernel({ idPrefix: 'wino4x4_gemm_f32', operands: { a: plainAPart(), b: plainBPart(), c: plainCPart() }, tile: GEMM_TILES[name], format: F16_MATH_FORMAT }));
      expect(k.id).toMatch(/^wino4x4_gemm_f16_.*_h16$/);
      expect(k.code).toMatch(/^enable f16;$/m);
      expect(k.code).toMatch(/= acc0_0 \+ vec4<f32>\(b0_m \* a0\);/);
      expect(k.code).toMatch(/var acc0_0 = vec4<f32>\(0\.0\);/);
      expect(kernelContractMismatches(k), k.id).toEqual([]);
    }
    expect(gemmFormatFeatures(F16_MATH_FORMAT)).toEqual(['shader-f16']);
  });
  it('sizes float16 bindings in whole words', () => {
    expect(floatStorageBytes('float16', 5)).toBe(12);
    expect(floatStorageBytes('float32', 5)).toBe(20);
  });
});

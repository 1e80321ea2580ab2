/**
 * The epilogue's residual input and parametric activations, and the read_write kernel variants: kernel IDs,
 * binding tables (wgsl_reflect), uniform values; the float64 reference's epilogue; option validation.
 */
import { describe, expect, it } from 'vitest';
import { normalizeActivation, normalizeDesc } from '../../../src/conv/desc.ts';
import { ConvDescError } from '../../../src/conv/validate.ts';
import { epilogueUniformValues } from '../../../src/kernels/weight-pack.ts';
import { epilogueIdPart, epiloguePart, type EpilogueConfig } from '../../../src/kernels/epilogue.ts';
import { directConfigFor, generateDirectKernel } from '../../../src/kernels/direct.ts';
import { depthwiseConfigFor, generateDepthwiseKernel } from '../../../src/kernels/depthwise.ts';
import { GEMM_TILES, generateGemmKernel } from '../../../src/kernels/gemm.ts';
import { im2colConfigFor, im2colGemmParts } from '../../../src/kernels/im2col.ts';
import { generateWinogradInputKernel } from '../../../src/kernels/winograd-input.ts';
import { generateWinogradOutputKernel } from '../../../src/kernels/winograd-output.ts';
import { plainAPart, plainBPart, plainCPart } from '../../../src/kernels/gemm-plain.ts';
import { readWriteIdSuffix, readWriteVariant } from '../../../src/kernels/read-write-variant.ts';
import { kernelContractMismatches } from '../../../src/kernels/reflect.ts';
import { applyActivation, conv2dReference } from '../../../src/reference/conv2d.ts';
import { checkWorkspaceMode } from '../../../src/conv/options.ts';
import { workspaceLayout } from '../../../src/engine/workspace.ts';
import { winograd1D, winograd2D } from '../../../src/winograd/index.ts';
import type { ConvGeometry } from '../../../src/conv/types.ts';

const G: ConvGeometry = { batch: 2, inChannels: 3, outChannels: 13, inHeight: 9, inWidth: 7, kernelH: 3, kernelW: 3, strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1], groups: 1 };
const GDW: ConvGeometry = { ...G, inChannels: 13, groups: 13 };

const EPILOGUES: EpilogueConfig[] = [
  { bias: 'channel', activation: 'clip' },
  { bias: 'none', activation: 'hardsigmoid' },
  { bias: 'tensor', activation: 'hardswish' },
  { bias: 'channel', activation: 'relu', residual: true, residualLayout: 'NHWC' },
  { bias: 'channel', activation: 'hardswish', residual: true, residualLayout: 'NCHW', preActivation: 'leakyrelu' },
  { bias: 'channel', activation: 'prelu', prelu: 'channel', residual: true, residualLayout: 'NHWC', preActivation: 'clip' },
];

function kernelsFor(epi: EpilogueConfig) {
  const layout = epi.residualLayout ?? 'NHWC';
  const f43 = winograd1D(4, 3);
  const algo = winograd2D(f43, f43);
  const tile = Object.values(GEMM_TILES)[0];
  return [
    generateDirectKernel(directConfigFor(G, layout, epi)),
    generateDepthwiseKernel(depthwiseConfigFor(GDW, layout, epi)),
    generateGemmKernel({ idPrefix: 'im2col_gemm_f32', operands: im2colGemmParts(im2colConfigFor(G, layout, epi)), tile }),
    generateWinogradOutputKernel({ algo, layout, dtype: 'f32', channelsAligned: false, epilogue: epi }),
    generateWinogradInputKernel({ algo, layout, dtype: 'f32', channelsAligned: false }),
    generateGemmKernel({ idPrefix: 'wino4x4_gemm_f32', operands: { a: plainAPart(), b: plainBPart(), c: plainCPart() }, tile }),
  ];
}

describe('epilogue: residual and parametric activations', () => {
  it('ID parts carry the activation, pre-activation and residual; parameters do not', () => {
    expect(epilogueIdPart({ bias: 'channel', activation: 'clip' })).toBe('bias_clip');
    expect(epilogueIdPart({ bias: 'none', activation: 'relu', residual: true, residualLayout: 'NHWC' })).toBe('res_relu');
    expect(epilogueIdPart({ bias: 'channel', activation: 'linear', residual: true, residualLayout: 'NHWC', preActivation: 'relu' })).toBe('bias_prerelu_res');
  });
  it('uniform values: parameters by prefix, epi_c and epi_hw with a residual', () => {
    const cfg: EpilogueConfig = { bias: 'channel', activation: 'hardsigmoid', residual: true, residualLayout: 'NCHW', preActivation: 'clip' };
    expect(epilogueUniformValues(cfg, 13, { activation: { alpha: 0.3, beta: 0.4 }, preActivation: { min: -1, max: 2 } }, 63)).toEqual({ epi_pre_min: -1, epi_pre_max: 2, epi_alpha: 0.3, epi_beta: 0.4, epi_c: 13, epi_hw: 63 });
    expect(epiloguePart(cfg).uniforms.map((u) => u.name)).toEqual(['epi_pre_min', 'epi_pre_max', 'epi_alpha', 'epi_beta', 'epi_c', 'epi_hw']);
  });
  it('the residual read is guarded per lane (no read past the last channel)', () => {
    const code = epiloguePart({ bias: 'none', activation: 'linear', residual: true, residualLayout: 'NHWC' }).code;
    expect(code).toMatch(/if \(c >= params\.epi_c\) \{\n\s+return 0\.0;/);
    expect(code).toContain('epi_res(pix, c + 3u)');
  });
  it('refuses preActivation without residual, and prelu as preActivation', () => {
    expect(() => epiloguePart({ bias: 'none', activation: 'relu', preActivation: 'relu' })).toThrow(/only with residual/);
    expect(() => epiloguePart({ bias: 'none', activation: 'relu', residual: true, residualLayout: 'NHWC', preActivation: 'prelu' })).toThrow(/prelu/);
  });
  for (const epi of EPILOGUES) {
    for (const mode of ['none', 'workspace', 'shared'] as const) {
      it(`${epilogueIdPart(epi)} ${mode}: every kernel reflects cleanly against its binding table`, () => {
        for (const base of kernelsFor(epi)) {
          const k = readWriteVariant(base, mode);
          expect(kernelContractMismatches(k), k.id).toEqual([]);
          expect(k.id).toBe(`${base.id}${readWriteIdSuffix(mode)}`);
          expect(k.code.startsWith(`// ${k.id}\n`)).toBe(true);
          const kinds = Object.fromEntries(k.bindings.map((b) => [b.name, b.kind]));
          for (const n of ['weights', 'epi_bias', 'epi_prelu', 'gemm_b']) if (kinds[n]) expect(kinds[n], `${k.id} ${n}`).toBe('read-only-storage');
          if (mode === 'shared') for (const n of ['input', 'output', 'epi_residual', 'wino_v', 'wino_m', 'gemm_a', 'gemm_c']) if (kinds[n]) expect(kinds[n], `${k.id} ${n}`).toBe('storage');
          if (mode === 'workspace') {
            for (const n of ['wino_v', 'wino_m', 'gemm_a', 'gemm_c']) if (kinds[n]) expect(kinds[n], `${k.id} ${n}`).toBe('storage');
            if (kinds.input) expect(kinds.input).toBe('read-only-storage');
          }
        }
      });
    }
  }
});

describe('activation options and the float64 reference epilogue', () => {
  it('normalizes parameters with defaults and refuses misplaced or bad ones, naming the field', () => {
    expect(normalizeActivation('hardsigmoid')).toEqual({ type: 'hardsigmoid', alpha: 0.2, beta: 0.5 });
    expect(normalizeActivation({ type: 'clip', min: 0, max: 6 })).toEqual({ type: 'clip', min: 0, max: 6 });
    expect(normalizeActivation({ type: 'clip', min: -Infinity, max: Infinity })).toEqual({ type: 'clip', min: -3.4028234663852886e38, max: 3.4028234663852886e38 });
    const field = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(ConvDescError);
        return `${(e as ConvDescError).field}: ${(e as Error).message}`;
      }
      return 'accepted';
    };
    expect(field(() => normalizeActivation({ type: 'clip', min: 2, max: 1 }))).toMatch(/^activation\.min: .*must be <= max/);
    expect(field(() => normalizeActivation({ type: 'clip', min: NaN }))).toMatch(/^activation\.min: .*finite/);
    expect(field(() => normalizeActivation({ type: 'clip', max: -Infinity }))).toMatch(/^activation\.max: .*finite/);
    expect(field(() => normalizeActivation({ type: 'relu', beta: 1 }))).toMatch(/^activation\.beta: .*applies only to hardsigmoid/);
    expect(field(() => normalizeActivation({ type: 'hardswish', alpha: 1 }))).toMatch(/^activation\.alpha: .*applies only to leakyrelu and hardsigmoid/);
    expect(field(() => normalizeActivation({ type: 'hardsigmoid', alpha: Infinity }, 'preActivation'))).toMatch(/^preActivation\.alpha: /);
    expect(field(() => normalizeDesc({ inChannels: 1, outChannels: 1, kernelSize: 1, activation: 'hardtanh' as never }))).toMatch(/^activation: .*must be one of .*hardswish/);
    expect(field(() => checkWorkspaceMode('arena'))).toMatch(/^workspace: /);
  });
  it('applyActivation: clip, hardsigmoid, hardswish, NaN-preserving', () => {
    expect(applyActivation(7, { type: 'clip', min: -1, max: 6 })).toBe(6);
    expect(applyActivation(-3, { type: 'clip', min: -1, max: 6 })).toBe(-1);
    expect(applyActivation(1, { type: 'hardsigmoid', alpha: 0.2, beta: 0.5 })).toBeCloseTo(0.7, 15);
    expect(applyActivation(10, { type: 'hardsigmoid', alpha: 0.2, beta: 0.5 })).toBe(1);
    expect(applyActivation(1.5, { type: 'hardswish' })).toBeCloseTo(1.5 * 0.75, 15);
    expect(applyActivation(-4, { type: 'hardswish' })).toBe(-0);
    for (const type of ['clip', 'hardsigmoid', 'hardswish'] as const) expect(applyActivation(NaN, { type })).toBeNaN();
  });
  it('conv2dReference: y = act(preAct(conv + bias) + residual)', () => {
    const g: ConvGeometry = { batch: 1, inChannels: 1, outChannels: 2, inHeight: 1, inWidth: 2, kernelH: 1, kernelW: 1, strides: [1, 1], pads: [0, 0, 0, 0], dilations: [1, 1], groups: 1 };
    const ops = { input: [1, -2], inputLayout: 'NCHW' as const, weight: [1, 3], weightLayout: 'OIHW' as const, bias: { shape: [2], data: [0.5, 0], broadcast: 'channel' as const } };
    // conv + bias, NCHW: c0 = [1.5, -1.5], c1 = [3, -6]
    const out = conv2dReference(g, { ...ops, residual: [1, 1, -10, 2], preActivation: { type: 'relu' }, activation: { type: 'clip', min: -5, max: 2.6 } });
    expect(Array.from(out.data)).toEqual([2.5, 1, -5, 2]);
    expect(() => conv2dReference(g, { ...ops, preActivation: { type: 'relu' } })).toThrow(/only with a residual/);
  });
  it('workspaceLayout: aligned offsets, padding counted', () => {
    expect(workspaceLayout([{ name: 'v', bytes: 100 }, { name: 'm', bytes: 8 }], 256)).toEqual({ offsets: { v: 0, m: 256 }, sizes: { v: 100, m: 16 }, bytes: 272 });
  });
});

/**
 * The generated fallback kernels (direct, depthwise, im2col GEMM parts) and their host packing: every variant's
 * WGSL declares exactly its binding/uniform table (wgsl_reflect), IDs follow configs, packing round-trips.
 */
import { describe, expect, it } from 'vitest';
import { type ConvGeometry, type Layout, type WeightLayout } from '../../../src/conv/types.ts';
import { outputSize } from '../../../src/conv/geometry.ts';
import type { EpilogueConfig } from '../../../src/kernels/epilogue.ts';
import { kernelContractMismatches } from '../../../src/kernels/reflect.ts';
import { packUniforms, type KernelSource } from '../../../src/kernels/types.ts';
import {
  directConfigFor,
  directDispatch,
  directKernelId,
  generateDirectKernel,
  splitDispatch,
  type DirectKernelConfig,
} from '../../../src/kernels/direct.ts';
import {
  depthwiseConfigFor,
  depthwiseDispatch,
  depthwiseKernelId,
  generateDepthwiseKernel,
  type DepthwiseKernelConfig,
} from '../../../src/kernels/depthwise.ts';
import {
  im2colConfigFor,
  im2colGemmIdPart,
  im2colGemmParts,
  im2colGemmShape,
  im2colGemmUniforms,
  isPlainRows,
  pickUniforms,
  type Im2colGemmConfig,
} from '../../../src/kernels/im2col.ts';
import {
  channelVector,
  epilogueOperand,
  epilogueUniformValues,
  groupedPackShape,
  packDepthwiseWeights,
  packGroupedWeights,
  unpackDepthwiseWeights,
  unpackGroupedWeights,
} from '../../../src/kernels/weight-pack.ts';
import { expandBroadcast, transposeWeight } from '../../../src/reference/conv2d.ts';
import { geom } from '../../shapes.ts';
import { testGemmKernel } from '../../gpu/cases/direct.ts';
import { mulberry32, randomF32 } from '../helpers/rng.ts';

const LAYOUTS: Layout[] = ['NHWC', 'NCHW'];

/** Every epilogue the schema can express, as the kernels see it. */
const EPILOGUES: EpilogueConfig[] = [
  { bias: 'none', activation: 'linear' },
  { bias: 'channel', activation: 'linear' },
  { bias: 'tensor', activation: 'linear' },
  { bias: 'channel', activation: 'relu' },
  { bias: 'none', activation: 'relu6' },
  { bias: 'tensor', activation: 'leakyrelu' },
  { bias: 'none', activation: 'prelu', prelu: 'channel' },
  { bias: 'channel', activation: 'prelu', prelu: 'tensor' },
  { bias: 'tensor', activation: 'prelu', prelu: 'tensor' },
  { bias: 'none', activation: 'elu' },
  { bias: 'channel', activation: 'sigmoid' },
];

function directVariants(): DirectKernelConfig[] {
  const out: DirectKernelConfig[] = [];
  for (const layout of LAYOUTS) {
    for (const epilogue of EPILOGUES) out.push({ layout, epilogue });
    for (const channels of [4, 8] as const) {
      for (const pixels of [1, 3, 8]) {
        out.push({ layout, epilogue: EPILOGUES[3], channels, pixels });
        if (layout === 'NHWC') out.push({ layout, epilogue: EPILOGUES[7], channels, pixels, vecInput: true });
      }
    }
    out.push({ layout, epilogue: EPILOGUES[5], workgroupSize: 128 });
  }
  return out;
}

function depthwiseVariants(): DepthwiseKernelConfig[] {
  const out: DepthwiseKernelConfig[] = [];
  for (const layout of LAYOUTS) {
    for (const epilogue of EPILOGUES) out.push({ layout, epilogue });
    for (const pixels of [1, 2, 5, 8]) {
      for (const slide of [false, true]) {
        out.push({ layout, epilogue: EPILOGUES[4], pixels, slide });
        if (layout === 'NHWC') out.push({ layout, epilogue: EPILOGUES[8], pixels, slide, vecInput: true });
      }
    }
    out.push({ layout, epilogue: EPILOGUES[0], workgroupSize: 32 });
  }
  return out;
}

function im2colVariants(): Im2colGemmConfig[] {
  const out: Im2colGemmConfig[] = [];
  for (const layout of LAYOUTS) {
    for (const reader of ['im2col', 'rows'] as const) {
      for (const vecInput of layout === 'NHWC' ? [false, true] : [false]) {
        for (const vecOutput of [false, true]) {
          for (const epilogue of EPILOGUES) out.push({ layout, epilogue, reader, vecInput, vecOutput });
        }
      }
    }
  }
  return out;
}

const im2colKernel = (cfg: Im2colGemmConfig): KernelSource => testGemmKernel(`testgemm_f32_${im2colGemmIdPart(cfg)}`, im2colGemmParts(cfg));

describe('generated kernels: WGSL matches the binding/uniform contract (wgsl_reflect)', () => {
  const all: [string, () => KernelSource][] = [
    ...directVariants().map((c) => [directKernelId(c), () => generateDirectKernel(c)] as [string, () => KernelSource]),
    ...depthwiseVariants().map((c) => [depthwiseKernelId(c), () => generateDepthwiseKernel(c)] as [string, () => KernelSource]),
    ...im2colVariants().map((c) => [`testgemm_${im2colGemmIdPart(c)}`, () => im2colKernel(c)] as [string, () => KernelSource]),
  ];
  it(`covers ${all.length} variants`, () => expect(all.length).toBeGreaterThan(150));
  it.each(all)('%s', (_id, make) => {
    const k = make();
    expect(kernelContractMismatches(k)).toEqual([]);
    expect(k.code.startsWith(`// ${k.id}\n`)).toBe(true);
    const names = k.bindings.map((b) => b.name);
    expect(names).toContain('input');
    expect(names).toContain('weights');
    expect(names).toContain('output');
  });

  it('declares the epilogue buffers and uniforms the epilogue needs, and no others', () => {
    const k = generateDirectKernel({ layout: 'NCHW', epilogue: { bias: 'tensor', activation: 'prelu', prelu: 'channel' } });
    expect(k.bindings.map((b) => b.name)).toEqual(['params', 'input', 'weights', 'output', 'epi_bias', 'epi_prelu']);
    expect(k.uniforms.map((u) => u.name)).toContain('epi_cpad');
    const plain = generateDirectKernel({ layout: 'NCHW', epilogue: { bias: 'none', activation: 'relu' } });
    expect(plain.bindings.map((b) => b.name)).toEqual(['params', 'input', 'weights', 'output']);
    expect(plain.uniforms.map((u) => u.name)).not.toContain('epi_cpad');
    expect(generateDepthwiseKernel({ layout: 'NHWC', epilogue: { bias: 'none', activation: 'leakyrelu' } }).uniforms.at(-1)).toEqual({ name: 'epi_alpha', type: 'f32' });
  });

  it('is a pure function of its config', () => {
    const c: DirectKernelConfig = { layout: 'NHWC', epilogue: EPILOGUES[7], channels: 8, pixels: 3, vecInput: true };
    expect(generateDirectKernel(c)).toEqual(generateDirectKernel({ ...c }));
    expect(generateDirectKernel({ layout: 'NHWC', epilogue: EPILOGUES[0] })).toEqual(generateDirectKernel({ layout: 'NHWC', epilogue: EPILOGUES[0], channels: 4, pixels: 4, vecInput: false, workgroupSize: 64 }));
  });
});

describe('kernel IDs', () => {
  it('differ whenever configs differ, and name layout, tile and epilogue', () => {
    const ids = [
      ...directVariants().map(directKernelId),
      ...depthwiseVariants().map(depthwiseKernelId),
      ...im2colVariants().map(im2colGemmIdPart),
    ];
    const keys = [
      ...directVariants().map((c) => JSON.stringify(['direct', c.layout, c.epilogue, c.channels ?? 4, c.pixels ?? 4, c.vecInput ?? false, c.workgroupSize ?? 64])),
      ...depthwiseVariants().map((c) => JSON.stringify(['dw', c.layout, c.epilogue, c.pixels ?? 4, c.vecInput ?? false, c.slide ?? false, c.workgroupSize ?? 64])),
      ...im2colVariants().map((c) => JSON.stringify(['im2col', c])),
    ];
    expect(new Set(ids).size).toBe(new Set(keys).size);
  });

  it('examples', () => {
    expect(directKernelId({ layout: 'NHWC', epilogue: { bias: 'channel', activation: 'relu' } })).toBe('direct_f32_nhwc_c4x4_bias_relu');
    expect(directKernelId({ layout: 'NCHW', epilogue: { bias: 'none', activation: 'linear' }, channels: 8, pixels: 2, workgroupSize: 128 })).toBe('direct_f32_nchw_c8x2_wg128');
    expect(directKernelId({ layout: 'NHWC', epilogue: { bias: 'tensor', activation: 'prelu', prelu: 'channel' }, vecInput: true })).toBe('direct_f32_nhwc_c4x4_ci4_biasT_preluC');
    expect(depthwiseKernelId({ layout: 'NHWC', epilogue: { bias: 'channel', activation: 'relu6' }, vecInput: true, slide: true })).toBe('dwconv_f32_nhwc_c4x4_v4_slide_bias_relu6');
    expect(im2colGemmIdPart({ layout: 'NHWC', epilogue: { bias: 'channel', activation: 'relu' }, reader: 'im2col', vecInput: true, vecOutput: true })).toBe('im2col_nhwc_ci4_out_nhwc_c4_bias_relu');
    expect(im2colGemmIdPart({ layout: 'NCHW', epilogue: { bias: 'none', activation: 'linear' }, reader: 'rows', vecInput: false, vecOutput: false })).toBe('rows_nchw_out_nchw_c1');
  });

  it('reject invalid tiles and layouts, naming the field', () => {
    expect(() => generateDirectKernel({ layout: 'NHWC', epilogue: EPILOGUES[0], pixels: 9 })).toThrow(/pixels = 9/);
    expect(() => generateDirectKernel({ layout: 'NHWC', epilogue: EPILOGUES[0], channels: 12 as 8 })).toThrow(/channels = 12/);
    expect(() => generateDirectKernel({ layout: 'NCHW', epilogue: EPILOGUES[0], vecInput: true })).toThrow(/vecInput/);
    expect(() => generateDepthwiseKernel({ layout: 'NHWC', epilogue: EPILOGUES[0], workgroupSize: 6 })).toThrow(/workgroupSize = 6/);
    expect(() => im2colGemmParts({ layout: 'NCHW', epilogue: EPILOGUES[0], reader: 'im2col', vecInput: true, vecOutput: false })).toThrow(/vecInput/);
  });
});

/** Geometries for packing and dispatch checks: groups, depthwise with multiplier, odd sizes, K not a multiple of 4. */
const PACK_SHAPES: { name: string; g: ConvGeometry }[] = [
  { name: 'c3_k5_3x3', g: geom({ inChannels: 3, outChannels: 5, inHeight: 6, inWidth: 7 }) },
  { name: 'g2_c6_k6_1x3', g: geom({ inChannels: 6, outChannels: 6, groups: 2, inHeight: 5, inWidth: 9, kernelH: 1, kernelW: 3 }) },
  { name: 'g3_c9_k12_5x5', g: geom({ inChannels: 9, outChannels: 12, groups: 3, inHeight: 9, inWidth: 8, kernelH: 5, kernelW: 5 }) },
  { name: 'c16_k13_3x2', g: geom({ inChannels: 16, outChannels: 13, inHeight: 7, inWidth: 7, kernelH: 3, kernelW: 2 }) },
  { name: 'dw_c5_m2_3x3', g: geom({ inChannels: 5, outChannels: 10, groups: 5, inHeight: 6, inWidth: 6 }) },
  { name: 'dw_c1_1x1', g: geom({ inChannels: 1, outChannels: 1, inHeight: 3, inWidth: 3, kernelH: 1, kernelW: 1, pads: [0, 0, 0, 0] }) },
];

function weightsFor(g: ConvGeometry, seed: number): Float32Array {
  return randomF32(g.outChannels * (g.inChannels / g.groups) * g.kernelH * g.kernelW, mulberry32(seed), 0.5, 1.5);
}

describe('weight packing', () => {
  for (const [i, { name, g }] of PACK_SHAPES.entries()) {
    for (const layout of ['OIHW', 'HWIO'] as WeightLayout[]) {
      it(`grouped ${name} ${layout}: unpack(pack(w)) == w, padding is zero, entries where the kernels read them`, () => {
        const w = weightsFor(g, 10 + i);
        const packed = packGroupedWeights(w, layout, g);
        expect(Array.from(unpackGroupedWeights(packed, layout, g))).toEqual(Array.from(w));
        const s = groupedPackShape(g);
        const colPad = s.coutG4 * 4;
        expect(packed.length).toBe(g.groups * s.kPad * colPad);
        // weights are in [0.5, 1.5): every zero is padding, and there are exactly as many non-zeros as weights
        expect(packed.filter((v) => v !== 0).length).toBe(w.length);
        const oihw = transposeWeight(w, layout, 'OIHW', g.outChannels, s.cinG, g.kernelH, g.kernelW);
        const grp = g.groups - 1;
        const oc = s.coutG - 1;
        const ci = s.cinG - 1;
        const [kh, kw] = [g.kernelH - 1, g.kernelW - 1];
        const o = grp * s.coutG + oc;
        expect(packed[(grp * s.kPad + (kh * g.kernelW + kw) * s.cinG + ci) * colPad + oc]).toBe(Math.fround(oihw[((o * s.cinG + ci) * g.kernelH + kh) * g.kernelW + kw]));
      });
    }
  }

  for (const [i, { name, g }] of PACK_SHAPES.filter((x) => x.g.groups === x.g.inChannels).entries()) {
    for (const layout of ['OIHW', 'HWIO'] as WeightLayout[]) {
      it(`depthwise ${name} ${layout}: unpack(pack(w)) == w, [kH·kW][cout4·4] with zero padding`, () => {
        const w = weightsFor(g, 40 + i);
        const packed = packDepthwiseWeights(w, layout, g);
        expect(Array.from(unpackDepthwiseWeights(packed, layout, g))).toEqual(Array.from(w));
        const cpad = Math.ceil(g.outChannels / 4) * 4;
        expect(packed.length).toBe(g.kernelH * g.kernelW * cpad);
        expect(packed.filter((v) => v !== 0).length).toBe(w.length);
        const oihw = transposeWeight(w, layout, 'OIHW', g.outChannels, 1, g.kernelH, g.kernelW);
        const o = g.outChannels - 1;
        expect(packed[(g.kernelH * g.kernelW - 1) * cpad + o]).toBe(Math.fround(oihw[(o * g.kernelH + g.kernelH - 1) * g.kernelW + g.kernelW - 1]));
      });
    }
  }

  it('rejects wrong lengths and non-depthwise geometries', () => {
    const g = PACK_SHAPES[0].g;
    expect(() => packGroupedWeights(new Float32Array(3), 'OIHW', g)).toThrow(/3 values given/);
    expect(() => packDepthwiseWeights(weightsFor(g, 1), 'OIHW', g)).toThrow(/depthwise/);
  });
});

describe('epilogue operands', () => {
  const g = geom({ batch: 2, inChannels: 3, outChannels: 6, inHeight: 5, inWidth: 4 });
  const { outHeight: h, outWidth: w } = outputSize(g);

  it('channel vectors are padded to a multiple of 4; one value repeats', () => {
    expect(Array.from(channelVector([1, 2, 3, 4, 5, 6], 6))).toEqual([1, 2, 3, 4, 5, 6, 0, 0]);
    expect(Array.from(channelVector([7], 3))).toEqual([7, 7, 7, 0]);
    expect(() => channelVector([1, 2], 3)).toThrow(/2 values for 3 channels/);
  });

  it('scalar, channel and channel-only numpy broadcasts become channel vectors', () => {
    const data = [1, 2, 3, 4, 5, 6];
    expect(epilogueOperand({ shape: [1], data: [2.5], broadcast: 'scalar' }, 'NHWC', g)).toEqual({ mode: 'channel', data: new Float32Array([2.5, 2.5, 2.5, 2.5, 2.5, 2.5, 0, 0]) });
    expect(epilogueOperand({ shape: [6], data, broadcast: 'channel' }, 'NCHW', g).data).toEqual(new Float32Array([...data, 0, 0]));
    expect(epilogueOperand({ shape: [6, 1, 1], data, broadcast: 'numpy' }, 'NCHW', g)).toEqual({ mode: 'channel', data: new Float32Array([...data, 0, 0]) });
    expect(epilogueOperand({ shape: [1, 6], data, broadcast: 'numpy' }, 'NHWC', g).mode).toBe('channel');
  });

  for (const layout of LAYOUTS) {
    it(`numpy broadcasts over H / W are expanded to [pix][cpad] in NHWC order (${layout} output)`, () => {
      const shape = layout === 'NHWC' ? [h, 1, 6] : [6, h, 1];
      const t = { shape, data: randomF32(6 * h, mulberry32(5)), broadcast: 'numpy' as const };
      const op = epilogueOperand(t, layout, g);
      expect(op.mode).toBe('tensor');
      const full = expandBroadcast(t, layout, g.batch, 6, h, w);
      expect(op.data.length).toBe(g.batch * h * w * 8);
      for (let n = 0; n < g.batch; n++) {
        for (let y = 0; y < h; y++) {
          for (let x = 0; x < w; x++) {
            const pix = (n * h + y) * w + x;
            for (let c = 0; c < 8; c++) {
              const want = c >= 6 ? 0 : full[layout === 'NHWC' ? pix * 6 + c : ((n * 6 + c) * h + y) * w + x];
              expect(op.data[pix * 8 + c]).toBe(Math.fround(want));
            }
          }
        }
      }
    });
  }

  it('uniform values match what the epilogue part declares', () => {
    expect(epilogueUniformValues({ bias: 'tensor', activation: 'leakyrelu' }, 6, 0.1)).toEqual({ epi_cpad: 8, epi_alpha: 0.1 });
    expect(epilogueUniformValues({ bias: 'channel', activation: 'prelu', prelu: 'tensor' }, 13)).toEqual({ epi_cpad: 16 });
    expect(epilogueUniformValues({ bias: 'channel', activation: 'relu' }, 13)).toEqual({});
  });
});

describe('dispatch', () => {
  it('splitDispatch covers every invocation within the per-dimension limit', () => {
    expect(splitDispatch(100, 64)).toEqual({ x: 2, y: 1, rowPitch: 128 });
    const d = splitDispatch(64 * 70000 + 5, 64, 65535);
    expect(d.x).toBeLessThanOrEqual(65535);
    expect(d.x * d.y * 64).toBeGreaterThanOrEqual(64 * 70000 + 5);
    expect(d.rowPitch).toBe(d.x * 64);
  });

  for (const { name, g } of PACK_SHAPES) {
    for (const layout of LAYOUTS) {
      it(`direct ${name} ${layout}: uniforms pack exactly; invocations cover every (pixel block, channel block)`, () => {
        for (const cfg of [directConfigFor(g, layout, EPILOGUES[5]), { layout, epilogue: EPILOGUES[8], channels: 8 as const, pixels: 3 }]) {
          const k = generateDirectKernel(cfg);
          const d = directDispatch(cfg, g);
          expect(() => packUniforms(k.uniforms, d.uniforms)).not.toThrow();
          const { outHeight, outWidth } = outputSize(g);
          const blocks = g.batch * outHeight * Math.ceil(outWidth / (cfg.pixels ?? 4)) * g.groups * Math.ceil(g.outChannels / g.groups / (cfg.channels ?? 4));
          expect(d.uniforms.total).toBe(blocks);
          expect(d.workgroups[0] * d.workgroups[1] * (cfg.workgroupSize ?? 64)).toBeGreaterThanOrEqual(blocks);
        }
      });
      it(`im2col ${name} ${layout}: every uniform of the composed kernel has a value`, () => {
        const cfg = im2colConfigFor(g, layout, EPILOGUES[8]);
        expect(cfg.reader).toBe(isPlainRows(g) ? 'rows' : 'im2col');
        const k = im2colKernel(cfg);
        const u = pickUniforms(k.uniforms, im2colGemmUniforms(cfg, g));
        expect(Object.keys(u).sort()).toEqual(k.uniforms.map((f) => f.name).sort());
        const s = im2colGemmShape(g);
        expect(s.m).toBe(g.batch * outputSize(g).outHeight * outputSize(g).outWidth);
        expect(s.k4 * 4).toBe(groupedPackShape(g).kPad);
        expect(s.batches).toBe(g.groups);
      });
    }
  }

  it('depthwise: uniforms pack exactly; rejects geometries it cannot serve', () => {
    const g = PACK_SHAPES[4].g;
    const cfg = depthwiseConfigFor(g, 'NHWC', EPILOGUES[6]);
    expect(cfg.vecInput).toBe(false);
    const d = depthwiseDispatch(cfg, g);
    expect(d.uniforms.multiplier).toBe(2);
    expect(() => packUniforms(generateDepthwiseKernel(cfg).uniforms, d.uniforms)).not.toThrow();
    expect(() => depthwiseDispatch({ layout: 'NHWC', epilogue: EPILOGUES[0], vecInput: true }, g)).toThrow(/vecInput needs channel multiplier 1/);
    expect(() => depthwiseDispatch({ layout: 'NHWC', epilogue: EPILOGUES[0], slide: true }, { ...g, strides: [2, 2] })).toThrow(/slide needs stride_w == dilation_w/);
    expect(() => depthwiseDispatch({ layout: 'NHWC', epilogue: EPILOGUES[0] }, PACK_SHAPES[0].g)).toThrow(/groups = 1/);
    expect(() => directDispatch({ layout: 'NHWC', epilogue: EPILOGUES[0], vecInput: true }, PACK_SHAPES[0].g)).toThrow(/vecInput needs inChannels \/ groups \(3\)/);
    expect(() => im2colGemmUniforms({ layout: 'NHWC', epilogue: EPILOGUES[0], reader: 'rows', vecInput: false, vecOutput: false }, PACK_SHAPES[0].g)).toThrow(/'rows' needs a 1×1 kernel/);
  });
});

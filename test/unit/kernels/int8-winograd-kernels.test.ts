/**
 * The int8 Winograd kernels (src/kernels/int8-winograd/) without a GPU:
 * - every generated variant reflects cleanly against its binding/uniform contract (wgsl_reflect), opens with
 *   its ID and a header comment (thread mapping, barriers, dispatch), and carries its transform matrices;
 * - kernel IDs are stable and differ whenever the config differs;
 * - host packing round-trips (U', V, M, Uq, Vq, per-tap records) and the uint8-tap flip + correction of the
 *   tap GEMM reader reproduces Σ q · Uq exactly;
 * - exactWinogradApplicable / prepare*: reasons, the overflow bound, complete uniforms and dispatch.
 */
import { GEMM_TILES } from '../../../src/kernels/gemm.ts';
import { describe, expect, it } from 'vitest';
import type { ConvGeometry, Layout } from '../../../src/conv/types.ts';
import {
  EXACT_GEMM_PRESETS,
  TAP_GEMM_PRESETS,
  UINT8_TAP_FLIP,
  exactGemmKernelId,
  exactInputKernelId,
  exactOutputKernelId,
  exactWinogradApplicable,
  generateExactGemmKernel,
  generateExactInputKernel,
  generateExactOutputKernel,
  generateTapGemmKernel,
  generateTapInputKernel,
  generateTapOutputKernel,
  int8WinogradAlgo,
  packExactFilter,
  packExactV,
  packTapDequant,
  packTapInputParams,
  packTapVq,
  packTapWeights,
  packWinogradChannelParams,
  packWinogradM,
  prepareExactWinograd,
  prepareTapwiseWinograd,
  tapInputKernelId,
  tapOutputKernelId,
  unpackExactFilter,
  unpackExactV,
  unpackTapVq,
  unpackTapWeights,
  unpackWinogradM,
  type Int8WinogradScheme,
} from '../../../src/kernels/int8-winograd/index.ts';
import { QCHAN_FIELDS } from '../../../src/kernels/int8/format.ts';
import type { QDType, QDotPath, QOutputMode } from '../../../src/kernels/int8/types.ts';
import { kernelContractMismatches } from '../../../src/kernels/reflect.ts';
import { packUniforms, type KernelSource } from '../../../src/kernels/types.ts';
import { calibrateTapScales, staticTapScales, tapwiseKernelParams, type TapDtype } from '../../../src/quant/tapwise.ts';
import { exactWinogradMaxChannels } from '../../../src/quant/winograd-int.ts';
import { formatMatrix, winogradSquare } from '../../../src/winograd/index.ts';
import { mulberry32, randomInts } from '../helpers/rng.ts';

const SCHEMES: Int8WinogradScheme[] = ['winograd2-exact', 'winograd2-tap', 'winograd4-tap', 'winograd2x1-tap', 'winograd4x1-tap'];
const LAYOUTS: Layout[] = ['NHWC', 'NCHW'];
const DTYPES: QDType[] = ['int8', 'uint8'];
const OUTPUTS: { output: QOutputMode; wordStore: boolean; layouts: Layout[] }[] = [
  { output: 'convint', wordStore: false, layouts: LAYOUTS },
  { output: 'qlinear', wordStore: false, layouts: LAYOUTS },
  { output: 'qlinear', wordStore: true, layouts: ['NHWC'] },
  { output: 'float', wordStore: false, layouts: LAYOUTS },
];
const DOTS: QDotPath[] = ['dot4', 'unpack', 'unpackf32'];

interface Variant {
  config: string;
  kernel: KernelSource;
}

/** Every variant of every generator (configs as canonical JSON, to compare with the IDs). */
function allVariants(): Variant[] {
  const out: Variant[] = [];
  const push = (config: object, kernel: KernelSource) => out.push({ config: JSON.stringify(config), kernel });
  for (const scheme of SCHEMES) {
    const algo = int8WinogradAlgo(scheme);
    const exact = scheme === 'winograd2-exact';
    for (const layout of LAYOUTS) {
      for (const input of DTYPES) {
        for (const wg of [undefined, 128]) {
          const c = { algo, layout, input, workgroupSize: wg };
          push({ stage: 'input', scheme, layout, input, wg }, exact ? generateExactInputKernel(c) : generateTapInputKernel(c));
        }
      }
      for (const o of OUTPUTS) {
        if (!o.layouts.includes(layout)) continue;
        for (const wg of [undefined, 32]) {
          const c = { algo, layout, output: o.output, wordStore: o.wordStore, workgroupSize: wg };
          push({ stage: 'output', scheme, layout, output: o.output, wordStore: o.wordStore, wg }, exact ? generateExactOutputKernel(c) : generateTapOutputKernel(c));
        }
      }
    }
    const tiles = exact ? EXACT_GEMM_PRESETS.map((n) => GEMM_TILES[n]) : TAP_GEMM_PRESETS.map((n) => GEMM_TILES[n]);
    for (const tile of tiles) {
      if (exact) push({ stage: 'gemm', scheme, tile }, generateExactGemmKernel({ algo, tile }));
      else for (const dot of DOTS) push({ stage: 'gemm', scheme, tile, dot }, generateTapGemmKernel({ algo, tile, dot }));
    }
  }
  return out;
}

const VARIANTS = allVariants();

describe('generated kernels', () => {
  it(`all ${VARIANTS.length} variants reflect cleanly against their contract`, () => {
    const problems = VARIANTS.map((v) => ({ id: v.kernel.id, m: kernelContractMismatches(v.kernel) })).filter((x) => x.m.length);
    expect(problems).toEqual([]);
  });

  it('IDs are unique per config and follow the grammar', () => {
    const byId = new Map<string, string>();
    for (const v of VARIANTS) {
      const prev = byId.get(v.kernel.id);
      // the only configs that may share an ID are the dot-path-independent ones, of which there are none
      expect(prev === undefined || prev === v.config, `${v.kernel.id}: ${prev} vs ${v.config}`).toBe(true);
      byId.set(v.kernel.id, v.config);
      // kernelId's grammar: <algo><scheme>_<stage>_<dtype>[_<layout>]_... (the scheme in one place)
      expect(v.kernel.id).toMatch(/^wino(2x2|4x4|2x1|4x1)(exact|tap)_(input_[iu]8_(nhwc|nchw)|gemm_i(16|8)_r\d+x\d+_wg\d+x\d+|output_i32_(nhwc|nchw))(_[a-z0-9]+)*$/);
    }
    expect(byId.size).toBe(VARIANTS.length);
  });

  it('IDs name the scheme, dtype, layout and output mode; generation is deterministic', () => {
    const algo = int8WinogradAlgo('winograd2-exact');
    const a4 = int8WinogradAlgo('winograd4-tap');
    expect(exactInputKernelId({ algo, layout: 'NHWC', input: 'uint8' })).toBe('wino2x2exact_input_u8_nhwc');
    expect(tapInputKernelId({ algo: a4, layout: 'NCHW', input: 'int8' })).toBe('wino4x4tap_input_i8_nchw');
    expect(exactGemmKernelId({ algo, tile: GEMM_TILES['regblock-8x8'] })).toBe('wino2x2exact_gemm_i16_r8x8_wg8x8');
    expect(generateTapGemmKernel({ algo: a4, tile: GEMM_TILES['regblock-16x8'], dot: 'dot4' }).id).toBe('wino4x4tap_gemm_i8_r16x8_wg8x1_dot4');
    expect(tapOutputKernelId({ algo: a4, layout: 'NHWC', output: 'qlinear', wordStore: true })).toBe('wino4x4tap_output_i32_nhwc_qlinear_w4');
    expect(exactOutputKernelId({ algo, layout: 'NCHW', output: 'float', wordStore: false, workgroupSize: 32 })).toBe('wino2x2exact_output_i32_nchw_wg32_float');
    const k1 = generateTapOutputKernel({ algo: a4, layout: 'NCHW', output: 'qlinear', wordStore: false });
    const k2 = generateTapOutputKernel({ algo: a4, layout: 'NCHW', output: 'qlinear', wordStore: false });
    expect(k1.code).toBe(k2.code);
  });

  it('every kernel opens with its ID and a header (mapping, barriers, dispatch); transforms carry their matrices', () => {
    for (const v of VARIANTS) {
      const lines = v.kernel.code.split('\n');
      expect(lines[0]).toBe(`// ${v.kernel.id}`);
      const header = lines.slice(0, lines.findIndex((l) => !l.startsWith('//'))).join('\n');
      expect(header, v.kernel.id).toMatch(/barriers/i);
      expect(header, v.kernel.id).toMatch(/Dispatch/);
      expect(header, v.kernel.id).toMatch(/(Thread mapping|Invocation|Workgroup)/);
      if (v.kernel.id.includes('_gemm_')) continue;
      const stage = v.kernel.id.includes('_input_') ? 'BT' : 'AT';
      const algo = int8WinogradAlgo(JSON.parse(v.config).scheme);
      for (const m of [algo.h[stage], algo.w[stage]]) {
        for (const row of formatMatrix(m, '//   ').split('\n')) expect(v.kernel.code, `${v.kernel.id} ${stage}`).toContain(row);
      }
    }
  });

  it('rejects bad configs with the field named', () => {
    const algo = int8WinogradAlgo('winograd4-tap');
    expect(() => generateExactInputKernel({ algo: winogradSquare(6, 3), layout: 'NHWC', input: 'int8' })).toThrow(/ExactInputConfig.algo = F\(6x6,3x3\): must have integer Bᵀ/);
    expect(() => generateTapInputKernel({ algo: winogradSquare(6, 3), layout: 'NHWC', input: 'int8' })).toThrow(/TapInputConfig.algo = F\(6x6,3x3\): must have integer Bᵀ/);
    expect(() => generateExactOutputKernel({ algo: int8WinogradAlgo('winograd2-exact'), layout: 'NCHW', output: 'qlinear', wordStore: true })).toThrow(/wordStore = true: only for output 'qlinear' in layout 'NHWC'/);
    expect(() => generateTapInputKernel({ algo, layout: 'NHWC', input: 'int16' as QDType })).toThrow(/TapInputConfig.input = "int16"/);
    expect(() => generateExactGemmKernel({ algo, tile: { tm: 16, tn: 16, wgx: 4, wgy: 1, quad: true } })).toThrow(/tile.quad = true: is not supported/);
    expect(() => generateTapGemmKernel({ algo, tile: GEMM_TILES['regblock-4x4'], dot: 'dp4' as QDotPath })).toThrow(/TapGemmConfig.dot = "dp4"/);
  });
});

describe('host packing', () => {
  const rng = mulberry32(31);
  const taps = 16;
  const tiles = 5;
  const C = 13;
  const O = 7;

  it("U' (int16 pairs) round-trips; padding is 0; int16 overflow is refused", () => {
    const U = randomInts(taps * C * O, rng, -2295, 2295);
    const w = packExactFilter(U, taps, C, O);
    expect(w.length).toBe(taps * 2 * 4 * 2 * 4);
    expect(unpackExactFilter(w, taps, C, O)).toEqual(U);
    // channel 13 (pair 6, high half) and columns 7 are padding
    for (let xi = 0; xi < taps; xi++) for (let o = 0; o < 8; o++) expect(w[(xi * 8 + 6) * 8 + o] >>> 16).toBe(0);
    for (let i = 7; i < w.length; i += 8) expect(w[i]).toBe(0);
    const big = Int32Array.from(U);
    big[5] = 40000;
    expect(() => packExactFilter(big, taps, C, O)).toThrow(/U'\[0\]\[0\]\[5\] = 40000: must be an int16/);
  });

  it('V (int16 pairs, vec2 per 4 channels) and M round-trip', () => {
    const V = randomInts(taps * tiles * C, rng, -1020, 1020);
    const words = packExactV(V, taps, tiles, C);
    expect(words.length).toBe(taps * tiles * 4 * 2);
    const back = unpackExactV(words, taps, tiles, C);
    for (let r = 0; r < taps * tiles; r++) {
      for (let c = 0; c < 16; c++) expect(back[r * 16 + c]).toBe(c < C ? V[r * C + c] : 0);
    }
    const M = randomInts(taps * tiles * O, rng, -(2 ** 31), 2 ** 31 - 1);
    const m = packWinogradM(M, taps, tiles, O);
    expect(m.length).toBe(taps * tiles * 8);
    expect(unpackWinogradM(m, taps, tiles, O)).toEqual(M);
  });

  it('Uq and Vq bytes round-trip; the uint8-tap flip plus tap_corr gives Σ q · Uq exactly', () => {
    const dts: TapDtype[] = Array.from({ length: taps }, (_, i) => (i % 5 === 0 ? 'uint8' : 'int8'));
    const Uq = Int8Array.from(randomInts(taps * C * O, rng, -127, 127));
    const pw = packTapWeights(Uq, dts, C, O);
    expect(unpackTapWeights(pw.words, taps, C, O)).toEqual(Uq);
    const Vq = Int32Array.from({ length: taps * tiles * C }, (_, i) => {
      const xi = Math.floor(i / (tiles * C));
      return dts[xi] === 'uint8' ? Math.floor(rng() * 256) : Math.floor(rng() * 255) - 127;
    });
    const vw = packTapVq(Vq, taps, tiles, C);
    const back = unpackTapVq(vw, dts, tiles, C);
    for (let r = 0; r < taps * tiles; r++) for (let c = 0; c < 16; c++) expect(back[r * 16 + c]).toBe(c < C ? Vq[r * C + c] : 0);
    // Emulate the GEMM reader contract: A word ^ tap_xor read as signed bytes, dot with Uq bytes, + tap_corr.
    const sb = (w: number, j: number) => ((w >>> (8 * j)) << 24) >> 24;
    for (let xi = 0; xi < taps; xi++) {
      expect(pw.xor[xi]).toBe(dts[xi] === 'uint8' ? UINT8_TAP_FLIP : 0);
      for (let t = 0; t < tiles; t++) {
        for (let o = 0; o < O; o++) {
          let d = 0;
          for (let k = 0; k < 4; k++) {
            const a = (vw[(xi * tiles + t) * 4 + k] ^ pw.xor[xi]) >>> 0;
            const b = pw.words[(xi * 4 + k) * 8 + o];
            for (let j = 0; j < 4; j++) d += sb(a, j) * sb(b, j);
          }
          let want = 0;
          for (let c = 0; c < C; c++) want += Vq[(xi * tiles + t) * C + c] * Uq[(xi * C + c) * O + o];
          expect(d + pw.corr[xi * 8 + o]).toBe(want);
        }
      }
    }
  });

  it('per-tap records: tap_q holds the f32 bits of invS and the range; tap_deq is [ξ][o4·4]', () => {
    const algo = int8WinogradAlgo('winograd2-tap');
    const w = { data: randomInts(O * 3 * 9, rng, -127, 127), outChannels: O, inChannels: 3 };
    const s = staticTapScales(algo, w, { inputDtype: 'uint8', xZeroPoint: 0 });
    const p = tapwiseKernelParams(s);
    const q = packTapInputParams(p);
    const f = new Float32Array(q.buffer);
    for (let xi = 0; xi < 16; xi++) {
      expect(f[xi * 4]).toBe(p.inputInvScale[xi]);
      expect([q[xi * 4 + 1], q[xi * 4 + 2], q[xi * 4 + 3]]).toEqual([p.inputLo[xi], p.inputHi[xi], 0]);
    }
    expect(q[5 * 4 + 1]).toBe(0); // the centre tap (1,1) is uint8 [0, 255]
    const deq = packTapDequant(p, O);
    for (let xi = 0; xi < 16; xi++) for (let o = 0; o < 8; o++) expect(deq[xi * 8 + o]).toBe(o < O ? p.dequant[o * 16 + xi] : 0);
  });

  it('qchan records follow QCHAN_FIELDS with zero corrections', () => {
    const g = geometry(5, 6, 7, 7);
    const rec = packWinogradChannelParams('qlinear', g, { bias: [1, 2, 3, 4, 5, 6], m0: new Array(6).fill(9000000), shift: new Array(6).fill(30) });
    const F = QCHAN_FIELDS.qlinear.length;
    expect(rec.length).toBe(2 * F * 4);
    const field = (name: string, c4: number) => Array.from(rec.subarray((c4 * F + QCHAN_FIELDS.qlinear.indexOf(name)) * 4, (c4 * F + QCHAN_FIELDS.qlinear.indexOf(name) + 1) * 4));
    expect(field('wz', 0)).toEqual([0, 0, 0, 0]);
    expect(field('wcorr', 1)).toEqual([0, 0, 0, 0]);
    expect(field('bias', 1)).toEqual([5, 6, 0, 0]);
  });
});

function geometry(C: number, O: number, H: number, W: number, extra: Partial<ConvGeometry> = {}): ConvGeometry {
  return { batch: 1, inChannels: C, outChannels: O, inHeight: H, inWidth: W, kernelH: 3, kernelW: 3, strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1], groups: 1, ...extra };
}

describe('exactWinogradApplicable and the prepare functions', () => {
  const ops = { input: 'int8' as const, xZeroPoint: 0, weightDtype: 'int8' as const, wZeroPoint: 0 };

  it('names the geometry it cannot serve', () => {
    expect(exactWinogradApplicable(geometry(8, 8, 9, 9, { strides: [2, 2] }), ops)).toMatch(/strides = \[2, 2\]: Winograd needs stride 1/);
    expect(exactWinogradApplicable(geometry(8, 8, 9, 9, { dilations: [1, 2] }), ops)).toMatch(/dilation 1/);
    expect(exactWinogradApplicable(geometry(8, 8, 9, 9, { groups: 2 }), ops)).toMatch(/groups = 2/);
    expect(exactWinogradApplicable(geometry(8, 8, 9, 9, { kernelH: 5, kernelW: 5 }), ops)).toMatch(/kernel 5x5: F\(2x2,3x3\) needs 3x3/);
    expect(exactWinogradApplicable(geometry(8, 8, 9, 9), { ...ops, xZeroPoint: 200 })).toMatch(/xZeroPoint = 200/);
    expect(exactWinogradApplicable(geometry(8, 8, 9, 9), ops)).toBeUndefined();
  });

  it('refuses C_in above src/quant bound, for the operand ranges implied by dtypes and zero points', () => {
    const cases: [Parameters<typeof exactWinogradApplicable>[1], [number, number], [number, number]][] = [
      [ops, [-128, 127], [-128, 127]],
      [{ ...ops, input: 'uint8', xZeroPoint: 0 }, [0, 255], [-128, 127]],
      [{ ...ops, input: 'uint8', xZeroPoint: 128 }, [-128, 127], [-128, 127]],
      [{ input: 'uint8', xZeroPoint: 255, weightDtype: 'uint8', wZeroPoint: [0, 255] }, [-255, 0], [-255, 255]],
    ];
    for (const [q, xRange, wRange] of cases) {
      const bound = exactWinogradMaxChannels({ xRange, wRange });
      expect(exactWinogradApplicable(geometry(bound, 2, 4, 4), q), JSON.stringify(q)).toBeUndefined();
      expect(exactWinogradApplicable(geometry(bound + 1, 2, 4, 4), q), JSON.stringify(q)).toMatch(new RegExp(`inChannels = ${bound + 1} exceeds the int32 overflow bound ${bound}`));
    }
    expect(exactWinogradMaxChannels({ xRange: [-128, 127], wRange: [-128, 127] })).toBe(3640);
  });

  it("uses the weights' actual range when given", () => {
    const C = 2000; // above 1827 (uint8 zp 0 × full int8) but fine for small weights
    const q = { input: 'uint8' as const, xZeroPoint: 0, weightDtype: 'int8' as const };
    expect(exactWinogradApplicable(geometry(C, 1, 4, 4), q)).toMatch(/exceeds/);
    expect(exactWinogradApplicable(geometry(C, 1, 4, 4), { ...q, weights: new Int32Array(C * 9).fill(3) })).toBeUndefined();
  });

  it('prepareExactWinograd: three stages with every uniform, constants and workspace; throws when not applicable', () => {
    const g = geometry(13, 5, 7, 9, { batch: 2, pads: [1, 0, 2, 1] });
    const rng = mulberry32(5);
    const p = prepareExactWinograd({
      geometry: g, layout: 'NHWC', input: 'uint8', xZeroPoint: 3, weights: randomInts(5 * 13 * 9, rng, -128, 127), weightLayout: 'HWIO', weightDtype: 'int8',
      quant: { output: 'qlinear', xScale: 0.02, wScale: 0.01, yScale: 0.5, yZeroPoint: 1, outputDtype: 'uint8', activation: 'relu', bias: [1, 2, 3, 4, 5] },
      maxWorkgroupsPerDimension: 16,
    });
    expect(p.stages.map((s) => s.kernel.id)).toEqual(['wino2x2exact_input_u8_nhwc', 'wino2x2exact_gemm_i16_r16x8_wg4x1', 'wino2x2exact_output_i32_nhwc_qlinear_w4']);
    for (const s of p.stages) expect(() => packUniforms(s.kernel.uniforms, s.uniforms)).not.toThrow();
    const l = p.layout;
    expect([l.tilesH, l.tilesW, l.tiles]).toEqual([4, 4, 32]);
    expect(p.stages[0].workgroups).toEqual([2, 1, 1]);
    expect(p.stages[1].workgroups).toEqual([1, 2, 16]); // default tile r16x8 (O = 5: tn cut to 8), wg 4x1: 32 tiles / 16 rows
    expect(p.stages[2].uniforms.row_pitch).toBe(64);
    expect(p.workspace).toEqual({ wino_v: 16 * 32 * 4 * 8, wino_m: 16 * 32 * 2 * 16 });
    expect(p.constants.wino_u.length).toBe(16 * 8 * 2 * 4);
    expect(p.outputBytes).toBe(2 * 8 * 8 * 2 * 4); // out 8x8 (pads 1+2, 0+1), 2 words per pixel
    expect(p.inputBytes).toBe(2 * 7 * 9 * 4 * 4);
    const tooMany = geometry(3641, 1, 4, 4);
    expect(() =>
      prepareExactWinograd({ geometry: tooMany, layout: 'NHWC', input: 'int8', weights: new Int32Array(3641 * 9).fill(-128), weightLayout: 'OIHW', weightDtype: 'int8', quant: { output: 'convint' } }),
    ).toThrow(/winograd2-exact not applicable: inChannels = 3641 exceeds the int32 overflow bound/);
  });

  it('re-planning at another size with `packed` reuses the weights packed at creation (same arrays, same values as a fresh prepare)', () => {
    const rng = mulberry32(8);
    const w = randomInts(7 * 5 * 9, rng, -128, 127);
    const base = { layout: 'NCHW' as const, input: 'uint8' as const, xZeroPoint: 2, weights: w, weightLayout: 'OIHW' as const, weightDtype: 'int8' as const, quant: { output: 'qlinear' as const, xScale: 0.02, wScale: 0.01, yScale: 0.5, outputDtype: 'uint8' as const } };
    const a = prepareExactWinograd({ ...base, geometry: geometry(5, 7, 6, 6) });
    const b = prepareExactWinograd({ ...base, geometry: geometry(5, 7, 10, 14, { batch: 3 }), packed: a.packed });
    const fresh = prepareExactWinograd({ ...base, geometry: geometry(5, 7, 10, 14, { batch: 3 }) });
    expect(b.constants.wino_u).toBe(a.constants.wino_u);
    expect(Array.from(b.constants.wino_u)).toEqual(Array.from(fresh.constants.wino_u));
    expect(b.stages.map((x) => x.uniforms)).toEqual(fresh.stages.map((x) => x.uniforms));
    expect(b.notes).toEqual(fresh.notes);
    const algo = int8WinogradAlgo('winograd4-tap');
    const scales = calibrateTapScales(algo, [{ data: randomInts(36 * 5, rng, 0, 255), batch: 1, height: 6, width: 6 }], { data: w, outChannels: 7, inChannels: 5 }, { inputDtype: 'uint8', xZeroPoint: 2 });
    const t = prepareTapwiseWinograd({ ...base, scheme: 'winograd4-tap', scales, geometry: geometry(5, 7, 6, 6) });
    const t2 = prepareTapwiseWinograd({ ...base, scheme: 'winograd4-tap', scales, geometry: geometry(5, 7, 9, 11), packed: t.packed });
    for (const k of ['tap_q', 'wino_uq', 'tap_corr', 'tap_xor', 'tap_deq']) expect(t2.constants[k]).toBe(t.constants[k]);
    expect(() => prepareTapwiseWinograd({ ...base, scheme: 'winograd4-tap', scales, geometry: geometry(5, 7, 9, 11), packed: a.packed })).toThrow(/packed.scheme = "winograd2-exact": must be winograd4-tap/);
  });

  it('prepareTapwiseWinograd: constants for every binding, dot4 language feature, checks the scales', () => {
    const g = geometry(6, 9, 8, 8);
    const rng = mulberry32(6);
    const w = randomInts(9 * 6 * 9, rng, -127, 127);
    for (const scheme of ['winograd2-tap', 'winograd4-tap', 'winograd2x1-tap', 'winograd4x1-tap'] as const) {
      const algo = int8WinogradAlgo(scheme);
      const scales = calibrateTapScales(algo, [{ data: randomInts(64 * 6, rng, 0, 255), batch: 1, height: 8, width: 8 }], { data: w, outChannels: 9, inChannels: 6 }, { inputDtype: 'uint8', xZeroPoint: 0 });
      const p = prepareTapwiseWinograd({
        scheme, scales, geometry: g, layout: 'NCHW', input: 'uint8', xZeroPoint: 0, weights: w, weightLayout: 'OIHW', weightDtype: 'int8',
        quant: { output: 'qlinear', xScale: 0.02, wScale: 0.01, yScale: 0.5, outputDtype: 'int8' },
      });
      const bound = new Set(p.stages.flatMap((s) => s.kernel.bindings.map((b) => b.name)));
      for (const name of bound) expect(name === 'params' || name === 'input' || name === 'output' || name in p.constants || name in p.workspace, `${scheme}: ${name}`).toBe(true);
      for (const s of p.stages) expect(() => packUniforms(s.kernel.uniforms, s.uniforms)).not.toThrow();
      expect(p.languageFeatures).toEqual(['packed_4x8_integer_dot_product']);
      expect(p.constants.tap_xor.length).toBe(algo.nh * algo.nw);
      expect(() =>
        prepareTapwiseWinograd({
          scheme: scheme === 'winograd2-tap' ? 'winograd4-tap' : 'winograd2-tap', scales, geometry: g, layout: 'NCHW', input: 'uint8', weights: w, weightLayout: 'OIHW',
          weightDtype: 'int8', quant: { output: 'qlinear', xScale: 0.02, wScale: 0.01, yScale: 0.5, outputDtype: 'int8' },
        }),
      ).toThrow(/scales.algorithm/);
    }
  });
});

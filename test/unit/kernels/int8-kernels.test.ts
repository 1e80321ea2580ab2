/**
 * The int8 kernels (src/kernels/int8/): every variant's WGSL declares exactly its binding/uniform table
 * (wgsl_reflect), IDs follow configs, host packing round-trips, and the zero-point / mixed-signedness algebra the
 * kernels rely on holds on the CPU (a lane-exact model of what the kernels read and multiply, compared with the
 * exact ConvInteger reference).
 */
import { GEMM_TILES } from '../../../src/kernels/gemm.ts';
import { describe, expect, it } from 'vitest';
import { weightShape, type ConvGeometry, type Layout, type WeightLayout } from '../../../src/conv/types.ts';
import { outputSize } from '../../../src/conv/geometry.ts';
import { kernelContractMismatches } from '../../../src/kernels/reflect.ts';
import { packUniforms, type KernelSource } from '../../../src/kernels/types.ts';
import {
  INT8_GEMM_PRESETS,
  QCHAN_FIELDS,
  QF32_CHUNK,
  canReadWords,
  canWordStore,
  channelTailMask,
  directI8ConfigFor,
  directI8Dispatch,
  directI8KernelId,
  flipsInput,
  fromByte,
  generateDirectI8Kernel,
  generateIm2colI8Kernel,
  im2colI8ConfigFor,
  im2colI8Dispatch,
  im2colI8KLayout,
  inputOffset,
  int8DotPathFor,
  packChannelParams,
  packInt8Activations,
  packInt8Weights,
  packedActivationWords,
  packedByteIndex,
  qGemmDispatch,
  qGemmRequiredFeatures,
  qLane,
  qOperandUniforms,
  qWeightShape,
  replicateByte,
  toByte,
  unpackInt8Activations,
  unpackInt8Weights,
  type DirectI8Config,
  type Im2colI8Config,
  type PackedInt8Weights,
  type QDType,
  type QDotPath,
  type QGemmTile,
  type QKLayout,
  type QOperandConfig,
  type QOutputMode,
} from '../../../src/kernels/int8/index.ts';
import { convIntegerReference } from '../../../src/reference/integer.ts';
import { geom } from '../../shapes.ts';
import { mulberry32, randomInts } from '../helpers/rng.ts';

const DOMAINS: [QDType, QDType][] = [
  ['int8', 'int8'],
  ['uint8', 'int8'],
  ['uint8', 'uint8'],
];
const DOTS: QDotPath[] = ['dot4', 'unpack', 'unpackf32'];
const OUTPUTS: QOutputMode[] = ['convint', 'qlinear', 'float'];
const READS: [Layout, 'word' | 'byte'][] = [
  ['NHWC', 'word'],
  ['NHWC', 'byte'],
  ['NCHW', 'byte'],
];

function operandVariants(): (QOperandConfig & { read: 'word' | 'byte'; wordStore: boolean })[] {
  const out: (QOperandConfig & { read: 'word' | 'byte'; wordStore: boolean })[] = [];
  for (const [input, weights] of DOMAINS) {
    for (const dot of DOTS) {
      for (const wzp of [false, true]) {
        for (const output of OUTPUTS) {
          for (const [layout, read] of READS) {
            for (const wordStore of output === 'qlinear' && layout === 'NHWC' ? [false, true] : [false]) {
              out.push({ layout, input, weights, wzp, output, dot, read, wordStore });
            }
          }
        }
      }
    }
  }
  return out;
}

const TILES: QGemmTile[] = [GEMM_TILES['regblock-16x16-quad'], GEMM_TILES['regblock-8x8'], { tm: 3, tn: 12, wgx: 2, wgy: 5 }];

function im2colVariants(): Im2colI8Config[] {
  const out: Im2colI8Config[] = operandVariants().map(({ read, ...o }, i) => ({ ...o, reader: read, tile: { ...TILES[i % TILES.length] } }));
  // Every tile with one operand config.
  for (const tile of INT8_GEMM_PRESETS.map((n) => GEMM_TILES[n])) {
    out.push({ layout: 'NHWC', input: 'uint8', weights: 'int8', wzp: true, output: 'qlinear', dot: 'unpackf32', reader: 'word', wordStore: true, tile: { ...tile } });
  }
  return out;
}

function directVariants(): DirectI8Config[] {
  const out: DirectI8Config[] = operandVariants().map((o, i) => ({ ...o, channels: i % 2 ? 8 : 4, pixels: 1 + (i % 8) }));
  out.push({ layout: 'NCHW', input: 'int8', weights: 'int8', wzp: false, output: 'convint', dot: 'dot4', read: 'byte', wordStore: false, workgroupSize: 128 });
  return out;
}

describe('int8 kernels: WGSL matches the binding/uniform contract (wgsl_reflect)', () => {
  const all: [string, () => KernelSource][] = [
    ...im2colVariants().map((c) => [generateIm2colI8Kernel(c).id, () => generateIm2colI8Kernel(c)] as [string, () => KernelSource]),
    ...directVariants().map((c) => [directI8KernelId(c), () => generateDirectI8Kernel(c)] as [string, () => KernelSource]),
  ];
  it(`covers ${all.length} variants`, () => expect(all.length).toBeGreaterThan(300));
  it.each(all)('%s', (_id, make) => {
    const k = make();
    expect(kernelContractMismatches(k)).toEqual([]);
    expect(k.code.startsWith(`// ${k.id}\n`)).toBe(true);
    expect(k.bindings.map((b) => b.name)).toEqual(['params', 'input', 'weights', 'qchan', 'output']);
  });

  it('uses the packed dot product only on the dot4 path, subgroups only with quad', () => {
    const base: Im2colI8Config = { layout: 'NHWC', input: 'uint8', weights: 'int8', wzp: true, output: 'convint', dot: 'dot4', reader: 'word', wordStore: false, tile: { ...GEMM_TILES['regblock-8x8'] } };
    expect(generateIm2colI8Kernel(base).code).toContain('dot4I8Packed');
    expect(generateIm2colI8Kernel(base).code).toContain('^ 0x80808080u');
    expect(generateIm2colI8Kernel({ ...base, input: 'uint8', weights: 'uint8' }).code).toContain('dot4U8Packed');
    expect(generateIm2colI8Kernel({ ...base, input: 'uint8', weights: 'uint8' }).code).not.toContain('0x80808080u');
    for (const dot of ['unpack', 'unpackf32'] as const) {
      const code = generateIm2colI8Kernel({ ...base, dot }).code;
      expect(code).not.toMatch(/dot4[IU]8Packed|unpack4x|pack4x/);
    }
    expect(generateIm2colI8Kernel({ ...base, dot: 'unpackf32' }).code).toContain(`kc += ${QF32_CHUNK}u`);
    expect(generateIm2colI8Kernel(base).code).not.toContain('enable subgroups');
    const q = generateIm2colI8Kernel({ ...base, tile: { ...GEMM_TILES['regblock-16x16-quad'] } });
    expect(q.code).toContain('enable subgroups;');
    expect(q.code).toContain('quadBroadcast');
    expect(qGemmRequiredFeatures(GEMM_TILES['regblock-16x16-quad'])).toEqual(['subgroups']);
    expect(qGemmRequiredFeatures(GEMM_TILES['regblock-8x8'])).toEqual([]);
  });

  it('is a pure function of its config', () => {
    const c = im2colVariants()[17];
    expect(generateIm2colI8Kernel(c)).toEqual(generateIm2colI8Kernel(structuredClone(c)));
    const d: DirectI8Config = { layout: 'NHWC', input: 'int8', weights: 'int8', wzp: false, output: 'convint', dot: 'unpack', read: 'word', wordStore: false };
    expect(generateDirectI8Kernel(d)).toEqual(generateDirectI8Kernel({ ...d, channels: 4, pixels: 4, workgroupSize: 64 }));
  });
});

describe('int8 kernel IDs', () => {
  it('differ whenever configs differ', () => {
    const im = im2colVariants();
    const dv = directVariants();
    const ids = [...im.map((c) => generateIm2colI8Kernel(c).id), ...dv.map(directI8KernelId)];
    const keys = [...im.map((c) => JSON.stringify(['im2col', c])), ...dv.map((c) => JSON.stringify(['direct', { channels: 4, pixels: 4, workgroupSize: 64, ...c }]))];
    expect(new Set(keys).size).toBe(keys.length);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('examples', () => {
    expect(
      generateIm2colI8Kernel({ layout: 'NHWC', input: 'uint8', weights: 'int8', wzp: false, output: 'qlinear', dot: 'dot4', reader: 'word', wordStore: true, tile: { ...GEMM_TILES['regblock-8x8'] } }).id,
    ).toBe('im2col_gemm_u8i8_nhwc_r8x8_wg8x8_word_dot4_qlinear_w4');
    expect(
      generateIm2colI8Kernel({ layout: 'NCHW', input: 'uint8', weights: 'uint8', wzp: true, output: 'float', dot: 'unpackf32', reader: 'byte', wordStore: false, tile: { ...GEMM_TILES['regblock-16x16-quad'] } }).id,
    ).toBe('im2col_gemm_u8u8_nchw_r16x16_wg4x1_q_byte_unpackf32_wzp_float');
    expect(directI8KernelId({ layout: 'NCHW', input: 'uint8', weights: 'int8', wzp: false, output: 'convint', dot: 'unpack', read: 'byte', wordStore: false })).toBe(
      'direct_u8i8_nchw_c4x4_byte_unpack_convint',
    );
    expect(directI8KernelId({ layout: 'NHWC', input: 'int8', weights: 'int8', wzp: true, output: 'qlinear', dot: 'dot4', read: 'word', wordStore: false, channels: 8, pixels: 2, workgroupSize: 32 })).toBe(
      'direct_i8i8_nhwc_c8x2_word_wg32_dot4_wzp_qlinear',
    );
  });

  it('reject invalid configs, naming the field', () => {
    const base: Im2colI8Config = { layout: 'NHWC', input: 'int8', weights: 'int8', wzp: false, output: 'convint', dot: 'dot4', reader: 'word', wordStore: false, tile: { ...GEMM_TILES['regblock-8x8'] } };
    expect(() => generateIm2colI8Kernel({ ...base, weights: 'uint8' })).toThrow(/weights = "uint8"/);
    expect(() => generateIm2colI8Kernel({ ...base, layout: 'NCHW' })).toThrow(/reader = 'word'/);
    expect(() => generateIm2colI8Kernel({ ...base, wordStore: true })).toThrow(/wordStore/);
    expect(() => generateIm2colI8Kernel({ ...base, output: 'qlinear', layout: 'NCHW', reader: 'byte', wordStore: true })).toThrow(/wordStore/);
    expect(() => generateIm2colI8Kernel({ ...base, dot: 'dp4a' as QDotPath })).toThrow(/dot = "dp4a"/);
    expect(() => generateIm2colI8Kernel({ ...base, tile: { tm: 16, tn: 6, wgx: 4, wgy: 1 } })).toThrow(/tn = 6/);
    expect(() => generateIm2colI8Kernel({ ...base, tile: { tm: 6, tn: 8, wgx: 4, wgy: 1, quad: true } })).toThrow(/tm = 6/);
    expect(() => generateIm2colI8Kernel({ ...base, tile: { tm: 8, tn: 8, wgx: 4, wgy: 2, quad: true } })).toThrow(/wgy = 2/);
    expect(() => generateDirectI8Kernel({ ...base, read: 'word', layout: 'NCHW' })).toThrow(/read = 'word'/);
    expect(() => generateDirectI8Kernel({ ...base, read: 'byte', pixels: 9 })).toThrow(/pixels = 9/);
  });
});

// ---- host packing -------------------------------------------------------------------------------------------

describe('int8 host packing', () => {
  it('bytes: two’s complement, replicated zero point, range checks', () => {
    for (let v = -128; v < 128; v++) expect(fromByte(toByte(v, 'int8'), 'int8')).toBe(v);
    for (let v = 0; v < 256; v++) expect(fromByte(toByte(v, 'uint8'), 'uint8')).toBe(v);
    expect(replicateByte(-1, 'int8')).toBe(0xffffffff);
    expect(replicateByte(0x12, 'uint8')).toBe(0x12121212);
    expect(() => toByte(128, 'int8', 'xZeroPoint')).toThrow(/xZeroPoint = 128.*int8/);
    expect(() => toByte(-1, 'uint8')).toThrow(/uint8/);
    expect(channelTailMask(1)).toBe(0xff);
    expect(channelTailMask(3)).toBe(0xffffff);
    expect(channelTailMask(8)).toBe(0xffffffff);
  });

  for (const layout of ['NHWC', 'NCHW'] as Layout[]) {
    for (const dtype of ['int8', 'uint8'] as QDType[]) {
      for (const c of [1, 3, 4, 13]) {
        it(`activations ${layout} ${dtype} C=${c}: unpack(pack(x)) == x, bytes where packedByteIndex says`, () => {
          const d = { n: 2, c, h: 3, w: 5 };
          const [lo, hi] = dtype === 'int8' ? [-128, 127] : [0, 255];
          const x = randomInts(d.n * d.c * d.h * d.w, mulberry32(c), lo, hi);
          const words = packInt8Activations(x, layout, dtype, d, dtype === 'int8' ? -7 : 9);
          expect(words.length).toBe(packedActivationWords(layout, d));
          expect(Array.from(unpackInt8Activations(words, layout, dtype, d))).toEqual(Array.from(x));
          const bytes = new Uint8Array(words.buffer);
          const at = (n: number, ch: number, h: number, w: number) => (layout === 'NHWC' ? ((n * d.h + h) * d.w + w) * d.c + ch : ((n * d.c + ch) * d.h + h) * d.w + w);
          expect(fromByte(bytes[packedByteIndex(layout, d, 1, c - 1, 2, 3)], dtype)).toBe(x[at(1, c - 1, 2, 3)]);
          if (layout === 'NHWC' && c % 4) expect(fromByte(bytes[4 * Math.ceil(c / 4) - 1], dtype)).toBe(dtype === 'int8' ? -7 : 9);
          if (layout === 'NHWC' && c % 4 === 0) expect(Array.from(bytes)).toEqual(Array.from(x, (v) => v & 0xff));
        });
      }
    }
  }

  const SHAPES: { name: string; g: ConvGeometry }[] = [
    { name: 'c3_k5_3x3', g: geom({ inChannels: 3, outChannels: 5, inHeight: 6, inWidth: 7 }) },
    { name: 'g2_c6_k6_1x3', g: geom({ inChannels: 6, outChannels: 6, groups: 2, inHeight: 5, inWidth: 9, kernelH: 1, kernelW: 3 }) },
    { name: 'g2_c16_k12_3x3', g: geom({ inChannels: 16, outChannels: 12, groups: 2, inHeight: 5, inWidth: 6 }) },
    { name: 'dw_c5_m2_3x3', g: geom({ inChannels: 5, outChannels: 10, groups: 5, inHeight: 6, inWidth: 6 }) },
    { name: 'c13_k7_2x3', g: geom({ inChannels: 13, outChannels: 7, inHeight: 6, inWidth: 7, kernelH: 2, kernelW: 3 }) },
  ];

  for (const { name, g } of SHAPES) {
    for (const kLayout of ['tap4', 'dense'] as QKLayout[]) {
      for (const wl of ['OIHW', 'HWIO'] as WeightLayout[]) {
        it(`weights ${name} ${kLayout} ${wl}: stored values round-trip, sums and padding`, () => {
          const count = weightShape(g, wl).reduce((a, b) => a * b, 1);
          const w = randomInts(count, mulberry32(count), -128, 127);
          const wz = randomInts(g.outChannels, mulberry32(3), -20, 20);
          const p = packInt8Weights(w, wl, g, { input: 'int8', weightDtype: 'int8', wZeroPoint: wz, kLayout, fold: false });
          expect(p.storage).toBe('int8');
          expect(p.wzp).toBe(true);
          expect(Array.from(unpackInt8Weights(p, wl, g))).toEqual(Array.from(w));
          const s = qWeightShape(g, kLayout);
          expect(p.words.length).toBe(s.groups * s.k4 * s.coutG4 * 4);
          // Σ of all stored bytes per output channel = wsum (so every padding byte is 0).
          const bytes = new Int8Array(p.words.buffer);
          for (let o = 0; o < g.outChannels; o++) {
            const grp = Math.floor(o / s.coutG);
            const oc = o % s.coutG;
            let sum = 0;
            for (let k4 = 0; k4 < s.k4; k4++) for (let j = 0; j < 4; j++) sum += bytes[((grp * s.k4 + k4) * s.coutG4 * 4 + oc) * 4 + j];
            expect(sum).toBe(p.wsum[o]);
            expect(p.wcorr[o]).toBe(s.lanes * wz[o] - p.wsum[o]);
          }
          const lanesUsed = new Set<number>();
          for (let t = 0; t < s.taps; t++) for (let ci = 0; ci < s.cinG; ci++) lanesUsed.add(qLane(s, kLayout, t, ci));
          expect(lanesUsed.size).toBe(s.taps * s.cinG);
          expect(Math.max(...lanesUsed)).toBeLessThan(s.lanes);
        });
      }
    }
  }

  it('chooses the stored domain: fold when w − wz fits int8, uint8 only with uint8 input, else int8 − 128', () => {
    const g = geom({ inChannels: 4, outChannels: 2, inHeight: 3, inWidth: 3 });
    const n = 2 * 4 * 9;
    const u = randomInts(n, mulberry32(1), 0, 255);
    const opts = { kLayout: 'tap4' as const };
    // uint8 weights with zero point 128: w − 128 fits int8 → folded, no patch sums.
    const f = packInt8Weights(u, 'OIHW', g, { ...opts, input: 'uint8', weightDtype: 'uint8', wZeroPoint: 128 });
    expect([f.storage, f.wzp, f.wz[0]]).toEqual(['int8', false, 0]);
    expect(Array.from(unpackInt8Weights(f, 'OIHW', g))).toEqual(Array.from(u, (v) => v - 128));
    // zero point 3 with full-range data does not fit: uint8 input keeps uint8 (dot4U8Packed) …
    const k = packInt8Weights(u, 'OIHW', g, { ...opts, input: 'uint8', weightDtype: 'uint8', wZeroPoint: 3 });
    expect([k.storage, k.wzp, k.wz[1]]).toEqual(['uint8', true, 3]);
    // … int8 input stores int8 w − 128 with zero point 3 − 128.
    const s = packInt8Weights(u, 'OIHW', g, { ...opts, input: 'int8', weightDtype: 'uint8', wZeroPoint: 3 });
    expect([s.storage, s.wzp, s.wz[0]]).toEqual(['int8', true, -125]);
    // int8 weights, zero point 0: as they are, no patch sums.
    const i = packInt8Weights(randomInts(n, mulberry32(2), -128, 127), 'OIHW', g, { ...opts, input: 'uint8', weightDtype: 'int8' });
    expect([i.storage, i.wzp]).toEqual(['int8', false]);
    expect(() => packInt8Weights(u, 'OIHW', g, { ...opts, input: 'uint8', weightDtype: 'int8' })).toThrow(/weight\[\d+\] = \d+: must be an integer in the int8 range/);
    expect(() => packInt8Weights(u, 'OIHW', g, { ...opts, input: 'uint8', weightDtype: 'uint8', wZeroPoint: [1, 2, 3] })).toThrow(/wZeroPoint: 3 values; give 1/);
  });

  it('channel parameters: [group][cout_g4][field] vec4 records, f32 fields as bits, zeros past Cout_g', () => {
    const g = geom({ inChannels: 4, outChannels: 6, groups: 2, inHeight: 3, inWidth: 3 });
    const w = packInt8Weights(randomInts(6 * 2 * 9, mulberry32(4), -128, 127), 'OIHW', g, { input: 'int8', weightDtype: 'int8', wZeroPoint: [1, 2, 3, 4, 5, 6], kLayout: 'tap4', fold: false });
    const q = packChannelParams('qlinear', g, w, { bias: [10, 20, 30, 40, 50, 60], m0: [9000000], shift: [30] });
    const F = QCHAN_FIELDS.qlinear.length;
    expect(q.length).toBe(2 * 1 * F * 4);
    // group 1, col4 0, field 'bias', lane 2 = output channel 3 + 2 = 5
    expect(q[((1 * 1 + 0) * F + 2) * 4 + 2]).toBe(60);
    expect(q[((1 * 1 + 0) * F + 0) * 4 + 1]).toBe(5);
    expect(q[((0 * 1 + 0) * F + 3) * 4 + 0]).toBe(9000000);
    expect(q[((0 * 1 + 0) * F + 2) * 4 + 3]).toBe(0);
    const f = packChannelParams('float', g, w, { wScale: [0.5], bias: [1.25, 0, 0, 0, 0, -2] });
    const bits = new Float32Array(f.buffer);
    const FF = QCHAN_FIELDS.float.length;
    expect(bits[((0 * FF + 2) * 4) + 1]).toBe(0.5);
    expect(bits[((1 * FF + 3) * 4) + 2]).toBe(-2);
    expect(() => packChannelParams('qlinear', g, w, { m0: [1] })).toThrow(/shift is required/);
  });
});

// ---- the zero-point and mixed-signedness algebra, lane by lane on the CPU ------------------------------------

/**
 * What a kernel computes, modelled on the CPU: every lane it reads (k layout of `w`), the raw byte there (x_zp for
 * padding, taps outside the image, lanes past Cin_g or K), turned into the dot domain (flip for a signed dot with
 * uint8 input, else read with the input's signedness) and multiplied by the stored weight byte; then
 * acc = D − wz_e·S + x_zp_e·wcorr.
 */
function modelKernel(g: ConvGeometry, layout: Layout, x: ArrayLike<number>, input: QDType, xz: number, w: PackedInt8Weights, dot: QDotPath): Float64Array {
  const s = w.shape;
  const cfg = { input, weights: w.storage, dot };
  const { outHeight: oh, outWidth: ow } = outputSize(g);
  const dims = { n: g.batch, c: g.inChannels, h: g.inHeight, w: g.inWidth };
  const xb = new Uint8Array(packInt8Activations(x, layout, input, dims, input === 'int8' ? 99 : 201).buffer);
  const wb = new Uint8Array(w.words.buffer);
  const xzByte = toByte(xz, input);
  const xzE = xz - inputOffset(cfg);
  const toDot = (b: number) => (flipsInput(cfg) ? fromByte(b ^ 0x80, 'int8') : fromByte(b, input));
  const out = new Float64Array(g.batch * g.outChannels * oh * ow);
  for (let n = 0; n < g.batch; n++) {
    for (let y = 0; y < oh; y++) {
      for (let xo = 0; xo < ow; xo++) {
        for (let o = 0; o < g.outChannels; o++) {
          const grp = Math.floor(o / s.coutG);
          const oc = o % s.coutG;
          let D = 0;
          let S = 0;
          for (let lane = 0; lane < s.lanes; lane++) {
            let tap: number;
            let ci: number;
            if (w.kLayout === 'tap4') {
              tap = Math.floor(lane / (4 * s.cinG4));
              ci = lane % (4 * s.cinG4);
            } else {
              tap = Math.floor(lane / s.cinG);
              ci = lane % s.cinG;
            }
            const ih = y * g.strides[0] + Math.floor(tap / g.kernelW) * g.dilations[0] - g.pads[0];
            const iw = xo * g.strides[1] + (tap % g.kernelW) * g.dilations[1] - g.pads[1];
            const real = tap < s.taps && ci < s.cinG && ih >= 0 && ih < g.inHeight && iw >= 0 && iw < g.inWidth;
            const byte = real ? xb[packedByteIndex(layout, dims, n, grp * s.cinG + ci, ih, iw)] : xzByte;
            const xv = toDot(byte);
            const wv = fromByte(wb[((grp * s.k4 + (lane >> 2)) * s.coutG4 * 4 + oc) * 4 + (lane & 3)], w.storage);
            D += xv * wv;
            S += xv;
          }
          const acc = D - w.wz[o] * S + xzE * w.wcorr[o];
          const idx = layout === 'NHWC' ? ((n * oh + y) * ow + xo) * g.outChannels + o : ((n * g.outChannels + o) * oh + y) * ow + xo;
          out[idx] = acc;
        }
      }
    }
  }
  return out;
}

describe('zero-point correction and mixed signedness (CPU model of the kernels)', () => {
  it('flipping a uint8 byte (x ^ 0x80) and reading it as int8 gives x − 128', () => {
    for (let x = 0; x < 256; x++) expect(fromByte(x ^ 0x80, 'int8')).toBe(x - 128);
    const word = 0x00ff8017;
    const flipped = (word ^ 0x80808080) >>> 0;
    expect([0, 1, 2, 3].map((j) => fromByte(flipped >>> (8 * j), 'int8'))).toEqual([0x17 - 128, 0x80 - 128, 0xff - 128, 0 - 128]);
  });

  const SHAPES: { name: string; g: ConvGeometry; layout: Layout }[] = [
    { name: 'nhwc_c3_k5_pad_asym_s2', layout: 'NHWC', g: geom({ inChannels: 3, outChannels: 5, inHeight: 6, inWidth: 7, strides: [2, 1], pads: [2, 0, 1, 1] }) },
    { name: 'nchw_b2_g2_c6_k4_d2', layout: 'NCHW', g: geom({ batch: 2, inChannels: 6, outChannels: 4, groups: 2, inHeight: 7, inWidth: 5, dilations: [2, 1], pads: [2, 1, 2, 1] }) },
    { name: 'nhwc_dw_c5_m2', layout: 'NHWC', g: geom({ inChannels: 5, outChannels: 10, groups: 5, inHeight: 5, inWidth: 6 }) },
  ];
  const CASES: { input: QDType; weight: QDType; xz: number; wz: number | 'channel'; fold: boolean; dot: QDotPath }[] = [
    { input: 'uint8', weight: 'int8', xz: 200, wz: 0, fold: true, dot: 'dot4' },
    { input: 'uint8', weight: 'int8', xz: 3, wz: 'channel', fold: false, dot: 'dot4' },
    { input: 'uint8', weight: 'int8', xz: 3, wz: 'channel', fold: false, dot: 'unpack' },
    { input: 'uint8', weight: 'uint8', xz: 255, wz: 7, fold: false, dot: 'dot4' },
    { input: 'uint8', weight: 'uint8', xz: 128, wz: 128, fold: true, dot: 'dot4' },
    { input: 'int8', weight: 'uint8', xz: -100, wz: 'channel', fold: false, dot: 'dot4' },
    { input: 'int8', weight: 'int8', xz: 127, wz: 'channel', fold: true, dot: 'unpackf32' },
  ];
  for (const sh of SHAPES) {
    for (const kLayout of ['tap4', 'dense'] as QKLayout[]) {
      for (const [ci, c] of CASES.entries()) {
        it(`${sh.name} ${kLayout} x ${c.input} (zp ${c.xz}) w ${c.weight} (zp ${c.wz}${c.fold ? ', fold' : ''}) ${c.dot}: equals ConvInteger`, () => {
          const g = sh.g;
          const rng = mulberry32(100 + ci);
          const [xl, xh] = c.input === 'int8' ? [-128, 127] : [0, 255];
          const [wl, wh] = c.weight === 'int8' ? [-128, 127] : [0, 255];
          const x = randomInts(g.batch * g.inChannels * g.inHeight * g.inWidth, rng, xl, xh);
          const w = randomInts(weightShape(g, 'OIHW').reduce((a, b) => a * b, 1), rng, wl, wh);
          const wz = c.wz === 'channel' ? randomInts(g.outChannels, rng, wl, wh) : c.wz;
          const p = packInt8Weights(w, 'OIHW', g, { input: c.input, weightDtype: c.weight, wZeroPoint: wz, kLayout, fold: c.fold });
          const got = modelKernel(g, sh.layout, x, c.input, c.xz, p, c.dot);
          const ref = convIntegerReference(g, { input: x, inputLayout: sh.layout, weight: w, weightLayout: 'OIHW', xZeroPoint: c.xz, wZeroPoint: wz });
          expect(Array.from(got)).toEqual(Array.from(ref.data));
        });
      }
    }
  }

  it('the f32 chunk bound: QF32_CHUNK words of 4·255·255 stay below 2^24', () => {
    expect(QF32_CHUNK * 4 * 255 * 255).toBeLessThan(2 ** 24);
    expect(QF32_CHUNK * 4 * 255).toBeLessThan(2 ** 24);
  });
});

// ---- dispatch and uniforms -----------------------------------------------------------------------------------

describe('int8 dispatch', () => {
  const g = geom({ batch: 2, inChannels: 12, outChannels: 20, groups: 2, inHeight: 9, inWidth: 7, strides: [2, 1] });
  const call = { xZeroPoint: 5, yZeroPoint: 1, clamp: [-128, 127] as const, xScale: 0.5 };

  it('im2col: workgroups by the formula, every uniform given and packable', () => {
    for (const output of OUTPUTS) {
      for (const dot of DOTS) {
        const cfg = im2colI8ConfigFor(g, { layout: 'NHWC', input: 'int8', weights: 'int8', wzp: true, output, dot }, { ...GEMM_TILES['regblock-8x8'] });
        expect(cfg.reader).toBe('byte'); // cin_g = 6: groups straddle words
        expect(cfg.wordStore).toBe(false); // cout_g = 10
        const d = im2colI8Dispatch(cfg, g, call);
        const { outHeight, outWidth } = outputSize(g);
        expect(d.workgroups).toEqual([Math.ceil(Math.ceil(10 / 4) / (8 * 2)), Math.ceil((2 * outHeight * outWidth) / (8 * 8)), 2]);
        const k = generateIm2colI8Kernel(cfg);
        expect(() => packUniforms(k.uniforms, d.uniforms)).not.toThrow();
        expect(d.uniforms.gemm_k4).toBe(Math.ceil((9 * 6) / 4));
        expect(d.uniforms.x_zp4).toBe(0x05050505);
      }
    }
    expect(im2colI8KLayout('word')).toBe('tap4');
    expect(im2colI8KLayout('byte')).toBe('dense');
    expect(qGemmDispatch({ tm: 16, tn: 16, wgx: 4, wgy: 1 }, 3136, 64, 1)).toEqual([1, 196, 1]);
    expect(() => im2colI8Dispatch({ ...im2colI8ConfigFor(g, { layout: 'NHWC', input: 'int8', weights: 'int8', wzp: false, output: 'convint', dot: 'dot4' }), reader: 'word' }, g, call)).toThrow(
      /reader 'word' needs NHWC with groups == 1 or inChannels\/groups % 4 == 0/,
    );
  });

  it('direct: every uniform given; whole-word stores and word reads only where groups are word-aligned', () => {
    const g1 = geom({ inChannels: 13, outChannels: 6, inHeight: 5, inWidth: 5 });
    const cfg = directI8ConfigFor(g1, { layout: 'NHWC', input: 'uint8', weights: 'int8', wzp: false, output: 'qlinear', dot: 'unpack' });
    expect([cfg.read, cfg.wordStore]).toEqual(['word', true]);
    const d = directI8Dispatch(cfg, g1, call);
    expect(d.uniforms.c_tail_mask).toBe(0xff);
    expect(d.uniforms.x_zp_e).toBe(5);
    expect(() => packUniforms(generateDirectI8Kernel(cfg).uniforms, d.uniforms)).not.toThrow();
    expect(canReadWords('NHWC', 2, 6)).toBe(false);
    expect(canReadWords('NHWC', 2, 8)).toBe(true);
    expect(canReadWords('NCHW', 1, 8)).toBe(false);
    expect(canWordStore('NHWC', 'qlinear', 3, 6)).toBe(false);
    expect(canWordStore('NHWC', 'convint', 1, 6)).toBe(false);
  });

  it('operand uniforms: the activation offset only for a signed dot with uint8 input', () => {
    const base = { layout: 'NHWC' as const, wzp: false, output: 'convint' as const };
    expect(qOperandUniforms({ ...base, input: 'uint8', weights: 'int8', dot: 'dot4' }, { xZeroPoint: 130 }).x_zp_e).toBe(2);
    expect(qOperandUniforms({ ...base, input: 'uint8', weights: 'uint8', dot: 'dot4' }, { xZeroPoint: 130 }).x_zp_e).toBe(130);
    expect(qOperandUniforms({ ...base, input: 'uint8', weights: 'int8', dot: 'unpack' }, { xZeroPoint: 130 }).x_zp_e).toBe(130);
    expect(qOperandUniforms({ ...base, input: 'int8', weights: 'int8', dot: 'dot4' }, { xZeroPoint: -2 }).x_zp4).toBe(0xfefefefe);
  });

  it('dot path choice: dot4 where the language feature exists, unpackf32 on CPU adapters and otherwise', () => {
    const withFeature = { wgslLanguageFeatures: new Set(['packed_4x8_integer_dot_product']) };
    expect(int8DotPathFor(withFeature)).toBe('dot4');
    expect(int8DotPathFor(withFeature, { vendor: 'nvidia', architecture: 'hopper' })).toBe('dot4');
    expect(int8DotPathFor(withFeature, { vendor: 'google', architecture: 'swiftshader' })).toBe('unpackf32');
    expect(int8DotPathFor({ wgslLanguageFeatures: new Set() })).toBe('unpackf32');
    expect(int8DotPathFor(undefined)).toBe('unpackf32');
  });
});

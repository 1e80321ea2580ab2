/**
 * The GEMM generator (src/kernels/gemm.ts) and the plain operand parts (src/kernels/gemm-plain.ts), without a
 * GPU: kernel IDs carry every config field, the generated WGSL reflects exactly its binding/uniform table,
 * dispatch math, host packing, and invalid configs fail naming field, value and rule.
 */
import { describe, expect, it } from 'vitest';
import type { WgslPart } from '../../../src/kernels/compose.ts';
import {
  GEMM_LIMITS,
  GEMM_TILES,
  gemmDispatch,
  gemmRequiredFeatures,
  gemmTileId,
  gemmWorkgroupBytes,
  generateGemmKernel,
  validateGemmTile,
  type GemmTile,
} from '../../../src/kernels/gemm.ts';
import { packPlainA, packPlainB, plainAPart, plainBPart, plainCPart, plainGemmUniforms, unpackPlainC } from '../../../src/kernels/gemm-plain.ts';
import { kernelContractMismatches, reflectWgsl } from '../../../src/kernels/reflect.ts';

const plain = () => ({ a: plainAPart(), b: plainBPart(), c: plainCPart() });
const gen = (tile: GemmTile, idPrefix = 'wino4x4_gemm_f32') => generateGemmKernel({ idPrefix, operands: plain(), tile });

const PRESETS = Object.entries(GEMM_TILES) as [string, GemmTile][];

/** Configs beyond the presets: odd sizes, every option, tiles at the limits. */
const EXTRA_TILES: GemmTile[] = [
  { variant: 'regblock', tm: 1, tn: 4, wgx: 1, wgy: 1 },
  { variant: 'regblock', tm: 3, tn: 12, wgx: 5, wgy: 7 },
  { variant: 'regblock', tm: 32, tn: 8, wgx: 4, wgy: 1, quad: true },
  { variant: 'regblock', tm: 4, tn: 4, wgx: 64, wgy: 1, quad: true },
  { variant: 'regblock', tm: 16, tn: 16, wgx: 256, wgy: 1 },
  { variant: 'wgtile', tm: 1, tn: 4, wgx: 3, wgy: 5, tk: 4 },
  { variant: 'wgtile', tm: 2, tn: 8, wgx: 16, wgy: 16, tk: 12 },
  { variant: 'wgtile', tm: 4, tn: 4, wgx: 8, wgy: 8, tk: 32, doubleBuffer: true },
];

const ALL: [string, GemmTile][] = [...PRESETS, ...EXTRA_TILES.map((t) => [JSON.stringify(t), t] as [string, GemmTile])];

describe('gemmTileId', () => {
  it('spells every field', () => {
    expect(gemmTileId({ variant: 'regblock', tm: 8, tn: 8, wgx: 8, wgy: 8 })).toBe('r8x8_wg8x8');
    expect(gemmTileId({ variant: 'regblock', tm: 16, tn: 16, wgx: 4, wgy: 1, quad: true })).toBe('r16x16_wg4x1_q');
    expect(gemmTileId({ variant: 'regblock', tm: 16, tn: 16, wgx: 4, wgy: 1, quad: false })).toBe('r16x16_wg4x1');
    expect(gemmTileId({ variant: 'wgtile', tm: 4, tn: 8, wgx: 16, wgy: 8, tk: 8 })).toBe('t4x8_wg16x8_k8');
    expect(gemmTileId({ variant: 'wgtile', tm: 4, tn: 8, wgx: 16, wgy: 8, tk: 8, doubleBuffer: true })).toBe('t4x8_wg16x8_k8_db');
  });

  it('gives different IDs to configs that differ in any one field', () => {
    const base: GemmTile = { variant: 'wgtile', tm: 4, tn: 8, wgx: 8, wgy: 8, tk: 8 };
    const variants: GemmTile[] = [
      base,
      { ...base, variant: 'regblock', tk: undefined },
      { ...base, tm: 2 },
      { ...base, tn: 4 },
      { ...base, wgx: 4 },
      { ...base, wgy: 4 },
      { ...base, tk: 16 },
      { ...base, doubleBuffer: true },
      { variant: 'regblock', tm: 4, tn: 8, wgx: 8, wgy: 1 },
      { variant: 'regblock', tm: 4, tn: 8, wgx: 8, wgy: 1, quad: true },
    ].map((t) => JSON.parse(JSON.stringify(t)) as GemmTile);
    const ids = variants.map(gemmTileId);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('generateGemmKernel', () => {
  it.each(ALL)('%s: ID is prefix + tile ID, and contains every config field', (_, tile) => {
    const k = gen(tile);
    expect(k.id).toBe(`wino4x4_gemm_f32_${gemmTileId(tile)}`);
    const fields = [`${tile.tm}x${tile.tn}`, `wg${tile.wgx}x${tile.wgy}`, tile.variant === 'regblock' ? '_r' : '_t'];
    if (tile.tk !== undefined) fields.push(`_k${tile.tk}`);
    if (tile.doubleBuffer) fields.push('_db');
    if (tile.quad) fields.push('_q');
    for (const f of fields) expect(k.id).toContain(f);
  });

  it.each(ALL)('%s: WGSL reflects exactly its binding and uniform table', (_, tile) => {
    const k = gen(tile);
    expect(kernelContractMismatches(k)).toEqual([]);
    expect(k.bindings).toEqual([
      { binding: 0, name: 'params', kind: 'uniform' },
      { binding: 1, name: 'gemm_a', kind: 'read-only-storage' },
      { binding: 2, name: 'gemm_b', kind: 'read-only-storage' },
      { binding: 3, name: 'gemm_c', kind: 'storage' },
    ]);
    expect(k.uniforms).toEqual([
      { name: 'gemm_m', type: 'u32' },
      { name: 'gemm_n4', type: 'u32' },
      { name: 'gemm_k4', type: 'u32' },
    ]);
    expect(k.workgroupSize).toEqual([tile.wgx, tile.wgy, 1]);
    expect(reflectWgsl(k.code).entryPoints).toEqual(['main']);
  });

  it.each(ALL)('%s: opens with its ID and a comment giving the mapping, tiles, barriers and dispatch', (_, tile) => {
    const k = gen(tile);
    const lines = k.code.split('\n');
    expect(lines[0]).toBe(`// ${k.id}`);
    const header = lines.slice(0, lines.findIndex((l) => !l.startsWith('//'))).join('\n');
    expect(header).toMatch(/Invocation/);
    expect(header).toMatch(/Dispatch: \(ceil\(gemm_n4 \/ \d+\), ceil\(gemm_m \/ \d+\), batch\)/);
    expect(header).toMatch(tile.variant === 'wgtile' ? /workgroupBarrier/ : /no barriers/);
    expect(k.code.includes('workgroupBarrier()')).toBe(tile.variant === 'wgtile');
    expect(k.code.includes('var<workgroup>')).toBe(tile.variant === 'wgtile');
  });

  it.each(ALL)('%s: needs subgroups exactly when quad-shared', (_, tile) => {
    const k = gen(tile);
    expect(gemmRequiredFeatures(tile)).toEqual(tile.quad ? ['subgroups'] : []);
    expect(k.code.includes('enable subgroups;')).toBe(!!tile.quad);
    expect(k.code.includes('quadBroadcast')).toBe(!!tile.quad);
  });

  it('is pure: same config, same kernel; the config is not mutated', () => {
    const tile = Object.freeze({ variant: 'wgtile', tm: 4, tn: 4, wgx: 8, wgy: 8, tk: 8, doubleBuffer: true }) as GemmTile;
    const ops = plain();
    const frozen = { idPrefix: 'x_gemm_f32', operands: Object.freeze(ops), tile };
    expect(generateGemmKernel(frozen)).toEqual(generateGemmKernel(frozen));
  });

  it('appends the non-empty ID parts of the operand parts, in order a, b, c', () => {
    const tag = (p: WgslPart, idPart: string): WgslPart => ({ ...p, idPart });
    const tile = GEMM_TILES['regblock-8x8'];
    const k = generateGemmKernel({ idPrefix: 'im2col_gemm_f32', operands: { a: tag(plainAPart(), 'nhwc'), b: tag(plainBPart(), ''), c: tag(plainCPart(), 'bias_relu') }, tile });
    expect(k.id).toBe('im2col_gemm_f32_r8x8_wg8x8_nhwc_bias_relu');
  });

  it('shares uniforms that operand parts also declare, and appends their own after the body', () => {
    const a: WgslPart = { ...plainAPart(), uniforms: [...plainAPart().uniforms, { name: 'in_w', type: 'u32' }] };
    const k = generateGemmKernel({ idPrefix: 'x_gemm_f32', operands: { a, b: plainBPart(), c: plainCPart() }, tile: GEMM_TILES['regblock-8x8'] });
    expect(k.uniforms.map((u) => u.name)).toEqual(['gemm_m', 'gemm_n4', 'gemm_k4', 'in_w']);
    expect(kernelContractMismatches(k)).toEqual([]);
  });
});

describe('gemmDispatch', () => {
  it('covers N in vec4 column groups and M in rows, batch in z', () => {
    // regblock-8x8: 8×8 invocations of 8×8 → 64 rows × 16 column groups per workgroup.
    const t: GemmTile = { variant: 'regblock', tm: 8, tn: 8, wgx: 8, wgy: 8 };
    expect(gemmDispatch(t, 130, 68, 3)).toEqual([2, 3, 3]);
    expect(gemmDispatch(t, 64, 64, 1)).toEqual([1, 1, 1]);
    expect(gemmDispatch(t, 1, 1, 16)).toEqual([1, 1, 16]);
    expect(gemmDispatch({ variant: 'regblock', tm: 16, tn: 16, wgx: 4, wgy: 1, quad: true }, 196, 64, 36)).toEqual([1, 13, 36]);
    expect(gemmDispatch({ variant: 'wgtile', tm: 4, tn: 4, wgx: 16, wgy: 16, tk: 8 }, 3136, 64, 1)).toEqual([1, 49, 1]);
  });

  it('rejects bad sizes and dispatches over the default per-dimension limit', () => {
    const t = GEMM_TILES['regblock-8x8'];
    expect(() => gemmDispatch(t, -1, 4, 1)).toThrow(/m = -1: must be a non-negative integer/);
    expect(() => gemmDispatch(t, 4, 2.5, 1)).toThrow(/n = 2.5: must be a non-negative integer/);
    expect(() => gemmDispatch(t, 64 * 65536, 4, 1)).toThrow(/y = 65536 workgroups .* exceeds maxComputeWorkgroupsPerDimension 65535/);
  });
});

describe('invalid tile configs name the field, the value and the rule', () => {
  const ok: GemmTile = { variant: 'regblock', tm: 4, tn: 8, wgx: 8, wgy: 8 };
  const cases: [string, GemmTile, RegExp][] = [
    ['tn not a multiple of 4', { ...ok, tn: 6 }, /GemmKernelConfig\.tile\.tn = 6: must be a multiple of 4 in \[4, 16\]/],
    ['tn too large', { ...ok, tn: 20 }, /tile\.tn = 20: must be a multiple of 4/],
    ['tm zero', { ...ok, tm: 0 }, /tile\.tm = 0: must be an integer in \[1, 32\]/],
    ['tm fractional', { ...ok, tm: 1.5 }, /tile\.tm = 1\.5: must be an integer/],
    ['too many accumulators', { ...ok, tm: 32, tn: 16, wgx: 1, wgy: 1 }, new RegExp(`tile\\.tm×tn = "32×16": needs 128 vec4 accumulators; at most ${GEMM_LIMITS.maxAccumulators}`)],
    ['workgroup > 256 invocations', { ...ok, wgx: 32, wgy: 16 }, /tile\.wgx×wgy = "32×16": a workgroup may have at most 256 invocations \(has 512\)/],
    ['wgx zero', { ...ok, wgx: 0 }, /tile\.wgx = 0: must be an integer in \[1, 256\]/],
    ['wgy too large', { ...ok, wgx: 1, wgy: 512 }, /tile\.wgy = 512: must be an integer in \[1, 256\]/],
    ['unknown variant', { ...ok, variant: 'tiled' as GemmTile['variant'] }, /tile\.variant = "tiled": must be 'regblock' or 'wgtile'/],
    ['tk on regblock', { ...ok, tk: 8 }, /tile\.tk = 8: applies only to variant 'wgtile'/],
    ['doubleBuffer on regblock', { ...ok, doubleBuffer: true }, /tile\.doubleBuffer = true: applies only to variant 'wgtile'/],
    ['wgtile without tk', { ...ok, variant: 'wgtile' }, /tile\.tk = undefined: is required for 'wgtile': a multiple of 4/],
    ['tk not a multiple of 4', { ...ok, variant: 'wgtile', tk: 6 }, /tile\.tk = 6: is required for 'wgtile': a multiple of 4 in \[4, 128\]/],
    ['quad on wgtile', { ...ok, variant: 'wgtile', tk: 8, quad: true }, /tile\.quad = true: applies only to variant 'regblock'/],
    ['quad with wgy > 1', { ...ok, quad: true }, /tile\.wgy = 8: must be 1 with quad/],
    ['quad with wgx not a multiple of 4', { ...ok, wgx: 6, wgy: 1, quad: true }, /tile\.wgx = 6: must be a multiple of 4 with quad/],
    ['quad with tm not a multiple of 4', { ...ok, tm: 6, wgy: 1, quad: true }, /tile\.tm = 6: must be a multiple of 4 with quad/],
    [
      'workgroup memory over 16 KiB',
      { variant: 'wgtile', tm: 8, tn: 16, wgx: 16, wgy: 16, tk: 64 },
      /tile\.tk = 64: tiles of \(wgy·tm\)×tk of A and tk×\(wgx·tn\) of B need 98304 bytes of workgroup memory; at most 16384/,
    ],
  ];
  it.each(cases)('%s', (_, tile, message) => {
    expect(() => validateGemmTile(tile)).toThrow(message);
    expect(() => gen(tile)).toThrow(message);
    expect(() => gemmTileId(tile)).toThrow(message);
  });

  it('checks the ID prefix and the operand parts', () => {
    const tile = GEMM_TILES['regblock-8x8'];
    expect(() => gen(tile, 'Wino-4')).toThrow(/GemmKernelConfig\.idPrefix = "Wino-4": must be lower-case words/);
    expect(() => generateGemmKernel({ idPrefix: 'x', operands: { a: plainAPart(), b: plainBPart() } as never, tile })).toThrow(/operands\.c = undefined: is required/);
  });

  it('accepts every preset, and the presets fit WebGPU default limits', () => {
    for (const [, t] of PRESETS) {
      expect(() => validateGemmTile(t)).not.toThrow();
      expect(t.wgx * t.wgy).toBeLessThanOrEqual(GEMM_LIMITS.maxInvocationsPerWorkgroup);
      expect(gemmWorkgroupBytes(t)).toBeLessThanOrEqual(GEMM_LIMITS.maxWorkgroupStorageBytes);
    }
  });
});

describe('plain operand packing', () => {
  const s = { batch: 2, m: 3, n: 5, k: 6 };
  const a = Float32Array.from({ length: s.batch * s.m * s.k }, (_, i) => i + 1);
  const b = Float32Array.from({ length: s.batch * s.k * s.n }, (_, i) => -(i + 1));

  it('pads A rows to 4·ceil(K/4) with zeros', () => {
    const p = packPlainA(s, a);
    expect(p.length).toBe(2 * 3 * 8);
    expect(Array.from(p.subarray(0, 8))).toEqual([1, 2, 3, 4, 5, 6, 0, 0]);
    expect(Array.from(p.subarray(40, 48))).toEqual([31, 32, 33, 34, 35, 36, 0, 0]);
  });

  it('pads B to 4·ceil(K/4) rows of 4·ceil(N/4) columns with zeros', () => {
    const p = packPlainB(s, b);
    expect(p.length).toBe(2 * 8 * 8);
    expect(Array.from(p.subarray(0, 8))).toEqual([-1, -2, -3, -4, -5, 0, 0, 0]);
    expect(Array.from(p.subarray(6 * 8, 8 * 8)).every((v) => v === 0)).toBe(true);
    expect(Array.from(p.subarray(64, 72))).toEqual([-31, -32, -33, -34, -35, 0, 0, 0]);
  });

  it('unpacks C and gives the uniforms', () => {
    const c = Float32Array.from({ length: 2 * 3 * 8 }, (_, i) => i);
    const u = unpackPlainC(s, c);
    expect(u.length).toBe(30);
    expect(Array.from(u.subarray(0, 6))).toEqual([0, 1, 2, 3, 4, 8]);
    expect(plainGemmUniforms(s)).toEqual({ gemm_m: 3, gemm_n4: 2, gemm_k4: 2 });
  });
});

/**
 * GPU cases for the batched GEMM body (src/kernels/gemm.ts) with the plain operand parts
 * (src/kernels/gemm-plain.ts), against a float64 CPU matmul. One case per preset; each runs every shape
 * of GEMM_SHAPES (ugly sizes: M, N, K not multiples of the tile or of 4) and checks
 * - every output against the reference (toleranceFor('float32', 'gemm'), scaled by Σ|a·b| per output);
 * - the padding columns of the last vec4 (n ≤ col < 4·ceil(n/4)) are exactly 0 (B is zero-padded);
 * - nothing is written past the end of C (rows past M are never stored): a guard region keeps its sentinel.
 */
import { GEMM_TILES, gemmDispatch, gemmRequiredFeatures, generateGemmKernel, type GemmTile } from '../../../src/kernels/gemm.ts';
import { packPlainA, packPlainB, plainAPart, plainBPart, plainCPart, plainGemmUniforms, type PlainGemmShape } from '../../../src/kernels/gemm-plain.ts';
import { compareWithReference, toleranceFor } from '../../../src/conv/tolerance.ts';
import { mulberry32, randomF32 } from '../../../src/util/random.ts';
import { runKernel } from '../harness/run-kernel.ts';
import type { GpuCase, GpuTestContext } from '../harness/types.ts';

export interface GemmShape extends PlainGemmShape {
  name: string;
}

/** Small, ugly shapes: cheap on SwiftShader, and none is a multiple of a tile. */
export const GEMM_SHAPES: GemmShape[] = [
  { name: 'b1_m1_n1_k1', batch: 1, m: 1, n: 1, k: 1 },
  { name: 'b3_m7_n5_k3', batch: 3, m: 7, n: 5, k: 3 },
  { name: 'b16_m65_n36_k13', batch: 16, m: 65, n: 36, k: 13 },
  { name: 'b3_m130_n68_k64', batch: 3, m: 130, n: 68, k: 64 },
  { name: 'b1_m33_n132_k37', batch: 1, m: 33, n: 132, k: 37 },
];

/**
 * What the cases cover: every preset of GEMM_TILES, plus the code paths no preset takes (double buffering),
 * on a small tile that compiles fast on SwiftShader.
 */
export const GEMM_CASE_TILES: [string, GemmTile][] = [
  ...(Object.entries(GEMM_TILES) as [string, GemmTile][]),
  ['wgtile-2x4-db', { variant: 'wgtile', tm: 2, tn: 4, wgx: 4, wgy: 4, tk: 8, doubleBuffer: true }],
];

/** float64 C[b][m][n] = A[b][m][k] · B[b][k][n], and S = Σ_k |a·b| per output. */
export function gemmReference(s: PlainGemmShape, a: Float32Array, b: Float32Array): { c: Float64Array; absDot: Float64Array } {
  const c = new Float64Array(s.batch * s.m * s.n);
  const absDot = new Float64Array(c.length);
  for (let bi = 0; bi < s.batch; bi++) {
    for (let r = 0; r < s.m; r++) {
      for (let col = 0; col < s.n; col++) {
        let acc = 0;
        let abs = 0;
        for (let k = 0; k < s.k; k++) {
          const t = a[(bi * s.m + r) * s.k + k] * b[(bi * s.k + k) * s.n + col];
          acc += t;
          abs += Math.abs(t);
        }
        c[(bi * s.m + r) * s.n + col] = acc;
        absDot[(bi * s.m + r) * s.n + col] = abs;
      }
    }
  }
  return { c, absDot };
}

const SENTINEL = -12345.5;
const GUARD_VEC4 = 64;

async function runGemmShape(t: GpuTestContext, presetName: string, tile: GemmTile, s: GemmShape, seed: number): Promise<void> {
  const kernel = generateGemmKernel({ idPrefix: 'test_gemm_f32', operands: { a: plainAPart(), b: plainBPart(), c: plainCPart() }, tile });
  const rng = mulberry32(seed);
  const a = randomF32(s.batch * s.m * s.k, rng);
  const b = randomF32(s.batch * s.k * s.n, rng);
  const n4 = Math.ceil(s.n / 4);
  const cCount = s.batch * s.m * n4 * 4;
  const cInit = new Float32Array(cCount + GUARD_VEC4 * 4).fill(SENTINEL);
  const c = t.upload(cInit);
  const dispatch = gemmDispatch(tile, s.m, s.n, s.batch);
  await runKernel(t, {
    kernel,
    buffers: { gemm_a: t.upload(packPlainA(s, a)), gemm_b: t.upload(packPlainB(s, b)), gemm_c: c },
    uniforms: plainGemmUniforms(s),
    dispatch,
  });
  const out = await t.readF32(c, cInit.length);
  const where = `gemm ${presetName} (${kernel.id}) shape ${s.name} ${JSON.stringify({ batch: s.batch, m: s.m, n: s.n, k: s.k })} seed ${seed} dispatch [${dispatch.join(', ')}]`;

  const got = new Float32Array(s.batch * s.m * s.n);
  const padProblems: string[] = [];
  for (let row = 0; row < s.batch * s.m; row++) {
    for (let col = 0; col < n4 * 4; col++) {
      const v = out[row * n4 * 4 + col];
      if (col < s.n) got[row * s.n + col] = v;
      else if (v !== 0 && padProblems.length < 5) padProblems.push(`C[row ${row}][col ${col}] = ${v} (padding column, expected 0)`);
    }
  }
  if (padProblems.length) throw new Error(`${where}\n${padProblems.join('\n')}`);
  for (let i = cCount; i < out.length; i++) {
    if (out[i] !== SENTINEL) throw new Error(`${where}\nwrote past the end of C: element ${i} (C has ${cCount}) = ${out[i]}`);
  }

  const ref = gemmReference(s, a, b);
  const cmp = compareWithReference(got, ref.c, ref.absDot, toleranceFor('float32', 'gemm'));
  t.log(`${s.name}: ${cmp.message.split('\n')[0]}`);
  if (!cmp.pass) throw new Error(`${where}\n${cmp.message}`);
}

export const gemmCases: GpuCase[] = GEMM_CASE_TILES.map(([name, tile], i) => ({
  name: `gemm f32 plain ${name}`,
  features: gemmRequiredFeatures(tile),
  run: async (t) => {
    for (const [j, s] of GEMM_SHAPES.entries()) await runGemmShape(t, name, tile, s, 5000 + 100 * i + j);
  },
}));

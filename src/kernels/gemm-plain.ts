/**
 * Plain operand parts of the GEMM contract (./gemm-contract.ts), for buffers the engine owns and lays out
 * itself. This is exactly the Winograd layout, with b the tap ξ:
 *   A = V[ξ][tiles][C4]    gemm_a: array<vec4<f32>>, [b][gemm_m][gemm_k4]        (k zero-padded to 4·gemm_k4)
 *   B = U[ξ][C4·4][O4]     gemm_b: array<vec4<f32>>, [b][4·gemm_k4][gemm_n4]      (k and columns zero-padded)
 *   C = M[ξ][tiles][O4]    gemm_c: array<vec4<f32>>, [b][gemm_m][gemm_n4]
 * The host zero-pads A and B, so the readers need no bounds logic of their own. They use only the body's
 * uniforms (gemm_m, gemm_n4, gemm_k4) and add nothing to the kernel ID (the ID prefix names the use).
 */
import type { WgslPart } from './compose.ts';
import { GEMM_BODY_UNIFORMS } from './gemm-contract.ts';

const uniforms = () => GEMM_BODY_UNIFORMS.map((u) => ({ ...u }));

/** A[b][row][k4] as vec4 of 4 consecutive k. */
export function plainAPart(): WgslPart {
  return {
    idPart: '',
    bindings: [{ name: 'gemm_a', kind: 'read-only-storage', type: 'array<vec4<f32>>' }],
    uniforms: uniforms(),
    code: `
fn gemm_load_a(b: u32, row: u32, k4: u32) -> vec4<f32> {
  return gemm_a[(b * params.gemm_m + row) * params.gemm_k4 + k4];
}`,
  };
}

/** B[b][k][col4] as vec4 of 4 consecutive columns; 4·gemm_k4 rows of gemm_n4 vec4 per batch. */
export function plainBPart(): WgslPart {
  return {
    idPart: '',
    bindings: [{ name: 'gemm_b', kind: 'read-only-storage', type: 'array<vec4<f32>>' }],
    uniforms: uniforms(),
    code: `
fn gemm_load_b(b: u32, k: u32, col4: u32) -> vec4<f32> {
  return gemm_b[(b * 4u * params.gemm_k4 + k) * params.gemm_n4 + col4];
}`,
  };
}

/** C[b][row][col4] as vec4 of 4 consecutive columns. */
export function plainCPart(): WgslPart {
  return {
    idPart: '',
    bindings: [{ name: 'gemm_c', kind: 'storage', type: 'array<vec4<f32>>' }],
    uniforms: uniforms(),
    code: `
fn gemm_store(b: u32, row: u32, col4: u32, v: vec4<f32>) {
  gemm_c[(b * params.gemm_m + row) * params.gemm_n4 + col4] = v;
}`,
  };
}

/** Host-side packing into the plain layouts (zero padding included), shared by tests and benchmarks. */
export interface PlainGemmShape {
  batch: number;
  m: number;
  n: number;
  k: number;
}

/** Dense row-major A[batch][m][k] → [batch][m][ceil(k/4)·4] (zeros past k). */
export function packPlainA(s: PlainGemmShape, a: ArrayLike<number>): Float32Array<ArrayBuffer> {
  const k4 = Math.ceil(s.k / 4);
  const out = new Float32Array(s.batch * s.m * k4 * 4);
  for (let b = 0; b < s.batch; b++) {
    for (let r = 0; r < s.m; r++) {
      for (let k = 0; k < s.k; k++) out[(b * s.m + r) * k4 * 4 + k] = a[(b * s.m + r) * s.k + k];
    }
  }
  return out;
}

/** Dense row-major B[batch][k][n] → [batch][ceil(k/4)·4][ceil(n/4)·4] (zeros past k and n). */
export function packPlainB(s: PlainGemmShape, bm: ArrayLike<number>): Float32Array<ArrayBuffer> {
  const k4 = Math.ceil(s.k / 4);
  const n4 = Math.ceil(s.n / 4);
  const out = new Float32Array(s.batch * k4 * 4 * n4 * 4);
  for (let b = 0; b < s.batch; b++) {
    for (let k = 0; k < s.k; k++) {
      for (let c = 0; c < s.n; c++) out[((b * k4 * 4 + k) * n4 * 4) + c] = bm[(b * s.k + k) * s.n + c];
    }
  }
  return out;
}

/** [batch][m][ceil(n/4)·4] → dense row-major C[batch][m][n]. */
export function unpackPlainC(s: PlainGemmShape, c: ArrayLike<number>): Float32Array<ArrayBuffer> {
  const n4 = Math.ceil(s.n / 4);
  const out = new Float32Array(s.batch * s.m * s.n);
  for (let b = 0; b < s.batch; b++) {
    for (let r = 0; r < s.m; r++) {
      for (let col = 0; col < s.n; col++) out[(b * s.m + r) * s.n + col] = c[(b * s.m + r) * n4 * 4 + col];
    }
  }
  return out;
}

/** Uniform values of a plain GEMM: gemm_m, gemm_n4, gemm_k4. */
export function plainGemmUniforms(s: PlainGemmShape): { gemm_m: number; gemm_n4: number; gemm_k4: number } {
  return { gemm_m: s.m, gemm_n4: Math.ceil(s.n / 4), gemm_k4: Math.ceil(s.k / 4) };
}

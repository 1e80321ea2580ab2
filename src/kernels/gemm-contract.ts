/**
 * The contract between the GEMM body (src/kernels/gemm.ts) and its operand readers / output writer.
 *
 * The GEMM computes, for each batch index b (dispatch z: Winograd taps, or convolution groups),
 *   C_b[M × N] = A_b[M × K] · B_b[K × N]
 * with K handled in vec4 steps (K4 = ceil(K / 4)) and N in vec4 column groups (N4 = ceil(N / 4)).
 *
 * An A reader part defines
 *   fn gemm_load_a(b: u32, row: u32, k4: u32) -> vec4<f32>   // A[b][row][4·k4 .. 4·k4+3]; zeros for k ≥ K
 * (the body only passes row < M: rows past M are clamped to M−1 and their results dropped);
 * a B reader part defines
 *   fn gemm_load_b(b: u32, k: u32, col4: u32) -> vec4<f32>  // B[b][k][4·col4 .. 4·col4+3]; zeros for col ≥ N or k ≥ K
 * (the body passes k < 4·K4 and col4 < N4, clamping col4 the same way);
 * a C writer part defines
 *   fn gemm_store(b: u32, row: u32, col4: u32, v: vec4<f32>)  // called only for row < M and col4 < N4
 *
 * The body's own uniforms are gemm_m, gemm_n4, gemm_k4 (u32); readers and writers add their own.
 */
import type { WgslPart } from './compose.ts';

export interface GemmOperandParts {
  a: WgslPart;
  b: WgslPart;
  c: WgslPart;
}

export const GEMM_BODY_UNIFORMS = [
  { name: 'gemm_m', type: 'u32' },
  { name: 'gemm_n4', type: 'u32' },
  { name: 'gemm_k4', type: 'u32' },
] as const;

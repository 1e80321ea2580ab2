/**
 * The int8 Winograd kernels: exact integer F(2×2,3×3) (`winograd2-exact`) and tap-wise quantized Winograd
 * (`winograd2-tap`, `winograd4-tap`, `winograd2x1-tap`, `winograd4x1-tap`), each as three generated kernels
 * (input transform, tap GEMM, fused output), their host packing, and one prepare function per path.
 */
export * from './common.ts';
export * from './exact-input.ts';
export * from './exact-gemm.ts';
export * from './exact-output.ts';
export * from './tap-input.ts';
export * from './tap-gemm.ts';
export * from './tap-output.ts';
export * from './output-common.ts';
export * from './host.ts';
export * from './prepare.ts';

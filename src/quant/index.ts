/**
 * Quantization math shared by the CPU references and the int8 kernels (pure: no GPU):
 * - requant.ts        QLinearConv requantization in fixed point, bit-identical on CPU and in WGSL
 * - winograd-int.ts   exact integer Winograd F(2×2,3×3) and its int32 overflow bounds
 * - tapwise.ts        tap-wise quantized Winograd (calibration, scales JSON, CPU reference, SQNR)
 * - winograd-aware.ts JSON format of Winograd-aware layers (learned transforms + tap scales + int8 weights)
 */
export * from './requant.ts';
export * from './winograd-int.ts';
export * from './tapwise.ts';
export * from './winograd-aware.ts';

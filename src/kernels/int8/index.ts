/** The int8 convolution kernels (direct and im2col + GEMM) and their host packing. */
export * from './types.ts';
export * from './format.ts';
export * from './dot.ts';
export * from './input.ts';
export * from './output.ts';
export * from './gemm-i8.ts';
export * from './im2col-i8.ts';
export * from './direct-i8.ts';

// Types for the ESM entry of wgsl_reflect (see src/kernels/reflect.ts for why it is imported by path).
declare module 'wgsl_reflect/wgsl_reflect.module.js' {
  export * from 'wgsl_reflect';
}

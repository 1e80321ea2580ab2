/** A GPU test case, defined once and run in Node (Dawn) and in headless Chromium alike. */
export interface GpuCase {
  name: string;
  /** Device features the case needs; missing → skipped with the reason printed. */
  features?: GPUFeatureName[];
  /** WGSL language features the case needs (navigator.gpu.wgslLanguageFeatures). */
  languageFeatures?: string[];
  /** Throws (with every parameter in the message) on a wrong result. */
  run(t: GpuTestContext): Promise<void>;
}

export type GpuEnv = 'node' | 'browser';

export interface GpuTestContext {
  device: GPUDevice;
  /** The GPU object the fixture's device came from (for cases that need a device of their own, e.g. to lose it). */
  gpu: GPU;
  adapterInfo: { vendor: string; architecture: string; description: string };
  env: GpuEnv;
  /** A buffer destroyed when the case ends. */
  buffer(desc: GPUBufferDescriptor): GPUBuffer;
  /** A storage buffer holding `data` (destroyed when the case ends). */
  upload(data: Float32Array | Int32Array | Uint32Array, usage?: number): GPUBuffer;
  /** Copies `byteLength` bytes of `src` back to the CPU. */
  read(src: GPUBuffer, byteLength: number): Promise<ArrayBuffer>;
  readF32(src: GPUBuffer, count: number): Promise<Float32Array>;
  log(msg: string): void;
}

export interface GpuCaseResult {
  name: string;
  status: 'pass' | 'fail' | 'skip';
  message: string;
  ms: number;
  logs: string[];
}

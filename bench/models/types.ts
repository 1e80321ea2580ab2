/**
 * The contract of `winoconv bench --models` (issue 12): whole models, winoconv against ONNX Runtime Web, side by
 * side. Pure types. Schema `winoconv-bench-models/1`.
 *
 * One model's data come from the ONNX test directory `npm run onnx-tests` generates (src/node/onnx-testgen.ts):
 * model.onnx, test_data_set_0/input_K.pb and ONNX Runtime CPU's output_K.pb. The same bytes feed winoconv and the
 * peers, in Node and in the page.
 *
 * Timing, the same for every implementation: one run is launch → every output on the CPU as a Float32Array, wall
 * clock (performance.now()), inputs from CPU memory. The first run after session creation is reported as
 * `firstMs` (and is the warm-up); then `runs` timed rounds, the implementations taking turns round by round.
 */

/** The implementations. ort-wasm-1 / ort-wasm-2: ORT Web's wasm EP (SIMD) with 1 / 2 threads, each in its own worker. */
/** 'winoconv-fp16': winoconv's session with SessionOptions.precision 'float16' (`bench --models --fp16`). */
export const MODEL_IMPLS = ['winoconv', 'winoconv-fp16', 'ort-webgpu', 'ort-wasm-1', 'ort-wasm-2'] as const;
export type ModelImpl = (typeof MODEL_IMPLS)[number];

/** One model of the benchmark (the names are the onnx-tests directory names). */
export interface ModelSpec {
  name: string;
  /** What a person reads: 'PP-OCRv4 det', 'ResNet-18'. */
  label: string;
  /** Input shape as text: '1×3×640×640'. */
  input: string;
}

/** A tensor as the benchmark passes it around (float32; ORT outputs of other dtypes are converted). */
export interface BenchTensor {
  dims: number[];
  data: Float32Array;
}

/** One model loaded for a run: the file, the inputs, ORT CPU's outputs (by output name). */
export interface ModelCase {
  spec: ModelSpec;
  model: Uint8Array;
  inputs: Record<string, BenchTensor>;
  reference: Record<string, BenchTensor>;
  /** 2 · multiply-adds of Conv / ConvTranspose / Gemm / MatMul nodes at this input (bench/models/zoo.ts convFlops). */
  convFlops: number;
}

export type RowStatus = 'ok' | 'error' | 'timeout' | 'skipped';

/** One model × implementation. Times in ms; null where not reached. */
export interface ModelRow {
  model: string;
  impl: ModelImpl;
  status: RowStatus;
  /** Why not ok (error text, skip reason). */
  message?: string;
  /** Session creation, cold (a fresh engine: no pipeline or verification cache from an earlier model). */
  createMs: number | null;
  /** The first run after creation (launch → outputs on the CPU). */
  firstMs: number | null;
  /** Every timed steady run. */
  runMs: number[];
  medianMs: number | null;
  minMs: number | null;
  maxMs: number | null;
  /** (q3 − q1) / median of runMs; null with fewer than 2 runs. */
  spread: number | null;
  /** convFlops / medianMs. */
  gflops: number | null;
  /** max over outputs of max|y − ort_cpu| / max|ort_cpu| (judgeOutput's maxRelError). */
  maxRelError: number | null;
  /** winoconv only: SessionInfo.memory. */
  arenaBytes?: number;
  peakLiveBytes?: number;
  weightBytes?: number;
  /** Where it ran: 'onnxruntime-web 1.30.0 webgpu EP', 'winoconv 0.1.0, Dawn'. */
  backend?: string;
}

/** Which bucket a node's time falls into. */
export type TimeClass = 'winograd' | 'otherConv' | 'nonConv';

/** One node of a profiled winoconv run (SessionInfo.nodes with profile: true). */
export interface LayerProfile {
  node: string;
  opType: string;
  /** Conv: the engine's algorithm; others 'kernel' / 'alias'. */
  algorithm: string;
  kernels: string[];
  /** Output shape of the node's first output. */
  outputShape: number[];
  /** Conv nodes: 'Cin→Cout k×k s' text, e.g. '64→64 3×3 s1'. */
  conv?: string;
  /** GPU ms (timestamp queries; median over the profiled runs). null without timestamp-query. */
  gpuMs: number | null;
  /** 'winograd': 3×3 stride-1 convs (whatever algorithm ran them); 'otherConv': other Conv/ConvTranspose/Gemm; 'nonConv'. */
  class: TimeClass;
}

/** auto's choice for one conv layer against findConv2d's fastest verified candidate. */
export interface AutoCheckRow {
  model: string;
  node: string;
  conv: string;
  autoAlgorithm: string;
  autoMs: number;
  bestAlgorithm: string;
  bestMs: number;
  /** autoMs / bestMs − 1 (0.1 = auto 10 % slower). */
  slowdown: number;
}

export interface ModelProfile {
  model: string;
  layers: LayerProfile[];
  /** Sum of gpuMs per class, and the total. */
  split: Record<TimeClass | 'total', number> | null;
  /** Per conv layer, when --check-auto ran. */
  autoCheck?: AutoCheckRow[];
  /** Why there are no GPU times or no layers (no timestamp-query, a failed profile session). */
  message?: string;
  /** Why --check-auto gave no rows. */
  autoCheckError?: string;
}

export interface ModelSummary {
  winoconvMs: number | null;
  winoconvFirstMs: number | null;
  ortWebgpuMs: number | null;
  ortWebgpuFirstMs: number | null;
  /** Best median of ort-wasm-1 and ort-wasm-2. */
  ortWasmMs: number | null;
  arenaBytes: number | null;
  maxRelError: number | null;
}

export interface ModelsBenchResults {
  schema: 'winoconv-bench-models/1';
  date: string;
  /** 'Node v20…, Dawn (npm webgpu)' or 'headless Chromium …'. */
  environment: string;
  /** The WebGPU adapter (vendor / architecture / device / description). */
  adapter: string;
  /** Whether the page was cross-origin isolated (ORT wasm threads need it); null in Node. */
  crossOriginIsolated: boolean | null;
  options: { models: string[]; impls: ModelImpl[]; runs: number; budgetS: number; profile: boolean; checkAuto: boolean };
  specs: (ModelSpec & { convGflop: number })[];
  rows: ModelRow[];
  profiles: ModelProfile[];
  summary: {
    models: Record<string, ModelSummary>;
    /** Geometric means over the models where both sides ran: peer median / winoconv median (> 1: winoconv faster). */
    modelsGeomean: { overOrtWebgpu: number | null; overOrtWasm: number | null };
  };
}

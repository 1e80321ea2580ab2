/**
 * The results schema of `winoconv bench` and the benchmark page (`schema: winoconv-bench/2`). Pure types: the
 * summary math, the table, the charts and the HTML report read these without touching the GPU.
 *
 * Timing (the same for every implementation, winoconv and peers): one run is launch → GPU completion → output
 * read back to a Float32Array on the CPU, measured with performance.now(); inputs and weights are already on the
 * GPU. After `warmup` untimed runs, implementations take turns (round-robin) for `runs` rounds, so a change in
 * machine load hits all of them alike; the row reports the median and the spread. winoconv rows also carry the
 * GPU time of the same runs from timestamp queries around the compute passes (`gpu*` fields), when the adapter
 * has 'timestamp-query'.
 */
import type { ConvGeometry } from '../src/conv/types.ts';

export type ImplKind = 'winoconv' | 'peer' | 'baseline';

export interface TimeStats {
  medianMs: number;
  minMs: number;
  maxMs: number;
  /** (p75 − p25) / median of the run times, in percent. */
  spreadPct: number;
}

export interface ErrorCheck {
  /** max |y − r| / max |r| against the float64 reference (NaN/Inf → Infinity). */
  maxRelError: number;
  maxAbsError: number;
  /** The project's tolerance (src/conv/tolerance.ts) the row was judged with, e.g. 'float32/winograd4'. */
  tolerance: string;
  /** max over outputs of error / bound (≤ 1 is within tolerance). */
  worstRatio: number;
  withinTolerance: boolean;
  nonFinite: number;
}

export interface BenchRow extends TimeStats, ErrorCheck {
  layer: string;
  geom: ConvGeometry;
  /** Implementation name: an engine algorithm ('auto', 'winograd4', ...), 'baseline', or a peer ('tfjs-webgpu', 'ort-webgpu'). */
  impl: string;
  kind: ImplKind;
  /** What ran: the algorithm auto chose, or the peer's op. */
  algorithm: string;
  /** winoconv kernel IDs, or the peer's kernels/programs where it reports them. */
  kernelIds: string[];
  /** Preparation: plan creation (weight transform, pipelines, verification) or the peer's session/tensor setup, ms. */
  createMs: number;
  /** Direct-convolution FLOPs: 2·N·Ho·Wo·Cout·(Cin/groups)·Kh·Kw. */
  flops: number;
  runs: number;
  /** Always 'wall-clock': launch → completion → read back. */
  timing: 'wall-clock';
  /** flops / median wall time. */
  gflops: number;
  /** Timestamp-query GPU time of the same runs (winoconv and the baseline, when the adapter has the feature). */
  gpuTiming?: 'timestamp-query';
  gpuMedianMs?: number;
  gpuSpreadPct?: number;
  gpuGflops?: number;
  /**
   * Explicit Winograd rows, with timestamp queries: each kernel's GPU time (median of 5 profiled runs right after
   * the timed rounds, Plan.profileStages), with the GEMM stage's own GFLOP/s (its real multiply-adds:
   * 2 · taps · tiles · C_out · C_in).
   */
  stages?: StageTime[];
  notes: string[];
}

export interface StageTime {
  kernel: string;
  ms: number;
  /** The GEMM stage only: 2 · taps · tiles · C_out · C_in / ms. */
  gflops?: number;
}

export interface CeilingResult {
  /** The device's ceiling in this run: the best of the medians below (start, end, each layer), GFLOP/s. */
  gflops: number;
  method: 'timestamp-query' | 'wall-clock';
  /** Median GFLOP/s of 5 probe runs at the start and at the end of the run. */
  samples: { start?: number; end?: number };
  /** Per layer: median GFLOP/s of the probe runs interleaved with that layer's timed rounds (one per round). */
  perLayer: Record<string, number>;
  kernel: string;
  invocations: number;
  iterations: number;
  /** Independent vec4 accumulators per invocation. */
  accumulators: number;
  flopsPerRun: number;
}

export interface PeerInfo {
  name: string;
  library: string;
  version: string;
  backend: string;
  how: string;
}

export interface BenchSummary {
  /** Per layer: im2col time / winograd4 time (F(4×4,3×3) speed-up over winoconv's own im2col+GEMM); see basis. */
  winograd4OverIm2col: Record<string, number>;
  /** Per layer: im2col time / winograd2 time. */
  winograd2OverIm2col: Record<string, number>;
  /** Per layer: the algorithm auto chose and its GFLOP/s (wall clock). */
  auto: Record<string, { algorithm: string; gflops: number }>;
  /**
   * Per layer: best peer's wall time / winoconv's best wall time (> 1: winoconv is faster), and their geometric
   * mean over the layers that have both. Only rows within 1e-3 relative error count (a wrong answer is not a speed).
   */
  bestPeerSpeedup: {
    perLayer: Record<string, number>;
    geomean: number | null;
    detail: Record<string, { peer: string; peerMs: number; winoconv: string; winoconvMs: number }>;
  };
  /** The FMA-ceiling probe's GFLOP/s on the same device in the same run (null when it did not run). */
  ceilingGflops: number | null;
  /** Per layer: F(4×4,3×3) effective GFLOP/s (direct FLOPs) / the ceiling measured in that layer's rounds (else ceilingGflops); see basis. */
  winograd4OverCeiling: Record<string, number>;
  /** Per layer: the F(4×4,3×3) GEMM stage's own GFLOP/s (row.stages) / the ceiling measured in that layer's rounds. */
  winograd4GemmOverCeiling: Record<string, number>;
  /** Which clock each ratio uses. */
  basis: { bestPeerSpeedup: string; overIm2col: string; overCeiling: string };
}

export interface BenchResults {
  schema: 'winoconv-bench/2';
  date: string;
  suite: string;
  environment: string;
  adapter: { vendor: string; architecture: string; device: string; description: string; features: string[] };
  timingMethod: string;
  gpuTimingMethod: string | null;
  warmup: number;
  runs: number;
  peers: PeerInfo[];
  ceiling: CeilingResult | null;
  rows: BenchRow[];
  /** Pairs that did not give a row: 'n/a' (the implementation cannot serve the layer) or 'failed' (preparing or running threw). */
  skipped: { layer: string; impl: string; status: 'n/a' | 'failed'; reason: string }[];
  summary: BenchSummary;
}

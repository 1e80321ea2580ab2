/**
 * What an algorithm implementation provides to the engine. Each lives in src/engine/algorithms/ and turns a
 * normalised descriptor plus host-side weights into pipelines and buffers (prepare), sizes its workspace for
 * an input shape (resize) and records dispatches into the caller's encoder (encode).
 */
import type { NormalizedDesc } from '../conv/desc.ts';
import type { Activation, BroadcastTensor } from '../conv/types.ts';
import type { Winograd2D } from '../winograd/index.ts';
import type { EngineCore } from './engine-core.ts';
import type { IoName, IoRanges, PerStepTimestamps } from './steps.ts';
import type { GemmTileName } from '../kernels/gemm.ts';
import type { NormalizedQuant } from '../conv/quant-options.ts';
import type { WorkspaceMode } from './workspace.ts';

export type ConcreteAlgorithm = Exclude<NormalizedDesc['algorithm'], 'auto'>;

export interface PrepareContext {
  core: EngineCore;
  desc: NormalizedDesc;
  /** Weights as OIHW float32 (converted from the caller's layout). */
  weightsOIHW: Float32Array;
  bias?: BroadcastTensor;
  prelu?: BroadcastTensor;
  /** User-supplied (learned) Winograd transforms, when given. */
  transforms?: Winograd2D;
  /** A configuration the autotuner asks for (otherwise the algorithm's own heuristic). */
  tuning?: TuningConfig;
  /** int8/uint8 plans: quantization parameters, integer weights (OIHW) and integer or float bias per channel. */
  quant?: NormalizedQuant;
  weightsInt?: Int32Array;
  biasInt?: Int32Array;
  biasFloat?: Float32Array;
  /** Tap-wise int8 Winograd: tap scales (TapScales or its JSON), calibration inputs, and the SQNR floor asked for. */
  tapScales?: unknown;
  calibration?: { data: ArrayLike<number>; batch: number; height: number; width: number }[];
  minSqnrDb?: number;
  /** Workspaces allocated by the plan ('internal', default) or carved from the caller's io.workspace ('external'). */
  workspace?: WorkspaceMode;
  /** A residual input added before the activation, after `preActivation` (Conv2dOptions.residual). */
  residual?: boolean;
  preActivation?: Activation;
  /** Kernels bind the caller's buffers (and workspaces) read_write so that they may be ranges of one buffer. */
  sharedBuffers?: boolean;
  /** How non-finite inputs are treated (Conv2dOptions.nonFinite); 'exact' excludes float Winograd. */
  nonFinite?: 'propagate' | 'exact';
}

/** Knobs the autotuner varies; every one of them shows in the kernel IDs. */
export interface TuningConfig {
  gemmTile?: GemmTileName;
  /**
   * float16 plans on devices with 'shader-f16': the GEMM forms its products in f16 (F16_MATH_FORMAT, kernel IDs
   * 'h16'). Only as a tuning: the autotuner times it against f32 arithmetic, verification gates it as every kernel.
   */
  f16Math?: boolean;
}

export interface ResizeResult {
  outHeight: number;
  outWidth: number;
  /**
   * Bytes of GPU memory this plan holds for intermediate data at this shape; with an external workspace, the size
   * of the one range the caller gives as io.workspace (alignment padding included; 0 when no kernel needs one).
   */
  workspaceBytes: number;
  /** Lines for plan.info: splits, limits consulted. */
  notes: string[];
  /** Bytes of the buffers made once (packed weights, transformed filters, channel parameters, epilogue operands). */
  constantBytes?: number;
  /** Bytes of the intermediate buffers (workspace regions: Winograd V and M, int8 stages) at this shape. */
  scratchBytes?: number;
  /** Bytes of the caller's input and output buffers (default: 4 bytes an element, float32). */
  inputBytes?: number;
  outputBytes?: number;
}

export interface PreparedConv {
  algorithm: ConcreteAlgorithm;
  kernelIds: string[];
  resize(batch: number, height: number, width: number): ResizeResult;
  /** Kernel ID of each dispatch at the current size, in order (more than kernelIds when the batch is split). */
  stepKernelIds(): string[];
  /** Destroys buffers a resize replaced while recorded work could still use them (StepList.retire). */
  releaseRetired?(): void;
  /** Tap-wise int8 plans: the tap scales in use, as TapScalesJSON (src/quant/tapwise.ts), for export. */
  tapScales?: unknown;
  /**
   * Dispatches in dispatch order, into the caller's pass or a pass of their own on the caller's command encoder;
   * `perStep` puts each in its own pass with timestamps (stage profiles).
   */
  encode(target: GPUCommandEncoder | GPUComputePassEncoder, io: IoRanges, timestampWrites?: GPUComputePassTimestampWrites, perStep?: PerStepTimestamps): void;
  /** The caller's buffers the dispatches at the current size bind. */
  ioNames(): IoName[];
  destroy(): void;
}

export interface AlgorithmImpl {
  name: ConcreteAlgorithm;
  /** Why this algorithm cannot serve the descriptor, or undefined when it can. */
  cannotServe(d: NormalizedDesc, transforms?: Winograd2D): string | undefined;
  prepare(ctx: PrepareContext): Promise<PreparedConv>;
  /** Configurations worth timing for this descriptor on this device (default: the heuristic's only). */
  tunings?(d: NormalizedDesc, core: EngineCore): TuningConfig[];
}

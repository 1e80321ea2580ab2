/**
 * winoconv: WebGPU Winograd convolution engine. Browser and Node entry point (Node adds 'winoconv/node' for Dawn).
 */
export * from './winograd/index.ts';
export * from './conv/types.ts';
export { convOutputDim, outputSize, samePads, tileCount } from './conv/geometry.ts';
export { ConvDescError, validateGeometry, geometryFromShapes } from './conv/validate.ts';
export { toleranceFor, compareWithReference, type Tolerance, type Comparison } from './conv/tolerance.ts';
export { conv2dReference, maxAbsDot, type ConvOperands, type ConvOutput } from './reference/conv2d.ts';
export { convIntegerReference, qlinearConvReference } from './reference/integer.ts';
export { winogradConvReference } from './reference/winograd.ts';
export { parseCase, type ConformanceCase } from './conformance/case.ts';
export { judge, judgeCase } from './conformance/judge.ts';
export { describeAdapter, formatAdapterReport, type AdapterReport } from './runtime/adapter-info.ts';
export type { KernelSource, BindingSpec, UniformField } from './kernels/types.ts';
export { createEngine, Engine, type EngineOptions, type Conv2dOptions } from './engine/engine.ts';
export { ConvPlan, type PlanInfo, type PlanShape } from './engine/plan.ts';
export { DeviceLostError, GpuOperationError } from './engine/errors.ts';
export { ALGORITHMS, ALGORITHM_HELP, normalizeDesc, type AlgorithmName, type Conv2dDesc, type Conv2dWeights } from './conv/desc.ts';
export type { CandidateVerdict } from './engine/select.ts';
export { MemoryTuningStore, LocalStorageTuningStore, type TuningStore, type TunedChoice } from './engine/tuning-store.ts';
export type { FindOptions, FindResult, FindCandidateResult } from './engine/tuner.ts';
export { createWinogradAwareConv2d } from './engine/winograd-aware.ts';
export { parseWinogradAwareLayer, winogradAwareLayerToJSON, runWinogradAwareLayer } from './quant/winograd-aware.ts';
export type { QuantOptions } from './conv/quant-options.ts';
export { timeEncode, type Timing } from './runtime/timing.ts';
export { createSession, SessionError, type SessionOptions } from './graph/session.ts';
export type { RuntimeDType, Session, SessionInfo, SessionNodeInfo, SessionMemoryInfo, SessionInputs, SessionOutputs, SessionRunOptions, SessionTensor, TapwiseInfo, TapwiseNodeInfo, TapwiseVerdict } from './graph/runtime-types.ts';
export { TAP_SCHEMES, type TapScheme, type TapwiseOptions } from './graph/tapwise-select.ts';
export { OnnxLoadError, importOnnx, describeGraph, formatGraphSummary } from './graph/index.ts';
// The PP-OCR text pipeline (pure: runs on any model runner; a winoconv Session through a small adapter, see the README)
export { readText, ctcCharacters, type OcrRunner, type OcrRunners, type ReadTextOptions, type OcrLine, type OcrResult, type OcrTimings, type RecShapeOptions, type DetOptions, type ImageInput, type Interpolation, type Point, type Quad } from './ocr/index.ts';

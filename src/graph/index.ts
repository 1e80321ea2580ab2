/** The inference runtime, CPU part so far: ONNX import, IR, shape inference, the ONNX writer, model summaries. */
export { OnnxLoadError } from './errors.ts';
export type { Attribute, DType, Dim, Graph, Node, Tensor, TensorArray, ValueInfo } from './ir.ts';
export { fromNumbers, toNumbers } from './ir.ts';
export { type ImportOptions, SUPPORTED_OPSETS, decodeOnnx, importOnnx } from './onnx-import.ts';
export { SUPPORTED_OPS } from './shape-inference.ts';
export { type GraphSpec, type NodeSpec, attr, graphToSpec, writeOnnx } from './onnx-writer.ts';
export { type GraphSummary, type NodeSummary, type ValueSummary, describeGraph, formatGraphSummary } from './describe.ts';
export { FUSABLE_ACTIVATIONS, PASS_NAMES, type PassName, type PassOptions, type PassReport, WINOCONV_DOMAIN, runPasses } from './passes.ts';
export { createSession, SessionError, type SessionOptions } from './session.ts';
export { TAP_SCALES_KEY, TAP_SCHEMES, type TapScheme, type TapwiseOptions } from './tapwise-select.ts';
export type { Layout, OpBinding, OpDispatch, OpLowering, RuntimeDType, Session, SessionInfo, SessionInputs, SessionMemoryInfo, SessionNodeInfo, SessionOutputs, SessionRunOptions, SessionTensor, StridedTensor, TapwiseInfo, TapwiseNodeInfo, TapwiseVerdict } from './runtime-types.ts';

/** Node entry point: everything from the main entry, plus WebGPU through Dawn. */
export * from '../index.ts';
export { getNodeGPU, requestNodeAdapter } from './dawn.ts';
export { createNodeEngine as createEngine } from './engine.ts';
export { FileTuningStore, defaultTuningFile } from './tuning-store.ts';
export { loadCase, caseFiles } from './conformance-files.ts';
export { createSessionFromFile, importOnnxFile } from './onnx-file.ts';

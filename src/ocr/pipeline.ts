/**
 * The PP-OCR text pipeline (PaddleOCR's TextSystem) on any model runner: det → boxes → crops → cls (turn 180°
 * when the classifier says so) → rec → CTC decode. Pure TypeScript (no DOM, no Node APIs); the runners do the
 * inference (ONNX Runtime in the tests, a winoconv Session on the GPU).
 */
import { type DetOptions, dbPostprocess, detPreprocess, sortBoxes } from './det.ts';
import type { Quad } from './geometry.ts';
import { type ImageInput, type Interpolation, rotate180, toRgb } from './image.ts';
import { type RecShapeOptions, clsPreprocess, cropQuad, ctcDecode, recPreprocess } from './rec.ts';

/** One model: an NCHW float tensor in, its (single) output out. */
export type OcrRunner = (input: Float32Array, shape: number[]) => Promise<{ data: Float32Array; shape: number[] }>;

export interface OcrRunners {
  /** PP-OCR det: [1, 3, H, W] → probability map [1, 1, H, W]. */
  det: OcrRunner;
  /** PP-OCR direction classifier: [1, 3, 48, 192] → [1, 2] (labels '0', '180'). Optional. */
  cls?: OcrRunner;
  /** PP-OCR rec: [1, 3, 48, W] → softmax [1, T, C]. */
  rec: OcrRunner;
}

export interface ReadTextOptions extends DetOptions {
  /** The CTC classes: ctcCharacters(keys file text) (blank first, space last). */
  characters: readonly string[];
  /** Run the direction classifier (when a cls runner is given). Default true. */
  useAngleCls?: boolean;
  /** A crop is turned 180° when cls says '180' with more than this. Default 0.9. */
  clsThresh?: number;
  /** Lines scoring below this are dropped. Default 0.5 (PaddleOCR's drop_score). */
  dropScore?: number;
  rec?: RecShapeOptions;
  /** Sampling of the line crops. Default 'bilinear' ('bicubic': PaddleOCR's cv2.INTER_CUBIC). */
  cropInterpolation?: Interpolation;
}

export interface OcrLine {
  text: string;
  /** CTC score: the mean probability of the kept characters. */
  score: number;
  /** The detected quadrilateral in image pixels, clockwise from top-left. */
  box: Quad;
  /** Whether the crop was turned 180° before recognition. */
  angle180: boolean;
}

export interface OcrTimings {
  /** Each in milliseconds. */
  detPre: number;
  det: number;
  detPost: number;
  crop: number;
  cls: number;
  rec: number;
  total: number;
  boxes: number;
}

export interface OcrResult {
  lines: OcrLine[];
  timings: OcrTimings;
  /** The det input size [H, W]. */
  detShape: [number, number];
}

const now = () => performance.now();

export async function readText(image: ImageInput, runners: OcrRunners, opts: ReadTextOptions): Promise<OcrResult> {
  const t0 = now();
  const img = toRgb(image);
  const timings: OcrTimings = { detPre: 0, det: 0, detPost: 0, crop: 0, cls: 0, rec: 0, total: 0, boxes: 0 };

  let t = now();
  const detIn = detPreprocess(img, opts.limitSideLen ?? 960);
  timings.detPre = now() - t;
  t = now();
  const detOut = await runners.det(detIn.data, detIn.shape);
  timings.det = now() - t;
  const [H, W] = detIn.shape.slice(2);
  if (detOut.data.length !== H * W) throw new Error(`ocr: det output ${JSON.stringify(detOut.shape)} for input ${JSON.stringify(detIn.shape)}; [1, 1, ${H}, ${W}] expected`);
  t = now();
  const boxes = sortBoxes(dbPostprocess(detOut.data, W, H, img.width, img.height, opts));
  timings.detPost = now() - t;
  timings.boxes = boxes.length;

  const lines: OcrLine[] = [];
  for (const { box } of boxes) {
    t = now();
    let crop = cropQuad(img, box, opts.cropInterpolation);
    timings.crop += now() - t;
    let angle180 = false;
    if (runners.cls && opts.useAngleCls !== false) {
      t = now();
      const c = clsPreprocess(crop);
      const out = await runners.cls(c.data, c.shape);
      if (out.data.length < 2) throw new Error(`ocr: cls output ${JSON.stringify(out.shape)}; [1, 2] expected`);
      if (out.data[1] > out.data[0] && out.data[1] > (opts.clsThresh ?? 0.9)) {
        angle180 = true;
        crop = rotate180(crop);
      }
      timings.cls += now() - t;
    }
    t = now();
    const r = recPreprocess(crop, opts.rec);
    const out = await runners.rec(r.data, r.shape);
    const C = out.shape[out.shape.length - 1];
    const T = out.data.length / C;
    const { text, score } = ctcDecode(out.data, T, C, opts.characters);
    timings.rec += now() - t;
    if (score >= (opts.dropScore ?? 0.5)) lines.push({ text, score, box, angle180 });
  }
  timings.total = now() - t0;
  return { lines, timings, detShape: [H, W] };
}

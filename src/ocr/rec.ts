/**
 * Text-line crops, direction classification and recognition: PaddleOCR's get_rotate_crop_image,
 * ClsResizeImg/resize_norm_img (cls: 3×48×192), the rec resize_norm_img (height 48, width from the aspect ratio,
 * at least 320) and CTCLabelDecode (greedy: argmax per step, repeats merged, blank (index 0) dropped).
 */
import { type Quad, perspectiveTransform } from './geometry.ts';
import { type Interpolation, type RgbImage, resizeBilinear, rotate90ccw, warpPerspective, writeChw } from './image.ts';

const HALF = [0.5, 0.5, 0.5] as const;

/**
 * get_rotate_crop_image: the quad warped to an upright w × h crop (w, h: the longer of its opposite sides,
 * truncated), turned 90° counter-clockwise when h / w ≥ 1.5 (vertical text). PaddleOCR samples bicubic; bilinear is
 * the default here (the two differ by a few levels).
 */
export function cropQuad(img: RgbImage, box: Quad, interpolation: Interpolation = 'bilinear'): RgbImage {
  const d = (a: number[], b: number[]) => Math.hypot(a[0] - b[0], a[1] - b[1]);
  const w = Math.max(1, Math.trunc(Math.max(d(box[0], box[1]), d(box[2], box[3]))));
  const h = Math.max(1, Math.trunc(Math.max(d(box[0], box[3]), d(box[1], box[2]))));
  // destination → source (the inverse of cv2.getPerspectiveTransform(box, dst) that warpPerspective applies)
  const H = perspectiveTransform([[0, 0], [w, 0], [w, h], [0, h]], box);
  const crop = warpPerspective(img, H, w, h, interpolation);
  return h / w >= 1.5 ? rotate90ccw(crop) : crop;
}

/**
 * resize_norm_img: height to imgH, width ceil(imgH · aspect) capped at imgW, values (v/255 − 0.5)/0.5, BGR,
 * zero-padded on the right to imgW. Returns the [1, 3, imgH, imgW] tensor.
 */
export function resizeNormPadded(img: RgbImage, imgH: number, imgW: number): { data: Float32Array; shape: number[] } {
  const ratio = img.width / img.height;
  const rw = Math.min(Math.ceil(imgH * ratio), imgW);
  const resized = resizeBilinear(img, Math.max(1, rw), imgH);
  const data = new Float32Array(3 * imgH * imgW);
  writeChw(resized, data, imgW, imgH, HALF, HALF);
  return { data, shape: [1, 3, imgH, imgW] };
}

export const CLS_SHAPE = [3, 48, 192] as const;

/** The cls input of one crop: [1, 3, 48, 192]. */
export function clsPreprocess(crop: RgbImage): { data: Float32Array; shape: number[] } {
  return resizeNormPadded(crop, CLS_SHAPE[1], CLS_SHAPE[2]);
}

export interface RecShapeOptions {
  /** Model input height. Default 48 (PP-OCRv4 rec_image_shape 3,48,320). */
  height?: number;
  /** The narrowest input (PaddleOCR's imgW). Default 320. */
  minWidth?: number;
  /** The widest input: longer lines are squeezed to it. Default 3200. */
  maxWidth?: number;
  /**
   * Round the tensor width up to a multiple of this (more zero padding; the crop keeps its size), so that fewer
   * distinct input shapes reach the model (a runtime that plans per shape). Default 1 (PaddleOCR's width).
   */
  widthMultiple?: number;
}

/**
 * The rec input width for a crop: int(48 · max(320/48, w/h)) (PaddleOCR, batch of one), capped at maxWidth, then
 * rounded up to a multiple of widthMultiple.
 */
export function recWidth(crop: { width: number; height: number }, o: RecShapeOptions = {}): number {
  const h = o.height ?? 48, minW = o.minWidth ?? 320, maxW = o.maxWidth ?? 3200, m = o.widthMultiple ?? 1;
  const ratio = Math.max(minW / h, crop.width / crop.height);
  return Math.ceil(Math.min(Math.trunc(h * ratio), maxW) / m) * m;
}

/** The rec input of one crop: [1, 3, 48, recWidth]; the crop itself at most int(48 · max(320/48, w/h)) ≤ maxWidth wide. */
export function recPreprocess(crop: RgbImage, o: RecShapeOptions = {}): { data: Float32Array; shape: number[] } {
  const h = o.height ?? 48;
  const tensorW = recWidth(crop, o);
  const fitW = recWidth(crop, { ...o, widthMultiple: 1 });
  const ratio = crop.width / crop.height;
  const rw = Math.max(1, Math.min(Math.ceil(h * ratio), fitW));
  const data = new Float32Array(3 * h * tensorW);
  writeChw(resizeBilinear(crop, rw, h), data, tensorW, h, HALF, HALF);
  return { data, shape: [1, 3, h, tensorW] };
}

/**
 * The CTC character table from a PaddleOCR keys file (one character per line): index 0 is the blank, then the
 * keys, then ' ' (use_space_char, on for the PP-OCR models).
 */
export function ctcCharacters(keysText: string, useSpaceChar = true): string[] {
  const keys = keysText.split('\n').map((l) => l.replace(/\r$/, ''));
  if (keys.length && keys[keys.length - 1] === '') keys.pop();
  return ['', ...keys, ...(useSpaceChar ? [' '] : [])];
}

/**
 * Greedy CTC decode of probs [T, C] (softmax outputs): per step the arg-max class, consecutive repeats merged,
 * blanks dropped; the score is the mean of the kept steps' maxima (0 when none is kept).
 */
export function ctcDecode(probs: Float32Array, T: number, C: number, characters: readonly string[]): { text: string; score: number } {
  if (characters.length !== C) throw new Error(`ocr: the dictionary has ${characters.length} classes (blank and space included), the rec model ${C}`);
  let text = '';
  let sum = 0, n = 0, prev = -1;
  for (let t = 0; t < T; t++) {
    let best = 0, bestP = -Infinity;
    const row = t * C;
    for (let c = 0; c < C; c++) {
      const p = probs[row + c];
      if (p > bestP) {
        bestP = p;
        best = c;
      }
    }
    if (best !== 0 && best !== prev) {
      text += characters[best];
      sum += bestP;
      n++;
    }
    prev = best;
  }
  return { text, score: n ? sum / n : 0 };
}

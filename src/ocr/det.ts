/**
 * Text detection (PP-OCRv4 det, a DB network): PaddleOCR's DetResizeForTest + NormalizeImage before the model,
 * DBPostProcess after it. Defaults are PaddleOCR's (tools/infer/utility.py: det_limit_side_len 960, limit_type
 * 'max', det_db_thresh 0.3, det_db_box_thresh 0.6, det_db_unclip_ratio 1.5, max_candidates 1000, score_mode
 * 'fast', no dilation).
 */
import { type Point, type Quad, insideConvex, minAreaRect, orderClockwise, orderMiniBox, polygonArea, polygonPerimeter, rectCorners } from './geometry.ts';
import { type RgbImage, resizeBilinear, writeChw } from './image.ts';

export interface DetOptions {
  /** The longer side is scaled down to this (never up); both sides then round to multiples of 32. Default 960. */
  limitSideLen?: number;
  /** Probability threshold of the text bitmap. Default 0.3. */
  thresh?: number;
  /** Minimum mean probability inside a box. Default 0.6. */
  boxThresh?: number;
  /** Box expansion: offset distance = area · ratio / perimeter. Default 1.5. */
  unclipRatio?: number;
  /** At most this many regions are examined. Default 1000. */
  maxCandidates?: number;
}

export const DET_MEAN = [0.485, 0.456, 0.406] as const;
export const DET_STD = [0.229, 0.224, 0.225] as const;
const MIN_SIZE = 3;

/** Python's round(): half to even. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** DetResizeForTest (limit_type 'max'): the resized size, both sides multiples of 32, at least 32. */
export function detResizeSize(width: number, height: number, limitSideLen = 960): { width: number; height: number } {
  const ratio = Math.max(width, height) > limitSideLen ? limitSideLen / Math.max(width, height) : 1;
  const h = Math.trunc(height * ratio), w = Math.trunc(width * ratio);
  return { width: Math.max(roundHalfEven(w / 32) * 32, 32), height: Math.max(roundHalfEven(h / 32) * 32, 32) };
}

/** The det input: [1, 3, H, W], BGR, ImageNet mean/std. */
export function detPreprocess(img: RgbImage, limitSideLen = 960): { data: Float32Array; shape: number[] } {
  const { width, height } = detResizeSize(img.width, img.height, limitSideLen);
  const resized = resizeBilinear(img, width, height);
  const data = new Float32Array(3 * width * height);
  writeChw(resized, data, width, height, DET_MEAN, DET_STD);
  return { data, shape: [1, 3, height, width] };
}

export interface DetBox {
  /** Corners in source-image pixels, clockwise from top-left. */
  box: Quad;
  /** Mean text probability inside the (unexpanded) box. */
  score: number;
}

/**
 * The boundary-relevant points of each 8-connected region of pred > thresh: per row, the leftmost and rightmost
 * pixel (their convex hull is the region's, which is all minAreaRect needs). In raster order of first pixels.
 */
function regions(bitmap: Uint8Array, w: number, h: number, max: number): Point[][] {
  const label = new Uint8Array(w * h);
  const queue = new Int32Array(w * h);
  const rowMin = new Int32Array(h).fill(w), rowMax = new Int32Array(h).fill(-1);
  const out: Point[][] = [];
  for (let start = 0; start < w * h && out.length < max; start++) {
    if (!bitmap[start] || label[start]) continue;
    let head = 0, tail = 0;
    queue[tail++] = start;
    label[start] = 1;
    let y0 = h, y1 = -1;
    while (head < tail) {
      const p = queue[head++];
      const y = (p / w) | 0, x = p - y * w;
      if (x < rowMin[y]) rowMin[y] = x;
      if (x > rowMax[y]) rowMax[y] = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= h) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= w) continue;
          const q = yy * w + xx;
          if (bitmap[q] && !label[q]) {
            label[q] = 1;
            queue[tail++] = q;
          }
        }
      }
    }
    const pts: Point[] = [];
    for (let y = y0; y <= y1; y++) {
      if (rowMax[y] < 0) continue;
      pts.push([rowMin[y], y]);
      if (rowMax[y] !== rowMin[y]) pts.push([rowMax[y], y]);
      rowMin[y] = w;
      rowMax[y] = -1;
    }
    out.push(pts);
  }
  return out;
}

/**
 * pyclipper's round-joined offset of a quad by d (ClipperOffset, JT_ROUND, closed polygon, ArcTolerance 0.25), as
 * PaddleOCR's unclip computes it: corners taken as integers (truncated), each edge moved out by d along its normal,
 * each corner joined by an arc of points, every point rounded to integers.
 */
function unclipPoints(quad: Point[], d: number): Point[] {
  let q = quad.map(([x, y]): Point => [Math.trunc(x), Math.trunc(y)]);
  let area2 = 0;
  for (let i = 0; i < q.length; i++) area2 += q[i][0] * q[(i + 1) % q.length][1] - q[(i + 1) % q.length][0] * q[i][1];
  if (area2 < 0) q = q.slice().reverse(); // Clipper offsets positively oriented outer polygons
  q = q.filter((p, i) => p[0] !== q[(i + 1) % q.length][0] || p[1] !== q[(i + 1) % q.length][1]);
  const n = q.length;
  if (n < 3) return q;
  const normals = q.map((p, i) => {
    const r = q[(i + 1) % n];
    const len = Math.hypot(r[0] - p[0], r[1] - p[1]);
    return [(r[1] - p[1]) / len, -(r[0] - p[0]) / len];
  });
  const steps = Math.PI / Math.acos(1 - 0.25 / Math.abs(d));
  const sin = Math.sin((2 * Math.PI) / steps), cos = Math.cos((2 * Math.PI) / steps);
  const stepsPerRad = steps / (2 * Math.PI);
  const out: Point[] = [];
  for (let j = 0, k = n - 1; j < n; k = j, j++) {
    const nk = normals[k], nj = normals[j], p = q[j];
    const sinA = nk[0] * nj[1] - nj[0] * nk[1];
    if (sinA * d < 0) {
      // concave corner (not for rectangles): Clipper adds the two offset points and the vertex
      out.push([Math.round(p[0] + nk[0] * d), Math.round(p[1] + nk[1] * d)], p, [Math.round(p[0] + nj[0] * d), Math.round(p[1] + nj[1] * d)]);
      continue;
    }
    const a = Math.atan2(sinA, nk[0] * nj[0] + nk[1] * nj[1]);
    const cnt = Math.max(Math.round(stepsPerRad * Math.abs(a)), 1);
    let X = nk[0], Y = nk[1];
    for (let i = 0; i < cnt; i++) {
      out.push([Math.round(p[0] + X * d), Math.round(p[1] + Y * d)]);
      const X2 = X;
      X = X * cos - sin * Y;
      Y = X2 * sin + Y * cos;
    }
    out.push([Math.round(p[0] + nj[0] * d), Math.round(p[1] + nj[1] * d)]);
  }
  return out;
}

/** box_score_fast: mean of pred over the pixels of the box's polygon (vertices truncated to integers, as fillPoly). */
function boxScore(pred: Float32Array, w: number, h: number, box: Point[]): number {
  const xs = box.map((p) => p[0]), ys = box.map((p) => p[1]);
  const clip = (v: number, hi: number) => Math.min(Math.max(v, 0), hi);
  const xmin = clip(Math.floor(Math.min(...xs)), w - 1), xmax = clip(Math.ceil(Math.max(...xs)), w - 1);
  const ymin = clip(Math.floor(Math.min(...ys)), h - 1), ymax = clip(Math.ceil(Math.max(...ys)), h - 1);
  const poly: Point[] = box.map((p) => [Math.trunc(p[0] - xmin) + xmin, Math.trunc(p[1] - ymin) + ymin]);
  let sum = 0, n = 0;
  for (let y = ymin; y <= ymax; y++) {
    for (let x = xmin; x <= xmax; x++) {
      if (insideConvex(poly, x, y)) {
        sum += pred[y * w + x];
        n++;
      }
    }
  }
  return n ? sum / n : 0;
}

/**
 * DBPostProcess on a probability map pred [predH, predW] (the det output for a srcW × srcH image): regions of
 * pred > thresh → minimum-area boxes (short side ≥ 3) → box score ≥ boxThresh → unclip (each side pushed out by
 * area · unclipRatio / perimeter; the minimum-area rectangle of the rounded offset polygon is the rectangle grown by
 * that distance) → short side ≥ 5 → scaled to the source image, rounded, clipped; then PaddleOCR's
 * filter_tag_det_res (clockwise order, clip, drop boxes 3 px or less wide or tall).
 */
export function dbPostprocess(pred: Float32Array, predW: number, predH: number, srcW: number, srcH: number, opts: DetOptions = {}): DetBox[] {
  const thresh = opts.thresh ?? 0.3, boxThresh = opts.boxThresh ?? 0.6, unclipRatio = opts.unclipRatio ?? 1.5;
  const bitmap = new Uint8Array(predW * predH);
  for (let i = 0; i < bitmap.length; i++) bitmap[i] = pred[i] > thresh ? 1 : 0;
  const out: DetBox[] = [];
  for (const pts of regions(bitmap, predW, predH, opts.maxCandidates ?? 1000)) {
    const rect = minAreaRect(pts);
    if (Math.min(rect.w, rect.h) < MIN_SIZE) continue;
    const box = orderMiniBox(rectCorners(rect));
    const score = boxScore(pred, predW, predH, box);
    if (score < boxThresh) continue;
    const d = (polygonArea(box) * unclipRatio) / polygonPerimeter(box);
    const grown = minAreaRect(unclipPoints(box, d));
    if (Math.min(grown.w, grown.h) < MIN_SIZE + 2) continue;
    const scaled = orderMiniBox(rectCorners(grown)).map(([x, y]): Point => [
      Math.min(Math.max(roundHalfEven((x / predW) * srcW), 0), srcW),
      Math.min(Math.max(roundHalfEven((y / predH) * srcH), 0), srcH),
    ]);
    // filter_tag_det_res
    const q = orderClockwise(scaled).map(([x, y]): Point => [Math.min(Math.max(x, 0), srcW - 1), Math.min(Math.max(y, 0), srcH - 1)]) as Quad;
    const rw = Math.trunc(Math.hypot(q[0][0] - q[1][0], q[0][1] - q[1][1]));
    const rh = Math.trunc(Math.hypot(q[0][0] - q[3][0], q[0][1] - q[3][1]));
    if (rw <= 3 || rh <= 3) continue;
    out.push({ box: q, score });
  }
  return out;
}

/** PaddleOCR's sorted_boxes: top to bottom, then left to right within 10 px of the same top. */
export function sortBoxes<T extends { box: Quad }>(boxes: T[]): T[] {
  const b = boxes.slice().sort((p, q) => p.box[0][1] - q.box[0][1] || p.box[0][0] - q.box[0][0]);
  for (let i = 0; i < b.length - 1; i++) {
    for (let j = i; j >= 0; j--) {
      if (Math.abs(b[j + 1].box[0][1] - b[j].box[0][1]) < 10 && b[j + 1].box[0][0] < b[j].box[0][0]) {
        [b[j], b[j + 1]] = [b[j + 1], b[j]];
      } else break;
    }
  }
  return b;
}

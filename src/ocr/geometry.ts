/** Plane geometry of the OCR pipeline: convex hull, minimum-area rectangle, point ordering, homographies. */

export type Point = [number, number];
/** Four corners, clockwise from the top-left in image coordinates (y down): tl, tr, br, bl. */
export type Quad = [Point, Point, Point, Point];

/** Convex hull (Andrew's monotone chain), counter-clockwise in a y-up frame, collinear points dropped. */
export function convexHull(points: Point[]): Point[] {
  const p = points.slice().sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (p.length < 3) return p;
  const cross = (o: Point, a: Point, b: Point) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower: Point[] = [];
  for (const q of p) {
    while (lower.length >= 2 && cross(lower[lower.length - 2], lower[lower.length - 1], q) <= 0) lower.pop();
    lower.push(q);
  }
  const upper: Point[] = [];
  for (let i = p.length - 1; i >= 0; i--) {
    const q = p[i];
    while (upper.length >= 2 && cross(upper[upper.length - 2], upper[upper.length - 1], q) <= 0) upper.pop();
    upper.push(q);
  }
  lower.pop();
  upper.pop();
  return lower.concat(upper);
}

/** A rotated rectangle: center, unit axis u (the side of length w), the normal v = (−u.y, u.x) (side h). */
export interface RotatedRect {
  cx: number;
  cy: number;
  w: number;
  h: number;
  ux: number;
  uy: number;
}

/** The minimum-area enclosing rectangle of a point set (cv2.minAreaRect): rotating calipers over the hull edges. */
export function minAreaRect(points: Point[]): RotatedRect {
  const hull = convexHull(points);
  if (hull.length === 0) return { cx: 0, cy: 0, w: 0, h: 0, ux: 1, uy: 0 };
  if (hull.length === 1) return { cx: hull[0][0], cy: hull[0][1], w: 0, h: 0, ux: 1, uy: 0 };
  let best: RotatedRect | undefined;
  let bestArea = Infinity;
  for (let i = 0; i < hull.length; i++) {
    const a = hull[i], b = hull[(i + 1) % hull.length];
    const len = Math.hypot(b[0] - a[0], b[1] - a[1]);
    if (len === 0) continue;
    const ux = (b[0] - a[0]) / len, uy = (b[1] - a[1]) / len;
    let minU = Infinity, maxU = -Infinity, minV = Infinity, maxV = -Infinity;
    for (const q of hull) {
      const u = q[0] * ux + q[1] * uy;
      const v = -q[0] * uy + q[1] * ux;
      if (u < minU) minU = u;
      if (u > maxU) maxU = u;
      if (v < minV) minV = v;
      if (v > maxV) maxV = v;
    }
    const area = (maxU - minU) * (maxV - minV);
    if (area < bestArea - 1e-9) {
      bestArea = area;
      const cu = (minU + maxU) / 2, cv = (minV + maxV) / 2;
      best = { cx: cu * ux - cv * uy, cy: cu * uy + cv * ux, w: maxU - minU, h: maxV - minV, ux, uy };
    }
  }
  return best!;
}

/** The four corners of a rotated rectangle (any order). */
export function rectCorners(r: RotatedRect): Point[] {
  const ax = (r.ux * r.w) / 2, ay = (r.uy * r.w) / 2;
  const bx = (-r.uy * r.h) / 2, by = (r.ux * r.h) / 2;
  return [
    [r.cx - ax - bx, r.cy - ay - by],
    [r.cx + ax - bx, r.cy + ay - by],
    [r.cx + ax + bx, r.cy + ay + by],
    [r.cx - ax + bx, r.cy - ay + by],
  ];
}

/**
 * PaddleOCR's get_mini_boxes ordering: sort by x; of the two leftmost the upper is top-left and the lower
 * bottom-left; of the two rightmost the upper is top-right and the lower bottom-right.
 */
export function orderMiniBox(pts: Point[]): Quad {
  const p = pts.slice().sort((a, b) => a[0] - b[0]);
  const [tl, bl] = p[1][1] > p[0][1] ? [p[0], p[1]] : [p[1], p[0]];
  const [tr, br] = p[3][1] > p[2][1] ? [p[2], p[3]] : [p[3], p[2]];
  return [tl, tr, br, bl];
}

/** PaddleOCR's order_points_clockwise: by x; the left pair by y (tl, bl), the right pair by y (tr, br). */
export function orderClockwise(pts: Point[]): Quad {
  const p = pts.slice().sort((a, b) => a[0] - b[0]);
  const left = [p[0], p[1]].sort((a, b) => a[1] - b[1]);
  const right = [p[2], p[3]].sort((a, b) => a[1] - b[1]);
  return [left[0], right[0], right[1], left[1]];
}

export function polygonArea(p: Point[]): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    const a = p[i], b = p[(i + 1) % p.length];
    s += a[0] * b[1] - b[0] * a[1];
  }
  return Math.abs(s) / 2;
}

export function polygonPerimeter(p: Point[]): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    const a = p[i], b = p[(i + 1) % p.length];
    s += Math.hypot(b[0] - a[0], b[1] - a[1]);
  }
  return s;
}

/** Whether (x, y) lies inside or on a convex polygon (either orientation). */
export function insideConvex(p: Point[], x: number, y: number): boolean {
  let pos = false, neg = false;
  for (let i = 0; i < p.length; i++) {
    const a = p[i], b = p[(i + 1) % p.length];
    const c = (b[0] - a[0]) * (y - a[1]) - (b[1] - a[1]) * (x - a[0]);
    if (c > 1e-9) pos = true;
    else if (c < -1e-9) neg = true;
    if (pos && neg) return false;
  }
  return true;
}

/** The homography (row-major 3×3, h33 = 1) taking from[i] to to[i] (cv2.getPerspectiveTransform). */
export function perspectiveTransform(from: Point[], to: Point[]): number[] {
  // Unknowns h11..h32; two equations per correspondence.
  const A: number[][] = [];
  for (let i = 0; i < 4; i++) {
    const [x, y] = from[i], [X, Y] = to[i];
    A.push([x, y, 1, 0, 0, 0, -x * X, -y * X, X]);
    A.push([0, 0, 0, x, y, 1, -x * Y, -y * Y, Y]);
  }
  // Gaussian elimination with partial pivoting on the 8×9 augmented matrix.
  for (let c = 0; c < 8; c++) {
    let piv = c;
    for (let r = c + 1; r < 8; r++) if (Math.abs(A[r][c]) > Math.abs(A[piv][c])) piv = r;
    [A[c], A[piv]] = [A[piv], A[c]];
    const d = A[c][c];
    if (Math.abs(d) < 1e-12) throw new Error('ocr: degenerate quadrilateral (no perspective transform)');
    for (let r = 0; r < 8; r++) {
      if (r === c) continue;
      const f = A[r][c] / d;
      if (f !== 0) for (let k = c; k < 9; k++) A[r][k] -= f * A[c][k];
    }
  }
  const h = A.map((row, i) => row[8] / row[i]);
  return [...h, 1];
}

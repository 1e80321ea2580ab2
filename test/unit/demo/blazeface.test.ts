/** demo/lib/blazeface.ts: anchors and decoding on synthetic regressor/score tensors (no model, no GPU). */
import { describe, expect, it } from 'vitest';
import { blazefaceFrontAnchors, decodeBlazeface, iou, joinBlazefaceOutputs } from '../../../demo/lib/blazeface.ts';

const N = 896;
const logit = (p: number) => Math.log(p / (1 - p));

describe('BlazeFace front decoding', () => {
  it('has 896 anchors: 16×16×2 at stride 8, then 8×8×6 at stride 16, centered in their cells', () => {
    const a = blazefaceFrontAnchors();
    expect(a.length).toBe(N);
    expect(a[0]).toEqual({ x: 0.5 / 16, y: 0.5 / 16 });
    expect(a[1]).toEqual(a[0]);
    expect(a[2]).toEqual({ x: 1.5 / 16, y: 0.5 / 16 });
    expect(a[511]).toEqual({ x: 15.5 / 16, y: 15.5 / 16 });
    expect(a[512]).toEqual({ x: 0.5 / 8, y: 0.5 / 8 });
    expect(a[512 + 6]).toEqual({ x: 1.5 / 8, y: 0.5 / 8 });
    expect(a[N - 1]).toEqual({ x: 7.5 / 8, y: 7.5 / 8 });
  });

  it('decodes a box and keypoints relative to the anchor (reg / 128), sigmoid scores, threshold', () => {
    const scores = new Float32Array(N).fill(-10);
    const reg = new Float32Array(N * 16);
    // anchor 512 + (3 * 8 + 4) * 6 = the stride-16 cell (row 3, column 4): center (4.5 / 8, 3.5 / 8)
    const i = 512 + (3 * 8 + 4) * 6;
    scores[i] = logit(0.9);
    reg.set([12.8, -6.4, 32, 48, 0, 0, 1.28, 1.28, 0, 0, 0, 0, 0, 0, -12.8, 0], i * 16);
    scores[7] = logit(0.4); // below the 0.5 threshold
    const faces = decodeBlazeface(scores, reg);
    expect(faces.length).toBe(1);
    const f = faces[0];
    expect(f.score).toBeCloseTo(0.9, 6);
    const cx = 4.5 / 8 + 0.1, cy = 3.5 / 8 - 0.05;
    expect(f.box.x).toBeCloseTo(cx - 0.125, 6);
    expect(f.box.y).toBeCloseTo(cy - 0.1875, 6);
    expect(f.box.w).toBeCloseTo(0.25, 6);
    expect(f.box.h).toBeCloseTo(0.375, 6);
    expect(f.keypoints.length).toBe(6);
    expect(f.keypoints[0][0]).toBeCloseTo(4.5 / 8, 6);
    expect(f.keypoints[1][0]).toBeCloseTo(4.5 / 8 + 0.01, 6);
    expect(f.keypoints[1][1]).toBeCloseTo(3.5 / 8 + 0.01, 6);
    expect(f.keypoints[5][0]).toBeCloseTo(4.5 / 8 - 0.1, 6);
    expect(decodeBlazeface(scores, reg, { threshold: 0.3 }).length).toBe(2);
  });

  it('merges overlapping detections (weighted NMS keeps the best score, averages by score) and keeps separate faces', () => {
    const scores = new Float32Array(N).fill(-10);
    const reg = new Float32Array(N * 16);
    // two anchors of one stride-8 cell (same center): boxes 32 and 40 px wide → IoU 0.64
    scores[100] = logit(0.9);
    reg.set([0, 0, 32, 32], 100 * 16);
    scores[101] = logit(0.6);
    reg.set([0, 0, 40, 40], 101 * 16);
    // a face elsewhere (a stride-16 anchor far away)
    const far = 512 + (7 * 8 + 7) * 6;
    scores[far] = logit(0.8);
    reg.set([0, 0, 16, 16], far * 16);
    const faces = decodeBlazeface(scores, reg);
    expect(faces.map((f) => +f.score.toFixed(3))).toEqual([0.9, 0.8]);
    expect(faces[0].box.w * 128).toBeCloseTo((32 * 0.9 + 40 * 0.6) / 1.5, 4);
    const plain = decodeBlazeface(scores, reg, { nms: 'plain' });
    expect(plain.length).toBe(2);
    expect(plain[0].box.w * 128).toBeCloseTo(32, 4);
    expect(iou(faces[0].box, faces[1].box)).toBe(0);
  });

  it('joins the four model outputs by shape in anchor order, and refuses wrong sizes', () => {
    const mk = (n: number, c: number, v: number) => ({ shape: [1, n, c], data: new Float32Array(n * c).fill(v) });
    const j = joinBlazefaceOutputs([mk(384, 16, 4), mk(512, 1, 1), mk(384, 1, 2), mk(512, 16, 3)]);
    expect(j.scores.length).toBe(N);
    expect(j.scores[0]).toBe(1);
    expect(j.scores[N - 1]).toBe(2);
    expect(j.regressors[0]).toBe(3);
    expect(j.regressors[N * 16 - 1]).toBe(4);
    expect(() => joinBlazefaceOutputs([mk(512, 1, 0)])).toThrow(/no output of shape \[1, 384, 1\]/);
    expect(() => decodeBlazeface(new Float32Array(10), new Float32Array(160))).toThrow(/896/);
  });
});

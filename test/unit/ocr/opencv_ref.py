# Cross-check of src/ocr (test/unit/ocr/opencv-crosscheck.test.ts) against the same steps written with OpenCV,
# pyclipper and shapely, as PaddleOCR's DetResizeForTest, NormalizeImage, DBPostProcess and get_rotate_crop_image
# use them. Input: a folder with case.json (width, height, detShape, boxes, crops), case.rgb (uint8 HWC RGB),
# case.detin (float32 CHW), case.pred (float32 HW). Output (stdout): JSON with the differences.
import json, sys, numpy as np, cv2, pyclipper
from shapely.geometry import Polygon

def det_resize(img, limit=960):
    h, w = img.shape[:2]
    ratio = float(limit) / max(h, w) if max(h, w) > limit else 1.0
    rh, rw = int(h * ratio), int(w * ratio)
    rh = max(int(round(rh / 32) * 32), 32); rw = max(int(round(rw / 32) * 32), 32)
    return cv2.resize(img, (rw, rh))

def mini_boxes(contour):
    rect = cv2.minAreaRect(contour)
    pts = sorted(list(cv2.boxPoints(rect)), key=lambda x: x[0])
    i1, i4 = (0, 1) if pts[1][1] > pts[0][1] else (1, 0)
    i2, i3 = (2, 3) if pts[3][1] > pts[2][1] else (3, 2)
    return np.array([pts[i1], pts[i2], pts[i3], pts[i4]]), min(rect[1])

def score_fast(bitmap, box):
    h, w = bitmap.shape[:2]; box = box.copy()
    xmin = np.clip(np.floor(box[:, 0].min()).astype(int), 0, w - 1); xmax = np.clip(np.ceil(box[:, 0].max()).astype(int), 0, w - 1)
    ymin = np.clip(np.floor(box[:, 1].min()).astype(int), 0, h - 1); ymax = np.clip(np.ceil(box[:, 1].max()).astype(int), 0, h - 1)
    mask = np.zeros((ymax - ymin + 1, xmax - xmin + 1), dtype=np.uint8)
    box[:, 0] -= xmin; box[:, 1] -= ymin
    cv2.fillPoly(mask, box.reshape(1, -1, 2).astype(np.int32), 1)
    return cv2.mean(bitmap[ymin:ymax + 1, xmin:xmax + 1], mask)[0]

def unclip(box, ratio=1.5):
    poly = Polygon(box); d = poly.area * ratio / poly.length
    off = pyclipper.PyclipperOffset(); off.AddPath(box, pyclipper.JT_ROUND, pyclipper.ET_CLOSEDPOLYGON)
    return np.array(off.Execute(d))

def db(pred, W, H):
    ph, pw = pred.shape
    bitmap = (pred > 0.3).astype(np.uint8) * 255
    contours, _ = cv2.findContours(bitmap, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    out = []
    for c in contours[:1000]:
        pts, s = mini_boxes(c)
        if s < 3: continue
        score = score_fast(pred, pts.reshape(-1, 2))
        if score < 0.6: continue
        b = unclip(pts)
        if len(b) > 1: continue
        b, s = mini_boxes(b.reshape(-1, 1, 2))
        if s < 5: continue
        b = np.array(b)
        b[:, 0] = np.clip(np.round(b[:, 0] / pw * W), 0, W); b[:, 1] = np.clip(np.round(b[:, 1] / ph * H), 0, H)
        out.append(b.astype(np.int32))
    res = []
    for b in out:
        xs = b[np.argsort(b[:, 0])]; l = xs[:2][np.argsort(xs[:2, 1])]; r = xs[2:][np.argsort(xs[2:, 1])]
        b = np.array([l[0], r[0], r[1], l[1]]).astype(float)
        b[:, 0] = np.clip(b[:, 0], 0, W - 1); b[:, 1] = np.clip(b[:, 1], 0, H - 1)
        if int(np.linalg.norm(b[0] - b[1])) <= 3 or int(np.linalg.norm(b[0] - b[3])) <= 3: continue
        res.append(b)
    res = sorted(res, key=lambda x: (x[0][1], x[0][0]))
    for i in range(len(res) - 1):
        for j in range(i, -1, -1):
            if abs(res[j + 1][0][1] - res[j][0][1]) < 10 and res[j + 1][0][0] < res[j][0][0]:
                res[j], res[j + 1] = res[j + 1], res[j]
            else: break
    return res

def crop(img, pts, interp):
    pts = pts.astype(np.float32)
    w = int(max(np.linalg.norm(pts[0] - pts[1]), np.linalg.norm(pts[2] - pts[3])))
    h = int(max(np.linalg.norm(pts[0] - pts[3]), np.linalg.norm(pts[1] - pts[2])))
    M = cv2.getPerspectiveTransform(pts, np.float32([[0, 0], [w, 0], [w, h], [0, h]]))
    c = cv2.warpPerspective(img, M, (w, h), borderMode=cv2.BORDER_REPLICATE, flags=interp)
    if c.shape[0] / c.shape[1] >= 1.5: c = np.rot90(c)
    return c


d = sys.argv[1]
meta = json.load(open(f'{d}/case.json'))
W, H = meta['width'], meta['height']; _, _, dh, dw = meta['detShape']
rgb = np.fromfile(f'{d}/case.rgb', dtype=np.uint8).reshape(H, W, 3)
bgr = np.ascontiguousarray(rgb[..., ::-1])
r = det_resize(bgr)
x = ((r.astype(np.float32) / 255 - np.array([0.485, 0.456, 0.406], np.float32)) / np.array([0.229, 0.224, 0.225], np.float32)).transpose(2, 0, 1)
ours = np.fromfile(f'{d}/case.detin', dtype=np.float32).reshape(3, dh, dw)
pred = np.fromfile(f'{d}/case.pred', dtype=np.float32).reshape(dh, dw)
ref = db(pred, W, H)
out = {'detShape': [int(v) for v in r.shape[:2]], 'detInputMaxDiff': float(np.abs(ours - x).max()), 'refBoxes': [b.astype(int).tolist() for b in ref], 'cropMaxDiff': [], 'cropMeanDiff': [], 'cropMeanDiffCubic': []}
for i, b in enumerate(meta['boxes']):
    b = np.array(b, float)
    cl = crop(rgb, b, cv2.INTER_LINEAR); cc = crop(rgb, b, cv2.INTER_CUBIC)
    c = meta['crops'][i]
    oc = np.array(c['data'], np.float32).reshape(c['height'], c['width'], 3)
    if cl.shape != oc.shape:
        out['cropMaxDiff'].append(-1); out['cropMeanDiff'].append(-1); out['cropMeanDiffCubic'].append(-1); continue
    out['cropMaxDiff'].append(float(np.abs(oc - cl).max())); out['cropMeanDiff'].append(float(np.abs(oc - cl).mean())); out['cropMeanDiffCubic'].append(float(np.abs(oc - cc).mean()))
out['warp'] = []
for e in meta.get('warps', []):
    b = np.array(e['box'], float)
    row = {}
    for key, interp in (('bilinear', cv2.INTER_LINEAR), ('bicubic', cv2.INTER_CUBIC)):
        c = e[key]; oc = np.array(c['data'], np.float32).reshape(c['height'], c['width'], 3)
        rc = crop(rgb, b, interp)
        row[key] = [float(np.abs(oc - rc).max()), float(np.abs(oc - rc).mean())] if rc.shape == oc.shape else [-1, -1]
    out['warp'].append(row)
print(json.dumps(out))

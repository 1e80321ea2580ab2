/**
 * Image helpers of the OCR pipeline: pure TypeScript, no DOM and no Node APIs (it runs in the browser too).
 * Images are interleaved RGB float (0..255) in memory; tensors are NCHW in PaddleOCR's channel order (BGR: the
 * models were trained on OpenCV-decoded images, so tensor channel 0 is blue).
 */

/** A caller's image: interleaved RGB or RGBA, 8-bit (or float 0..255). Alpha is ignored. */
export interface ImageInput {
  data: Uint8Array | Uint8ClampedArray | Float32Array;
  width: number;
  height: number;
  channels: 3 | 4;
}

/**
 * Interleaved RGB, values 0..255. Resampling rounds to integers: between steps the pipeline's images stay 8-bit
 * like PaddleOCR's uint8 arrays (cv2.resize and cv2.warpPerspective on uint8 images round their results).
 */
export interface RgbImage {
  data: Float32Array;
  width: number;
  height: number;
}

export function toRgb(img: ImageInput): RgbImage {
  const { width, height, channels, data } = img;
  if (channels !== 3 && channels !== 4) throw new Error(`ocr: image channels must be 3 or 4, got ${channels}`);
  if (!(width > 0 && height > 0) || data.length < width * height * channels) {
    throw new Error(`ocr: image data holds ${data.length} values, ${width}×${height}×${channels} needed`);
  }
  const out = new Float32Array(width * height * 3);
  for (let i = 0, j = 0; i < out.length; i += 3, j += channels) {
    out[i] = data[j];
    out[i + 1] = data[j + 1];
    out[i + 2] = data[j + 2];
  }
  return { data: out, width, height };
}

/** Bilinear resize with OpenCV's INTER_LINEAR sampling (half-pixel centers, edge clamp). */
export function resizeBilinear(img: RgbImage, width: number, height: number): RgbImage {
  const { data: src, width: sw, height: sh } = img;
  const out = new Float32Array(width * height * 3);
  const sx = sw / width;
  const sy = sh / height;
  const x0s = new Int32Array(width);
  const x1s = new Int32Array(width);
  const fxs = new Float32Array(width);
  for (let x = 0; x < width; x++) {
    const fx = Math.max(0, (x + 0.5) * sx - 0.5);
    const x0 = Math.min(Math.floor(fx), sw - 1);
    x0s[x] = x0 * 3;
    x1s[x] = Math.min(x0 + 1, sw - 1) * 3;
    fxs[x] = fx - x0;
  }
  for (let y = 0; y < height; y++) {
    const fy = Math.max(0, (y + 0.5) * sy - 0.5);
    const y0 = Math.min(Math.floor(fy), sh - 1);
    const y1 = Math.min(y0 + 1, sh - 1);
    const wy = fy - y0;
    const r0 = y0 * sw * 3;
    const r1 = y1 * sw * 3;
    let o = y * width * 3;
    for (let x = 0; x < width; x++, o += 3) {
      const wx = fxs[x];
      const a = r0 + x0s[x], b = r0 + x1s[x], c = r1 + x0s[x], d = r1 + x1s[x];
      for (let k = 0; k < 3; k++) {
        const top = src[a + k] + (src[b + k] - src[a + k]) * wx;
        const bot = src[c + k] + (src[d + k] - src[c + k]) * wx;
        out[o + k] = Math.round(top + (bot - top) * wy);
      }
    }
  }
  return { data: out, width, height };
}

/** Bilinear sample with replicated borders (OpenCV's BORDER_REPLICATE) into out[o..o+2]. */
function sample(img: RgbImage, X: number, Y: number, out: Float32Array, o: number): void {
  const { data, width: w, height: h } = img;
  const xf = Math.floor(X), yf = Math.floor(Y);
  const wx = X - xf, wy = Y - yf;
  const x0 = Math.min(Math.max(xf, 0), w - 1), x1 = Math.min(Math.max(xf + 1, 0), w - 1);
  const y0 = Math.min(Math.max(yf, 0), h - 1), y1 = Math.min(Math.max(yf + 1, 0), h - 1);
  const a = (y0 * w + x0) * 3, b = (y0 * w + x1) * 3, c = (y1 * w + x0) * 3, d = (y1 * w + x1) * 3;
  for (let k = 0; k < 3; k++) {
    const top = data[a + k] + (data[b + k] - data[a + k]) * wx;
    const bot = data[c + k] + (data[d + k] - data[c + k]) * wx;
    out[o + k] = Math.round(top + (bot - top) * wy);
  }
}

/** OpenCV's bicubic kernel (A = −0.75): the weights of the taps at −1, 0, 1, 2 for a fraction t. */
function cubicWeights(t: number, w: Float64Array): void {
  const A = -0.75;
  w[0] = ((A * (t + 1) - 5 * A) * (t + 1) + 8 * A) * (t + 1) - 4 * A;
  w[1] = ((A + 2) * t - (A + 3)) * t * t + 1;
  w[2] = ((A + 2) * (1 - t) - (A + 3)) * (1 - t) * (1 - t) + 1;
  w[3] = 1 - w[0] - w[1] - w[2];
}

/** Bicubic sample with replicated borders into out[o..o+2], rounded and clamped to 0..255 (cv2 on uint8). */
function sampleCubic(img: RgbImage, X: number, Y: number, out: Float32Array, o: number, wx: Float64Array, wy: Float64Array): void {
  const { data, width: w, height: h } = img;
  const xf = Math.floor(X), yf = Math.floor(Y);
  cubicWeights(X - xf, wx);
  cubicWeights(Y - yf, wy);
  for (let k = 0; k < 3; k++) {
    let acc = 0;
    for (let j = 0; j < 4; j++) {
      const yy = Math.min(Math.max(yf - 1 + j, 0), h - 1);
      let row = 0;
      for (let i = 0; i < 4; i++) {
        const xx = Math.min(Math.max(xf - 1 + i, 0), w - 1);
        row += data[(yy * w + xx) * 3 + k] * wx[i];
      }
      acc += row * wy[j];
    }
    out[o + k] = Math.min(255, Math.max(0, Math.round(acc)));
  }
}

export type Interpolation = 'bilinear' | 'bicubic';

/**
 * Perspective warp: destination pixel (x, y) (integer coordinates, as cv2.warpPerspective) samples the source at
 * H·(x, y, 1), H given row-major 3×3 (destination → source), the position rounded to 1/32 pixel as OpenCV's
 * interpolation tables do; bilinear (default) or bicubic, borders replicated.
 */
export function warpPerspective(img: RgbImage, H: ArrayLike<number>, width: number, height: number, interpolation: Interpolation = 'bilinear'): RgbImage {
  const out = new Float32Array(width * height * 3);
  const wx = new Float64Array(4), wy = new Float64Array(4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const w = H[6] * x + H[7] * y + H[8];
      const X = Math.round(((H[0] * x + H[1] * y + H[2]) / w) * 32) / 32;
      const Y = Math.round(((H[3] * x + H[4] * y + H[5]) / w) * 32) / 32;
      if (interpolation === 'bicubic') sampleCubic(img, X, Y, out, (y * width + x) * 3, wx, wy);
      else sample(img, X, Y, out, (y * width + x) * 3);
    }
  }
  return { data: out, width, height };
}

/** Rotation by 90° counter-clockwise (numpy's rot90): the top row becomes the left column, read bottom-up. */
export function rotate90ccw(img: RgbImage): RgbImage {
  const { data, width: w, height: h } = img;
  const out = new Float32Array(data.length);
  // out is h wide and w tall: out(x', y') = in(w - 1 - y', x')
  for (let yo = 0; yo < w; yo++) {
    for (let xo = 0; xo < h; xo++) {
      const s = (xo * w + (w - 1 - yo)) * 3;
      const d = (yo * h + xo) * 3;
      out[d] = data[s];
      out[d + 1] = data[s + 1];
      out[d + 2] = data[s + 2];
    }
  }
  return { data: out, width: h, height: w };
}

export function rotate180(img: RgbImage): RgbImage {
  const { data } = img;
  const out = new Float32Array(data.length);
  const n = data.length / 3;
  for (let i = 0; i < n; i++) {
    const s = (n - 1 - i) * 3;
    out[i * 3] = data[s];
    out[i * 3 + 1] = data[s + 1];
    out[i * 3 + 2] = data[s + 2];
  }
  return { data: out, width: img.width, height: img.height };
}

/**
 * Writes img as CHW in BGR order into out (a [3, outH, outW] plane set; img must fit in it), each value
 * (v / 255 − mean[c]) / std[c] with mean and std indexed by the tensor channel (as PaddleOCR's NormalizeImage on a
 * BGR image). The area right of / below the image stays as out holds it (zero: PaddleOCR's padding).
 */
export function writeChw(img: RgbImage, out: Float32Array, outW: number, outH: number, mean: readonly number[], std: readonly number[]): void {
  const { data, width, height } = img;
  if (width > outW || height > outH) throw new Error(`ocr: ${width}×${height} image does not fit a ${outW}×${outH} tensor`);
  const plane = outW * outH;
  for (let c = 0; c < 3; c++) {
    const src = 2 - c; // BGR
    const m = mean[c], s = 1 / (255 * std[c]), ms = m / std[c];
    const base = c * plane;
    for (let y = 0; y < height; y++) {
      const row = base + y * outW;
      let i = y * width * 3 + src;
      for (let x = 0; x < width; x++, i += 3) out[row + x] = data[i] * s - ms;
    }
  }
}

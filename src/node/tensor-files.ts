/**
 * Tensor files for `winoconv run` / `onnx-test` and the test-data generator (Node): ONNX TensorProto `.pb`
 * (codec in src/graph/test-data.ts), NumPy `.npy` (C order), and PNG/JPEG images decoded with pngjs / jpeg-js and
 * preprocessed into a float32 tensor (bilinear resize, scale, mean/std, RGB|BGR, NCHW|NHWC).
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BYTES_PER_ELEMENT, type DType, type Tensor, fromRawData, toRawData } from '../graph/ir.ts';
import { decodeTensorProto, encodeTensorProto } from '../graph/test-data.ts';

export { decodeTensorProto, encodeTensorProto };

// ---------------------------------------------------------------------------------------------- .npy

const NPY_DTYPES: Record<string, DType> = {
  f4: 'float32', f8: 'float64', f2: 'float16', i1: 'int8', u1: 'uint8', i2: 'int16', u2: 'uint16', i4: 'int32',
  u4: 'uint32', i8: 'int64', u8: 'uint64', b1: 'bool',
};
const NPY_DESCR: Record<DType, string> = {
  float32: '<f4', float64: '<f8', float16: '<f2', int8: '|i1', uint8: '|u1', int16: '<i2', uint16: '<u2', int32: '<i4',
  uint32: '<u4', int64: '<i8', uint64: '<u8', bool: '|b1', bfloat16: '',
};
const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Reads a `.npy` file's bytes (format 1.0–3.0; little-endian or single-byte dtypes; C order). */
export function decodeNpy(bytes: Uint8Array, what = 'npy'): Tensor {
  if (bytes.length < 10 || NPY_MAGIC.some((b, i) => bytes[i] !== b)) throw new Error(`${what}: not a .npy file (no \\x93NUMPY magic)`);
  const major = bytes[6];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [headerLen, start] = major === 1 ? [dv.getUint16(8, true), 10] : [dv.getUint32(8, true), 12];
  const header = new TextDecoder('latin1').decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw new Error(`${what}: unreadable .npy header ${JSON.stringify(header.trim())}`);
  if (fortran === 'True') throw new Error(`${what}: the array is stored in Fortran (column-major) order; save it in C order (numpy.ascontiguousarray) and try again`);
  const order = descr[0];
  const dtype = NPY_DTYPES[descr.slice(1)];
  if (!dtype || (order !== '<' && order !== '|' && order !== '=')) {
    throw new Error(`${what}: dtype '${descr}' is not supported (little-endian float16/32/64, int8..64, uint8..64, bool)`);
  }
  const dims = shapeText.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map(Number);
  if (dims.some((d) => !Number.isSafeInteger(d) || d < 0)) throw new Error(`${what}: bad shape (${shapeText})`);
  const count = dims.reduce((a, b) => a * b, 1);
  const body = bytes.subarray(start + headerLen);
  const need = count * BYTES_PER_ELEMENT[dtype];
  if (body.length < need) throw new Error(`${what}: ${body.length} data bytes; ${descr} [${dims.join(', ')}] needs ${need}`);
  return { name: '', dtype, dims, data: fromRawData(dtype, body, count) };
}

/** A `.npy` (format 1.0) of the tensor, C order. */
export function encodeNpy(t: Tensor): Uint8Array {
  const descr = NPY_DESCR[t.dtype];
  if (!descr) throw new Error(`${t.name || 'tensor'}: ${t.dtype} has no .npy dtype`);
  const shape = t.dims.length === 1 ? `(${t.dims[0]},)` : `(${t.dims.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const data = toRawData(t.data);
  const out = new Uint8Array(10 + header.length + data.length);
  out.set(NPY_MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(data, 10 + header.length);
  return out;
}

// ---------------------------------------------------------------------------------------------- images

export interface RgbaImage {
  width: number;
  height: number;
  /** RGBA, 8 bits per channel, row-major. */
  data: Uint8Array;
}

export interface ImagePreprocess {
  /** Target [height, width]; bilinear resize (half-pixel centres) when it differs. Default: the image's size. */
  size?: [number, number];
  /** 'nchw' → [1, 3, H, W] (default); 'nhwc' → [1, H, W, 3]. */
  layout?: 'nchw' | 'nhwc';
  /** Multiplies the 0..255 pixel values first. Default 1/255. */
  scale?: number;
  /** Subtracted per channel after scaling (in the output's channel order). Default 0. */
  mean?: number[];
  /** Divides per channel after the mean. Default 1. */
  std?: number[];
  /** Channel order of the output. Default 'rgb'. */
  channels?: 'rgb' | 'bgr';
}

/** Decodes PNG (pngjs) or JPEG (jpeg-js) bytes, recognised by their signature. */
export async function decodeImage(bytes: Uint8Array, what = 'image'): Promise<RgbaImage> {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) {
    const { PNG } = (await import('pngjs')).default;
    const png = PNG.sync.read(buf);
    return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
  }
  if (bytes[0] === 0xff && bytes[1] === 0xd8) {
    const jpeg = (await import('jpeg-js')).default;
    const img = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 2048 });
    return { width: img.width, height: img.height, data: img.data };
  }
  throw new Error(`${what}: neither PNG nor JPEG (unknown signature)`);
}

/** Bilinear resize (half-pixel centres, edge clamp; no antialiasing) of an RGBA image. */
export function resizeBilinear(img: RgbaImage, height: number, width: number): RgbaImage {
  if (img.width === width && img.height === height) return img;
  const out = new Uint8Array(width * height * 4);
  const sy = img.height / height;
  const sx = img.width / width;
  for (let y = 0; y < height; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), img.height - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, img.height - 1);
    const wy = fy - y0;
    for (let x = 0; x < width; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), img.width - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, img.width - 1);
      const wx = fx - x0;
      for (let c = 0; c < 4; c++) {
        const p = (yy: number, xx: number) => img.data[(yy * img.width + xx) * 4 + c];
        const v = (1 - wy) * ((1 - wx) * p(y0, x0) + wx * p(y0, x1)) + wy * ((1 - wx) * p(y1, x0) + wx * p(y1, x1));
        out[(y * width + x) * 4 + c] = Math.round(v);
      }
    }
  }
  return { width, height, data: out };
}

/** An RGBA image → float32 [1, 3, H, W] or [1, H, W, 3]: ((pixel · scale) − mean[c]) / std[c]. */
export function imageToTensor(img: RgbaImage, p: ImagePreprocess = {}, name = ''): Tensor {
  const [h, w] = p.size ?? [img.height, img.width];
  const r = resizeBilinear(img, h, w);
  const scale = p.scale ?? 1 / 255;
  const mean = perChannel(p.mean, 0, 'mean');
  const std = perChannel(p.std, 1, 'std');
  if (std.some((s) => s === 0)) throw new Error('--std: a channel has std 0');
  const order = p.channels === 'bgr' ? [2, 1, 0] : [0, 1, 2];
  const nhwc = p.layout === 'nhwc';
  const data = new Float32Array(3 * h * w);
  for (let i = 0; i < h * w; i++) {
    for (let c = 0; c < 3; c++) {
      const v = (r.data[i * 4 + order[c]] * scale - mean[c]) / std[c];
      data[nhwc ? i * 3 + c : c * h * w + i] = v;
    }
  }
  return { name, dtype: 'float32', dims: nhwc ? [1, h, w, 3] : [1, 3, h, w], data };
}

function perChannel(v: number[] | undefined, dflt: number, what: string): number[] {
  if (v === undefined) return [dflt, dflt, dflt];
  if (v.length === 1) return [v[0], v[0], v[0]];
  if (v.length !== 3) throw new Error(`--${what}: give 1 or 3 values, got ${v.length}`);
  return v;
}

// ---------------------------------------------------------------------------------------------- files

const IMAGE_EXT = new Set(['.png', '.jpg', '.jpeg']);

/** Reads a tensor from .pb, .npy, or a PNG/JPEG (preprocessed with `image`), by extension. */
export async function readTensorFile(file: string, image: ImagePreprocess = {}): Promise<Tensor> {
  const ext = path.extname(file).toLowerCase();
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw new Error(`${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  if (ext === '.pb') return decodeTensorProto(bytes, file);
  if (ext === '.npy') return decodeNpy(bytes, file);
  if (IMAGE_EXT.has(ext)) return imageToTensor(await decodeImage(bytes, file), image);
  throw new Error(`${file}: unknown tensor file type '${ext}' (.pb, .npy, .png, .jpg/.jpeg)`);
}

/** Writes a tensor as .pb (TensorProto) or .npy, by extension. */
export async function writeTensorFile(file: string, t: Tensor): Promise<void> {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.pb') return writeFile(file, encodeTensorProto(t));
  if (ext === '.npy') return writeFile(file, encodeNpy(t));
  throw new Error(`${file}: write .pb or .npy`);
}

/** Parses "640x640" (H×W) or "224" (square). */
export function parseSize(s: string): [number, number] {
  const m = /^(\d+)(?:[xX×](\d+))?$/.exec(s.trim());
  if (!m) throw new Error(`--size ${s}: expected HxW (e.g. 640x640) or one number`);
  const h = Number(m[1]);
  const w = m[2] === undefined ? h : Number(m[2]);
  if (h <= 0 || w <= 0) throw new Error(`--size ${s}: sizes must be positive`);
  return [h, w];
}

/** Parses "0.485,0.456,0.406" (also a fraction such as 1/255 per item). */
export function parseNumberList(s: string, what: string): number[] {
  return s.split(',').map((x) => {
    const t = x.trim();
    const f = /^(.+)\/(.+)$/.exec(t);
    const v = f ? Number(f[1]) / Number(f[2]) : Number(t);
    if (!Number.isFinite(v) || t === '') throw new Error(`--${what} ${s}: '${x}' is not a number`);
    return v;
  });
}

/** Parses "1x3x224x224" (a shape; 'x' or ',' separated). */
export function parseShape(s: string, what = 'shape'): number[] {
  const parts = s.trim().split(/[x,×]/);
  const dims = parts.map(Number);
  if (parts.length === 0 || dims.some((d) => !Number.isSafeInteger(d) || d < 0)) throw new Error(`${what} ${s}: expected sizes like 1x3x224x224`);
  return dims;
}

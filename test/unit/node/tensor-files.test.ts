/** Tensor files (src/node/tensor-files.ts): TensorProto .pb and .npy round trips, refusals, PNG/JPEG preprocessing. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { type DType, type Tensor, fromNumbers } from '../../../src/graph/ir.ts';
import { onnxType } from '../../../src/graph/onnx-proto.ts';
import {
  decodeImage, decodeNpy, decodeTensorProto, encodeNpy, encodeTensorProto, imageToTensor, parseNumberList, parseShape,
  parseSize, readTensorFile, resizeBilinear, writeTensorFile,
} from '../../../src/node/tensor-files.ts';

const tmp = mkdtempSync(path.join(tmpdir(), 'winoconv-tensor-files-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const SAMPLES: [DType, number[]][] = [
  ['float32', [1.5, -2.25, 0, 3.4028234663852886e38, -1e-30, 7]],
  ['float64', [1 / 3, -2, 1e300, 0, 5e-324, 6]],
  ['int8', [-128, 127, 0, 1, -1, 5]],
  ['uint8', [0, 255, 1, 2, 3, 4]],
  ['int16', [-32768, 32767, 0, 1, 2, 3]],
  ['uint16', [0, 65535, 1, 2, 3, 4]],
  ['int32', [-(2 ** 31), 2 ** 31 - 1, 0, 1, 2, 3]],
  ['uint32', [0, 2 ** 32 - 1, 1, 2, 3, 4]],
  ['int64', [-(2 ** 53), 2 ** 53, 0, -1, 2, 3]],
  ['uint64', [0, 2 ** 53, 1, 2, 3, 4]],
  ['bool', [1, 0, 1, 1, 0, 0]],
];

function expectSame(a: Tensor, b: Tensor): void {
  expect(a.dtype).toBe(b.dtype);
  expect(a.dims).toEqual(b.dims);
  expect(Array.from(a.data as ArrayLike<number>, String)).toEqual(Array.from(b.data as ArrayLike<number>, String));
}

describe('TensorProto .pb', () => {
  it.each(SAMPLES)('%s round-trips through raw_data (name, dims, values)', (dtype, values) => {
    const t = fromNumbers('x:0', dtype, [2, 3], values);
    const back = decodeTensorProto(encodeTensorProto(t));
    expect(back.name).toBe('x:0');
    expectSame(back, t);
  });

  it('reads the typed fields (float_data, int64_data, int32_data, double_data) and scalars', () => {
    const T = onnxType('TensorProto');
    const enc = (o: object) => T.encode(T.fromObject(o)).finish();
    expect(Array.from(decodeTensorProto(enc({ dims: [3], dataType: 1, floatData: [1, 2.5, -3] })).data as Float32Array)).toEqual([1, 2.5, -3]);
    expect(Array.from(decodeTensorProto(enc({ dims: [2], dataType: 7, int64Data: [-5, '9007199254740993'] })).data as BigInt64Array)).toEqual([-5n, 9007199254740993n]);
    expect(Array.from(decodeTensorProto(enc({ dims: [2], dataType: 9, int32Data: [1, 0] })).data as Uint8Array)).toEqual([1, 0]);
    expect(Array.from(decodeTensorProto(enc({ dims: [1], dataType: 11, doubleData: [0.1] })).data as Float64Array)).toEqual([0.1]);
    const scalar = decodeTensorProto(enc({ dims: [], dataType: 1, floatData: [4] }));
    expect(scalar.dims).toEqual([]);
    expect(scalar.data.length).toBe(1);
  });

  it('refuses external data, strings, wrong lengths and garbage with clear errors', () => {
    const T = onnxType('TensorProto');
    const enc = (o: object) => T.encode(T.fromObject(o)).finish();
    expect(() => decodeTensorProto(enc({ name: 'w', dims: [4], dataType: 1, dataLocation: 1, externalData: [{ key: 'location', value: 'w.bin' }] }))).toThrow(/'w' stores its data externally \(location 'w.bin'\)/);
    expect(() => decodeTensorProto(enc({ dims: [1], dataType: 8, stringData: [new Uint8Array([65])] }))).toThrow(/STRING/);
    expect(() => decodeTensorProto(enc({ dims: [3], dataType: 1, rawData: new Uint8Array(8) }))).toThrow(/raw_data has 8 bytes; float32 \[3\] needs 12/);
    expect(() => decodeTensorProto(enc({ dims: [1], dataType: 14 }))).toThrow(/COMPLEX64/);
    expect(() => decodeTensorProto(new Uint8Array([0xff, 0xff, 0xff]), 'bad.pb')).toThrow(/bad.pb: not a TensorProto/);
  });
});

describe('.npy', () => {
  it.each(SAMPLES)('%s round-trips (header aligned to 64 bytes)', (dtype, values) => {
    const t = fromNumbers('', dtype, [3, 2], values);
    const bytes = encodeNpy(t);
    expect((10 + new DataView(bytes.buffer).getUint16(8, true)) % 64).toBe(0);
    expectSame(decodeNpy(bytes), t);
  });

  it('reads 1-D, 0-D and format 2.0 headers', () => {
    const one = fromNumbers('', 'float32', [4], [1, 2, 3, 4]);
    expect(decodeNpy(encodeNpy(one)).dims).toEqual([4]);
    const zero = decodeNpy(encodeNpy(fromNumbers('', 'float32', [], [9])));
    expect(zero.dims).toEqual([]);
    expect(zero.data[0]).toBe(9);
    // format 2.0: a 4-byte header length
    const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }".padEnd(63, ' ') + '\n';
    const b = new Uint8Array(12 + header.length + 8);
    b.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 2, 0]);
    new DataView(b.buffer).setUint32(8, header.length, true);
    b.set(new TextEncoder().encode(header), 12);
    new Float32Array(b.buffer, 12 + header.length, 2).set([5, 6]);
    expect(Array.from(decodeNpy(b).data as Float32Array)).toEqual([5, 6]);
  });

  it('refuses Fortran order, big-endian and unknown dtypes, short data, non-npy bytes', () => {
    const t = encodeNpy(fromNumbers('', 'float32', [2, 2], [1, 2, 3, 4]));
    const text = new TextDecoder('latin1').decode(t);
    const patch = (from: string, to: string) => Uint8Array.from(text.replace(from, to), (c) => c.charCodeAt(0));
    expect(() => decodeNpy(patch("'fortran_order': False", "'fortran_order': True "), 'a.npy')).toThrow(/a.npy: .*Fortran .*C order/);
    expect(() => decodeNpy(patch("'<f4'", "'>f4'"))).toThrow(/'>f4' is not supported/);
    expect(() => decodeNpy(patch("'<f4'", "'<c8'"))).toThrow(/'<c8' is not supported/);
    expect(() => decodeNpy(t.subarray(0, t.length - 4))).toThrow(/needs 16/);
    expect(() => decodeNpy(new Uint8Array(20))).toThrow(/not a .npy file/);
  });

  it('readTensorFile / writeTensorFile by extension', async () => {
    const t = fromNumbers('y', 'float32', [1, 2], [0.5, -1]);
    for (const ext of ['.pb', '.npy']) {
      const f = path.join(tmp, `t${ext}`);
      await writeTensorFile(f, t);
      expectSame(await readTensorFile(f), t);
    }
    await expect(readTensorFile(path.join(tmp, 'missing.pb'))).rejects.toThrow(/missing.pb: no such file/);
    writeFileSync(path.join(tmp, 'x.txt'), 'hi');
    await expect(readTensorFile(path.join(tmp, 'x.txt'))).rejects.toThrow(/unknown tensor file type '.txt'/);
  });
});

/** A 4×2 test image: pixel (y, x) = [10·x + y, 100 + x, 200 − y] RGB. */
function testImage(w = 4, h = 2): { width: number; height: number; data: Uint8Array } {
  const data = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set([10 * x + y, 100 + x, 200 - y, 255], (y * w + x) * 4);
  return { width: w, height: h, data };
}

describe('images', () => {
  it('PNG decodes exactly; NCHW/NHWC, RGB/BGR, scale, mean/std', async () => {
    const img = testImage();
    const png = new pngjs.PNG({ width: img.width, height: img.height });
    png.data = Buffer.from(img.data);
    const file = path.join(tmp, 'img.png');
    writeFileSync(file, pngjs.PNG.sync.write(png));
    const dec = await decodeImage(pngjs.PNG.sync.write(png));
    expect(Array.from(dec.data)).toEqual(Array.from(img.data));

    const nchw = await readTensorFile(file, { scale: 1 });
    expect(nchw.dims).toEqual([1, 3, 2, 4]);
    const d = nchw.data as Float32Array;
    // (c, y, x) = (0, 1, 2): R = 10·2 + 1
    expect(d[0 * 8 + 1 * 4 + 2]).toBe(21);
    expect(d[1 * 8 + 0 * 4 + 3]).toBe(103);
    expect(d[2 * 8 + 1 * 4 + 0]).toBe(199);

    const nhwc = await readTensorFile(file, { layout: 'nhwc', channels: 'bgr', scale: 1 / 255, mean: [0.5, 0.25, 0], std: [2, 1, 0.5] });
    expect(nhwc.dims).toEqual([1, 2, 4, 3]);
    const e = nhwc.data as Float32Array;
    const at = (y: number, x: number, c: number) => e[(y * 4 + x) * 3 + c];
    // BGR: channel 0 is blue = 200 − y
    expect(at(1, 2, 0)).toBeCloseTo((199 / 255 - 0.5) / 2, 6);
    expect(at(1, 2, 1)).toBeCloseTo((102 / 255 - 0.25) / 1, 6);
    expect(at(1, 2, 2)).toBeCloseTo((21 / 255 - 0) / 0.5, 6);
  });

  it('JPEG decodes (within JPEG loss) and resizes bilinearly', async () => {
    const w = 16;
    const h = 8;
    const data = new Uint8Array(w * h * 4);
    for (let i = 0; i < w * h; i++) data.set([120, 60, 200, 255], i * 4);
    const file = path.join(tmp, 'img.jpg');
    writeFileSync(file, jpeg.encode({ width: w, height: h, data }, 100).data);
    const t = await readTensorFile(file, { size: [4, 8], scale: 1 });
    expect(t.dims).toEqual([1, 3, 4, 8]);
    const d = t.data as Float32Array;
    expect(Math.abs(d[0] - 120)).toBeLessThanOrEqual(3);
    expect(Math.abs(d[32] - 60)).toBeLessThanOrEqual(3);
    expect(Math.abs(d[64 + 31] - 200)).toBeLessThanOrEqual(3);
  });

  it('bilinear resize: half-pixel centres, exact on a linear ramp, identity at the same size', () => {
    const w = 8;
    const img = { width: w, height: 1, data: new Uint8Array(w * 4) };
    for (let x = 0; x < w; x++) img.data.set([x * 20, 0, 0, 255], x * 4);
    const r = resizeBilinear(img, 1, 4);
    // output x samples input at 2x + 0.5: value 20·(2x + 0.5)
    expect([0, 1, 2, 3].map((x) => r.data[x * 4])).toEqual([10, 50, 90, 130]);
    expect(resizeBilinear(img, 1, 8)).toBe(img);
    const t = imageToTensor(testImage(), { size: [2, 4], scale: 1 });
    expect(t.data[0]).toBe(0);
  });

  it('refuses what it cannot read and bad flags', async () => {
    await expect(decodeImage(new Uint8Array([1, 2, 3, 4]), 'x.png')).rejects.toThrow(/x.png: neither PNG nor JPEG/);
    expect(() => imageToTensor(testImage(), { mean: [1, 2] })).toThrow(/--mean: give 1 or 3 values/);
    expect(() => imageToTensor(testImage(), { std: [0] })).toThrow(/std 0/);
    expect(parseSize('640x480')).toEqual([640, 480]);
    expect(parseSize('224')).toEqual([224, 224]);
    expect(() => parseSize('big')).toThrow(/HxW/);
    expect(parseNumberList('0.485, 1/255', 'mean')).toEqual([0.485, 1 / 255]);
    expect(() => parseNumberList('a', 'std')).toThrow(/--std a/);
    expect(parseShape('1x3x224x224')).toEqual([1, 3, 224, 224]);
  });
});

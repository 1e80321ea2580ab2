/**
 * What the CLI verbs read as inputs: the image preprocessing flags (`run`, `quantize`, scripts/qdq-bisect.ts) and the
 * calibration files of `--calibrate PATH...` (`quantize`, `run --tapwise`).
 */
import type { ImagePreprocess } from '../node/tensor-files.ts';

const TENSOR_EXT = /\.(png|jpe?g|pb|npy)$/i;

/** The image preprocessing flags `run` and `quantize` share (README "winoconv run"). */
export const IMAGE_OPTIONS = {
  size: { type: 'string' },
  layout: { type: 'string' },
  scale: { type: 'string' },
  mean: { type: 'string' },
  std: { type: 'string' },
  bgr: { type: 'boolean' },
} as const;

/** --size HxW --layout nchw|nhwc --scale S --mean m1,m2,m3 --std s1,s2,s3 --bgr → ImagePreprocess. */
export async function imagePreprocessFrom(values: Record<string, unknown>): Promise<ImagePreprocess> {
  const { parseSize, parseNumberList } = await import('../node/tensor-files.ts');
  const image: ImagePreprocess = {};
  if (values.size !== undefined) image.size = parseSize(values.size as string);
  if (values.layout !== undefined) {
    const l = String(values.layout).toLowerCase();
    if (l !== 'nchw' && l !== 'nhwc') throw new Error(`--layout ${String(values.layout)}: nchw or nhwc`);
    image.layout = l;
  }
  if (values.scale !== undefined) image.scale = parseNumberList(values.scale as string, 'scale')[0];
  if (values.mean !== undefined) image.mean = parseNumberList(values.mean as string, 'mean');
  if (values.std !== undefined) image.std = parseNumberList(values.std as string, 'std');
  if (values.bgr) image.channels = 'bgr';
  return image;
}

/**
 * The model's bytes, its one float32 input and the calibration inputs of `--calibrate PATH...` (files or folders of
 * .png/.jpg/.jpeg/.pb/.npy; images preprocessed by the image flags), each checked against the input's shape.
 * `winoconv quantize` and `winoconv run --tapwise` share it.
 */
export async function loadCalibration(modelPath: string, paths: readonly string[], values: Record<string, unknown>): Promise<{
  bytes: Uint8Array;
  input: { name: string; shape?: readonly (number | string)[] };
  data: { label: string; inputs: Record<string, { dims: number[]; data: Float32Array }> }[];
}> {
  const { readFile, readdir, stat } = await import('node:fs/promises');
  const path = await import('node:path');
  const files: string[] = [];
  for (const p of paths) {
    let st;
    try {
      st = await stat(p);
    } catch {
      throw new Error(`--calibrate ${p}: no such file or folder`);
    }
    if (st.isDirectory()) {
      const inDir = (await readdir(p)).filter((f) => TENSOR_EXT.test(f)).sort().map((f) => path.join(p, f));
      if (inDir.length === 0) throw new Error(`--calibrate ${p}: the folder holds no .png/.jpg/.jpeg/.pb/.npy file`);
      files.push(...inDir);
    } else if (!TENSOR_EXT.test(p)) throw new Error(`--calibrate ${p}: expected a .png, .jpg, .jpeg, .pb or .npy file`);
    else files.push(p);
  }
  let bytes: Uint8Array;
  try {
    bytes = await readFile(modelPath);
  } catch (e) {
    throw new Error(`${modelPath}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  const { decodeOnnx } = await import('../graph/onnx-import.ts');
  const declared = decodeOnnx(bytes);
  if (declared.inputs.length !== 1 || declared.inputs[0].dtype !== 'float32') {
    throw new Error(`${modelPath}: calibration takes models with one float32 input; this one has ${declared.inputs.map((i) => `'${i.name}' (${i.dtype})`).join(', ') || 'none'}`);
  }
  const input = declared.inputs[0];
  const image = await imagePreprocessFrom(values);
  const { readTensorFile } = await import('../node/tensor-files.ts');
  const { toFloat32 } = await import('../graph/test-data.ts');
  const data = [];
  for (const f of files) {
    const t = await readTensorFile(f, image);
    if (input.shape && input.shape.length !== t.dims.length) {
      throw new Error(`--calibrate ${f}: a tensor of shape [${t.dims.join(', ')}] for input '${input.name}' of rank ${input.shape.length} [${input.shape.join(', ')}]`);
    }
    input.shape?.forEach((d, i) => {
      if (typeof d === 'number' && d !== t.dims[i]) throw new Error(`--calibrate ${f}: shape [${t.dims.join(', ')}] does not match input '${input.name}' [${input.shape!.join(', ')}] at dim ${i} (give --size for images)`);
    });
    data.push({ label: path.basename(f), inputs: { [input.name]: { dims: t.dims, data: toFloat32(t) } } });
  }
  return { bytes, input, data };
}

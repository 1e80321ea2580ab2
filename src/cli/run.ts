/**
 * `winoconv run MODEL.onnx [--input NAME=FILE ...] [--input-shape NAME=1x3x224x224 ...] [--browser] [--profile]
 * [--runs N] [--output-dir DIR] [image preprocessing flags]` (DESIGN.md §6).
 */
import type { Verb } from './main.ts';
import type { Tensor } from '../graph/ir.ts';
import type { ImagePreprocess } from '../node/tensor-files.ts';

export const runVerb: Verb = {
  summary:
    'Run an ONNX model once through a winoconv session. --input NAME=FILE (repeatable; FILE is .pb, .npy, or a PNG/JPEG ' +
    'preprocessed with --size HxW --layout nchw|nhwc --scale S (default 1/255) --mean m1,m2,m3 --std s1,s2,s3 --bgr); ' +
    'inputs not given get seeded uniform [0, 1) data (--seed N, default 1) of their shape (--input-shape NAME=1x3x224x224 ' +
    'binds symbolic dims). Prints session creation time, first-run latency and the median of --runs N (default 5) steady ' +
    'runs, and each output\'s name, shape, min, max, mean, std (argmax for outputs of ≤ 100000 elements). --profile adds ' +
    'the per-node table (op, output shape, algorithm, GPU ms) and the memory line. --output-dir DIR writes output_K.pb.',
  usage:
    'winoconv run MODEL.onnx [--input NAME=FILE ...] [--input-shape NAME=SHAPE ...] [--browser] [--profile] [--runs N] [--output-dir DIR] ' +
    '[--seed N] [--size HxW] [--layout nchw|nhwc] [--scale S] [--mean M] [--std S] [--bgr]',
  options: {
    input: { type: 'string', multiple: true },
    'input-shape': { type: 'string', multiple: true },
    browser: { type: 'boolean' },
    profile: { type: 'boolean' },
    runs: { type: 'string' },
    'output-dir': { type: 'string' },
    seed: { type: 'string' },
    size: { type: 'string' },
    layout: { type: 'string' },
    scale: { type: 'string' },
    mean: { type: 'string' },
    std: { type: 'string' },
    bgr: { type: 'boolean' },
  },
  gpu: (v) => (v.browser ? { browser: true } : { node: true }),
  allowPositionals: true,
  async run(values, positionals) {
    if (positionals.length !== 1) throw new Error('give one model: winoconv run MODEL.onnx [--input NAME=FILE ...]');
    const prepared = await prepareRun(positionals[0], values);
    const runs = values.runs === undefined ? 5 : Number(values.runs);
    if (!Number.isSafeInteger(runs) || runs < 0) throw new Error(`--runs ${String(values.runs)}: expected an integer ≥ 0`);
    const profile = Boolean(values.profile);
    const { formatRunReport } = await import('./run-model.ts');
    for (const l of prepared.notes) console.log(l);
    let report;
    let outputs: Record<string, Float32Array>;
    if (values.browser) ({ report, outputs } = await runInBrowser(prepared, runs, profile, values['output-dir'] !== undefined));
    else {
      const { createNodeEngine } = await import('../node/engine.ts');
      const { runModel } = await import('./run-model.ts');
      const engine = await createNodeEngine();
      try {
        ({ report, outputs } = await runModel(engine, prepared.model, prepared.inputs, { inputShapes: prepared.inputShapes, runs, profile }));
      } finally {
        engine.destroy();
      }
    }
    for (const l of formatRunReport(report, profile)) console.log(l);
    const dir = values['output-dir'] as string | undefined;
    if (dir) {
      const { mkdir } = await import('node:fs/promises');
      const path = await import('node:path');
      const { writeTensorFile } = await import('../node/tensor-files.ts');
      await mkdir(dir, { recursive: true });
      for (const [k, o] of report.info.outputs.entries()) {
        const file = path.join(dir, `output_${k}.pb`);
        await writeTensorFile(file, { name: o.name, dtype: 'float32', dims: o.shape, data: outputs[o.name] });
        console.log(`wrote ${file} (${o.name})`);
      }
    }
    return 0;
  },
};

export interface PreparedRun {
  modelPath: string;
  model: Uint8Array;
  inputs: Record<string, Float32Array>;
  inputShapes: Record<string, number[]>;
  /** What was read or generated, one line per input. */
  notes: string[];
}

/** "NAME=VALUE" → [NAME, VALUE] (at the first '='; file paths may hold more), or [undefined, s]. */
function splitAssignment(s: string): [string | undefined, string] {
  const i = s.indexOf('=');
  if (i <= 0) return [undefined, s];
  return [s.slice(0, i), s.slice(i + 1)];
}

/** Reads the model and the input files, generates the missing inputs; everything `run` needs before a GPU. */
export async function prepareRun(modelPath: string, values: Record<string, unknown>): Promise<PreparedRun> {
  const { readFile } = await import('node:fs/promises');
  const { decodeOnnx } = await import('../graph/onnx-import.ts');
  const { readTensorFile, parseShape, parseSize, parseNumberList } = await import('../node/tensor-files.ts');
  const { toFloat32 } = await import('../graph/test-data.ts');
  const { mulberry32 } = await import('../util/random.ts');
  let model: Uint8Array;
  try {
    model = await readFile(modelPath);
  } catch (e) {
    throw new Error(`${modelPath}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  const graph = decodeOnnx(model);
  const names = graph.inputs.map((v) => v.name);
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

  const shapes: Record<string, number[]> = {};
  for (const s of (values['input-shape'] as string[] | undefined) ?? []) {
    const [n, v] = splitAssignment(s);
    const name = n ?? (names.length === 1 ? names[0] : undefined);
    if (name === undefined) throw new Error(`--input-shape ${s}: write NAME=SHAPE (inputs: ${names.join(', ')})`);
    if (!names.includes(name)) throw new Error(`--input-shape ${s}: the model has no input '${name}' (inputs: ${names.join(', ')})`);
    shapes[name] = parseShape(v, '--input-shape');
  }
  const given: Record<string, Tensor> = {};
  const notes: string[] = [];
  for (const s of (values.input as string[] | undefined) ?? []) {
    const [n, file] = splitAssignment(s);
    const name = n ?? (names.length === 1 ? names[0] : undefined);
    if (name === undefined) throw new Error(`--input ${s}: write NAME=FILE (inputs: ${names.join(', ')})`);
    if (!names.includes(name)) throw new Error(`--input ${s}: the model has no input '${name}' (inputs: ${names.join(', ')})`);
    given[name] = await readTensorFile(file, image);
    notes.push(`input ${name} [${given[name].dims.join(', ')}] ${given[name].dtype} from ${file}`);
  }
  const inputs: Record<string, Float32Array> = {};
  const inputShapes: Record<string, number[]> = {};
  const seed = values.seed === undefined ? 1 : Number(values.seed);
  if (!Number.isSafeInteger(seed)) throw new Error(`--seed ${String(values.seed)}: expected an integer`);
  graph.inputs.forEach((v, k) => {
    const t = given[v.name];
    if (t) {
      if (shapes[v.name] && shapes[v.name].join('x') !== t.dims.join('x')) throw new Error(`input ${v.name}: --input-shape [${shapes[v.name].join(', ')}] but the file holds [${t.dims.join(', ')}]`);
      inputs[v.name] = toFloat32(t);
      inputShapes[v.name] = t.dims;
      return;
    }
    let shape = shapes[v.name];
    if (!shape) {
      if (!v.shape) throw new Error(`input ${v.name}: the model declares no shape; give --input-shape ${v.name}=SHAPE`);
      const sym = v.shape.filter((d) => typeof d === 'string');
      if (sym.length) throw new Error(`input ${v.name} [${v.shape.join(', ')}] has symbolic dims (${sym.join(', ')}): give --input-shape ${v.name}=SHAPE or --input ${v.name}=FILE`);
      shape = v.shape as number[];
    }
    const n = shape.reduce((a, b) => a * b, 1);
    const rng = mulberry32(seed + k);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = rng();
    inputs[v.name] = data;
    inputShapes[v.name] = shape;
    notes.push(`input ${v.name} [${shape.join(', ')}] seeded uniform [0, 1) (seed ${seed + k})`);
  });
  return { modelPath, model, inputs, inputShapes, notes };
}

async function runInBrowser(p: PreparedRun, runs: number, profile: boolean, wantOutputs: boolean) {
  const { openBrowserSession } = await import('../node/browser-session.ts');
  const { encodeTensorProto, decodeTensorProto } = await import('../graph/test-data.ts');
  const served = new Map<string, string | Uint8Array>([['/__winoconv/run/model.onnx', p.modelPath]]);
  const inputUrls: Record<string, string> = {};
  for (const [k, [name, data]] of Object.entries(p.inputs).entries()) {
    const url = `/__winoconv/run/input_${k}.pb`;
    served.set(url, encodeTensorProto({ name, dtype: 'float32', dims: p.inputShapes[name], data }));
    inputUrls[name] = url;
  }
  const session = await openBrowserSession({ page: 'src/cli/browser/index.html', readyGlobal: '__winoconvCli', install: true, prebundle: ['protobufjs/light.js'], serve: (u) => served.get(u) });
  try {
    const r = await session.page.evaluate(
      (a) => window.__winoconvCli!.runModel(a),
      { model: '/__winoconv/run/model.onnx', inputs: inputUrls, inputShapes: p.inputShapes, runs, profile, returnOutputs: wantOutputs },
    );
    const outputs: Record<string, Float32Array> = {};
    for (const [n, b64] of Object.entries(r.outputs)) outputs[n] = decodeTensorProto(Buffer.from(b64, 'base64'), n).data as Float32Array;
    return { report: r.report, outputs };
  } finally {
    await session.close();
  }
}

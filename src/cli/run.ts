/**
 * `winoconv run MODEL.onnx [--input NAME=FILE ...] [--input-shape NAME=1x3x224x224 ...] [--browser] [--profile]
 * [--runs N] [--output-dir DIR] [--peers ort-webgpu,ort-wasm [--peer-runs N] [--peer-timeout S]] [--json FILE]
 * [image preprocessing flags]` (DESIGN.md §6). The peers: src/cli/peers.ts.
 */
import type { Verb } from './verb.ts';
import { IMAGE_OPTIONS, imagePreprocessFrom } from './inputs.ts';
import type { Tensor } from '../graph/ir.ts';
import type { RunModelReport } from './run-model.ts';
import type { PeerEvent, PeerName, PeerResult } from './peers.ts';


interface PeerOptions {
  peers: PeerName[];
  /** Steady runs after the first. */
  runs: number;
  timeoutS: number;
}

export const runVerb: Verb = {
  summary:
    'Run an ONNX model once through a winoconv session. --input NAME=FILE (repeatable; FILE is .pb, .npy, or a PNG/JPEG ' +
    'preprocessed with --size HxW --layout nchw|nhwc --scale S (default 1/255) --mean m1,m2,m3 --std s1,s2,s3 --bgr); ' +
    'inputs not given get seeded uniform [0, 1) data (--seed N, default 1) of their shape (--input-shape NAME=1x3x224x224 ' +
    'binds symbolic dims). Prints session creation time, first-run latency and the median of --runs N (default 5) steady ' +
    'runs, and each output\'s name, shape, min, max, mean, std (argmax for outputs of ≤ 100000 elements). --profile adds ' +
    'the per-node table (op, output shape, algorithm, GPU ms) and the memory line. --output-dir DIR writes output_K.pb. ' +
    '--peers ort-webgpu,ort-wasm then runs the same model on the same inputs in ONNX Runtime Web (ort-webgpu: its WebGPU ' +
    'execution provider, in the page, needs --browser; ort-wasm: its wasm backend, SIMD, one thread, in the page with ' +
    '--browser, else in a Node worker) and prints per peer session creation ms, first-run ms, the median of --peer-runs N ' +
    '(default 1) steady runs, its ratio to winoconv\'s steady median, and each output\'s max abs / max rel difference ' +
    'from winoconv\'s; a peer still running after --peer-timeout SECONDS (default 600) is reported as timed out. ' +
    '--json FILE writes {model, adapter, browser, winoconv, peers} (README). --tapwise DB --calibrate PATH... (Node; a ' +
    'quantized model with one float input) creates the session with tap-wise int8 Winograd per layer (SessionOptions.tapwise: ' +
    'per-layer SQNR floor DB against exact int8 on the layers\' real inputs from the calibration files, read like quantize\'s ' +
    '--calibrate; whole-model check --tapwise-check top1|DB, default DB = the floor) and prints what each layer chose and why. ' +
    '--precision float16|float32 sets SessionOptions.precision (float activations stored as binary16 or float32; default float16 for a float16 model, else float32).',
  usage:
    'winoconv run MODEL.onnx [--input NAME=FILE ...] [--input-shape NAME=SHAPE ...] [--browser] [--profile] [--runs N] [--output-dir DIR] ' +
    '[--peers ort-webgpu,ort-wasm] [--peer-runs N] [--peer-timeout SECONDS] [--json FILE] ' +
    '[--seed N] [--size HxW] [--layout nchw|nhwc] [--scale S] [--mean M] [--std S] [--bgr] [--tapwise DB --calibrate PATH... [--tapwise-check top1|DB]] [--precision float32|float16]',
  options: {
    tapwise: { type: 'string' },
    precision: { type: 'string' },
    calibrate: { type: 'string', multiple: true },
    'tapwise-check': { type: 'string' },
    input: { type: 'string', multiple: true },
    'input-shape': { type: 'string', multiple: true },
    browser: { type: 'boolean' },
    profile: { type: 'boolean' },
    runs: { type: 'string' },
    'output-dir': { type: 'string' },
    seed: { type: 'string' },
    ...IMAGE_OPTIONS,
    peers: { type: 'string' },
    'peer-runs': { type: 'string' },
    'peer-timeout': { type: 'string' },
    json: { type: 'string' },
  },
  gpu: (v) => (v.browser ? { browser: true } : { node: true }),
  allowPositionals: true,
  async run(values, positionals) {
    if (positionals.length !== 1) throw new Error('give one model: winoconv run MODEL.onnx [--input NAME=FILE ...]');
    const runs = values.runs === undefined ? 5 : Number(values.runs);
    if (!Number.isSafeInteger(runs) || runs < 0) throw new Error(`--runs ${String(values.runs)}: expected an integer ≥ 0`);
    const profile = Boolean(values.profile);
    const { parsePeers, parseSeconds } = await import('./peers.ts');
    const peers = values.peers === undefined ? [] : parsePeers(values.peers as string, Boolean(values.browser));
    const peerRuns = values['peer-runs'] === undefined ? 1 : Number(values['peer-runs']);
    if (!Number.isSafeInteger(peerRuns) || peerRuns < 0) throw new Error(`--peer-runs ${String(values['peer-runs'])}: expected an integer ≥ 0`);
    const peerTimeoutS = values['peer-timeout'] === undefined ? 600 : parseSeconds(values['peer-timeout'], '--peer-timeout');
    const peerOpts: PeerOptions = { peers, runs: peerRuns, timeoutS: peerTimeoutS };
    const tapwise = await tapwiseFrom(positionals[0], values);
    const precision = values.precision as string | undefined;
    if (precision !== undefined && precision !== 'float32' && precision !== 'float16') throw new Error(`--precision ${precision}: expected float32 or float16`);
    const prepared = await prepareRun(positionals[0], values);
    const { formatRunReport } = await import('./run-model.ts');
    for (const l of prepared.notes) console.log(l);
    let report;
    let outputs: Record<string, Float32Array>;
    let peerResults: PeerResult[] = [];
    let browserVersion: string | undefined;
    const printReport = (r: RunModelReport) => {
      for (const l of formatRunReport(r, profile)) console.log(l);
    };
    if (values.browser) ({ report, outputs, peerResults, browserVersion } = await runInBrowser(prepared, runs, profile, values['output-dir'] !== undefined || peers.length > 0, peerOpts, printReport, precision as 'float32' | 'float16' | undefined));
    else {
      const { createNodeEngine } = await import('../node/engine.ts');
      const { runModel } = await import('./run-model.ts');
      const engine = await createNodeEngine();
      try {
        ({ report, outputs } = await runModel(engine, prepared.model, prepared.inputs, { inputShapes: prepared.inputShapes, runs, profile, tapwise, precision: precision as 'float32' | 'float16' | undefined }));
      } finally {
        engine.destroy();
      }
      printReport(report);
      peerResults = await runNodePeers(prepared, report, outputs, peerOpts);
    }
    const ours = { createMs: report.createMs, firstMs: report.firstRunMs, runMs: report.steadyMs };
    if (peers.length) {
      const { formatPeerReport } = await import('./peers.ts');
      for (const l of formatPeerReport(ours, peerResults)) console.log(l);
    }
    if (values.json !== undefined) {
      const { writeFile } = await import('node:fs/promises');
      const { runJson } = await import('./peers.ts');
      await writeFile(values.json as string, JSON.stringify(runJson(prepared.modelPath, report.adapter, browserVersion, ours, peerResults), null, 2) + '\n');
      console.log(`wrote ${values.json as string}`);
    }
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

/** --tapwise DB --calibrate PATH... [--tapwise-check top1|DB] → SessionOptions.tapwise (undefined without --tapwise). */
async function tapwiseFrom(modelPath: string, values: Record<string, unknown>): Promise<import('../graph/tapwise-select.ts').TapwiseOptions | undefined> {
  const cal = values.calibrate as string[] | undefined;
  if (values.tapwise === undefined) {
    if (cal !== undefined || values['tapwise-check'] !== undefined) throw new Error(`--${cal !== undefined ? 'calibrate' : 'tapwise-check'}: only with --tapwise DB`);
    return undefined;
  }
  if (values.browser) throw new Error('--tapwise: runs in Node only (the calibration files are read here); drop --browser');
  const minSqnrDb = Number(values.tapwise);
  if (!(Number.isFinite(minSqnrDb) && minSqnrDb > 0)) throw new Error(`--tapwise ${String(values.tapwise)}: the per-layer SQNR floor, a number of dB > 0`);
  if (!cal?.length) throw new Error('--tapwise needs --calibrate PATH... (calibration images, .pb or .npy tensors, or folders of them)');
  const c = values['tapwise-check'] as string | undefined;
  let check: 'top1' | { outputSqnrDb: number } | undefined;
  if (c !== undefined) {
    if (c === 'top1') check = 'top1';
    else if (Number(c) > 0) check = { outputSqnrDb: Number(c) };
    else throw new Error(`--tapwise-check ${c}: 'top1' or a number of dB > 0`);
  }
  const { loadCalibration } = await import('./inputs.ts');
  const { data } = await loadCalibration(modelPath, cal, values);
  return { calibration: data.map((d) => Object.fromEntries(Object.entries(d.inputs).map(([k, v]) => [k, v.data]))), minSqnrDb, ...(check ? { check } : {}) };
}

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
  const { readTensorFile, parseShape } = await import('../node/tensor-files.ts');
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
  const image = await imagePreprocessFrom(values);

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

/** Prints a line every 30 s while a peer runs (its own events print as they come). */
function heartbeat(name: PeerName, stage: () => string): () => void {
  const t0 = performance.now();
  const id = setInterval(() => console.log(`${name}: still running after ${((performance.now() - t0) / 1000).toFixed(0)} s (${stage()})`), 30_000);
  return () => clearInterval(id);
}

async function runNodePeers(p: PreparedRun, report: RunModelReport, ours: Record<string, Float32Array>, o: PeerOptions): Promise<PeerResult[]> {
  const { applyPeerEvent, failedPeer, formatPeerEvent, peerResult, peerStage } = await import('./peers.ts');
  const { runWasmPeerInWorker } = await import('../node/ort-peer-worker.ts');
  const results: PeerResult[] = [];
  const inputs = Object.fromEntries(Object.entries(p.inputs).map(([n, data]) => [n, { dims: p.inputShapes[n], data }]));
  const order = report.info.outputs.map((x) => x.name);
  for (const name of o.peers) {
    // parsePeers lets only ort-wasm through without --browser
    const backend = 'onnxruntime-web wasm backend, SIMD, 1 thread, in a Node worker';
    console.log(`${name}: running (${backend}; first run + ${o.runs} steady run(s); timeout ${o.timeoutS} s)…`);
    const partial: { createMs?: number; firstMs?: number; runMs: number[] } = { runMs: [] };
    const stop = heartbeat(name, () => peerStage(partial, o.runs));
    let r;
    try {
      r = await runWasmPeerInWorker(p.model, inputs, o.runs, o.timeoutS * 1000, (e: PeerEvent) => {
        applyPeerEvent(partial, e);
        console.log(formatPeerEvent(name, e));
      });
    } finally {
      stop();
    }
    if (r.status === 'ok') results.push(peerResult(name, r.run, ours, order, `onnxruntime-web ${r.run.version} wasm, SIMD, 1 thread, Node worker`));
    else if (r.status === 'timeout') results.push(failedPeer(name, 'timeout', `timed out after ${o.timeoutS} s (${peerStage(partial, o.runs)})`, partial, backend));
    else results.push(failedPeer(name, 'error', r.message, partial, backend));
  }
  return results;
}

async function runInBrowser(p: PreparedRun, runs: number, profile: boolean, wantOutputs: boolean, o: PeerOptions, printReport: (r: RunModelReport) => void, precision?: 'float32' | 'float16') {
  const { openBrowserSession } = await import('../node/browser-session.ts');
  const { encodeTensorProto, decodeTensorProto } = await import('../graph/test-data.ts');
  const { PEER_PROGRESS_PREFIX, applyPeerEvent, failedPeer, formatPeerEvent, pageErrorMessage, peerResult, peerStage } = await import('./peers.ts');
  const served = new Map<string, string | Uint8Array>([['/__winoconv/run/model.onnx', p.modelPath]]);
  const inputUrls: Record<string, string> = {};
  for (const [k, [name, data]] of Object.entries(p.inputs).entries()) {
    const url = `/__winoconv/run/input_${k}.pb`;
    served.set(url, encodeTensorProto({ name, dtype: 'float32', dims: p.inputShapes[name], data }));
    inputUrls[name] = url;
  }
  // Progress events of the peer running now (the page logs them as JSON after PEER_PROGRESS_PREFIX).
  let onEvent: ((e: PeerEvent) => void) | undefined;
  const verbose = Boolean(process.env.WINOCONV_VERBOSE);
  const onConsole = (l: string) => {
    if (l.startsWith(PEER_PROGRESS_PREFIX)) {
      try {
        onEvent?.(JSON.parse(l.slice(PEER_PROGRESS_PREFIX.length)) as PeerEvent);
      } catch {
        // not an event: ignore
      }
    } else if (verbose) console.log(`[page] ${l}`);
  };
  const open = () =>
    openBrowserSession({ page: 'src/cli/browser/index.html', readyGlobal: '__winoconvCli', install: true, prebundle: ['protobufjs/light.js'], serve: (u) => served.get(u), onConsole });
  // Everything the page loads (ORT's bundle and .wasm, the model, the inputs) comes from the local dev server: a
  // request for anything else is printed (none is expected).
  const watch = (sess: Awaited<ReturnType<typeof open>>) => {
    const origin = new URL(sess.url).origin;
    sess.page.on('request', (req) => {
      const u = req.url();
      if (!u.startsWith(origin + '/') && !/^(data|blob):/.test(u)) console.log(`warning: the page requested ${u} (not the local server)`);
    });
    return sess;
  };
  let session = watch(await open());
  try {
    const browserVersion = session.version;
    const r = await session.page.evaluate(
      (a) => window.__winoconvCli!.runModel(a),
      { model: '/__winoconv/run/model.onnx', inputs: inputUrls, inputShapes: p.inputShapes, runs, profile, returnOutputs: wantOutputs, precision },
    );
    const outputs: Record<string, Float32Array> = {};
    for (const [n, b64] of Object.entries(r.outputs)) outputs[n] = decodeTensorProto(Buffer.from(b64, 'base64'), n).data as Float32Array;
    printReport(r.report);
    const peerResults: PeerResult[] = [];
    const order = r.report.info.outputs.map((x) => x.name);
    for (const name of o.peers) {
      const backend = name === 'ort-webgpu' ? 'onnxruntime-web webgpu EP, in the page' : 'onnxruntime-web wasm backend, SIMD, 1 thread, in the page';
      console.log(`${name}: running (${backend}; first run + ${o.runs} steady run(s); timeout ${o.timeoutS} s)…`);
      const partial: { createMs?: number; firstMs?: number; runMs: number[] } = { runMs: [] };
      onEvent = (e) => {
        applyPeerEvent(partial, e);
        console.log(formatPeerEvent(name, e));
      };
      const stop = heartbeat(name, () => peerStage(partial, o.runs));
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), o.timeoutS * 1000)));
      try {
        const run = session.page.evaluate((a) => window.__winoconvCli!.ortPeer(a), { name, model: '/__winoconv/run/model.onnx', inputs: inputUrls, runs: o.runs });
        run.catch(() => undefined); // a run abandoned at the timeout rejects when its page closes
        const got = await Promise.race([run, timedOut]);
        if (got === 'timeout') {
          peerResults.push(failedPeer(name, 'timeout', `timed out after ${o.timeoutS} s (${peerStage(partial, o.runs)})`, partial, backend));
          // The page may still be busy with it (a wasm run holds its thread, WebGPU work its device): a new browser
          // for the peers still to run.
          await session.close();
          if (o.peers.indexOf(name) < o.peers.length - 1) {
            console.log(`${name}: timed out; a new browser for the next peer`);
            session = watch(await open());
          }
          continue;
        }
        const outs = Object.fromEntries(Object.entries(got.outputs).map(([n, x]) => {
          const b = Buffer.from(x.data, 'base64');
          return [n, { dims: x.dims, data: new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)) }];
        }));
        peerResults.push(peerResult(name, { ...got, outputs: outs }, outputs, order, `onnxruntime-web ${got.version} ${name === 'ort-webgpu' ? 'webgpu EP' : 'wasm, SIMD, 1 thread'}, in the page`));
      } catch (e) {
        peerResults.push(failedPeer(name, 'error', pageErrorMessage((e as Error).message ?? String(e)), partial, backend));
      } finally {
        clearTimeout(timer);
        stop();
        onEvent = undefined;
      }
    }
    return { report: r.report, outputs, peerResults, browserVersion };
  } finally {
    await session.close();
  }
}

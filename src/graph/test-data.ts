/**
 * ONNX test data (DESIGN.md §2a): the TensorProto `.pb` codec, the output judge and one data set's run, pure and
 * browser-safe (no node:*), so `winoconv onnx-test` runs the same code in Node and on the --browser page.
 *
 * A test-data directory is `model.onnx` beside `test_data_set_N/input_K.pb` and `output_K.pb` (ONNX's backend
 * tests, ONNX Runtime's onnx_test_runner). input_K/output_K map to the model's graph inputs/outputs in order, or by
 * the TensorProto's name when it names one of them.
 */
import { ONNX_DTYPE_CODES, type DType, type Graph, type Tensor, toNumbers, toRawData } from './ir.ts';
import { onnxType } from './onnx-proto.ts';
import { type PTensor, convertTensor, decodeOnnx } from './onnx-import.ts';
import type { RuntimeDType, SessionTensor } from './runtime-types.ts';

// ---------------------------------------------------------------------------------------------- TensorProto

/** Decodes a serialized TensorProto (a `.pb` file) with the model importer's tensor rules (convertTensor). */
export function decodeTensorProto(bytes: Uint8Array, what = 'tensor'): Tensor {
  let t: PTensor;
  try {
    const T = onnxType('TensorProto');
    t = T.toObject(T.decode(bytes), { defaults: true, arrays: true }) as unknown as PTensor;
  } catch (e) {
    throw new Error(`${what}: not a TensorProto (${(e as Error).message})`);
  }
  return convertTensor(t, what);
}

/** Serializes a tensor as a TensorProto with raw_data (what ONNX's own test data uses). */
export function encodeTensorProto(t: Tensor): Uint8Array {
  const T = onnxType('TensorProto');
  return T.encode(T.fromObject({ name: t.name, dims: t.dims, dataType: ONNX_DTYPE_CODES[t.dtype], rawData: toRawData(t.data) })).finish();
}

/** A float32 tensor. */
export function float32Tensor(name: string, dims: readonly number[], data: Float32Array): Tensor {
  const n = dims.reduce((a, b) => a * b, 1);
  if (n !== data.length) throw new Error(`${name}: [${dims.join(', ')}] needs ${n} values, got ${data.length}`);
  return { name, dtype: 'float32', dims: [...dims], data };
}

// ---------------------------------------------------------------------------------------------- judge

export interface Tolerance {
  /** Pass when max|y − ref| / max|ref| ≤ rtol ... */
  rtol: number;
  /** ... or when max|y − ref| ≤ atol. */
  atol: number;
  /**
   * Quantized integer outputs (int8, uint8, int16, uint16, int32): pass when every element is within intTol of the
   * reference (in LSB; default 1: ONNX Runtime and the ONNX reference may round a requantization differently).
   * int64, uint32, uint64 (shapes, indices) and bool: always exact.
   */
  intTol?: number;
  /**
   * float16 reference outputs (a float16 model's): rtol for them (default FLOAT16_RTOL; `--rtol` sets both). A
   * float16 reference holds 11 significant bits, and both runs round every activation to them.
   */
  rtol16?: number;
}

/**
 * Defaults of `winoconv onnx-test`: rtol 1e-4 of the output's range; atol 1e-6 for outputs that are (nearly) all zero;
 * integer outputs within 1 LSB.
 */
export const DEFAULT_TOLERANCE: Required<Omit<Tolerance, 'rtol16'>> = { rtol: 1e-4, atol: 1e-6, intTol: 1 };

/**
 * rtol of float16 reference outputs. Measured (SwiftShader, 2026-12-04): BlazeFace front, MobileNetV2 and SqueezeNet
 * converted to float16 (graph/float16.ts float16Model), winoconv's float16 session against ONNX Runtime CPU's run of
 * the same float16 model: max rel 2.1e-3, 1.5e-3, 4.7e-4 (README); 1e-2 leaves 4.7x, while a dropped term, a wrong half
 * or a float32 value read as halves is off by far more.
 */
export const FLOAT16_RTOL = 1e-2;

export interface OutputVerdict {
  pass: boolean;
  /** max|y − ref| (NaN/Inf mismatches count as Infinity); integer/bool outputs: the largest difference. */
  maxAbsError: number;
  /** maxAbsError / max|ref| (0/0 = 0; x/0 = Infinity). */
  maxRelError: number;
  /** Why it failed ('' when it passed). */
  message: string;
  /** Integer/bool outputs: how many elements differ from the reference at all. */
  differing?: number;
}

/** Integer dtypes of quantized values (the ones --int-tol applies to); int64, uint32, uint64 (shapes, indices) and bool stay exact. */
const QUANTIZED_DTYPES: ReadonlySet<DType> = new Set(['int8', 'uint8', 'int16', 'uint16', 'int32']);
const INTEGER_DTYPES: ReadonlySet<DType> = new Set(['int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'bool']);

/**
 * Judges one output against its reference. float outputs: pass iff maxRel ≤ rtol or maxAbs ≤ atol, and no NaN in
 * y where ref has none (NaN where ref is NaN, and an equal infinity, are matches). integer and bool outputs (by the
 * reference's dtype): every element within tol.intTol (quantized dtypes) or equal (int64, uint32, uint64, bool);
 * `differing` counts the elements that differ at all. The element count must match; `dims` of y, when known, must equal ref's.
 */
export function judgeOutput(y: ArrayLike<number | bigint>, yDims: readonly number[] | undefined, ref: Tensor, tol: Tolerance): OutputVerdict {
  const fail = (message: string, maxAbsError = Infinity, maxRelError = Infinity): OutputVerdict => ({ pass: false, maxAbsError, maxRelError, message });
  if (y.length !== ref.data.length) return fail(`${y.length} elements, reference [${ref.dims.join(', ')}] has ${ref.data.length}`);
  if (yDims && !sameDims(yDims, ref.dims)) return fail(`shape [${yDims.join(', ')}], reference [${ref.dims.join(', ')}]`);
  const r = ref.dtype === 'float16' || ref.dtype === 'bfloat16' ? toNumbers(ref) : ref.data;
  if (INTEGER_DTYPES.has(ref.dtype)) {
    const intTol = QUANTIZED_DTYPES.has(ref.dtype) ? (tol.intTol ?? DEFAULT_TOLERANCE.intTol) : 0;
    let maxAbs = 0;
    let maxRef = 0;
    let bad = -1;
    let differing = 0;
    for (let i = 0; i < y.length; i++) {
      const a = Number(y[i]);
      const b = Number(r[i]);
      const d = Math.abs(a - b);
      if (!(d === 0)) differing++;
      if (!(d <= intTol) && bad < 0) bad = i;
      if (!(d <= maxAbs)) maxAbs = Number.isNaN(d) ? Infinity : d;
      maxRef = Math.max(maxRef, Math.abs(b));
    }
    const rel = maxAbs === 0 ? 0 : maxRef === 0 ? Infinity : maxAbs / maxRef;
    const cmp = intTol === 0 ? 'exact compare' : `tolerance ${intTol} LSB`;
    if (bad >= 0) return { ...fail(`${ref.dtype} output differs (${cmp}): ${differing} of ${y.length} elements differ; element ${bad} is ${String(y[bad])}, reference ${String(r[bad])}`, maxAbs, rel), differing };
    return { pass: true, maxAbsError: maxAbs, maxRelError: rel, message: '', differing };
  }
  let maxAbs = 0;
  let maxRef = 0;
  let nanAt = -1;
  let infAt = -1;
  for (let i = 0; i < y.length; i++) {
    const a = Number(y[i]);
    const b = Number(r[i]);
    if (Number.isNaN(b)) {
      if (!Number.isNaN(a) && infAt < 0) infAt = i;
      continue;
    }
    if (Number.isNaN(a)) {
      if (nanAt < 0) nanAt = i;
      continue;
    }
    if (!Number.isFinite(b) || !Number.isFinite(a)) {
      if (a !== b && infAt < 0) infAt = i;
      if (Number.isFinite(b)) maxRef = Math.max(maxRef, Math.abs(b));
      continue;
    }
    const d = Math.abs(a - b);
    if (d > maxAbs) maxAbs = d;
    const m = Math.abs(b);
    if (m > maxRef) maxRef = m;
  }
  if (nanAt >= 0 || infAt >= 0) {
    const i = nanAt >= 0 ? nanAt : infAt;
    return fail(`element ${i} is ${String(y[i])}, reference ${String(r[i])}`);
  }
  const rel = maxAbs === 0 ? 0 : maxRef === 0 ? Infinity : maxAbs / maxRef;
  const rtol = ref.dtype === 'float16' ? (tol.rtol16 ?? FLOAT16_RTOL) : tol.rtol;
  const pass = rel <= rtol || maxAbs <= tol.atol;
  return { pass, maxAbsError: maxAbs, maxRelError: rel, message: pass ? '' : `max rel error ${fmt(rel)} > rtol ${rtol}${ref.dtype === 'float16' ? ' (float16 reference)' : ''} and max abs error ${fmt(maxAbs)} > atol ${tol.atol}` };
}

/**
 * The LSB of a float output that a DequantizeLinear writes with a constant per-tensor scale (a quantized model's
 * output, e.g. the QDQ form's last DequantizeLinear), else undefined. Such outputs are judged in LSB (intTol).
 */
export function dequantizedOutputScale(graph: Graph, output: string): number | undefined {
  const p = graph.nodes.find((nd) => nd.outputs.includes(output));
  if (!p || (p.domain !== '' && p.domain !== 'ai.onnx') || p.opType !== 'DequantizeLinear') return undefined;
  const s = graph.initializers.get(p.inputs[1]);
  if (!s || s.dtype !== 'float32' || s.data.length !== 1) return undefined;
  const v = Number(s.data[0]);
  return v > 0 && Number.isFinite(v) ? v : undefined;
}

/**
 * A dequantized float output (values on the grid of `scale`) judged in LSB: pass iff every |y − ref| ≤ intTol · scale
 * (the integer tolerance, as for 8-bit outputs); `differing` counts the elements off by one LSB or more.
 */
export function judgeDequantized(y: ArrayLike<number | bigint>, yDims: readonly number[] | undefined, ref: Tensor, scale: number, tol: Tolerance): OutputVerdict {
  const f = judgeOutput(y, yDims, ref, { rtol: 0, atol: Infinity });
  if (!f.pass) return f;
  const intTol = tol.intTol ?? DEFAULT_TOLERANCE.intTol;
  const r = ref.data as Float32Array;
  let maxLsb = 0;
  let differing = 0;
  let bad = -1;
  for (let i = 0; i < y.length; i++) {
    const d = Math.round(Math.abs(Number(y[i]) - r[i]) / scale);
    if (d > 0) differing++;
    if (d > intTol && bad < 0) bad = i;
    maxLsb = Math.max(maxLsb, d);
  }
  const pass = bad < 0;
  const msg = pass ? '' : `dequantized output (LSB ${scale.toExponential(3)}) differs by ${maxLsb} LSB > ${intTol}: ${differing} of ${y.length} elements differ; element ${bad} is ${String(y[bad])}, reference ${r[bad]}`;
  return { pass, maxAbsError: f.maxAbsError, maxRelError: f.maxRelError, message: msg, differing };
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

const fmt = (v: number | null): string => (v === null ? '-' : v === 0 ? '0' : Number.isFinite(v) ? v.toExponential(2) : String(v));

// ---------------------------------------------------------------------------------------------- one data set

/** The files of one data set, as references the `read` function understands (paths in Node, URLs on the page). */
export interface DataSetFiles {
  dir: string;
  dataset: string;
  model: string;
  inputs: string[];
  outputs: string[];
}

export interface RunOutput {
  data: ArrayLike<number | bigint>;
  dims?: readonly number[];
}

/** A model prepared for one set of input shapes (a winoconv Session, or ONNX Runtime in the tests). */
export interface OpenModel {
  run(inputs: Record<string, Tensor>): Promise<Record<string, RunOutput>>;
  close(): void;
}

export interface TestRunner {
  /** `inputs`: the data set's input tensors (a runner may fix some at load, see sessionRunner). */
  open(model: Uint8Array, inputShapes: Record<string, number[]>, inputs?: Record<string, Tensor>): Promise<OpenModel>;
}

export interface OnnxTestRow {
  dir: string;
  dataset: string;
  status: 'pass' | 'fail' | 'error';
  maxAbsError: number | null;
  maxRelError: number | null;
  message: string;
  /** Elements of integer outputs that differ from the reference at all (within the tolerance or not); 0 for float-only. */
  differing?: number;
}

/** Maps input_K/output_K tensors to graph names: by the TensorProto's name when it is one of `names`, else position K. */
export function bindByName(tensors: Tensor[], names: readonly string[], what: string): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  tensors.forEach((t, k) => {
    const name = t.name && names.includes(t.name) ? t.name : names[k];
    if (name === undefined) throw new Error(`${what}_${k}.pb${t.name ? ` ('${t.name}')` : ''}: the model has only ${names.length} ${what}(s): ${names.join(', ')}`);
    if (out.has(name)) throw new Error(`${what} '${name}' is given twice (${what}_${k}.pb)`);
    out.set(name, t);
  });
  return out;
}

/** Runs one data set and judges every output; never throws (a failure to load or run is an 'error' row). */
export async function runDataSet(files: DataSetFiles, read: (ref: string) => Promise<Uint8Array>, runner: TestRunner, tol: Tolerance): Promise<OnnxTestRow> {
  const row: OnnxTestRow = { dir: files.dir, dataset: files.dataset, status: 'error', maxAbsError: null, maxRelError: null, message: '' };
  let stage = 'reading the model';
  let open: OpenModel | undefined;
  try {
    const model = await read(files.model);
    stage = 'decoding the model';
    const graph = decodeOnnx(model);
    const inputNames = graph.inputs.map((v) => v.name);
    const outputNames = graph.outputs.map((v) => v.name);
    stage = 'reading the data set';
    const inputs = await Promise.all(files.inputs.map(async (f, k) => decodeTensorProto(await read(f), `input_${k}.pb`)));
    const outputs = await Promise.all(files.outputs.map(async (f, k) => decodeTensorProto(await read(f), `output_${k}.pb`)));
    const inMap = bindByName(inputs, inputNames, 'input');
    const outMap = bindByName(outputs, outputNames, 'output');
    const missing = inputNames.filter((n) => !inMap.has(n));
    if (missing.length) throw new Error(`no input_K.pb for model input(s) ${missing.join(', ')}`);
    const inputShapes: Record<string, number[]> = {};
    const named: Record<string, Tensor> = {};
    for (const [n, t] of inMap) {
      inputShapes[n] = [...t.dims];
      named[n] = t;
    }
    stage = 'creating the session';
    open = await runner.open(model, inputShapes, named);
    stage = 'running';
    const ys = await open.run(named);
    stage = 'judging';
    const fails: string[] = [];
    let maxAbs = 0;
    let maxRel = 0;
    let differing = 0;
    for (const [n, ref] of outMap) {
      const y = ys[n];
      if (!y) {
        fails.push(`output '${n}' missing from the run's results`);
        maxAbs = maxRel = Infinity;
        continue;
      }
      const lsb = dequantizedOutputScale(graph, n);
      const v = lsb !== undefined && ref.dtype === 'float32' ? judgeDequantized(y.data, y.dims, ref, lsb, tol) : judgeOutput(y.data, y.dims, ref, tol);
      maxAbs = Math.max(maxAbs, v.maxAbsError);
      maxRel = Math.max(maxRel, v.maxRelError);
      differing += v.differing ?? 0;
      if (!v.pass) fails.push(`output '${n}': ${v.message}`);
    }
    return { ...row, status: fails.length ? 'fail' : 'pass', maxAbsError: maxAbs, maxRelError: maxRel, message: fails.join('; '), differing };
  } catch (e) {
    return { ...row, message: `${stage}: ${(e as Error).message}` };
  } finally {
    try {
      open?.close();
    } catch {
      // a failed close must not hide the verdict
    }
  }
}

export function formatOnnxTestRow(r: OnnxTestRow): string {
  const status = r.status === 'pass' ? 'pass' : r.status === 'fail' ? 'FAIL' : 'ERROR';
  const diff = r.differing ? `  ${r.differing} integer element(s) differ` : '';
  return `${r.dir}  ${r.dataset}  max abs ${fmt(r.maxAbsError)}  max rel ${fmt(r.maxRelError)}${diff}  ${status}${r.message ? `  ${r.message}` : ''}`;
}

/** Turns a tensor into the float32 data a winoconv Session takes for a float32 input. */
export function toFloat32(t: Tensor): Float32Array {
  return t.data instanceof Float32Array ? t.data : Float32Array.from(toNumbers(t));
}

/** Turns a tensor into the typed array a winoconv Session takes for an input of `dtype`. */
export function toSessionTensor(t: Tensor, dtype: RuntimeDType): SessionTensor {
  switch (dtype) {
    case 'int8': return t.data instanceof Int8Array ? t.data : Int8Array.from(toNumbers(t));
    case 'uint8': return t.data instanceof Uint8Array ? t.data : Uint8Array.from(toNumbers(t));
    case 'int32': return t.data instanceof Int32Array ? t.data : Int32Array.from(toNumbers(t));
    default: return toFloat32(t);
  }
}

/** Node inputs that are parameters, not data: a runtime needs them at load (weights, shapes, axes, pads, scales). */
const PARAMETER_SLOTS: Record<string, number[]> = {
  Conv: [1, 2], ConvTranspose: [1, 2], BatchNormalization: [1, 2, 3, 4], Reshape: [1], Slice: [1, 2, 3, 4], Pad: [1, 2, 3],
  Resize: [1, 2, 3], Split: [1], Squeeze: [1], Unsqueeze: [1], ConstantOfShape: [0], ReduceMean: [1], Gather: [1],
  // quantized ops: weights, scales and zero points (ConvInteger's and MatMulInteger's x/a zero point may be a
  // run-time value, as DynamicQuantizeLinear's output is: it stays a data input)
  QLinearConv: [1, 2, 3, 4, 5, 6, 7, 8], ConvInteger: [1, 3], QLinearMatMul: [1, 2, 4, 5, 6, 7], MatMulInteger: [3],
  QuantizeLinear: [1, 2], DequantizeLinear: [1, 2],
};

/**
 * The model inputs a session takes as constants: those feeding a parameter slot (ONNX's node tests pass weights,
 * shapes, axes, pads and scales as inputs). Data inputs stay inputs, whatever their type: a test whose data is not
 * float32 is refused at load (and listed as skipped), never folded away on the CPU.
 */
export function parameterInputs(model: Uint8Array): string[] {
  const g = decodeOnnx(model);
  const names = new Set<string>();
  for (const n of g.nodes) {
    if (n.domain !== '' && n.domain !== 'ai.onnx') continue;
    for (const k of PARAMETER_SLOTS[n.opType] ?? []) if (n.inputs[k] && g.inputs.some((i) => i.name === n.inputs[k])) names.add(n.inputs[k]);
  }
  return [...names];
}

/**
 * The TestRunner over winoconv sessions (createSession on `engine`). The last session is kept for the next data set
 * of the same model bytes and input shapes (data sets of one directory share one session, as a user's runs would);
 * it is destroyed when another model or shape is opened.
 */
export function sessionRunner(engine: import('../engine/engine.ts').Engine): TestRunner {
  let last: { model: Uint8Array; key: string; session: import('./runtime-types.ts').Session } | undefined;
  return {
    async open(model, inputShapes, inputs = {}) {
      const { createSession } = await import('./session.ts');
      const fixed = parameterInputs(model).filter((n) => inputs[n]);
      const constantInputs = Object.fromEntries(fixed.map((n) => [n, { dims: inputs[n].dims, data: inputs[n].data }]));
      const shapes = Object.fromEntries(Object.entries(inputShapes).filter(([n]) => !fixed.includes(n)));
      const key = JSON.stringify([Object.entries(shapes).sort(), fixed.map((n) => [n, inputs[n].dims, Array.from(inputs[n].data as ArrayLike<number | bigint>, String)])]);
      if (!last || last.model !== model || last.key !== key) {
        last?.session.destroy();
        last = undefined;
        last = { model, key, session: await createSession(engine, model, { inputShapes: shapes, constantInputs }) };
      }
      const s = last.session;
      return {
        async run(inputs) {
          const f: Record<string, SessionTensor> = {};
          for (const [n, t] of Object.entries(inputs)) {
            const inp = s.info.inputs.find((i) => i.name === n);
            if (inp) f[n] = toSessionTensor(t, inp.dtype);
          }
          const ys = await s.run(f);
          const out: Record<string, RunOutput> = {};
          for (const o of s.info.outputs) if (ys[o.name]) out[o.name] = { data: ys[o.name], dims: o.shape };
          for (const [n, y] of Object.entries(ys)) out[n] ??= { data: y };
          return out;
        },
        close: () => undefined,
      };
    },
  };
}

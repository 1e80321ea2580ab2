/**
 * Tap-wise int8 Winograd, chosen per layer for a session (SessionOptions.tapwise). Exact algorithms stay the default;
 * a tap-wise scheme runs a layer only when two measurements both pass:
 *
 *   1. per layer: the plan's output-domain SQNR against the exact QLinearConv result, measured by the engine before
 *      use (verifyTapwise) on the layer's own int8 inputs, ≥ minSqnrDb. The inputs are captured by running the exact
 *      session on the calibration inputs (the layers' inputs kept as extra outputs) and cropped so that the CPU
 *      reference of one crop stays under CROP_MACS multiply-accumulates (crops of the real activations, at varying
 *      places, borders included). Schemes are tried in the order given (default: most multiplies saved first:
 *      F(4×4,3×3) 4×, F(2×2,3×3) 2.25×, F(4×1,3×3) 2×, F(2×1,3×3) 1.5×); the first that passes is the layer's.
 *      Tap scales: the model's metadata_props 'winoconv.tapScales' (written by `winoconv quantize --tapwise`) when
 *      it has the layer and scheme, else calibrated by the engine from the same crops.
 *   2. whole model: the session with those layers runs on every calibration input and its outputs are compared with
 *      the exact session's: 'top1' (classifiers: the argmax of every row of every output's last axis agrees) or
 *      { outputSqnrDb } (every output's SQNR against the exact model's). On a failure the half of the tap-wise layers
 *      with the lowest SQNR is dropped and the check repeats, until it passes or no tap-wise layer is left.
 *
 * The selection plans the session up to 1 + (checks) times; the engine caches pipelines, so the later plans cost
 * mostly the tap-wise SQNR measurements. No timing is involved: a faster, worse layer is never chosen for speed.
 */
import { normalizeDesc } from '../conv/desc.ts';
import type { Engine } from '../engine/engine.ts';
import type { ConvPlan } from '../engine/plan.ts';
import { int8WinogradAlgo, type Int8WinogradScheme } from '../kernels/int8-winograd/index.ts';
import { OnnxLoadError } from './errors.ts';
import { elementCount } from './ir.ts';
import { isQConvNode, lowerQConv, type QConvLowering } from './lower-quant.ts';
import { type ImportOptions, importOnnx } from './onnx-import.ts';
import { readMetadataProps } from './onnx-writer.ts';
import { runPasses } from './passes.ts';
import type { SessionInfo, SessionInputs, SessionOutputs, SessionTensor, TapwiseInfo, TapwiseNodeInfo, TapwiseVerdict } from './runtime-types.ts';

/** The model metadata key `winoconv quantize --tapwise` writes: {format, version, nodes: {node: {algorithm: TapScalesJSON}}}. */
export const TAP_SCALES_KEY = 'winoconv.tapScales';

export type TapScheme = Exclude<Int8WinogradScheme, 'winograd2-exact'>;
/** Most multiplies saved first: F(4×4,3×3) 4×, F(2×2,3×3) 2.25×, F(4×1,3×3) 2×, F(2×1,3×3) 1.5×. */
export const TAP_SCHEMES: readonly TapScheme[] = ['winograd4-tap', 'winograd2-tap', 'winograd4x1-tap', 'winograd2x1-tap'];

/** Multiply-accumulates of the CPU reference per calibration crop of one layer (about 0.1–0.3 s of JavaScript). */
export const CROP_MACS = 1 << 25;
/** The smallest crop side (two F(4×4) output tiles plus the border). */
const MIN_CROP = 10;

export interface TapwiseOptions {
  /** Model inputs to measure on, each a record like run()'s (typed arrays); at least one. */
  calibration: Record<string, SessionTensor>[];
  /** The per-layer SQNR floor (dB, > 0) against the exact QLinearConv result. */
  minSqnrDb: number;
  /** The whole-model check against the exact int8 model; default { outputSqnrDb: minSqnrDb }. */
  check?: 'top1' | { outputSqnrDb: number };
  /** Schemes to try per layer, in order of preference (default TAP_SCHEMES). */
  schemes?: TapScheme[];
}

/** One layer's request to planSession: the schemes to try, their tap scales (else calibrated) and the measurement. */
export interface TapLayerRequest {
  schemes: TapScheme[];
  tapScales: Partial<Record<TapScheme, unknown>>;
  calibration: { data: Int32Array; batch: number; height: number; width: number }[];
  minSqnrDb: number;
}

/**
 * What the selection asks of planSession: layers to try tap-wise schemes on, and values to keep as extra graph
 * outputs (the layers' inputs, captured on the exact model).
 */
export interface PlanInternal {
  tap?: ReadonlyMap<string, TapLayerRequest>;
  extraOutputs?: readonly string[];
}

/** The part of a planned session the selection uses. */
export interface PlannedRuntime {
  info: SessionInfo;
  run(inputs: SessionInputs): Promise<SessionOutputs>;
  destroy(): void;
}

const fail = (field: string, value: unknown, rule: string): never => {
  const plain = value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype;
  const v = typeof value === 'string' || plain ? JSON.stringify(value) : Array.isArray(value) ? `[${value.length} items]` : String(value);
  throw new OnnxLoadError(`createSession options.tapwise${field} = ${v}: ${rule}`);
};

const TYPED = [Float32Array, Int8Array, Uint8Array, Int32Array];

/** Checks SessionOptions.tapwise (names the field, the value and the rule); returns it with defaults filled in. */
export function checkTapwiseOptions(v: unknown): Required<TapwiseOptions> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail('', v, 'must be an object {calibration, minSqnrDb, check?, schemes?}');
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!['calibration', 'minSqnrDb', 'check', 'schemes'].includes(k)) fail(`.${k}`, o[k], 'unknown key (known: calibration, minSqnrDb, check, schemes)');
  const minSqnrDb = o.minSqnrDb;
  if (typeof minSqnrDb !== 'number' || !Number.isFinite(minSqnrDb) || minSqnrDb <= 0) fail('.minSqnrDb', minSqnrDb, 'must be a finite number of dB > 0');
  const cal = o.calibration;
  if (!Array.isArray(cal) || cal.length === 0) fail('.calibration', cal, 'must be a non-empty array of model-input records ({name: typed array}, as run() takes)');
  (cal as unknown[]).forEach((r, i) => {
    if (r === null || typeof r !== 'object' || Array.isArray(r)) fail(`.calibration[${i}]`, r, 'must be a record {input name: typed array}');
    for (const [k, t] of Object.entries(r as object)) if (!TYPED.some((T) => t instanceof T)) fail(`.calibration[${i}].${k}`, t, 'must be a Float32Array, Int8Array, Uint8Array or Int32Array');
  });
  let check = o.check ?? { outputSqnrDb: minSqnrDb };
  if (check !== 'top1') {
    const c = check as { outputSqnrDb?: unknown };
    if (c === null || typeof c !== 'object' || Object.keys(c).some((k) => k !== 'outputSqnrDb') || typeof c.outputSqnrDb !== 'number' || !(c.outputSqnrDb > 0)) {
      fail('.check', check, "must be 'top1' or { outputSqnrDb: number of dB > 0 }");
    }
    check = { outputSqnrDb: c.outputSqnrDb as number };
  }
  const schemes = o.schemes ?? [...TAP_SCHEMES];
  if (!Array.isArray(schemes) || schemes.length === 0) fail('.schemes', schemes, `must be a non-empty array of ${TAP_SCHEMES.join(', ')}`);
  for (const [i, s] of (schemes as unknown[]).entries()) if (!TAP_SCHEMES.includes(s as TapScheme)) fail(`.schemes[${i}]`, s, `must be one of ${TAP_SCHEMES.join(', ')}`);
  return { calibration: cal as TapwiseOptions['calibration'], minSqnrDb: minSqnrDb as number, check: check as Required<TapwiseOptions>['check'], schemes: [...new Set(schemes as TapScheme[])] };
}

/** Why a quantized convolution cannot take a tap-wise scheme (undefined: it can be tried). */
export function tapwiseIneligible(q: QConvLowering): string | undefined {
  const d = q.desc;
  const [kh, kw] = d.kernelSize as number[];
  if (kh !== 3 || kw !== 3) return `kernel ${kh}×${kw} (tap-wise Winograd is for 3×3)`;
  if ((d.strides as number[]).some((s) => s !== 1)) return `strides ${(d.strides as number[]).join('×')} (stride 1 only)`;
  if ((d.dilations as number[]).some((s) => s !== 1)) return `dilations ${(d.dilations as number[]).join('×')} (dilation 1 only)`;
  if (d.groups !== 1) return `group ${d.groups} (group 1 only)`;
  if (q.quant.output !== 'int8' && q.quant.output !== 'uint8') return `output ${q.quant.output} (tap-wise serves QLinearConv's 8-bit outputs)`;
  return undefined;
}

interface Candidate {
  node: string;
  input: string;
  inputShape: number[];
  q: QConvLowering;
}

/** The QLinearConv nodes of the model after the passes (CPU only): those a tap-wise scheme may serve, and the rest. */
function findCandidates(model: ArrayBuffer | Uint8Array, opts: SelectOptions): { eligible: Candidate[]; notEligible: string[] } {
  const { graph: g } = runPasses(importOnnx(model, { inputShapes: opts.inputShapes, constantInputs: opts.constantInputs } as ImportOptions));
  const eligible: Candidate[] = [];
  const notEligible: string[] = [];
  for (const n of g.nodes) {
    if (!isQConvNode(n) || n.opType !== 'QLinearConv') continue;
    let q: QConvLowering;
    try {
      q = lowerQConv(g, n);
      normalizeDesc(q.desc);
    } catch {
      continue; // planSession names the problem
    }
    const why = tapwiseIneligible(q);
    if (why) {
      if ((q.desc.kernelSize as number[]).every((k) => k === 3)) notEligible.push(`${n.name}: ${why}`);
      continue;
    }
    eligible.push({ node: n.name, input: n.inputs[0], inputShape: g.values.get(n.inputs[0])!.shape as number[], q });
  }
  return { eligible, notEligible };
}

/**
 * Crops of a layer's NCHW input (image 0 of the batch) for the SQNR measurement: per calibration input one crop of
 * side ≤ √(CROP_MACS / (9·C·M)), at a place that moves with k (top-left, center, bottom-right, top-right, …) so that
 * borders (padding) and the interior are both measured.
 */
export function layerCrop(data: ArrayLike<number>, shape: readonly number[], outChannels: number, k: number): { data: Int32Array; batch: number; height: number; width: number } {
  const [, c, h, w] = shape;
  const side = Math.max(MIN_CROP, Math.floor(Math.sqrt(CROP_MACS / (9 * c * outChannels))));
  const ch = Math.min(h, side);
  const cw = Math.min(w, side);
  const places: [number, number][] = [[0, 0], [0.5, 0.5], [1, 1], [0, 1], [1, 0]];
  const [fy, fx] = places[k % places.length];
  const y0 = Math.round((h - ch) * fy);
  const x0 = Math.round((w - cw) * fx);
  const out = new Int32Array(c * ch * cw);
  for (let ci = 0; ci < c; ci++) {
    for (let y = 0; y < ch; y++) {
      const src = (ci * h + y0 + y) * w + x0;
      const dst = (ci * ch + y) * cw;
      for (let x = 0; x < cw; x++) out[dst + x] = data[src + x];
    }
  }
  return { data: out, batch: 1, height: ch, width: cw };
}

/** The measured SQNR in an engine verification message ('… SQNR 31.52 dB against exact …'). */
function sqnrOf(text: string): number | undefined {
  const m = /SQNR (-?[\d.]+|Infinity|-Infinity|NaN) dB/.exec(text);
  return m ? Number(m[1]) : undefined;
}

/**
 * Tries `req.schemes` in order on one quantized convolution (planSession's build): the first plan whose SQNR meets
 * the floor is returned; every scheme tried gets its verdict. Tap-wise plans requantize with the float64 product
 * (ORT's float32 rounding is for the exact path, where it makes outputs bit-identical to ORT's).
 */
export async function tryTapwise(engine: Engine, q: QConvLowering, req: TapLayerRequest, size: { batch: number; height: number; width: number }): Promise<{ plan?: ConvPlan<Int32Array>; info: TapwiseNodeInfo }> {
  const verdicts: TapwiseVerdict[] = [];
  let plan: ConvPlan<Int32Array> | undefined;
  for (const scheme of req.schemes) {
    if (plan) {
      verdicts.push({ scheme, status: 'passed', reason: `not tried: ${plan.info.algorithm} (earlier in the order) passed` });
      continue;
    }
    try {
      const p = (await engine.createConv2d({ ...q.desc, algorithm: scheme }, {
        weights: q.weights, bias: q.bias, quant: { ...q.quant, rounding: 'float64' }, expectedSize: size, workspace: 'external', sharedBuffers: true,
        calibration: req.calibration, minSqnrDb: req.minSqnrDb, ...(req.tapScales[scheme] !== undefined ? { tapScales: req.tapScales[scheme] } : {}),
      } as Parameters<Engine['createConv2d']>[1])) as unknown as ConvPlan<Int32Array>;
      p.resize(size); // the plan's notes (where its tap scales came from) are filled in at its first size
      const note = p.info.notes.find((n) => n.startsWith('tap scales:')) ?? '';
      verdicts.push({ scheme, status: 'chosen', sqnrDb: sqnrOf(p.info.verification), reason: `${p.info.verification}${note ? `; ${note}` : ''}` });
      plan = p;
    } catch (e) {
      const msg = (e as Error).message.replace(/^every candidate failed:\n/, '');
      const sqnrDb = sqnrOf(msg);
      verdicts.push({ scheme, status: sqnrDb !== undefined ? 'below-floor' : 'refused', sqnrDb, reason: msg });
    }
  }
  const chosen = verdicts.find((v) => v.status === 'chosen');
  return { plan, info: { chosen: chosen?.scheme ?? 'exact', sqnrDb: chosen?.sqnrDb, verdicts } };
}

/** Whole-model check: the tap-wise session's outputs against the exact session's, over every calibration input. */
export function compareOutputs(ref: SessionOutputs[], got: SessionOutputs[], check: Required<TapwiseOptions>['check'], shapes: Record<string, number[]>): { passed: boolean; detail: string } {
  if (check === 'top1') {
    let rows = 0;
    let same = 0;
    for (let k = 0; k < ref.length; k++) {
      for (const [name, r] of Object.entries(ref[k])) {
        const shape = shapes[name];
        const last = shape[shape.length - 1] ?? 1;
        if (last < 2) continue;
        const g = got[k][name];
        for (let row = 0; row * last < r.length; row++) {
          rows++;
          if (argmax(r, row * last, last) === argmax(g, row * last, last)) same++;
        }
      }
    }
    if (rows === 0) return { passed: false, detail: "'top1': no output has a last axis of 2 or more (not a classifier); use { outputSqnrDb }" };
    return { passed: same === rows, detail: `top-1 agrees on ${same}/${rows} output rows over ${ref.length} calibration input(s)` };
  }
  const parts: string[] = [];
  let worst = Infinity;
  for (const name of Object.keys(ref[0])) {
    let signal = 0;
    let noise = 0;
    for (let k = 0; k < ref.length; k++) {
      const r = ref[k][name];
      const g = got[k][name];
      for (let i = 0; i < r.length; i++) {
        signal += r[i] * r[i];
        noise += (g[i] - r[i]) ** 2;
      }
    }
    const db = noise === 0 ? Infinity : signal === 0 ? -Infinity : 10 * Math.log10(signal / noise);
    worst = Math.min(worst, db);
    parts.push(`${name} ${db === Infinity ? 'exact' : `${db.toFixed(2)} dB`}`);
  }
  return { passed: worst >= check.outputSqnrDb, detail: `output SQNR against the exact int8 model over ${ref.length} calibration input(s): ${parts.join(', ')} (needs ≥ ${check.outputSqnrDb} dB)` };
}

function argmax(a: ArrayLike<number>, off: number, n: number): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (a[off + i] > a[off + best]) best = i;
  return best;
}

/**
 * Plans the session with tap-wise layers where both measurements pass (see the header). `plan` plans the model with
 * options and internal requests (planSession). Returns the final runtime (info.tapwise and info.nodes[i].tapwise
 * filled in) and the requests that reproduce it at resize.
 */
/** The session options the selection reads (SessionOptions is one). */
export interface SelectOptions {
  tapwise?: unknown;
  inputShapes?: Record<string, readonly number[]>;
  constantInputs?: unknown;
}

export async function selectTapwise<O extends SelectOptions, R extends PlannedRuntime>(
  model: ArrayBuffer | Uint8Array,
  opts: O,
  plan: (opts: O, internal: PlanInternal) => Promise<R>,
): Promise<{ rt: R; resolved: PlanInternal }> {
  const t = checkTapwiseOptions(opts.tapwise);
  const base = { ...opts, tapwise: undefined } as O;
  const { eligible, notEligible } = findCandidates(model, opts);
  const checkText = t.check === 'top1' ? 'top-1 of every output row agrees with the exact int8 model' : `output SQNR ≥ ${t.check.outputSqnrDb} dB against the exact int8 model`;
  const summary: TapwiseInfo = { minSqnrDb: t.minSqnrDb, check: checkText, eligible: eligible.map((c) => c.node), notEligible, chosen: [], checks: [], calibrationInputs: t.calibration.length };
  if (eligible.length === 0) {
    const rt = await plan(base, {});
    rt.info.tapwise = summary;
    return { rt, resolved: {} };
  }

  // The exact model, with every candidate layer's input kept: reference outputs and the layers' real inputs.
  const exact = await plan(base, { extraOutputs: [...new Set(eligible.map((c) => c.input))] });
  const outputNames = exact.info.outputs.map((o) => o.name);
  const modelOutputs = new Set(outputNames.filter((n) => !eligible.some((c) => c.input === n)));
  const shapes = Object.fromEntries(exact.info.outputs.map((o) => [o.name, o.shape]));
  const refs: SessionOutputs[] = [];
  const crops = new Map<string, TapLayerRequest['calibration']>(eligible.map((c) => [c.node, []]));
  try {
    for (const [k, inputs] of t.calibration.entries()) {
      let out: SessionOutputs;
      try {
        out = await exact.run(inputs);
      } catch (e) {
        throw new OnnxLoadError(`createSession options.tapwise.calibration[${k}]: ${(e as Error).message}`, { cause: e });
      }
      refs.push(Object.fromEntries(Object.entries(out).filter(([n]) => modelOutputs.has(n))));
      for (const c of eligible) {
        const data = out[c.input] ?? inputs[c.input];
        if (!data || data.length !== elementCount(c.inputShape)) throw new Error(`internal error: no captured input '${c.input}' for layer '${c.node}'`);
        crops.get(c.node)!.push(layerCrop(data, c.inputShape, c.q.desc.outChannels, k));
      }
    }
  } finally {
    exact.destroy();
  }
  const refShapes = Object.fromEntries(Object.keys(refs[0]).map((n) => [n, shapes[n]]));

  // Tap scales written by `winoconv quantize --tapwise`, per node and algorithm name.
  let stored: Record<string, Record<string, unknown>> = {};
  const meta = readMetadataProps(model instanceof Uint8Array ? model : new Uint8Array(model))[TAP_SCALES_KEY];
  if (meta) {
    try {
      stored = (JSON.parse(meta) as { nodes?: typeof stored }).nodes ?? {};
    } catch (e) {
      throw new OnnxLoadError(`model metadata_props['${TAP_SCALES_KEY}'] is not JSON: ${(e as Error).message}`);
    }
  }
  const request = (c: Candidate, schemes: TapScheme[]): TapLayerRequest => ({
    schemes,
    tapScales: Object.fromEntries(schemes.filter((s) => stored[c.node]?.[int8WinogradAlgo(s).name] !== undefined).map((s) => [s, stored[c.node][int8WinogradAlgo(s).name]])),
    calibration: crops.get(c.node)!,
    minSqnrDb: t.minSqnrDb,
  });

  const history = new Map<string, TapwiseNodeInfo>();
  let tap = new Map(eligible.map((c) => [c.node, request(c, t.schemes)]));
  for (;;) {
    const rt = await plan(base, { tap });
    const chosen = rt.info.nodes.filter((n) => n.tapwise && n.tapwise.chosen !== 'exact');
    for (const n of rt.info.nodes) if (n.tapwise && !history.has(n.name)) history.set(n.name, n.tapwise);
    if (chosen.length === 0) {
      return { rt: finish(rt, history, summary), resolved: {} };
    }
    let got: SessionOutputs[];
    try {
      got = [];
      for (const inputs of t.calibration) got.push(await rt.run(inputs));
    } catch (e) {
      rt.destroy();
      throw e;
    }
    const verdict = compareOutputs(refs, got, t.check, refShapes);
    summary.checks.push({ layers: chosen.map((n) => `${n.name} (${n.tapwise!.chosen}, ${fmtDb(n.tapwise!.sqnrDb)})`), ...verdict });
    if (verdict.passed) {
      const keep = new Map(chosen.map((n) => [n.name, request(eligible.find((c) => c.node === n.name)!, [n.tapwise!.chosen as TapScheme])]));
      return { rt: finish(rt, history, summary), resolved: { tap: keep } };
    }
    rt.destroy();
    // Drop the half with the lowest SQNR (at least one) and check again.
    const bySqnr = [...chosen].sort((a, b) => (b.tapwise!.sqnrDb ?? -Infinity) - (a.tapwise!.sqnrDb ?? -Infinity));
    const kept = bySqnr.slice(0, Math.floor(bySqnr.length / 2));
    for (const n of bySqnr.slice(kept.length)) {
      const h = history.get(n.name)!;
      for (const v of h.verdicts) if (v.scheme === n.tapwise!.chosen) {
        v.status = 'dropped';
        v.reason = `${v.reason}; dropped: the whole-model check failed with it (${verdict.detail})`;
      }
    }
    tap = new Map(kept.map((n) => [n.name, request(eligible.find((c) => c.node === n.name)!, [n.tapwise!.chosen as TapScheme])]));
    if (tap.size === 0) {
      const rt2 = await plan(base, {});
      return { rt: finish(rt2, history, summary), resolved: {} };
    }
  }
}

const fmtDb = (v: number | undefined) => (v === undefined ? '? dB' : v === Infinity ? 'exact' : `${v.toFixed(2)} dB`);

/** Writes the selection's record into the final runtime's info (layers planned exact keep their history). */
function finish<R extends PlannedRuntime>(rt: R, history: Map<string, TapwiseNodeInfo>, summary: TapwiseInfo): R {
  for (const n of rt.info.nodes) {
    const h = history.get(n.name);
    if (!h) continue;
    const now = n.tapwise;
    if (now && now.chosen !== 'exact') {
      for (const v of h.verdicts) if (v.scheme === now.chosen) Object.assign(v, { status: 'chosen', sqnrDb: now.sqnrDb ?? v.sqnrDb });
      n.tapwise = { ...h, chosen: now.chosen, sqnrDb: now.sqnrDb };
    } else {
      n.tapwise = { ...h, chosen: 'exact', sqnrDb: undefined };
    }
  }
  summary.chosen = rt.info.nodes.filter((n) => n.tapwise && n.tapwise.chosen !== 'exact').map((n) => n.name);
  rt.info.tapwise = summary;
  return rt;
}

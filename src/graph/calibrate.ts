/**
 * Calibration for `winoconv quantize`: the float model runs through a winoconv session with the tensors to calibrate
 * added as graph outputs, once per calibration input, and a collector turns what they hold into one float range per
 * tensor (TensorRange, quantizer.ts). Collectors follow ONNX Runtime's calibrate.py:
 * - minmax: the smallest minimum and the largest maximum over all inputs (MinMaxCalibrater, no moving average).
 * - percentile: HistogramCollector on |x| (symmetric, 2048 bins, bins added as larger values come), threshold = the
 *   left edge of the bin where the CDF reaches the percentile (default 99.999), range [−t, t] clipped to the seen
 *   [min, max] (PercentileCalibrater defaults).
 * - entropy: HistogramCollector on x (128 bins over [−m, m], widened symmetrically as larger values come), threshold
 *   pair minimizing the KL divergence between the clipped distribution and its 128-level quantization
 *   (EntropyCalibrater defaults; smooth_distribution with eps 1e-4), clipped to the seen [min, max].
 * ORT collects the histogram of all inputs at once; here it is merged input by input (ORT's behaviour with one
 * input per collect call), so memory stays one input's tensors.
 * Browser-safe: no node:* imports.
 */
import type { Engine } from '../engine/engine.ts';
import { OnnxLoadError } from './errors.ts';
import type { Graph } from './ir.ts';
import { graphToSpec, writeOnnx } from './onnx-writer.ts';
import type { TensorRange } from './quantizer.ts';
import { createSession } from './session.ts';

export type CalibrationMethod = 'minmax' | 'percentile' | 'entropy';
export const CALIBRATION_METHODS: readonly CalibrationMethod[] = ['minmax', 'percentile', 'entropy'];

export interface CollectorOptions {
  /** percentile: the kept share in percent, default 99.999. */
  percentile?: number;
  /** Histogram bins: percentile 2048, entropy 128 (ORT's defaults). */
  bins?: number;
  /** entropy: quantized bins, default 128. */
  quantizedBins?: number;
}

export interface RangeCollector {
  /** One calibration input's values of `name`. */
  add(name: string, data: ArrayLike<number>): void;
  ranges(): Map<string, TensorRange>;
}

function minMax(data: ArrayLike<number>, abs = false): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = abs ? Math.abs(data[i]) : data[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return data.length ? [lo, hi] : [0, 0];
}

function checkFinite(name: string, lo: number, hi: number): void {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) throw new OnnxLoadError(`calibration: tensor '${name}' holds non-finite values (range [${lo}, ${hi}])`);
}

export function createMinMaxCollector(): RangeCollector {
  const r = new Map<string, TensorRange>();
  return {
    add(name, data) {
      const [lo, hi] = minMax(data);
      checkFinite(name, lo, hi);
      const p = r.get(name);
      r.set(name, p ? { min: Math.min(p.min, lo), max: Math.max(p.max, hi) } : { min: lo, max: hi });
    },
    ranges: () => new Map(r),
  };
}

/** Counts values into `bins` equal bins over [lo, hi] (numpy.histogram: the last bin holds hi; values outside skipped). */
export function histogram(data: ArrayLike<number>, bins: number, lo: number, hi: number, abs = false, into?: Float64Array): Float64Array {
  const h = into ?? new Float64Array(bins);
  if (hi === lo) {
    // numpy widens an empty range to [lo − 0.5, hi + 0.5]
    lo -= 0.5;
    hi += 0.5;
  }
  const k = bins / (hi - lo);
  for (let i = 0; i < data.length; i++) {
    const v = abs ? Math.abs(data[i]) : data[i];
    if (!(v >= lo && v <= hi)) continue;
    h[Math.min(bins - 1, Math.floor((v - lo) * k))]++;
  }
  return h;
}

interface AbsHist { hist: Float64Array; lo: number; width: number; min: number; max: number }

export function createPercentileCollector(options: CollectorOptions = {}): RangeCollector {
  const percentile = options.percentile ?? 99.999;
  if (!(percentile >= 0 && percentile <= 100)) throw new OnnxLoadError(`calibration: percentile ${percentile}: must be in [0, 100]`);
  const bins = options.bins ?? 2048;
  const hs = new Map<string, AbsHist>();
  return {
    add(name, data) {
      const [mn, mx] = minMax(data);
      checkFinite(name, mn, mx);
      const [alo, ahi] = minMax(data, true);
      const old = hs.get(name);
      if (!old) {
        const [lo, hi] = alo === ahi ? [alo - 0.5, ahi + 0.5] : [alo, ahi];
        hs.set(name, { hist: histogram(data, bins, lo, hi, true), lo, width: (hi - lo) / bins, min: mn, max: mx });
        return;
      }
      let n = old.hist.length;
      const top = old.lo + n * old.width;
      if (ahi > top) n += Math.ceil((ahi - top) / old.width);
      const hist = new Float64Array(n);
      hist.set(old.hist);
      histogram(data, n, old.lo, old.lo + n * old.width, true, hist);
      hs.set(name, { hist, lo: old.lo, width: old.width, min: Math.min(old.min, mn), max: Math.max(old.max, mx) });
    },
    ranges() {
      const r = new Map<string, TensorRange>();
      for (const [name, h] of hs) {
        let total = 0;
        for (const c of h.hist) total += c;
        const target = percentile / 100;
        let cdf = 0;
        let idx = h.hist.length;
        for (let i = 0; i < h.hist.length; i++) {
          cdf += h.hist[i] / total;
          if (cdf >= target) {
            idx = i;
            break;
          }
        }
        const t = Math.fround(h.lo + idx * h.width);
        r.set(name, { min: Math.max(-t, h.min), max: Math.min(t, h.max) });
      }
      return r;
    },
  };
}

interface SymHist { hist: Float64Array; threshold: number; min: number; max: number }

export function createEntropyCollector(options: CollectorOptions = {}): RangeCollector {
  const bins = options.bins ?? 128;
  const quantizedBins = options.quantizedBins ?? 128;
  const hs = new Map<string, SymHist>();
  return {
    add(name, data) {
      const [mn, mx] = minMax(data);
      checkFinite(name, mn, mx);
      const th = Math.max(Math.abs(mn), Math.abs(mx));
      const old = hs.get(name);
      if (!old) {
        hs.set(name, { hist: histogram(data, bins, -th, th), threshold: th, min: mn, max: mx });
        return;
      }
      const min = Math.min(old.min, mn);
      const max = Math.max(old.max, mx);
      if (th <= old.threshold) {
        const hist = histogram(data, old.hist.length, -old.threshold, old.threshold, false, Float64Array.from(old.hist));
        hs.set(name, { hist, threshold: old.threshold, min, max });
      } else if (old.threshold === 0) {
        const hist = histogram(data, old.hist.length, -th, th, false, Float64Array.from(old.hist));
        hs.set(name, { hist, threshold: th, min, max });
      } else {
        const n0 = old.hist.length;
        const stride = (2 * old.threshold) / n0;
        const half = Math.floor((th - old.threshold) / stride) + 1;
        const n = n0 + 2 * half;
        const newTh = half * stride + old.threshold;
        const hist = histogram(data, n, -newTh, newTh);
        for (let i = 0; i < n0; i++) hist[half + i] += old.hist[i];
        hs.set(name, { hist, threshold: newTh, min, max });
      }
    },
    ranges() {
      const r = new Map<string, TensorRange>();
      for (const [name, h] of hs) {
        const [lo, hi] = entropyThreshold(h.hist, h.threshold, quantizedBins);
        r.set(name, { min: Math.max(lo, h.min), max: Math.min(hi, h.max) });
      }
      return r;
    },
  };
}

/** smooth_distribution(p, eps) of ORT's quant_utils; undefined when p is all zeros. */
function smooth(p: Float64Array, eps = 1e-4): Float64Array | undefined {
  let zeros = 0;
  for (const v of p) if (v === 0) zeros++;
  const nonzeros = p.length - zeros;
  if (nonzeros === 0) return undefined;
  const eps1 = (eps * zeros) / nonzeros;
  return Float64Array.from(p, (v) => Math.fround(v) + (v === 0 ? eps : -eps1));
}

/** scipy.stats.entropy(p, q): both normalized, Σ p·ln(p/q). */
function klDivergence(p: Float64Array, q: Float64Array): number {
  let sp = 0;
  let sq = 0;
  for (let i = 0; i < p.length; i++) {
    sp += p[i];
    sq += q[i];
  }
  let kl = 0;
  for (let i = 0; i < p.length; i++) {
    const a = p[i] / sp;
    if (a > 0) kl += a * Math.log(a / (q[i] / sq));
  }
  return kl;
}

/** ORT's get_entropy_threshold over a symmetric histogram on [−threshold, threshold]: the (lo, hi) edges. */
export function entropyThreshold(hist: Float64Array, threshold: number, quantizedBins = 128): [number, number] {
  const n = hist.length;
  const edge = (i: number) => Math.fround(-threshold + (2 * threshold * i) / n);
  const zero = Math.floor(n / 2);
  const halfQ = Math.floor(quantizedBins / 2);
  let best = Infinity;
  let bestPair: [number, number] = [edge(0), edge(n)];
  for (let i = halfQ; i <= zero; i++) {
    const start = zero - i;
    const end = Math.min(zero + i + 1, n);
    const sliced = hist.subarray(start, end);
    const p = Float64Array.from(sliced);
    for (let k = 0; k < start; k++) p[0] += hist[k];
    for (let k = end; k < n; k++) p[p.length - 1] += hist[k];
    const merged = Math.floor(sliced.length / quantizedBins);
    const qb = new Float64Array(quantizedBins);
    for (let k = 0; k < quantizedBins; k++) for (let j = k * merged; j < (k + 1) * merged; j++) qb[k] += sliced[j];
    for (let j = quantizedBins * merged; j < sliced.length; j++) qb[quantizedBins - 1] += sliced[j];
    const q = new Float64Array(p.length);
    for (let k = 0; k < quantizedBins; k++) {
      let norm = 0;
      for (let j = k * merged; j < (k + 1) * merged; j++) if (p[j] !== 0) norm++;
      if (norm !== 0) for (let j = k * merged; j < (k + 1) * merged; j++) q[j] = Math.trunc(qb[k] / norm);
    }
    const ps = smooth(p);
    const qs = smooth(q);
    const kl = ps && qs ? klDivergence(ps, qs) : Infinity;
    if (kl < best) {
      best = kl;
      bestPair = [edge(start), edge(end)];
    }
  }
  return bestPair;
}

export function createCollector(method: CalibrationMethod, options: CollectorOptions = {}): RangeCollector {
  switch (method) {
    case 'minmax': return createMinMaxCollector();
    case 'percentile': return createPercentileCollector(options);
    case 'entropy': return createEntropyCollector(options);
    default: throw new OnnxLoadError(`calibration method '${String(method)}': one of ${CALIBRATION_METHODS.join(', ')}`);
  }
}

/** Model bytes of `graph` with `names` as its outputs (the original outputs kept first). */
export function calibrationModel(graph: Graph, names: readonly string[]): Uint8Array {
  const spec = graphToSpec(graph);
  const outs = [...spec.outputs];
  const have = new Set(outs.map((o) => o.name));
  for (const n of names) {
    if (have.has(n) || graph.inputs.some((i) => i.name === n)) continue;
    outs.push({ name: n, dtype: 'float32', shape: undefined });
    have.add(n);
  }
  return writeOnnx({ ...spec, outputs: outs });
}

export interface CalibrationInput {
  /** What it is (a file name), for progress lines. */
  label: string;
  inputs: Record<string, { dims: number[]; data: Float32Array }>;
}

export interface CalibrateOptions extends CollectorOptions {
  method?: CalibrationMethod;
  /** One line per calibration input and a closing total. */
  progress?: (line: string) => void;
}

/**
 * Runs `graph` on each calibration input through a session on `engine` and hands every tensor of `names` to
 * `visit` (graph inputs among them are read from the calibration inputs themselves). Inputs of different shapes get a
 * session each. Progress: one line per input with its time, then the total.
 */
export async function forEachCalibrationRun(
  engine: Engine, graph: Graph, names: readonly string[], data: readonly CalibrationInput[],
  visit: (name: string, values: Float32Array, input: number) => void, progress?: (line: string) => void, what = 'calibration',
): Promise<void> {
  if (data.length === 0) throw new OnnxLoadError(`${what}: no calibration inputs`);
  const model = calibrationModel(graph, names);
  const inputNames = new Set(graph.inputs.map((i) => i.name));
  const t0 = performance.now();
  let session: Awaited<ReturnType<typeof createSession>> | undefined;
  let shapeKey = '';
  try {
    for (const [k, item] of data.entries()) {
      const t = performance.now();
      const key = JSON.stringify(Object.entries(item.inputs).map(([n, v]) => [n, v.dims]));
      if (!session || key !== shapeKey) {
        session?.destroy();
        session = await createSession(engine, model, { inputShapes: Object.fromEntries(Object.entries(item.inputs).map(([n, v]) => [n, v.dims])) });
        shapeKey = key;
      }
      const outs = await session.run(Object.fromEntries(Object.entries(item.inputs).map(([n, v]) => [n, v.data])));
      for (const n of names) {
        const v = inputNames.has(n) ? item.inputs[n]?.data : outs[n];
        if (!v) throw new OnnxLoadError(`${what}: no values for tensor '${n}' (input ${item.label})`);
        if (!(v instanceof Float32Array)) throw new OnnxLoadError(`${what}: tensor '${n}' is ${v.constructor.name}, not float32: only float models are calibrated (input ${item.label})`);
        visit(n, v, k);
      }
      progress?.(`${what} ${k + 1}/${data.length} ${item.label}: ${(performance.now() - t).toFixed(0)} ms`);
    }
  } finally {
    session?.destroy();
  }
  progress?.(`${what}: ${data.length} input(s), ${names.length} tensor(s), ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

/** The ranges of `names` over the calibration inputs by `options.method` (default minmax). */
export async function calibrateRanges(engine: Engine, graph: Graph, names: readonly string[], data: readonly CalibrationInput[], options: CalibrateOptions = {}): Promise<Map<string, TensorRange>> {
  const method = options.method ?? 'minmax';
  const collector = createCollector(method, options);
  await forEachCalibrationRun(engine, graph, names, data, (n, v) => collector.add(n, v), options.progress && ((l) => options.progress!(l.replace(/^(calibration: .*tensor\(s\)), /, `$1, ${method}, `))));
  return collector.ranges();
}

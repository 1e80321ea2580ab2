/**
 * The summary math of `winoconv bench --models` (issue 12): statistics of one row's runs, the class of a node's
 * time (winograd / otherConv / nonConv), the per-class split of a profile, the per-model summary and the
 * geometric means against the peers. Pure.
 */
import { geomean, quantile } from '../summary.ts';
import type { LayerProfile, ModelImpl, ModelRow, ModelsBenchResults, ModelSummary, TimeClass } from './types.ts';

export interface RunStats {
  medianMs: number | null;
  minMs: number | null;
  maxMs: number | null;
  /** (q3 − q1) / median; null with fewer than 2 runs. */
  spread: number | null;
}

export function runStats(runMs: readonly number[]): RunStats {
  if (runMs.length === 0) return { medianMs: null, minMs: null, maxMs: null, spread: null };
  const s = [...runMs].sort((a, b) => a - b);
  const medianMs = quantile(s, 0.5);
  const spread = s.length < 2 ? null : medianMs > 0 ? (quantile(s, 0.75) - quantile(s, 0.25)) / medianMs : null;
  return { medianMs, minMs: s[0], maxMs: s[s.length - 1], spread };
}

/** What the classifier needs of a convolution node (from the graph after the passes). */
export interface ConvAttrs {
  kernel: [number, number];
  strides: [number, number];
  dilations: [number, number];
  group: number;
  inChannels: number;
  outChannels: number;
}

const CONV_OPS = new Set(['Conv', 'FusedConv']);
const OTHER_CONV_OPS = new Set(['ConvTranspose', 'Gemm', 'MatMul']);

/**
 * 'winograd': a Conv (or fused Conv) with a 3×3 kernel, stride 1, dilation 1 and more than one input channel per
 * group (what a Winograd F(m×m, 3×3) can serve; depthwise 3×3 convs are 'otherConv'), whatever algorithm ran it.
 * 'otherConv': every other Conv, ConvTranspose, Gemm, MatMul. 'nonConv': the rest (relayouts included).
 */
export function classifyNode(opType: string, conv?: ConvAttrs): TimeClass {
  if (CONV_OPS.has(opType)) {
    if (
      conv && conv.kernel[0] === 3 && conv.kernel[1] === 3 && conv.strides[0] === 1 && conv.strides[1] === 1 &&
      conv.dilations[0] === 1 && conv.dilations[1] === 1 && conv.inChannels / conv.group > 1
    ) return 'winograd';
    return 'otherConv';
  }
  return OTHER_CONV_OPS.has(opType) ? 'otherConv' : 'nonConv';
}

/** 'Cin→Cout k×k s' text of a conv, e.g. '64→64 3×3 s1' ('dw' for depthwise, 'g4' for other groups). */
export function convText(c: ConvAttrs): string {
  const k = c.kernel[0] === c.kernel[1] ? `${c.kernel[0]}×${c.kernel[0]}` : `${c.kernel[0]}×${c.kernel[1]}`;
  const s = c.strides[0] === c.strides[1] ? `s${c.strides[0]}` : `s${c.strides[0]}×${c.strides[1]}`;
  const d = c.dilations[0] !== 1 || c.dilations[1] !== 1 ? ` d${c.dilations[0]}` : '';
  const g = c.group === 1 ? '' : c.group === c.inChannels ? ' dw' : ` g${c.group}`;
  return `${c.inChannels}→${c.outChannels} ${k} ${s}${d}${g}`;
}

/** Sum of gpuMs per class and the total; null when any layer has no GPU time (no timestamp-query). */
export function profileSplit(layers: readonly LayerProfile[]): Record<TimeClass | 'total', number> | null {
  if (layers.length === 0 || layers.some((l) => l.gpuMs === null)) return null;
  const s = { winograd: 0, otherConv: 0, nonConv: 0, total: 0 };
  for (const l of layers) {
    s[l.class] += l.gpuMs!;
    s.total += l.gpuMs!;
  }
  return s;
}

/** The n layers with the most GPU time, slowest first. */
export function slowestLayers(layers: readonly LayerProfile[], n = 5): LayerProfile[] {
  return layers.filter((l) => l.gpuMs !== null).sort((a, b) => b.gpuMs! - a.gpuMs!).slice(0, n);
}

const okRow = (rows: readonly ModelRow[], model: string, impl: ModelImpl) => rows.find((r) => r.model === model && r.impl === impl && r.status === 'ok' && r.medianMs !== null);

/** Per model: winoconv's and the peers' medians (ort wasm: the better of 1 and 2 threads), arena, error. */
export function summarizeModels(rows: readonly ModelRow[], models: readonly string[]): ModelsBenchResults['summary'] {
  const out: Record<string, ModelSummary> = {};
  const overWebgpu: number[] = [];
  const overWasm: number[] = [];
  for (const m of models) {
    const w = okRow(rows, m, 'winoconv');
    const g = okRow(rows, m, 'ort-webgpu');
    const wasm = [okRow(rows, m, 'ort-wasm-1'), okRow(rows, m, 'ort-wasm-2')].filter((r): r is ModelRow => !!r).map((r) => r.medianMs!);
    const ortWasmMs = wasm.length ? Math.min(...wasm) : null;
    const anyW = rows.find((r) => r.model === m && r.impl === 'winoconv');
    out[m] = {
      winoconvMs: w?.medianMs ?? null,
      winoconvFirstMs: w?.firstMs ?? null,
      ortWebgpuMs: g?.medianMs ?? null,
      ortWebgpuFirstMs: g?.firstMs ?? null,
      ortWasmMs,
      arenaBytes: anyW?.arenaBytes ?? null,
      maxRelError: anyW?.maxRelError ?? null,
    };
    if (w && g) overWebgpu.push(g.medianMs! / w.medianMs!);
    if (w && ortWasmMs !== null) overWasm.push(ortWasmMs / w.medianMs!);
  }
  return { models: out, modelsGeomean: { overOrtWebgpu: geomean(overWebgpu), overOrtWasm: geomean(overWasm) } };
}

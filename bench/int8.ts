/**
 * int8 rows of the benchmark: each int8 algorithm that can serve a layer (im2col, direct, winograd2-exact and the
 * tap-wise schemes), uint8 ReLU-like activations × int8 per-channel weights → QLinearConv uint8 output. Reports
 * GPU time (timestamp queries, median after warm-up), effective GOP/s (direct-convolution ops), the speed-up over
 * int8 im2col, and the accuracy: bit-exact (and mismatch count) for exact algorithms, SQNR in dB against the exact
 * QLinearConv result for the tap-wise ones (scales calibrated on a separate seeded sample).
 */
import type { AlgorithmName } from '../src/conv/desc.ts';
import type { QuantOptions } from '../src/conv/quant-options.ts';
import { type ConvGeometry } from '../src/conv/types.ts';
import { outputSize } from '../src/conv/geometry.ts';
import type { Engine } from '../src/engine/engine.ts';
import { packInt8Activations, packedActivationWords, unpackInt8Activations } from '../src/kernels/int8/format.ts';
import { convIntegerReference, qlinearConvReference } from '../src/reference/integer.ts';
import { timePlanAndRead } from './plan-timing.ts';
import { mulberry32, randomInts } from '../src/util/random.ts';
import { directFlops, type BenchLayer } from './suites.ts';

export const INT8_ALGORITHMS: AlgorithmName[] = ['im2col', 'direct', 'winograd2-exact', 'winograd2-tap', 'winograd4-tap', 'winograd2x1-tap', 'winograd4x1-tap'];

export interface Int8Row {
  layer: string;
  algorithm: string;
  kernels: string[];
  gpuMedianMs: number;
  gops: number;
  /** int8 im2col time / this time. */
  overIm2col?: number;
  exact: boolean;
  /** Outputs that differ from the exact QLinearConv result. */
  mismatches: number;
  sqnrDb: number;
  timing: string;
}

function reluLike(n: number, rng: () => number): Int32Array {
  return Int32Array.from({ length: n }, () => Math.min(255, Math.round(Math.abs(Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng())) * 40)));
}

export async function runInt8Bench(engine: Engine, layers: BenchLayer[], opts: { runs: number; warmup: number; progress: (l: string) => void }): Promise<Int8Row[]> {
  const rows: Int8Row[] = [];
  for (const [li, layer] of layers.entries()) {
    const g: ConvGeometry = layer.geom;
    const rng = mulberry32(9100 + li);
    const x = reluLike(g.batch * g.inHeight * g.inWidth * g.inChannels, rng);
    const calibration = [{ data: reluLike(g.inHeight * g.inWidth * g.inChannels, rng), batch: 1, height: g.inHeight, width: g.inWidth }];
    const w = randomInts(g.outChannels * (g.inChannels / g.groups) * g.kernelH * g.kernelW, rng, -127, 127);
    const wScale = Array.from({ length: g.outChannels }, () => Math.fround(0.002 + 0.004 * rng()));
    const xScale = 0.02;
    const acc = convIntegerReference(g, { input: x, inputLayout: 'NHWC', weight: w, weightLayout: 'OIHW' }).data;
    let accMax = 1;
    for (const v of acc) accMax = Math.max(accMax, Math.abs(v));
    const yScale = Math.fround((xScale * 0.004 * accMax) / 200);
    const quant: QuantOptions = { output: 'uint8', xScale, wScale, yScale, yZeroPoint: 0 };
    const exact = qlinearConvReference(g, { input: x, inputLayout: 'NHWC', weight: w, weightLayout: 'OIHW', xScale, wScale, yScale, yZeroPoint: 0, outputDtype: 'uint8', activation: { type: 'relu' } }).data;
    const desc = { inChannels: g.inChannels, outChannels: g.outChannels, kernelSize: [g.kernelH, g.kernelW] as [number, number], strides: g.strides, pads: g.pads, dilations: g.dilations, groups: g.groups, dtype: 'uint8' as const, activation: 'relu' as const };
    const { outHeight: oh, outWidth: ow } = outputSize(g);
    const layerRows: Int8Row[] = [];
    for (const algorithm of INT8_ALGORITHMS) {
      const v = engine.candidates({ ...desc, algorithm }).find((c) => c.algorithm === algorithm);
      if (!v || v.status === 'rejected') continue;
      opts.progress(`[int8 ${li + 1}/${layers.length}] ${layer.name} × ${algorithm} ...`);
      let plan;
      try {
        plan = await engine.createConv2d({ ...desc, algorithm }, { weights: w, quant, calibration, minSqnrDb: 1 });
      } catch (e) {
        opts.progress(`[int8] ${layer.name} × ${algorithm}: not usable: ${(e as Error).message.split('\n')[0]}`);
        continue;
      }
      try {
        plan.resize({ batch: g.batch, height: g.inHeight, width: g.inWidth });
        const { t, raw } = await timePlanAndRead(engine, plan, packInt8Activations(x, 'NHWC', 'uint8', { n: g.batch, c: g.inChannels, h: g.inHeight, w: g.inWidth }), 'int8', opts);
        const odims = { n: g.batch, c: g.outChannels, h: oh, w: ow };
        const got = unpackInt8Activations(new Uint32Array(raw, 0, packedActivationWords('NHWC', odims)), 'NHWC', 'uint8', odims);
        let signal = 0;
        let noise = 0;
        let mismatches = 0;
        for (let i = 0; i < exact.length; i++) {
          signal += exact[i] * exact[i];
          noise += (got[i] - exact[i]) ** 2;
          if (got[i] !== exact[i]) mismatches++;
        }
        const row: Int8Row = {
          layer: layer.name, algorithm, kernels: plan.info.kernels, gpuMedianMs: t.median, gops: directFlops(g) / (t.median * 1e6),
          exact: !algorithm.endsWith('-tap'), mismatches, sqnrDb: noise === 0 ? Infinity : 10 * Math.log10(signal / noise), timing: t.method,
        };
        layerRows.push(row);
        opts.progress(`[int8] ${layer.name} × ${algorithm}: ${t.median.toFixed(2)} ms, ${row.gops.toFixed(2)} GOP/s, ${mismatches ? `SQNR ${row.sqnrDb.toFixed(1)} dB` : 'bit-exact'}`);
      } finally {
        plan.destroy();
      }
    }
    const base = layerRows.find((r) => r.algorithm === 'im2col')?.gpuMedianMs;
    for (const r of layerRows) if (base) r.overIm2col = base / r.gpuMedianMs;
    rows.push(...layerRows);
  }
  return rows;
}

export function formatInt8Table(rows: Int8Row[]): string {
  const head = ['layer', 'int8 algorithm', 'GPU ms', 'GOP/s', 'vs im2col', 'accuracy vs exact QLinearConv'];
  const body = rows.map((r) => [
    r.layer, r.algorithm, r.gpuMedianMs.toFixed(2), r.gops.toFixed(2), r.overIm2col === undefined ? '-' : `${r.overIm2col.toFixed(2)}x`,
    r.mismatches === 0 ? 'bit-exact' : `SQNR ${r.sqnrDb.toFixed(1)} dB (${r.mismatches} outputs differ)${r.exact ? ' EXACT ALGORITHM MISMATCH' : ''}`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (c: string[]) => c.map((x, i) => (i < 2 || i === 5 ? x.padEnd(widths[i]) : x.padStart(widths[i]))).join('  ');
  return ['int8 rows (uint8 ReLU-like activations × int8 per-channel weights → QLinearConv uint8 + relu)', line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

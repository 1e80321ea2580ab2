/**
 * float16 rows of the benchmark (`winoconv bench --fp16`, Node): every float algorithm that can serve a layer, as a
 * float32 plan and as a float16 plan (binary16 storage, f32 arithmetic), on the same data (rounded to binary16).
 * Reports the GPU time of each (timestamp queries, median after warm-up), fp16 time / fp32 time, the bytes each
 * plan moves at least (input and output once, each intermediate buffer written and read once, the constants read
 * once: `plan.info.memory`), and the float16 plan's error against the float64 reference of the rounded data.
 */
import type { AlgorithmName } from '../src/conv/desc.ts';
import type { ConvGeometry } from '../src/conv/types.ts';
import type { Engine } from '../src/engine/engine.ts';
import { conv2dReference } from '../src/reference/conv2d.ts';
import { timePlanAndRead } from './plan-timing.ts';
import { packF16, roundF16, unpackF16 } from '../src/util/float16.ts';
import { mulberry32, randomF32 } from '../src/util/random.ts';
import type { BenchLayer } from './suites.ts';

export const FP16_ALGORITHMS: AlgorithmName[] = ['im2col', 'direct', 'winograd2', 'winograd4'];

export interface Fp16Side {
  kernels: string[];
  gpuMedianMs: number;
  /** input + output + 2 · intermediates + constants, bytes. */
  bytesMoved: number;
  /** max |y − ref| / max |ref| against the float64 reference of the rounded data. */
  maxRel: number;
}

export interface Fp16Row {
  layer: string;
  algorithm: string;
  fp32: Fp16Side;
  fp16: Fp16Side;
  /** fp16 time / fp32 time. */
  timeRatio: number;
  /** fp16 bytes / fp32 bytes. */
  bytesRatio: number;
  timing: string;
}

export async function runFp16Bench(engine: Engine, layers: BenchLayer[], opts: { runs: number; warmup: number; progress: (l: string) => void }): Promise<Fp16Row[]> {
  const rows: Fp16Row[] = [];
  for (const [li, layer] of layers.entries()) {
    const g: ConvGeometry = layer.geom;
    const rng = mulberry32(16_000 + li);
    const x = randomF32(g.batch * g.inHeight * g.inWidth * g.inChannels, rng).map(roundF16);
    const w = randomF32(g.outChannels * (g.inChannels / g.groups) * g.kernelH * g.kernelW, rng, -1, 1).map((v) => roundF16(v / Math.sqrt((g.inChannels / g.groups) * g.kernelH * g.kernelW)));
    const ref = conv2dReference(g, { input: x, inputLayout: 'NHWC', weight: w, weightLayout: 'OIHW', activation: { type: 'relu' } }).data;
    let refMax = 0;
    for (const v of ref) refMax = Math.max(refMax, Math.abs(v));
    const desc = { inChannels: g.inChannels, outChannels: g.outChannels, kernelSize: [g.kernelH, g.kernelW] as [number, number], strides: g.strides, pads: g.pads, dilations: g.dilations, groups: g.groups, activation: 'relu' as const };
    for (const algorithm of FP16_ALGORITHMS) {
      const v = engine.candidates({ ...desc, algorithm }).find((c) => c.algorithm === algorithm);
      if (!v || v.status === 'rejected') continue;
      const side = async (dtype: 'float32' | 'float16'): Promise<Fp16Side | undefined> => {
        opts.progress(`[fp16 ${li + 1}/${layers.length}] ${layer.name} × ${algorithm} ${dtype} ...`);
        let plan;
        try {
          plan = await engine.createConv2d({ ...desc, dtype, algorithm }, { weights: w });
        } catch (e) {
          opts.progress(`[fp16] ${layer.name} × ${algorithm} ${dtype}: not usable: ${(e as Error).message.split('\n')[0]}`);
          return undefined;
        }
        try {
          plan.resize({ batch: g.batch, height: g.inHeight, width: g.inWidth });
          const bytes = plan.byteSizes();
          const { t, raw } = await timePlanAndRead(engine, plan, dtype === 'float16' ? packF16(x) : x, 'fp16', opts);
          const got = dtype === 'float16' ? unpackF16(new Uint32Array(raw), ref.length) : new Float32Array(raw, 0, ref.length);
          let err = 0;
          for (let i = 0; i < ref.length; i++) err = Math.max(err, Math.abs(got[i] - ref[i]));
          const mem = plan.info.memory ?? { constantBytes: 0, scratchBytes: 0 };
          return { kernels: plan.info.kernels, gpuMedianMs: t.median, bytesMoved: bytes.input + bytes.output + 2 * mem.scratchBytes + mem.constantBytes, maxRel: err / refMax, timing: t.method } as Fp16Side & { timing: string };
        } finally {
          plan.destroy();
        }
      };
      const a = await side('float32');
      const b = await side('float16');
      if (!a || !b) continue;
      const row: Fp16Row = { layer: layer.name, algorithm, fp32: a, fp16: b, timeRatio: b.gpuMedianMs / a.gpuMedianMs, bytesRatio: b.bytesMoved / a.bytesMoved, timing: (a as Fp16Side & { timing: string }).timing };
      rows.push(row);
      opts.progress(`[fp16] ${layer.name} × ${algorithm}: fp32 ${a.gpuMedianMs.toFixed(2)} ms, fp16 ${b.gpuMedianMs.toFixed(2)} ms (${row.timeRatio.toFixed(2)}x), bytes ${row.bytesRatio.toFixed(2)}x, fp16 maxRel ${b.maxRel.toExponential(1)}`);
    }
  }
  return rows;
}

const mb = (b: number) => (b / 2 ** 20).toFixed(2);

export function formatFp16Table(rows: Fp16Row[]): string {
  const head = ['layer', 'algorithm', 'fp32 ms', 'fp16 ms', 'fp16/fp32', 'fp32 MiB moved', 'fp16 MiB moved', 'bytes', 'fp16 maxRel', 'fp32 maxRel'];
  const body = rows.map((r) => [
    r.layer, r.algorithm, r.fp32.gpuMedianMs.toFixed(2), r.fp16.gpuMedianMs.toFixed(2), `${r.timeRatio.toFixed(2)}x`, mb(r.fp32.bytesMoved), mb(r.fp16.bytesMoved), `${r.bytesRatio.toFixed(2)}x`,
    r.fp16.maxRel.toExponential(1), r.fp32.maxRel.toExponential(1),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (c: string[]) => c.map((x, i) => (i < 2 ? x.padEnd(widths[i]) : x.padStart(widths[i]))).join('  ');
  return ['float16 rows (binary16 storage, f32 arithmetic; same rounded data for both; maxRel vs float64 of the rounded data)', line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

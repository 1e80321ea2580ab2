/** The printed report of `winoconv bench --models`: one line per model, then per model the time split and the slowest nodes. Pure. */
import { slowestLayers } from './summary.ts';
import type { ModelImpl, ModelRow, ModelsBenchResults } from './types.ts';

const f = (v: number | null | undefined, d = 1) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(d));
const msText = (v: number | null | undefined) => (v === null || v === undefined ? '—' : v < 10 ? v.toFixed(2) : v < 1000 ? v.toFixed(1) : v.toFixed(0));
const ratio = (peer: number | null | undefined, w: number | null | undefined) => (peer && w ? `${(peer / w).toFixed(2)}×` : '—');

function pad(rows: string[][]): string[] {
  const widths = rows[0].map((_, k) => Math.max(...rows.map((r) => r[k].length)));
  return rows.map((r) => r.map((c, k) => (k === 0 ? c.padEnd(widths[k]) : c.padStart(widths[k]))).join('  ').trimEnd());
}

/** A row's median as text, or its status when it has none. */
function cell(r: ModelRow | undefined, key: 'medianMs' | 'firstMs' | 'createMs' = 'medianMs'): string {
  if (!r) return '—';
  if (r.status !== 'ok') return r.status;
  return msText(r[key]);
}

export function formatModelsTable(r: ModelsBenchResults): string {
  const row = (m: string, i: ModelImpl) => r.rows.find((x) => x.model === m && x.impl === i);
  const head = ['model', 'conv GFLOP', 'create ms', 'first ms', 'median ms', 'spread', 'ORT WebGPU ms', 'ORT WebGPU first', 'ORT wasm 1t', 'ORT wasm 2t', 'ORT-WebGPU / wc', 'ORT-wasm / wc', 'max rel err', 'arena MiB'];
  const body = r.specs.map((s) => {
    const w = row(s.name, 'winoconv');
    const sum = r.summary.models[s.name];
    return [
      s.name,
      s.convGflop.toFixed(3),
      cell(w, 'createMs'),
      cell(w, 'firstMs'),
      cell(w),
      w?.spread !== null && w?.spread !== undefined ? `${(100 * w.spread).toFixed(1)}%` : '—',
      cell(row(s.name, 'ort-webgpu')),
      cell(row(s.name, 'ort-webgpu'), 'firstMs'),
      cell(row(s.name, 'ort-wasm-1')),
      cell(row(s.name, 'ort-wasm-2')),
      ratio(sum?.ortWebgpuMs, sum?.winoconvMs),
      ratio(sum?.ortWasmMs, sum?.winoconvMs),
      w?.maxRelError !== null && w?.maxRelError !== undefined ? w.maxRelError.toExponential(1) : '—',
      w?.arenaBytes !== undefined ? f(w.arenaBytes / 2 ** 20, 2) : '—',
    ];
  });
  const lines = [`winoconv bench --models — ${r.environment}; adapter ${r.adapter}; ${r.options.runs} timed rounds, budget ${r.options.budgetS} s per model and implementation`, ''];
  lines.push(...pad([head, ...body]));
  const g = r.summary.modelsGeomean;
  lines.push('', `geomean speed-up of winoconv (peer median / winoconv median): over ORT WebGPU ${g.overOrtWebgpu ? g.overOrtWebgpu.toFixed(2) + '×' : '—'}, over ORT wasm (best of 1t/2t) ${g.overOrtWasm ? g.overOrtWasm.toFixed(2) + '×' : '—'}`);
  const fp16 = r.specs.filter((s) => row(s.name, 'winoconv-fp16'));
  if (fp16.length) {
    const mib = (b?: number) => (b === undefined ? '—' : f(b / 2 ** 20, 2));
    const fp16Body = fp16.map((s) => {
      const a = row(s.name, 'winoconv');
      const b = row(s.name, 'winoconv-fp16');
      return [
        s.name, cell(a), cell(b), a?.medianMs && b?.medianMs ? `${(b.medianMs / a.medianMs).toFixed(2)}×` : '—', mib(a?.arenaBytes), mib(b?.arenaBytes),
        a?.arenaBytes && b?.arenaBytes ? (b.arenaBytes / a.arenaBytes).toFixed(3) : '—', mib(a?.weightBytes), mib(b?.weightBytes),
        b?.maxRelError !== null && b?.maxRelError !== undefined ? b.maxRelError.toExponential(1) : '—',
      ];
    });
    lines.push('', 'precision float16 (SessionOptions.precision: binary16 activations, f32 arithmetic) beside float32:');
    lines.push(...pad([['model', 'fp32 median ms', 'fp16 median ms', 'fp16/fp32', 'fp32 arena MiB', 'fp16 arena MiB', 'arena ratio', 'fp32 weights MiB', 'fp16 weights MiB', 'fp16 max rel err'], ...fp16Body]));
  }
  const notes = r.rows.filter((x) => x.message);
  if (notes.length) lines.push('', ...notes.map((x) => `  ${x.model} ${x.impl} (${x.status}): ${x.message}`));
  for (const p of r.profiles) {
    lines.push('', p.layers.length ? `${p.model}: profile of one winoconv run (GPU time, timestamp queries, median of 3)` : `${p.model}:`);
    if (p.message) lines.push(`  ${p.message}`);
    if (p.split && p.split.total > 0) {
      const pc = (v: number) => `${((100 * v) / p.split!.total).toFixed(1)}%`;
      lines.push(`  split: winograd (3×3 s1 convs) ${pc(p.split.winograd)}, other convs/Gemm/MatMul ${pc(p.split.otherConv)}, non-conv ${pc(p.split.nonConv)}; total ${p.split.total.toFixed(2)} ms`);
    }
    const top = slowestLayers(p.layers, 5);
    if (top.length) {
      lines.push(
        ...pad([
          ['  slowest nodes', 'op', 'conv', 'algorithm', 'class', 'output', 'GPU ms'],
          ...top.map((l) => [`  ${l.node}`, l.opType, l.conv ?? '', l.algorithm, l.class, l.outputShape.join('×'), l.gpuMs!.toFixed(3)]),
        ]),
      );
    }
    if (p.autoCheckError) lines.push(`  check-auto: ${p.autoCheckError}`);
    if (p.autoCheck?.length) {
      lines.push(...pad([['  check-auto node', 'conv', 'auto', 'ms', 'best', 'ms', 'slowdown'], ...p.autoCheck.map((a) => [`  ${a.node}`, a.conv, a.autoAlgorithm, a.autoMs.toFixed(3), a.bestAlgorithm, a.bestMs.toFixed(3), `${(100 * a.slowdown).toFixed(1)}%`])]));
    }
  }
  return lines.join('\n');
}

/**
 * The autotuner's correctness gate: a candidate that is fastest but wrong (a kernel that skips the work; a
 * Winograd kernel built from a corrupted transform) is timed, reported and never chosen.
 */
import type { AlgorithmImpl, PreparedConv } from '../../../src/engine/algorithm.ts';
import { ALGORITHM_IMPLS } from '../../../src/engine/algorithms/index.ts';
import { Engine } from '../../../src/engine/engine.ts';
import { MemoryTuningStore } from '../../../src/engine/tuning-store.ts';
import { cookToom, directAlgorithm, winograd2D } from '../../../src/winograd/index.ts';
import { mulberry32, randomF32 } from '../../../src/util/random.ts';
import type { GpuCase } from '../harness/types.ts';

/** "Fast and wrong": records no dispatch at all, so it is the fastest candidate there can be. */
const nopImpl: AlgorithmImpl = {
  name: 'direct',
  cannotServe: () => undefined,
  async prepare(): Promise<PreparedConv> {
    let oh = 0;
    let ow = 0;
    return {
      algorithm: 'direct',
      kernelIds: ['fake_nop_f32'],
      resize(_b, h, w) {
        oh = h;
        ow = w;
        return { outHeight: oh, outWidth: ow, workspaceBytes: 0, notes: [] };
      },
      stepKernelIds: () => [],
      ioNames: () => ['input', 'output'],
      encode(target, _io, ts) {
        if ('beginComputePass' in target) target.beginComputePass({ timestampWrites: ts }).end();
      },
      destroy() {},
    };
  },
};

/** The real Winograd implementation, fed a corrupted F(2,3) transform (one G entry off by 1%). */
function corruptedWinograd(): AlgorithmImpl {
  const real = ALGORITHM_IMPLS.find((i) => i.name === 'winograd2')!;
  const f23 = cookToom(2, 3, ['0', '1', '-1']);
  const G = f23.G.map((row) => [...row]);
  G[1][1] = G[1][1].mul('101/100');
  const bad = winograd2D({ ...f23, G, kind: 'user', name: 'F(2,3)-corrupted' }, { ...directAlgorithm(3) });
  const corrupt = winograd2D(bad.h, bad.h);
  return { ...real, cannotServe: () => undefined, prepare: (ctx) => real.prepare({ ...ctx, transforms: corrupt }) };
}

export const tunerCases: GpuCase[] = [
  {
    name: 'autotuner: a fastest-but-wrong candidate and a corrupted-transform kernel are rejected, never chosen',
    async run(t) {
      const impls = [...ALGORITHM_IMPLS.filter((i) => i.name === 'im2col' || i.name === 'winograd4'), nopImpl, corruptedWinograd()];
      const engine = new Engine(t.device, { impls });
      // Big enough that every real candidate's work dwarfs launch overhead (the browser's wall clock ticks at 0.1 ms),
      // so the no-op is the fastest measured by a wide margin.
      const desc = { inChannels: 32, outChannels: 32, kernelSize: 3, pads: 1 } as const;
      const found = await engine.findConv2d(desc, { size: { batch: 1, height: 32, width: 32 }, runs: 3 });
      const lines = found.results.map((r) => `${r.algorithm} ${JSON.stringify(r.tuning)} ${r.kernels.join('+')}: ${r.status} ${r.ms?.toFixed(3) ?? '-'} ms: ${r.reason.split('\n')[0]}`);
      t.log(lines.join('\n'));
      const nop = found.results.find((r) => r.kernels.includes('fake_nop_f32'));
      const bad = found.results.find((r) => r.kernels.some((k) => k.startsWith('winou')));
      if (!nop || !bad) throw new Error(`fake candidates missing from the results:\n${lines.join('\n')}`);
      const fastest = found.results.filter((r) => r.ms !== undefined).reduce((a, b) => (b.ms! < a.ms! ? b : a));
      if (fastest !== nop) throw new Error(`the no-op candidate should be the fastest measured:\n${lines.join('\n')}`);
      for (const r of [nop, bad]) if (r.status !== 'failed-verification') throw new Error(`wrong candidate not rejected: ${r.kernels.join('+')} is ${r.status}`);
      if (!found.best || found.best === nop || found.best === bad) throw new Error(`best must be a correct candidate, got ${found.best?.kernels.join('+')}`);
      if (!['im2col', 'winograd4'].includes(found.best.algorithm)) throw new Error(`unexpected best ${found.best.algorithm}`);
    },
  },
  {
    name: 'autotuner: a tuned plan is chosen by measurement, stored, and reused from the store',
    async run(t) {
      const store = new MemoryTuningStore();
      const impls = ALGORITHM_IMPLS.filter((i) => i.name === 'im2col' || i.name === 'winograd2');
      const engine = new Engine(t.device, { autotune: true, tuningStore: store, impls });
      const rng = mulberry32(77);
      const desc = { inChannels: 16, outChannels: 16, kernelSize: 3, pads: 1, activation: 'relu' } as const;
      const opts = { weights: randomF32(16 * 16 * 9, rng), expectedSize: { height: 10, width: 10 } };
      const first = await engine.createConv2d(desc, opts);
      const second = await engine.createConv2d(desc, opts);
      first.destroy();
      second.destroy();
      const entries = Object.values(store.export());
      if (entries.length !== 1) throw new Error(`expected one stored choice, got ${entries.length}`);
      if (!/autotuned: /.test(first.info.notes.join(' '))) throw new Error(`first plan was not tuned: ${first.info.notes.join('; ')}`);
      if (!/from the tuning store/.test(second.info.notes.join(' '))) throw new Error(`second plan did not reuse the store: ${second.info.notes.join('; ')}`);
      if (second.info.algorithm !== entries[0].algorithm) throw new Error(`second plan ${second.info.algorithm} differs from the stored ${entries[0].algorithm}`);
      t.log(`tuned ${entries[0].algorithm} ${JSON.stringify(entries[0].tuning)}; create ${first.info.createMs.toFixed(0)} ms then ${second.info.createMs.toFixed(1)} ms`);
    },
  },
];

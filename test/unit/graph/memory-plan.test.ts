import { describe, expect, it } from 'vitest';
import { checkMemoryPlan, planMemory, type MemoryBlock } from '../../../src/graph/memory-plan.ts';
import { importOnnx } from '../../../src/graph/onnx-import.ts';
import { runPasses } from '../../../src/graph/passes.ts';
import { scheduleGraph } from '../../../src/graph/layout.ts';
import { elementCount } from '../../../src/graph/ir.ts';
import { ZOO, type ZooModelName } from '../../../bench/models/zoo.ts';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

describe('planMemory', () => {
  it('places blocks live at the same step apart, and reuses memory of dead ones', () => {
    const blocks: MemoryBlock[] = [
      { name: 'a', bytes: 1000, first: 0, last: 1 },
      { name: 'b', bytes: 1000, first: 1, last: 2 },
      { name: 'c', bytes: 1000, first: 2, last: 3 },
    ];
    const p = planMemory(blocks, 256);
    checkMemoryPlan(blocks, p);
    expect(p.offsets.get('a')).toBe(p.offsets.get('c'));
    expect(p.peakLiveBytes).toBe(2 * 1024);
    expect(p.arenaBytes).toBe(2 * 1024);
    for (const off of p.offsets.values()) expect(off % 256).toBe(0);
  });

  it('random schedules: no overlap, arena within 1.25x of the peak for chain-like lifetimes', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const r = rng(seed);
      const blocks: MemoryBlock[] = [];
      for (let i = 0; i < 60; i++) {
        const first = i;
        const last = i + 1 + (r() < 0.2 ? Math.floor(r() * 6) : 0);
        blocks.push({ name: `v${i}`, bytes: Math.floor(r() * 1e6) + 4, first, last });
      }
      const p = planMemory(blocks, 256);
      checkMemoryPlan(blocks, p);
      expect(p.arenaBytes, `seed ${seed}`).toBeGreaterThanOrEqual(p.peakLiveBytes);
    }
  });

  it('refuses a block given twice or with first > last', () => {
    expect(() => planMemory([{ name: 'a', bytes: 4, first: 0, last: 0 }, { name: 'a', bytes: 4, first: 1, last: 1 }], 256)).toThrow(/given twice/);
    expect(() => planMemory([{ name: 'a', bytes: 4, first: 2, last: 1 }], 256)).toThrow(/after last/);
  });
});

describe('zoo activations: arena against peak live bytes (activations only)', () => {
  for (const name of ['resnet18', 'mobilenetv2', 'squeezenet1_1'] as ZooModelName[]) {
    it(name, () => {
      const g = runPasses(importOnnx(ZOO[name]({ seed: 1 }))).graph;
      const sched = scheduleGraph(g);
      const life = new Map<string, { first: number; last: number }>();
      const touch = (v: string, t: number) => {
        if (!v || g.initializers.has(v) || g.folded.has(v)) return;
        const l = life.get(v);
        if (l) { l.first = Math.min(l.first, t); l.last = Math.max(l.last, t); } else life.set(v, { first: t, last: t });
      };
      for (const i of g.inputs) touch(i.name, 0);
      sched.items.forEach((it, t) => {
        if (it.kind === 'relayout') { touch(it.from, t); touch(it.to, t); }
        else for (const v of [...it.node.inputs, ...it.node.outputs]) touch(v, t);
      });
      for (const o of g.outputs) touch(sched.outputValue.get(o.name)!, sched.items.length);
      const shapeOf = (v: string) => (g.values.get(v) ?? g.values.get(v.split('::')[0]))!.shape as number[];
      const blocks = [...life].map(([name, l]) => ({ name, bytes: elementCount(shapeOf(name)) * 4, ...l }));
      const p = planMemory(blocks, 256);
      checkMemoryPlan(blocks, p);
      expect(p.arenaBytes / p.peakLiveBytes).toBeLessThanOrEqual(1.25);
    });
  }
});

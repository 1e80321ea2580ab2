/**
 * The session's memory planner: liveness over the schedule, then offsets in one arena. Pure (no GPU).
 *
 * A block is a value or a temporary (a convolution's workspace, an op's scratch) with a byte size and the steps it
 * is live in: from the step that writes it to the last step that reads it (graph inputs from step 0, graph outputs
 * to the end). Aliases (a Reshape of a contiguous value) share their base's storage, so the base lives as long as
 * any alias. Offsets are assigned greedily, largest block first, at the lowest aligned offset that overlaps no
 * placed block whose lifetime intersects — the classic "greedy by size" plan, which stays close to the peak of
 * live bytes on conv nets (the README lists the measured arena/peak ratio per model).
 */

export interface MemoryBlock {
  name: string;
  bytes: number;
  /** First step (inclusive) the block is live in. */
  first: number;
  /** Last step (inclusive) the block is live in. */
  last: number;
}

export interface MemoryPlan {
  /** Byte offset of each block (aligned), by name. */
  offsets: Map<string, number>;
  /** Aligned size of each block, by name. */
  sizes: Map<string, number>;
  arenaBytes: number;
  /** The largest sum of aligned live bytes over the steps: no plan can use less. */
  peakLiveBytes: number;
}

export function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

export function planMemory(blocks: readonly MemoryBlock[], alignment: number): MemoryPlan {
  const seen = new Set<string>();
  for (const b of blocks) {
    if (seen.has(b.name)) throw new Error(`memory plan: block '${b.name}' given twice`);
    seen.add(b.name);
    if (!(b.first <= b.last)) throw new Error(`memory plan: block '${b.name}' has first step ${b.first} after last ${b.last}`);
  }
  const sized = blocks.map((b) => ({ ...b, size: alignUp(Math.max(b.bytes, 4), alignment) }));
  const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  // Greedy placement depends on the order; a few classic orders are tried and the smallest arena is kept.
  const orders = [
    [...sized].sort((a, b) => b.size - a.size || a.first - b.first || byName(a, b)),
    [...sized].sort((a, b) => a.first - b.first || b.size - a.size || byName(a, b)),
    [...sized].sort((a, b) => b.size * (b.last - b.first + 1) - a.size * (a.last - a.first + 1) || byName(a, b)),
    [...sized].sort((a, b) => b.last - b.first - (a.last - a.first) || b.size - a.size || byName(a, b)),
  ];
  let best: { offsets: Map<string, number>; arenaBytes: number } | undefined;
  for (const order of orders) {
    for (const bestFit of [false, true]) {
      const r = place(order, bestFit);
      if (!best || r.arenaBytes < best.arenaBytes) best = r;
    }
  }
  const { offsets, arenaBytes } = best ?? { offsets: new Map<string, number>(), arenaBytes: 0 };
  const events = new Map<number, number>();
  for (const b of sized) {
    events.set(b.first, (events.get(b.first) ?? 0) + b.size);
    events.set(b.last + 1, (events.get(b.last + 1) ?? 0) - b.size);
  }
  let live = 0;
  let peakLiveBytes = 0;
  for (const t of [...events.keys()].sort((a, b) => a - b)) {
    live += events.get(t)!;
    peakLiveBytes = Math.max(peakLiveBytes, live);
  }
  return { offsets, sizes: new Map(sized.map((b) => [b.name, b.size])), arenaBytes, peakLiveBytes };
}

/**
 * Places blocks in the given order: each at the lowest aligned offset (first fit) or in the smallest gap that holds
 * it (best fit, else above everything) among the placed blocks whose lifetimes intersect its own.
 */
function place(order: readonly (MemoryBlock & { size: number })[], bestFit: boolean): { offsets: Map<string, number>; arenaBytes: number } {
  const placed: { first: number; last: number; offset: number; size: number }[] = [];
  const offsets = new Map<string, number>();
  let arenaBytes = 0;
  for (const b of order) {
    const conflicts = placed.filter((p) => p.first <= b.last && b.first <= p.last).sort((x, y) => x.offset - y.offset);
    let offset = -1;
    let gapSize = Infinity;
    let cursor = 0;
    for (const p of conflicts) {
      if (p.offset >= cursor + b.size) {
        const gap = p.offset - cursor;
        if (!bestFit) {
          offset = cursor;
          break;
        }
        if (gap < gapSize) {
          gapSize = gap;
          offset = cursor;
        }
      }
      cursor = Math.max(cursor, p.offset + p.size);
    }
    if (offset < 0) offset = cursor;
    placed.push({ first: b.first, last: b.last, offset, size: b.size });
    offsets.set(b.name, offset);
    arenaBytes = Math.max(arenaBytes, offset + b.size);
  }
  return { offsets, arenaBytes };
}

/** Checks a plan: every pair of blocks live at a common step is disjoint in the arena (used by tests and debug). */
export function checkMemoryPlan(blocks: readonly MemoryBlock[], plan: MemoryPlan): void {
  const list = blocks.map((b) => ({ ...b, offset: plan.offsets.get(b.name)!, size: plan.sizes.get(b.name)! }));
  for (let i = 0; i < list.length; i++) {
    for (let j = i + 1; j < list.length; j++) {
      const a = list[i];
      const b = list[j];
      const timeOverlap = a.first <= b.last && b.first <= a.last;
      const spaceOverlap = a.offset < b.offset + b.size && b.offset < a.offset + a.size;
      if (timeOverlap && spaceOverlap) throw new Error(`memory plan: '${a.name}' and '${b.name}' overlap in time and space`);
    }
  }
}

/**
 * 2-D Winograd algorithms as a pair of 1-D algorithms, one along H and one along W (nesting):
 *   Y = AhT · [(Gh · g · GwT) ⊙ (BhT · d · Bw)] · Aw.
 * The same algorithm twice gives F(m×m, r×r); pairing with the trivial F(1, r) gives the 1-D forms
 * F(m×1, r×r) (Winograd along H, direct along W) and F(1×m, r×r).
 */
import { winograd1D } from './cook-toom.ts';
import type { Winograd1D, Winograd2D } from './types.ts';

/** The part of a 1-D name after "F(m,r)": "", "-alt", "[0,1,-1,3,-3]", "-user". */
function nameSuffix(algo: Winograd1D): string {
  const base = `F(${algo.m},${algo.r})`;
  return algo.name.startsWith(base) ? algo.name.slice(base.length) : `[${algo.name}]`;
}

function name2D(h: Winograd1D, w: Winograd1D): string {
  const base = `F(${h.m}x${w.m},${h.r}x${w.r})`;
  // A direct side carries no point set, so it does not contribute to the suffix.
  const sides = [h, w].filter((a) => a.kind !== 'direct').map(nameSuffix);
  if (sides.length === 0 || sides.every((s) => s === sides[0])) return base + (sides[0] ?? '');
  return `${base}${sides[0] || '-default'}/${sides[1] || '-default'}`;
}

/** Nests `h` (along H, the tile's rows) and `w` (along W, its columns). */
export function winograd2D(h: Winograd1D, w: Winograd1D): Winograd2D {
  if (h?.dims !== 1) throw new Error(`h: expected a 1-D Winograd algorithm, got ${String(h?.name ?? h)}`);
  if (w?.dims !== 1) throw new Error(`w: expected a 1-D Winograd algorithm, got ${String(w?.name ?? w)}`);
  return Object.freeze({
    dims: 2 as const,
    name: name2D(h, w),
    h,
    w,
    mh: h.m,
    mw: w.m,
    rh: h.r,
    rw: w.r,
    nh: h.n,
    nw: w.n,
  });
}

/** F(m×m, r×r) from the offered point sets (see `WINOGRAD_POINT_SETS`). */
export function winogradSquare(m: number, r: number, variant = 'default'): Winograd2D {
  const algo = winograd1D(m, r, variant);
  return winograd2D(algo, algo);
}

const NAME_1D = /^F\((\d+),(\d+)\)(?:-([A-Za-z0-9_]+))?$/;
const NAME_2D = /^F\((\d+)x(\d+),(\d+)x(\d+)\)(?:-([A-Za-z0-9_]+))?$/;

/**
 * Parses the names this module gives to algorithms built from the offered point sets: "F(4,3)",
 * "F(4,3)-alt", "F(1,3)", "F(4x4,3x3)", "F(2x1,3x3)", "F(4x4,3x3)-alt". A variant suffix applies to
 * every non-direct side.
 */
export function winogradFromName(name: string): Winograd1D | Winograd2D {
  const one = NAME_1D.exec(name);
  if (one) return winograd1D(Number(one[1]), Number(one[2]), one[3] ?? 'default');
  const two = NAME_2D.exec(name);
  if (two) {
    const [mh, mw, rh, rw] = [two[1], two[2], two[3], two[4]].map(Number);
    const variant = two[5] ?? 'default';
    const side = (m: number, r: number) => winograd1D(m, r, m === 1 ? 'default' : variant);
    return winograd2D(side(mh, rh), side(mw, rw));
  }
  throw new Error(`name: expected "F(m,r)" or "F(mhxmw,rhxrw)" with an optional "-variant", got ${JSON.stringify(name)}`);
}

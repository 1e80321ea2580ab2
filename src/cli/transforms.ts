/** `winoconv transforms --m M --r R [--points p1,p2,...] [--variant V] [--json]`: exact Winograd matrices. */
import type { Verb } from './verb.ts';
import { cookToom, exactIdentityCheck, formatTransforms, transformErrorScale, transformsToJSON, winograd1D } from '../winograd/index.ts';

function positiveInt(name: string, v: unknown): number {
  const n = Number(v);
  if (v === undefined) throw new Error(`--${name} is required (a positive integer)`);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} = ${String(v)}: must be a positive integer`);
  return n;
}

export const transformsVerb: Verb = {
  summary:
    'Print the exact Winograd F(m, r) matrices AT (m×n), G (n×r), BT (n×n), n = m+r-1, from modified Cook-Toom with the default ' +
    'points (or --points, n-1 rationals like 0,1,-1,1/2; write --points=-1,... when the list starts with a minus). ' +
    'Entries are exact fractions ("1/6"); --json prints {"AT": [[...]], "G": [[...]], "BT": [[...]]} of such strings.',
  usage: 'winoconv transforms --m M --r R [--points p1,p2,...] [--variant alt] [--json]',
  options: { m: { type: 'string' }, r: { type: 'string' }, points: { type: 'string' }, variant: { type: 'string' }, json: { type: 'boolean' } },
  async run(values) {
    const m = positiveInt('m', values.m);
    const r = positiveInt('r', values.r);
    const points = typeof values.points === 'string' ? values.points.split(',').map((s) => s.trim()).filter((s) => s.length > 0) : undefined;
    if (points && values.variant) throw new Error('--points and --variant are exclusive: give one');
    const algo = points ? cookToom(m, r, points) : winograd1D(m, r, (values.variant as string | undefined) ?? 'default');
    const check = exactIdentityCheck(algo);
    if (!check.exact) throw new Error(`internal error: ${algo.name} fails the exact convolution identity (${check.worst})`);
    if (values.json) {
      console.log(JSON.stringify(transformsToJSON(algo)));
    } else {
      console.log(formatTransforms(algo));
      console.log(`\nexact identity AT[(G g) ⊙ (BT d)] = correlation(d, g): verified in rational arithmetic`);
      console.log(`error scale max_i Σ_j |AT_ij|·‖G_j‖₁·‖BT_j‖₁ = ${transformErrorScale(algo).toPrecision(6)} (direct: ${r})`);
    }
    return 0;
  },
};

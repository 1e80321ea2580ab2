/** The fuzzer's generators (src/fuzz/generate.ts): determinism per seed, valid cases valid, bad inputs really bad. */
import { describe, expect, test } from 'vitest';
import { normalizeDesc } from '../../../src/conv/desc.ts';
import { normalizeQuant } from '../../../src/conv/quant-options.ts';
import { requantMultiplier } from '../../../src/reference/integer.ts';
import { convIntegerReference } from '../../../src/reference/integer.ts';
import {
  badOperands, explainInvalid, FUZZ_DEFAULT_SEED, fuzzJson, fuzzOperands, generateCase, resolved,
  type BadFuzzCase, type FuzzCase, type Int8FuzzCase, type ValidFuzzCase,
} from '../../../src/fuzz/generate.ts';
import { caseGeometry, expectedOutput, judgeOutput } from '../../../src/fuzz/judge.ts';

const N = 400;
const cases = (seed: number, n = N): FuzzCase[] => Array.from({ length: n }, (_, i) => generateCase(seed, i));
const stream = cases(FUZZ_DEFAULT_SEED);
const narrowStream = Array.from({ length: 150 }, (_, i) => generateCase(FUZZ_DEFAULT_SEED, i, { narrow: true }));
const valid = [...stream, ...narrowStream].filter((c): c is ValidFuzzCase => c.kind !== 'bad');
const bad = [...stream, ...narrowStream].filter((c): c is BadFuzzCase => c.kind === 'bad');

describe('fuzz generator', () => {
  test('is deterministic per (seed, case), and seeds give different streams', () => {
    for (const i of [0, 1, 7, 123, 399]) {
      const a = generateCase(FUZZ_DEFAULT_SEED, i);
      const b = generateCase(FUZZ_DEFAULT_SEED, i);
      expect(fuzzJson(a, 1e9)).toBe(fuzzJson(b, 1e9));
      if (a.kind !== 'bad') expect(fuzzJson(fuzzOperands(a), 1e9)).toBe(fuzzJson(fuzzOperands(b as ValidFuzzCase), 1e9));
      else expect(fuzzJson(badOperands(a), 1e9)).toBe(fuzzJson(badOperands(b as BadFuzzCase), 1e9));
    }
    expect(fuzzJson(generateCase(3, 5, { narrow: true }))).toBe(fuzzJson(generateCase(3, 5, { narrow: true })));
    const other = cases(2, 50).map((c) => fuzzJson(c));
    const same = stream.slice(0, 50).map((c) => fuzzJson(c));
    expect(other.filter((s, i) => s === same[i]).length).toBe(0);
  });

  test('every valid case is valid: the descriptor normalizes, the quantization too, and the references accept the operands', () => {
    expect(valid.length).toBeGreaterThan(300);
    for (const c of valid) {
      const where = `case ${c.index}: ${fuzzJson(c)}`;
      const d = normalizeDesc({ ...c.desc });
      if (c.kind === 'int8') expect(() => normalizeQuant(d, c.quant), where).not.toThrow();
      const g = caseGeometry(c);
      expect(g.inHeight, where).toBeLessThanOrEqual(20);
      expect(g.inChannels, where).toBeLessThanOrEqual(24);
      const want = expectedOutput(c);
      expect(want.data.every(Number.isFinite), where).toBe(true);
      expect(want.data.length, where).toBeGreaterThan(0);
    }
  });

  test('covers every layout, activation, bias form, groups/depthwise, pads-only outputs and int8 output kind', () => {
    const seen = new Set<string>();
    for (const c of valid) {
      const r = resolved(c.desc);
      seen.add(`layout:${r.layout}`).add(`act:${r.act.type}`).add(`weights:${c.weightLayout}`);
      if (c.bias) seen.add(`bias:${c.bias}`);
      if (c.prelu) seen.add(`prelu:${c.prelu}`);
      for (const t of c.tags) seen.add(`tag:${t}`);
      if (r.sh > 1 || r.sw > 1) seen.add('strided');
      if (r.dh > 1 || r.dw > 1) seen.add('dilated');
      if (r.kh !== r.kw) seen.add('rectangular');
      if (c.size.batch > 1) seen.add('batch>1');
      if (c.kind === 'int8') seen.add(`out:${c.quant.output}`).add(`in:${c.desc.dtype}`).add(`w:${c.quant.weightDtype}`);
    }
    const want = [
      'layout:NHWC', 'layout:NCHW', 'weights:OIHW', 'weights:HWIO', 'act:linear', 'act:relu', 'act:relu6', 'act:leakyrelu', 'act:prelu', 'act:elu', 'act:sigmoid',
      'bias:array', 'bias:array1', 'bias:channel', 'bias:scalar', 'bias:numpy-channel', 'bias:numpy-full', 'prelu:array',
      'tag:depthwise', 'tag:grouped', 'tag:pads-only', 'tag:ties', 'tag:saturate', 'tag:wide', 'tag:tiny', 'tag:sparse', 'tag:integers',
      'strided', 'dilated', 'rectangular', 'batch>1', 'out:int32', 'out:int8', 'out:uint8', 'out:float32', 'in:int8', 'in:uint8', 'w:int8', 'w:uint8',
    ];
    expect(want.filter((w) => !seen.has(w))).toEqual([]);
  });

  test('int8 ties cases hit exact .5 ties of the requantization, and saturate cases saturate', () => {
    let ties = 0;
    let saturated = 0;
    let outputs = 0;
    for (const c of valid.filter((x): x is Int8FuzzCase => x.kind === 'int8' && (x.quant.output === 'int8' || x.quant.output === 'uint8'))) {
      const ops = fuzzOperands(c);
      const q = c.quant;
      const r = resolved(c.desc);
      const acc = convIntegerReference(caseGeometry(c), { input: ops.input, inputLayout: r.layout, weight: ops.options.weights, weightLayout: c.weightLayout, xZeroPoint: q.xZeroPoint, wZeroPoint: q.wZeroPoint }).data;
      const ws = typeof q.wScale === 'number' ? [q.wScale] : Array.from(q.wScale!);
      const [lo, hi] = q.output === 'uint8' ? [0, 255] : [-128, 127];
      const want = expectedOutput(c, ops).data;
      const hw = acc.length / (c.size.batch * c.desc.outChannels);
      for (let i = 0; i < acc.length; i++) {
        const o = r.layout === 'NHWC' ? i % c.desc.outChannels : Math.floor(i / hw) % c.desc.outChannels;
        const m = requantMultiplier(q.xScale!, ws[ws.length === 1 ? 0 : o], q.yScale!);
        const v = acc[i] * m;
        if (c.flavour === 'ties' && !c.bias && Math.abs(v - Math.trunc(v)) === 0.5) ties++;
        if (c.flavour === 'saturate') {
          outputs++;
          if (want[i] === lo || want[i] === hi) saturated++;
        }
      }
    }
    expect(ties).toBeGreaterThan(100);
    expect(saturated / outputs).toBeGreaterThan(0.3);
  });

  test('every bad input is invalid, by a second statement of the contract; its base is valid', () => {
    expect(bad.length).toBeGreaterThan(30);
    const kinds = new Set<string>();
    for (const b of bad) {
      const why = explainInvalid(b);
      expect(why, `case ${b.index} (${b.name}): ${fuzzJson(b.mutation)} is not invalid`).toBeDefined();
      kinds.add(why!.split(' ')[0]);
      const noop: BadFuzzCase = { ...b, mutation: { op: 'set', target: 'desc', path: 'inChannels', value: b.base.desc.inChannels } };
      expect(explainInvalid(noop), `case ${b.index}: base ${fuzzJson(b.base)}`).toBeUndefined();
    }
    expect(kinds.size).toBeGreaterThan(8);
  });

  test('bad inputs cover the listed classes over a longer stream', () => {
    const names = cases(FUZZ_DEFAULT_SEED, 3000).filter((c): c is BadFuzzCase => c.kind === 'bad').map((b) => b.name).join('\n');
    for (const re of [
      /unknown key 'stride'/, /unknown key 'pad'/, /unknown key 'dilation'/, /unknown key 'group'/, /unknown key 'padding'/, /unknown key 'activaton'/, /'biases'/,
      /of the wrong type/, /= 0\b/, /= -/, /= NaN/, /Infinity/, /\.5/, /weights\.length/, /does not divide/, /bias .* does not fit/, /numpy bias/,
      /preluWeights\[i\]/, /run\(x\) with \d+ values/, /run\(x\) with x =/, /run\(x, shape\)/, /quant\./, /outside (int8|uint8)/,
    ]) {
      expect(names, String(re)).toMatch(re);
    }
  });

  test('the judge passes the reference itself and fails a perturbed output', () => {
    for (const c of valid.slice(0, 40)) {
      const want = expectedOutput(c);
      const alg = c.kind === 'int8' ? 'direct' : 'winograd4';
      expect(judgeOutput(c, alg, Float64Array.from(want.data), want).pass).toBe(true);
      const off = Float64Array.from(want.data);
      off[off.length >> 1] += c.kind === 'int8' ? 1 : 1e-2 * (1 + Math.abs(off[off.length >> 1]));
      expect(judgeOutput(c, alg, off, want).pass, `case ${c.index}`).toBe(false);
      const nan = Float64Array.from(want.data);
      nan[0] = Number.NaN;
      expect(judgeOutput(c, alg, nan, want).pass).toBe(false);
    }
  });
});

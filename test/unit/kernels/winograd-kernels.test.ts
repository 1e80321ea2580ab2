/**
 * The Winograd transform kernels and their host side, without a GPU:
 * - layout math and kernel-ID fragments (canonical names, hashes for user/edited matrices);
 * - every generated kernel reflects cleanly against its binding/uniform contract (wgsl_reflect);
 * - kernel IDs differ whenever the config differs;
 * - the unrolled code: no 0-coefficient terms, ±1 as add/sub, the exact matrix in a comment, and — evaluated
 *   on the CPU straight from the WGSL text — each 1-D pass implements exactly the f32-rounded matrix; a
 *   kernel generated from a corrupted matrix (wrong literal, dropped term) does not;
 * - the CPU filter transform equals the staged reference's winogradFilterTransform (float64, rounded once),
 *   from OIHW and HWIO weights;
 * - the GPU cases' stage comparison fails on a corrupted transform and on NaN.
 */
import { describe, expect, it } from 'vitest';
import { kernelContractMismatches } from '../../../src/kernels/reflect.ts';
import { type EpilogueConfig, epiloguePart } from '../../../src/kernels/epilogue.ts';
import { packUniforms } from '../../../src/kernels/types.ts';
import {
  fnv1a32,
  winogradAlgoIdPart,
  winogradLayout,
  winogradMatrixHash,
  winogradMIndex,
  winogradOutputSize,
  winogradUIndex,
  winogradVIndex,
} from '../../../src/kernels/winograd-layout.ts';
import {
  type WinogradInputConfig,
  WINOGRAD_INPUT_UNIFORMS,
  generateWinogradInputKernel,
  winogradInputKernelId,
  winogradInputUniforms,
} from '../../../src/kernels/winograd-input.ts';
import {
  type WinogradOutputConfig,
  WINOGRAD_OUTPUT_UNIFORMS,
  generateWinogradOutputKernel,
  winogradOutputKernelId,
  winogradOutputUniforms,
} from '../../../src/kernels/winograd-output.ts';
import { transformWinogradFilter, winogradFilterLength } from '../../../src/kernels/winograd-filter.ts';
import { transposeWeight } from '../../../src/reference/conv2d.ts';
import { winogradFilterTransform, winogradInputTransform, winogradTiling } from '../../../src/reference/winograd.ts';
import {
  type RationalMatrix,
  type Winograd2D,
  directAlgorithm,
  formatMatrix,
  toFloat32,
  winograd1D,
  winograd2D,
  winogradSquare,
} from '../../../src/winograd/index.ts';
import {
  STAGE_ALGOS,
  STAGE_EPILOGUES,
  STAGE_SHAPES,
  compareStage,
  expectedInputStage,
  learnedF43,
  learnedTransform2D,
  withEntry,
} from '../../gpu/cases/winograd-stages.ts';
import { mulberry32, randomF32 } from '../helpers/rng.ts';

const LAYOUTS = ['NHWC', 'NCHW'] as const;

const ALGOS: readonly { label: string; algo: Winograd2D }[] = [
  { label: 'F(2x2,3x3)', algo: winogradSquare(2, 3) },
  { label: 'F(4x4,3x3)', algo: winogradSquare(4, 3) },
  { label: 'F(4x4,3x3)-alt', algo: winogradSquare(4, 3, 'alt') },
  { label: 'F(6x6,3x3)', algo: winogradSquare(6, 3) },
  { label: 'F(2x1,3x3)', algo: winograd2D(winograd1D(2, 3), directAlgorithm(3)) },
  { label: 'F(4x1,3x3)', algo: winograd2D(winograd1D(4, 3), directAlgorithm(3)) },
  { label: 'F(1x2,3x3)', algo: winograd2D(directAlgorithm(3), winograd1D(2, 3)) },
  { label: 'F(2x2,5x5)', algo: winogradSquare(2, 5) },
  { label: 'F(4x4,5x5)', algo: winogradSquare(4, 5) },
  { label: 'user F(4x4,3x3)-learned', algo: learnedTransform2D() },
];

const EPILOGUES: readonly EpilogueConfig[] = [...STAGE_EPILOGUES, { bias: 'channel', activation: 'leakyrelu' }];

// ---------------------------------------------------------------------------------------------------------
// A tiny evaluator for the unrolled WGSL: `[-]term (± term)*`, term = `<f32 literal>f * name` | `name`.

function evalExpr(expr: string, values: Record<string, number>): number {
  const tokens = expr.trim().split(/\s+/);
  let acc = 0;
  let sign = 1;
  let i = 0;
  const operand = (tok: string): number => {
    if (!(tok in values)) throw new Error(`unknown operand '${tok}' in '${expr}'`);
    return values[tok];
  };
  while (i < tokens.length) {
    let tok = tokens[i];
    if (tok === '+' || tok === '-') {
      sign = tok === '-' ? -1 : 1;
      i++;
      continue;
    }
    let term: number;
    if (/^-?[0-9.e-]+f$/.test(tok)) {
      const lit = Number(tok.slice(0, -1));
      if (tokens[i + 1] !== '*') throw new Error(`literal without '*' in '${expr}'`);
      term = lit * operand(tokens[i + 2]);
      i += 3;
    } else {
      let s = 1;
      if (tok.startsWith('-')) {
        s = -1;
        tok = tok.slice(1);
      }
      term = s * operand(tok);
      i++;
    }
    acc += sign * term;
    sign = 1;
  }
  return acc;
}

/** The matrix a set of row expressions implements over `operands` (each evaluated on the basis vectors). */
function implemented(rows: readonly string[], operands: readonly string[]): number[][] {
  return rows.map((e) =>
    operands.map((_, q) => {
      if (e === 'vec4<f32>(0.0)') return 0;
      const values: Record<string, number> = {};
      operands.forEach((name, p) => (values[name] = p === q ? 1 : 0));
      return evalExpr(e, values);
    }),
  );
}

/**
 * The two 1-D passes of a generated kernel, read back from its straight-line WGSL: step 1 as the lets
 * t{i}_0 over the first patch/tap column ({d|m}{a}_0), step 2 as what is stored for row 0 (over t0_{b}).
 */
function passesOf(code: string, stage: 'input' | 'output', algo: Winograd2D): { h: number[][]; w: number[][] } {
  const rowsH = stage === 'input' ? algo.nh : algo.mh;
  const nh = algo.nh;
  const nw = algo.nw;
  const outW = stage === 'input' ? algo.nw : algo.mw;
  const lines = code.split('\n');
  const hRows = new Array<string>(rowsH);
  for (const l of lines) {
    const m = /^\s*let t(\d+)_0 = (.+);$/.exec(l);
    if (m) hRows[Number(m[1])] = m[2];
  }
  const inName = stage === 'input' ? 'd' : 'm';
  const h = implemented(hRows, Array.from({ length: nh }, (_, a) => `${inName}${a}_0`));
  const step2 = lines.findIndex((l) => l.includes('step 2 along W'));
  const lets: Record<string, string> = {};
  for (const l of lines.slice(step2)) {
    const m = /^\s*let (y\d+_\d+) = (.+);$/.exec(l);
    if (m) lets[m[1]] = m[2];
  }
  const stored = new Array<string>(outW);
  let pixel: [number, number] | undefined;
  for (const l of lines.slice(step2)) {
    if (stage === 'input') {
      const m = /^\s*wino_v\[vb(?: \+ vs| \+ (\d+)u \* vs)?\] = (.+);$/.exec(l);
      if (!m) continue;
      const xi = m[1] ? Number(m[1]) : l.includes('vb + vs') ? 1 : 0;
      if (xi < nw) stored[xi] ??= m[2].replace(/^select\(zero, (.*), lane_ok\)$/, '$1');
    } else {
      const p = /^\s*let p(\d+)_(\d+) = /.exec(l);
      if (p) pixel = [Number(p[1]), Number(p[2])];
      const m = /epilogue4(?:_ch)?\(([^,]+), /.exec(l);
      if (m && pixel && pixel[0] === 0) stored[pixel[1]] ??= m[1].replace(/^nan_tile\(/, '');
    }
  }
  const wRows = stored.map((s) => lets[s] ?? s);
  const w = implemented(wRows, Array.from({ length: nw }, (_, b) => `t0_${b}`));
  return { h, w };
}

const f32Matrix = (m: RationalMatrix) => toFloat32(m);

// ---------------------------------------------------------------------------------------------------------

describe('winograd layout', () => {
  it('tiles, taps, vec4 groups and byte sizes agree with the reference tiling', () => {
    for (const { algo } of ALGOS) {
      for (const { shape } of STAGE_SHAPES) {
        if (shape.inHeight + shape.pads[0] + shape.pads[2] < algo.rh || shape.inWidth + shape.pads[1] + shape.pads[3] < algo.rw) continue;
        const l = winogradLayout(algo, shape);
        const r = winogradTiling(algo, shape);
        expect([l.outHeight, l.outWidth, l.tilesH, l.tilesW, l.tiles, l.taps]).toEqual([r.outHeight, r.outWidth, r.tilesH, r.tilesW, r.tiles, r.taps]);
        expect(l.c4).toBe(Math.ceil(shape.inChannels / 4));
        expect(l.o4).toBe(Math.ceil(shape.outChannels / 4));
        expect(l.vBytes).toBe(l.taps * l.tiles * l.c4 * 16);
        expect(l.uBytes).toBe(l.taps * l.c4 * 4 * l.o4 * 16);
        expect(l.mBytes).toBe(l.taps * l.tiles * l.o4 * 16);
        expect(l.workspaceBytes).toBe(l.vBytes + l.mBytes);
      }
    }
  });

  it('F(4x4,3x3) on N2 7x9 pads [1,0,2,1]: 8x8 output, 2x2 tiles per image, last index math', () => {
    const l = winogradLayout(winogradSquare(4, 3), { batch: 2, inHeight: 7, inWidth: 9, inChannels: 13, outChannels: 5, pads: [1, 0, 2, 1] });
    expect(l).toMatchObject({ outHeight: 8, outWidth: 8, tilesH: 2, tilesW: 2, tiles: 8, taps: 36, c4: 4, o4: 2, cPad: 16, oPad: 8 });
    expect(winogradVIndex(l, 35, 7, 15)).toBe(l.vBytes / 4 - 1);
    expect(winogradMIndex(l, 35, 7, 7)).toBe(l.mBytes / 4 - 1);
    expect(winogradUIndex(l, 35, 15, 7)).toBe(l.uBytes / 4 - 1);
  });

  it('rejects shapes with no output, naming the rule', () => {
    expect(() => winogradOutputSize(winogradSquare(4, 5), { batch: 1, inHeight: 3, inWidth: 9, inChannels: 1, outChannels: 1, pads: [0, 0, 0, 0] })).toThrow(
      /output would be -1x5/,
    );
    expect(() => winogradLayout(winogradSquare(2, 3), { batch: 0, inHeight: 3, inWidth: 3, inChannels: 1, outChannels: 1, pads: [0, 0, 0, 0] })).toThrow(/batch/);
  });
});

describe('winograd algorithm ID fragment', () => {
  it('canonical algorithms get readable names', () => {
    const ids = Object.fromEntries(ALGOS.map((a) => [a.label, winogradAlgoIdPart(a.algo)]));
    expect(ids).toMatchObject({
      'F(2x2,3x3)': 'wino2x2',
      'F(4x4,3x3)': 'wino4x4',
      'F(4x4,3x3)-alt': 'wino4x4alt',
      'F(6x6,3x3)': 'wino6x6',
      'F(2x1,3x3)': 'wino2x1',
      'F(4x1,3x3)': 'wino4x1',
      'F(1x2,3x3)': 'wino1x2',
      'F(2x2,5x5)': 'wino2x2r5',
      'F(4x4,5x5)': 'wino4x4r5',
    });
    expect(winogradAlgoIdPart(winograd2D(winograd1D(2, 3), winograd1D(2, 5)))).toBe('wino2x2r3x5');
  });

  it('user and edited matrices get a stable hash; different matrices never share it', () => {
    const user = winogradAlgoIdPart(learnedTransform2D());
    expect(user).toMatch(/^winou4x4_[0-9a-f]{8}$/);
    expect(winogradAlgoIdPart(learnedTransform2D())).toBe(user);
    expect(winogradAlgoIdPart(winograd2D(learnedF43(11), learnedF43(13)))).not.toBe(user);
    // An exact algorithm with one entry changed keeps its name and kind but loses the canonical ID.
    const f43 = winograd1D(4, 3);
    const edited = winograd2D(f43, withEntry(f43, 'BT', 0, 0, 4.0001));
    expect(edited.name).toBe('F(4x4,3x3)');
    expect(winogradAlgoIdPart(edited)).toMatch(/^winou4x4_[0-9a-f]{8}$/);
    expect(winogradAlgoIdPart(edited)).not.toBe(winogradAlgoIdPart(winograd2D(f43, withEntry(f43, 'BT', 0, 0, 4.0002))));
    expect(winogradMatrixHash(edited)).not.toBe(winogradMatrixHash(winogradSquare(4, 3)));
    expect(fnv1a32('')).toBe('811c9dc5');
  });
});

describe('winograd kernel IDs', () => {
  it('follow the grammar <algo>_<stage>_<dtype>_<layout>[_cbound][_wgN][_<epilogue>]', () => {
    const algo = winogradSquare(4, 3);
    expect(winogradInputKernelId({ algo, layout: 'NHWC', dtype: 'f32', channelsAligned: true })).toBe('wino4x4_input_f32_nhwc');
    expect(winogradInputKernelId({ algo, layout: 'NCHW', dtype: 'f32', channelsAligned: false, workgroupSize: 128 })).toBe('wino4x4_input_f32_nchw_cbound_wg128');
    expect(winogradOutputKernelId({ algo, layout: 'NHWC', dtype: 'f32', channelsAligned: true, epilogue: { bias: 'channel', activation: 'relu' } })).toBe(
      'wino4x4_output_f32_nhwc_bias_relu',
    );
    expect(winogradOutputKernelId({ algo, layout: 'NCHW', dtype: 'f32', channelsAligned: true, epilogue: { bias: 'none', activation: 'linear' } })).toBe(
      'wino4x4_output_f32_nchw',
    );
    expect(generateWinogradInputKernel({ algo: winogradSquare(2, 3), layout: 'NHWC', dtype: 'f32', channelsAligned: true }).id).toBe('wino2x2_input_f32_nhwc');
  });

  it('differ whenever the config differs, and are reproducible', () => {
    const seen = new Map<string, string>();
    const add = (id: string, cfg: string) => {
      const prev = seen.get(id);
      if (prev !== undefined && prev !== cfg) throw new Error(`kernel ID ${id} shared by ${prev} and ${cfg}`);
      seen.set(id, cfg);
    };
    let count = 0;
    for (const { label, algo } of ALGOS) {
      for (const layout of LAYOUTS) {
        for (const channelsAligned of [true, false]) {
          for (const workgroupSize of [undefined, 64, 128]) {
            const wg = workgroupSize ?? 64;
            const icfg: WinogradInputConfig = { algo, layout, dtype: 'f32', channelsAligned, workgroupSize };
            add(winogradInputKernelId(icfg), JSON.stringify(['in', label, layout, channelsAligned, wg]));
            count++;
            for (const epilogue of EPILOGUES) {
              const ocfg: WinogradOutputConfig = { algo, layout, dtype: 'f32', channelsAligned, epilogue, workgroupSize };
              add(winogradOutputKernelId(ocfg), JSON.stringify(['out', label, layout, channelsAligned, wg, epilogue]));
              count++;
            }
          }
        }
      }
    }
    // Configs that differ only in spelling the default workgroup size share an ID; all others differ.
    expect(seen.size).toBe((count / 3) * 2);
    const cfg: WinogradOutputConfig = { algo: learnedTransform2D(), layout: 'NCHW', dtype: 'f32', channelsAligned: false, epilogue: EPILOGUES[3] };
    const a = generateWinogradOutputKernel(cfg);
    const b = generateWinogradOutputKernel({ ...cfg, algo: learnedTransform2D() });
    expect(b.id).toBe(a.id);
    expect(b.code).toBe(a.code);
  });

  it('reject bad configs with the field named', () => {
    const algo = winogradSquare(4, 3);
    expect(() => generateWinogradInputKernel({ algo, layout: 'NHCW' as 'NHWC', dtype: 'f32', channelsAligned: true })).toThrow(/layout/);
    expect(() => generateWinogradInputKernel({ algo, layout: 'NHWC', dtype: 'f16' as 'f32', channelsAligned: true })).toThrow(/dtype/);
    expect(() => generateWinogradOutputKernel({ algo, layout: 'NHWC', dtype: 'f32', channelsAligned: true, epilogue: EPILOGUES[0], workgroupSize: 0 })).toThrow(
      /workgroupSize/,
    );
  });
});

describe('generated Winograd kernels', () => {
  // Every algorithm × layout × channel variant; output kernels rotate through the epilogues, and one
  // algorithm runs every epilogue.
  const inputs = ALGOS.flatMap(({ label, algo }) =>
    LAYOUTS.flatMap((layout) => [true, false].map((channelsAligned) => ({ label, algo, cfg: { algo, layout, dtype: 'f32' as const, channelsAligned } }))),
  );
  const outputs = [
    ...inputs.map((x, i) => ({ ...x, cfg: { ...x.cfg, epilogue: EPILOGUES[i % EPILOGUES.length] } })),
    ...EPILOGUES.map((epilogue) => ({
      label: 'F(4x4,3x3)',
      algo: winogradSquare(4, 3),
      cfg: { algo: winogradSquare(4, 3), layout: 'NHWC' as const, dtype: 'f32' as const, channelsAligned: true, epilogue },
    })),
  ];

  describe('input', () => {
    for (const { label, algo, cfg } of inputs) {
      const k = generateWinogradInputKernel(cfg);
      it(`${k.id} (${label}): reflects cleanly, exact matrices in comments, each pass implements BT exactly`, () => {
        expect(kernelContractMismatches(k)).toEqual([]);
        expect(k.uniforms.map((u) => u.name)).toEqual([...WINOGRAD_INPUT_UNIFORMS]);
        expect(k.bindings.map((b) => `${b.binding}:${b.name}:${b.kind}`)).toEqual(['0:params:uniform', '1:input:read-only-storage', '2:wino_v:storage']);
        expect(k.code).toContain(formatMatrix(algo.h.BT, '  //   '));
        if (formatMatrix(algo.w.BT) !== formatMatrix(algo.h.BT)) expect(k.code).toContain(formatMatrix(algo.w.BT, '  //   '));
        expect(k.code).not.toMatch(/(^|[^0-9.])-?0\.0f\b/m);
        expect(k.code).not.toMatch(/(^|[^0-9.])-?1\.0f \*/m);
        const { h, w } = passesOf(k.code, 'input', algo);
        expect(h).toEqual(f32Matrix(algo.h.BT));
        expect(w).toEqual(f32Matrix(algo.w.BT));
      });
    }
  });

  describe('output', () => {
    for (const { label, algo, cfg } of outputs) {
      const k = generateWinogradOutputKernel(cfg);
      it(`${k.id} (${label}): reflects cleanly, exact matrices in comments, each pass implements AT exactly`, () => {
        expect(kernelContractMismatches(k)).toEqual([]);
        const epi = epiloguePart(cfg.epilogue);
        expect(k.uniforms.map((u) => u.name)).toEqual([...WINOGRAD_OUTPUT_UNIFORMS, ...epi.uniforms.map((u) => u.name)]);
        expect(k.bindings.map((b) => b.name)).toEqual(['params', 'wino_m', 'output', ...epi.bindings.map((b) => b.name)]);
        expect(k.code).toContain(formatMatrix(algo.h.AT, '  //   '));
        if (formatMatrix(algo.w.AT) !== formatMatrix(algo.h.AT)) expect(k.code).toContain(formatMatrix(algo.w.AT, '  //   '));
        expect(k.code).not.toMatch(/(^|[^0-9.])-?0\.0f\b/m);
        expect(k.code).not.toMatch(/(^|[^0-9.])-?1\.0f \*/m);
        const { h, w } = passesOf(k.code, 'output', algo);
        expect(h).toEqual(f32Matrix(algo.h.AT));
        expect(w).toEqual(f32Matrix(algo.w.AT));
      });
    }
  });

  it('the CPU read-back of the passes catches a wrong literal and a dropped term', () => {
    const f43 = winograd1D(4, 3);
    const good = winograd2D(f43, f43);
    // A literal off by 1e-6 relative (−5 → −5.000005) in BhT, and a dropped term (AwT[3][5] = 1 → 0).
    const badIn = generateWinogradInputKernel({ algo: winograd2D(withEntry(f43, 'BT', 0, 2, -5.000005), f43), layout: 'NHWC', dtype: 'f32', channelsAligned: true });
    const badOut = generateWinogradOutputKernel({
      algo: winograd2D(f43, withEntry(f43, 'AT', 3, 5, 0)),
      layout: 'NCHW',
      dtype: 'f32',
      channelsAligned: false,
      epilogue: EPILOGUES[0],
    });
    const pin = passesOf(badIn.code, 'input', good);
    expect(pin.h).not.toEqual(f32Matrix(good.h.BT));
    expect(pin.w).toEqual(f32Matrix(good.w.BT));
    const pout = passesOf(badOut.code, 'output', good);
    expect(pout.h).toEqual(f32Matrix(good.h.AT));
    expect(pout.w).not.toEqual(f32Matrix(good.w.AT));
  });

  it('uniform helpers give exactly the kernel uniform fields', () => {
    const algo = winogradSquare(4, 3);
    const shape = STAGE_SHAPES[0].shape;
    const l = winogradLayout(algo, shape);
    const k = generateWinogradInputKernel({ algo, layout: 'NHWC', dtype: 'f32', channelsAligned: false });
    expect(() => packUniforms(k.uniforms, winogradInputUniforms(l, shape, 64))).not.toThrow();
    for (const epilogue of EPILOGUES) {
      const cfg: WinogradOutputConfig = { algo, layout: 'NCHW', dtype: 'f32', channelsAligned: false, epilogue };
      const u = winogradOutputUniforms(cfg, l, shape, 64);
      expect(Object.keys(u).sort()).toEqual(generateWinogradOutputKernel(cfg).uniforms.map((f) => f.name).sort());
      if (epilogue.bias === 'tensor' || epilogue.prelu === 'tensor') expect(u.epi_cpad).toBe(l.oPad);
    }
  });
});

describe('winograd filter transform (CPU, at plan creation)', () => {
  const cases = [
    ...ALGOS.map((a) => ({ ...a, O: 5, C: 3 })),
    { label: 'F(4x4,3x3) C13 O8', algo: winogradSquare(4, 3), O: 8, C: 13 },
    { label: 'F(2x2,3x3) C1 O1', algo: winogradSquare(2, 3), O: 1, C: 1 },
  ];
  for (const { label, algo, O, C } of cases) {
    it(`${label}: equals the reference's float64 U rounded once, from OIHW and HWIO, padding zero`, () => {
      const rng = mulberry32(4242 + O * 31 + C);
      const w = randomF32(O * C * algo.rh * algo.rw, rng);
      const U = transformWinogradFilter(algo, w, { weightLayout: 'OIHW', outChannels: O, inChannels: C });
      expect(U.length).toBe(winogradFilterLength(algo, O, C));
      const ref = winogradFilterTransform(algo, w, O, C, 'f64');
      const cPad = 4 * Math.ceil(C / 4);
      const oPad = 4 * Math.ceil(O / 4);
      const taps = algo.nh * algo.nw;
      const expected = new Float32Array(taps * cPad * oPad);
      for (let xi = 0; xi < taps; xi++) for (let c = 0; c < C; c++) for (let o = 0; o < O; o++) expected[(xi * cPad + c) * oPad + o] = ref[(xi * C + c) * O + o];
      expect(Array.from(U)).toEqual(Array.from(expected));
      const hwio = Float32Array.from(transposeWeight(w, 'OIHW', 'HWIO', O, C, algo.rh, algo.rw));
      expect(Array.from(transformWinogradFilter(algo, hwio, { weightLayout: 'HWIO', outChannels: O, inChannels: C }))).toEqual(Array.from(U));
      // Against the float32-emulating reference the difference is rounding only (≤ a few u·Σ|G||g||G|).
      const ref32 = winogradFilterTransform(algo, w, O, C, 'f32');
      let worst = 0;
      for (let xi = 0; xi < taps; xi++)
        for (let c = 0; c < C; c++) for (let o = 0; o < O; o++) worst = Math.max(worst, Math.abs(U[(xi * cPad + c) * oPad + o] - ref32[(xi * C + c) * O + o]));
      expect(worst).toBeLessThan(1e-5);
    });
  }

  it('rejects weights of the wrong length, naming layout and shape', () => {
    expect(() => transformWinogradFilter(winogradSquare(4, 3), new Float32Array(10), { weightLayout: 'HWIO', outChannels: 2, inChannels: 3 })).toThrow(
      /weights: expected 54 values \(HWIO 3x3x3x2\), got 10/,
    );
  });
});

describe('stage comparison used by the GPU cases', () => {
  const shape = STAGE_SHAPES[0].shape;
  const input = randomF32(shape.batch * shape.inHeight * shape.inWidth * shape.inChannels, mulberry32(99));

  for (const { label, algo } of STAGE_ALGOS) {
    it(`${label}: passes the reference itself, fails a 1e-4 literal change and a dropped term`, () => {
      const l = winogradLayout(algo, shape);
      const exp = expectedInputStage(algo, input, shape, l);
      expect(compareStage(exp.value, exp.value, exp.scale, exp.bound, exp.where).pass).toBe(true);
      // A "kernel" computing with a corrupted BhT entry (the largest of row 0), padded into the GPU layout.
      const row = algo.h.BT[0];
      const j = row.reduce((best, v, c) => (v.abs().gt(row[best].abs()) ? c : best), 0);
      const v0 = toFloat32(algo.h.BT)[0][j];
      for (const bad of [v0 * (1 + 1e-4), 0]) {
        const corrupted = winograd2D(withEntry(algo.h, 'BT', 0, j, bad), algo.w);
        const got = expectedInputStage(corrupted, input, shape, l).value;
        const cmp = compareStage(got, exp.value, exp.scale, exp.bound, exp.where);
        expect(cmp.pass, cmp.message).toBe(false);
      }
    });
  }

  it('fails on NaN and on an unwritten (sentinel) element even where the bound is 0', () => {
    const algo = winogradSquare(2, 3);
    const l = winogradLayout(algo, shape);
    const exp = expectedInputStage(algo, input, shape, l);
    const got = Float64Array.from(exp.value);
    got[5] = NaN;
    expect(compareStage(got, exp.value, exp.scale, exp.bound, exp.where).message).toMatch(/non-finite/);
    const padded = Float64Array.from(exp.value);
    padded[l.cPad - 1] = 1e-30; // a padded lane must be exactly 0
    expect(compareStage(padded, exp.value, exp.scale, exp.bound, exp.where).pass).toBe(false);
    // The reference V, unpacked from the padded layout, is the reference's own V.
    const ref = winogradInputTransform(algo, input, shape, 'f32');
    expect(exp.value[winogradVIndex(l, 3, 2, 1)]).toBe(ref[(3 * l.tiles + 2) * shape.inChannels + 1]);
  });
});

import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCase, roundToFloat16, runReference, samePads, schemaTolerance } from '../../../src/conformance/case.ts';
import { caseFiles, loadCase } from '../../../src/node/conformance-files.ts';
import { caseTolerance, judgeCase } from '../../../src/conformance/judge.ts';
import { transposeActivation, transposeWeight } from '../../../src/reference/conv2d.ts';
import { CASES_DIR, CASE_FILES, REPO_CASE_FILES, expectReject, rawCase, type RawCase } from './helpers.ts';

// The repo's own float16 cases (scripts/make-conformance-cases.ts; expected outputs by ONNX Runtime CPU).
describe('repo conformance cases (float16)', () => {
  it('are there', () => expect(REPO_CASE_FILES.length).toBeGreaterThanOrEqual(8));
  describe.each(REPO_CASE_FILES.map((f) => [path.basename(f, '.json'), f]))('%s', (_id, file) => {
    it('parses as float16 data already on binary16 values, and ORT matches the float64 reference with the fp16 tolerance', async () => {
      const c = await loadCase(file);
      expect(c.input.dtype).toBe('float16');
      expect(c.expected.dtype).toBe('float16');
      for (const v of [...c.input.data, ...c.weight.data, ...c.expected.data]) expect(roundToFloat16(v)).toBe(v);
      const r = judgeCase(c, runReference(c).data, { precision: 'fp16' });
      expect(r.pass, r.message).toBe(true);
    });
    it('fails with the fp16 tolerance when one expected value is corrupted', async () => {
      const c = await loadCase(file);
      const i = Math.floor(c.expected.data.length / 2);
      const tol = caseTolerance(c, { precision: 'fp16' });
      if (tol.kind !== 'float') throw new Error('float tolerance expected');
      c.expected.data[i] += 2 * (tol.atol + tol.rtol * Math.abs(c.expected.data[i])) + 1e-3;
      const r = judgeCase(c, runReference(c).data, { precision: 'fp16' });
      expect(r.pass).toBe(false);
      expect(r.worstIndex).toBe(i);
    });
  });
});

describe('sample conformance cases', () => {
  it(`finds the sample cases in ${CASES_DIR}`, async () => {
    expect(CASE_FILES.length).toBeGreaterThan(0);
    expect(await caseFiles(CASES_DIR)).toEqual(CASE_FILES);
  });

  describe.each(CASE_FILES.map((f) => [path.basename(f, '.json'), f]))('%s', (_id, file) => {
    it('passes against the CPU reference with the case tolerance', async () => {
      const c = await loadCase(file);
      const ref = runReference(c);
      expect(ref.shape).toEqual(c.expected.shape);
      const r = judgeCase(c, ref.data);
      expect(r.pass, r.message).toBe(true);
      if (c.tolerance.kind === 'exact') expect(r.maxAbsError).toBe(0);
    });

    it('fails when one expected value is corrupted', async () => {
      const c = await loadCase(file);
      const ref = runReference(c);
      const i = Math.floor(c.expected.data.length / 2);
      const tol = caseTolerance(c);
      const step = tol.kind === 'float' ? 2 * (tol.atol + tol.rtol * Math.abs(c.expected.data[i])) + 1e-3 : 1;
      c.expected.data[i] += step;
      const r = judgeCase(c, ref.data);
      expect(r.pass).toBe(false);
      expect(r.failures).toBe(1);
      expect(r.worstIndex).toBe(i);
    });

    it('states a tolerance consistent with SCHEMA.md and its own max_abs_dot', async () => {
      const c = await loadCase(file);
      const t = c.tolerance;
      if (t.kind === 'exact') {
        expect(c.op === 'conv_integer' || c.op === 'qlinear_conv').toBe(true);
        return;
      }
      expect(t.caseMaxAbsDot).toBeDefined();
      // The cases round max_abs_dot and atol to 2 significant digits (e.g. 117 is written as 120).
      const twoDigits = (got: number, want: number) => expect(Math.abs(got - want)).toBeLessThanOrEqual(0.05 * want);
      twoDigits(t.caseMaxAbsDot!, t.maxAbsDot);
      const schema = schemaTolerance(t.maxAbsDot, c.id.startsWith('tfjs_'));
      for (const p of ['fp32', 'fp16'] as const) {
        expect(t[p].from).toBe('case');
        twoDigits(t[p].atol, schema[p].atol);
        expect(t[p].rtol).toBe(schema[p].rtol);
      }
    });

    it('resolves the same pads from auto_pad / pad_spec when `pads` is left out', () => {
      const raw = rawCase(path.basename(file, '.json'));
      const stated = parseCase(raw).geometry.pads;
      delete raw.pads;
      expect(parseCase(raw).geometry.pads).toEqual(stated);
    });

    it('gives the same numbers in the other activation and weight layouts', () => {
      const raw = rawCase(path.basename(file, '.json'));
      const numpy = raw.bias?.broadcast === 'numpy' || raw.activation?.prelu_weights?.broadcast === 'numpy';
      if (numpy) return;
      const swapped = swapLayouts(raw);
      const c = parseCase(swapped);
      const r = judgeCase(c, runReference(c).data);
      expect(r.pass, r.message).toBe(true);
    });
  });
});

/** Re-expresses a case in the other input layout and the other weight layout (pads resolved, not re-derived). */
function swapLayouts(raw: RawCase): RawCase {
  const out: RawCase = structuredClone(raw);
  const from = raw.layout as 'NCHW' | 'NHWC';
  const to = from === 'NCHW' ? 'NHWC' : 'NCHW';
  const dims = (shape: number[]) => (from === 'NCHW' ? shape : [shape[0], shape[3], shape[1], shape[2]]) as [number, number, number, number];
  const shapeIn = (n: number, c: number, h: number, w: number) => (to === 'NCHW' ? [n, c, h, w] : [n, h, w, c]);
  for (const key of ['input', 'expected']) {
    const [n, c, h, w] = dims(raw[key].shape);
    out[key].shape = shapeIn(n, c, h, w);
    out[key].data = Array.from(transposeActivation(raw[key].data, from, to, n, c, h, w));
  }
  const wl = raw.weight.layout as 'OIHW' | 'HWIO';
  const s = raw.weight.shape as number[];
  const [o, i, kh, kw] = wl === 'OIHW' ? s : [s[3], s[2], s[0], s[1]];
  out.weight.layout = wl === 'OIHW' ? 'HWIO' : 'OIHW';
  out.weight.shape = wl === 'OIHW' ? [kh, kw, i, o] : [o, i, kh, kw];
  out.weight.data = Array.from(transposeWeight(raw.weight.data, wl, out.weight.layout, o, i, kh, kw));
  delete out.weight.original_shape;
  delete out.variant;
  out.layout = to;
  return out;
}

describe('case parsing', () => {
  it('rounds float32 data through Math.fround and flags it', () => {
    const raw = rawCase('tfjs_conv2d_004_x_3_3_2_f_2_2_2_1_s_1_d_1_p_valid');
    raw.weight.data[0] = 0.1;
    const c = parseCase(raw);
    expect(c.float32Rounded).toBe(true);
    expect(c.weight.data[0]).toBe(Math.fround(0.1));
    expect(c.expected.data[0]).toBe(raw.expected.data[0]);
    expect(parseCase(rawCase('onnx_convinteger_with_padding')).float32Rounded).toBe(false);
  });

  it('keeps per-output-channel w_zero_point of ConvInteger', () => {
    const c = parseCase(rawCase('onnx_convinteger_with_padding'));
    expect(c.quant).toMatchObject({ xZeroPoint: 1, wZeroPoint: [0, 1], wQuantAxis: 0 });
  });

  it('derives the geometry of the depthwise sample (group = C, HWIO [3,3,1,4])', () => {
    const c = parseCase(rawCase('tfjs_depthwise_conv2d_010_input_1x5x5x4_f_3_s_1_d_1_p_same_chmul_1'));
    expect(c.geometry).toMatchObject({ inChannels: 4, outChannels: 4, groups: 4, kernelH: 3, kernelW: 3, pads: [1, 1, 1, 1] });
    expect(c.weight.originalShape).toEqual([3, 3, 4, 1]);
  });

  it('computes the schema tolerance when the case has none (tfjs floor 1e-3, ONNX floor 1e-6)', () => {
    const tf = rawCase('tfjs_fused_conv2d_002_basic_with_relu');
    delete tf.tolerance;
    const t = parseCase(tf).tolerance;
    expect(t).toMatchObject({ kind: 'float', maxAbsDot: 47, fp32: { atol: 1e-3, rtol: 1e-4, from: 'schema' }, fp16: { atol: 2e-3 * 47, rtol: 1e-2 } });
    const onnx = rawCase('onnx_basic_conv_without_padding');
    onnx.tolerance = { max_abs_dot: 0.01 };
    expect(parseCase(onnx).tolerance).toMatchObject({ fp32: { atol: 1e-6, from: 'schema' }, caseMaxAbsDot: 0.01, maxAbsDot: 162 });
  });

  it('resolves SAME pads per SCHEMA.md (upper: begin gets the smaller half, lower: the larger)', () => {
    expect(samePads(5, 3, 2, 1, false)).toEqual([1, 1]);
    expect(samePads(4, 4, 1, 1, false)).toEqual([1, 2]);
    expect(samePads(4, 4, 1, 1, true)).toEqual([2, 1]);
    expect(samePads(8, 3, 2, 1, false)).toEqual([0, 1]);
    expect(samePads(7, 3, 1, 3, false)).toEqual([3, 3]);
  });

  it('rounds float16 data to the nearest half, ties to even', () => {
    expect(roundToFloat16(0.1)).toBe(0.0999755859375);
    expect(roundToFloat16(1 + 2 ** -11)).toBe(1);
    expect(roundToFloat16(1 + 3 * 2 ** -11)).toBe(1 + 2 ** -9);
    expect(roundToFloat16(65504)).toBe(65504);
    expect(roundToFloat16(65519)).toBe(65504);
    expect(roundToFloat16(-65520)).toBe(-Infinity);
    expect(roundToFloat16(2 ** -24)).toBe(2 ** -24);
    expect(roundToFloat16(2 ** -26)).toBe(0);
    expect(roundToFloat16(3 * 2 ** -25)).toBe(2 ** -23);
    const raw = rawCase('tfjs_conv2d_004_x_3_3_2_f_2_2_2_1_s_1_d_1_p_valid');
    for (const k of ['input', 'weight', 'expected']) raw[k].dtype = 'float16';
    const c = parseCase(raw);
    expect(c.weight.data[0]).toBe(roundToFloat16(0.1));
    expect(judgeCase(c, runReference(c).data, { precision: 'fp16' }).pass).toBe(true);
  });
});

describe('dim_rounding_mode', () => {
  // x = 1..25 (5x5, NHWC, C = 1), a 2x2 kernel of ones, stride 2, no pads: floor((5 - 2) / 2) + 1 = 2, ceil/round → 3.
  // With 3x3 outputs the last row/column read zero padding: y = [16, 24, 15, 56, 64, 35, 43, 47, 25].
  function roundingCase(mode: string, outSize: number, data: number[]): RawCase {
    return {
      id: `tfjs_synthetic_dim_rounding_${mode}`,
      op: 'conv',
      layout: 'NHWC',
      input: { shape: [1, 5, 5, 1], dtype: 'float32', data: Array.from({ length: 25 }, (_, i) => i + 1) },
      weight: { shape: [2, 2, 1, 1], layout: 'HWIO', dtype: 'float32', data: [1, 1, 1, 1] },
      strides: [2, 2],
      pads: [0, 0, 0, 0],
      dilations: [1, 1],
      group: 1,
      pad_spec: 0,
      dim_rounding_mode: mode,
      expected: { shape: [1, outSize, outSize, 1], dtype: 'float32', data },
    };
  }
  const ceil = [16, 24, 15, 56, 64, 35, 43, 47, 25];

  it.each(['ceil', 'round'])('%s: extends the bottom/right pads to reach the expected size', (mode) => {
    const c = parseCase(roundingCase(mode, 3, ceil));
    expect(c.geometry.pads).toEqual([0, 0, 1, 1]);
    expect(c.notes.join(' ')).toMatch(new RegExp(`dim_rounding_mode '${mode}'`));
    const r = judgeCase(c, runReference(c).data);
    expect(r.pass, r.message).toBe(true);
  });

  it('floor keeps the standard size; a mismatching expected shape is rejected', () => {
    const c = parseCase(roundingCase('floor', 2, [16, 24, 56, 64]));
    expect(c.geometry.pads).toEqual([0, 0, 0, 0]);
    expect(c.notes).toEqual([]);
    expectReject(() => parseCase(roundingCase('floor', 3, ceil)), 'expected.shape', [1, 3, 3, 1], /must equal the output shape \[1, 2, 2, 1\] in NHWC \(dim_rounding_mode 'floor'\)/);
  });
});

describe('qlinear_conv case', () => {
  // The hand-computed int8 per-channel example of test/unit/reference/integer.test.ts, as a case file.
  const qcase = (): RawCase => ({
    id: 'onnx_synthetic_qlinearconv_per_channel',
    op: 'qlinear_conv',
    layout: 'NCHW',
    input: { shape: [1, 1, 2, 2], dtype: 'int8', data: [10, -20, 30, 40] },
    weight: { shape: [2, 1, 1, 1], layout: 'OIHW', dtype: 'int8', data: [5, -3] },
    bias: { shape: [2], dtype: 'int32', data: [100, -207] },
    strides: [1, 1],
    pads: [0, 0, 0, 0],
    dilations: [1, 1],
    group: 1,
    quant: {
      x_scale: [0.5], x_zero_point: [10], x_zero_point_dtype: 'int8',
      w_scale: [2, 1], w_zero_point: [1, -1], w_zero_point_dtype: 'int8', w_quant_axis: 0,
      y_scale: [1], y_zero_point: [-1], y_zero_point_dtype: 'int8',
    },
    expected: { shape: [1, 2, 2, 2], dtype: 'int8', data: [99, -21, 127, 127, -105, -75, -125, -128] },
  });

  it('parses, runs and matches exactly; 1 LSB is only accepted as the fallback', () => {
    const c = parseCase(qcase());
    expect(c.bias?.broadcast).toBe('channel');
    expect(c.tolerance).toEqual({ kind: 'exact', fallbackLsb: 1 });
    const ref = runReference(c);
    expect(judgeCase(c, ref.data).pass).toBe(true);
    const off = Float64Array.from(ref.data);
    off[1] += 1;
    expect(judgeCase(c, off).pass).toBe(false);
    expect(judgeCase(c, off, { allowLsbFallback: true }).pass).toBe(true);
  });

  it('rejects per-channel parameters without w_quant_axis and a missing scale', () => {
    const noAxis = qcase();
    noAxis.quant.w_quant_axis = null;
    expectReject(() => parseCase(noAxis), 'quant.w_zero_point', [1, -1], /must hold one value when w_quant_axis is null/);
    const noScale = qcase();
    delete noScale.quant.y_scale;
    expectReject(() => parseCase(noScale), 'quant.y_scale', undefined, /is required for qlinear_conv/);
    const badZp = qcase();
    badZp.quant.x_zero_point = [200];
    expectReject(() => parseCase(badZp), 'quant.x_zero_point[0]', 200, /must be in the int8 range \[-128, 127\]/);
  });
});

/**
 * API strictness (issue 9 point 4, issue 10 points 5–7, 9): unknown keys, wrong types and bad operands give a
 * ConvDescError naming the field, the value and the rule, never a raw TypeError, before any GPU work.
 * Pure: descriptor, quantization, broadcast and run-input checks without a device.
 */
import { describe, expect, it } from 'vitest';
import { asBroadcast, checkEpilogueTensor, normalizeDesc, outputShapePattern, type Conv2dDesc } from '../../../src/conv/desc.ts';
import { checkCalibration, checkExpectedSize, checkRunInput, checkSize } from '../../../src/conv/options.ts';
import { normalizeQuant, type QuantOptions } from '../../../src/conv/quant-options.ts';
import { ConvDescError, nearestKey, rejectUnknownKeys } from '../../../src/conv/validate.ts';

const base: Conv2dDesc = { inChannels: 4, outChannels: 4, kernelSize: 3 };

/** Runs `f`, which must throw a ConvDescError on `field` whose message matches `rule`; prints the call on failure. */
function refuses(what: string, f: () => unknown, field: string, rule?: RegExp): ConvDescError {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err, `${what}: expected a ConvDescError on ${field}, got ${err === undefined ? 'no error' : String(err)}`).toBeInstanceOf(ConvDescError);
  const e = err as ConvDescError;
  expect(e.field, `${what}: ${e.message}`).toBe(field);
  if (rule) expect(e.message, what).toMatch(rule);
  return e;
}

describe('unknown keys are refused with the nearest valid key', () => {
  const cases: [string, Record<string, unknown>, string, string][] = [
    ['stride', { stride: 2 }, 'stride', 'strides'],
    ['pad', { pad: 1 }, 'pad', 'pads'],
    ['padding', { padding: 1 }, 'padding', 'pads'],
    ['dilation', { dilation: 2 }, 'dilation', 'dilations'],
    ['group', { group: 2 }, 'group', 'groups'],
    ['activaton', { activaton: 'relu' }, 'activaton', 'activation'],
    ['kernel_size', { kernel_size: 3 }, 'kernel_size', 'kernelSize'],
    ['in_channels', { in_channels: 4 }, 'in_channels', 'inChannels'],
  ];
  for (const [name, extra, field, near] of cases) {
    it(`desc.${name} → '${near}'`, () => {
      const e = refuses(`desc ${JSON.stringify(extra)}`, () => normalizeDesc({ ...base, ...extra } as Conv2dDesc), field, new RegExp(`unknown key; did you mean '${near}'`));
      expect(e.message).toContain(`${field} = `);
    });
  }
  it('{ stride: 2, pad: 1 } is refused (issue 10.5: ran with stride 1 and no padding)', () => {
    refuses('stride+pad', () => normalizeDesc({ ...base, stride: 2, pad: 1 } as unknown as Conv2dDesc), 'stride', /did you mean 'strides'/);
  });
  it('a key whose value is undefined counts as absent', () => {
    expect(normalizeDesc({ ...base, strides: undefined, activation: { type: 'relu', alpha: undefined } })).toMatchObject({ strides: [1, 1], activation: { type: 'relu' } });
  });
  it('activation object keys', () => {
    refuses('activation.aplha', () => normalizeDesc({ ...base, activation: { type: 'leakyrelu', aplha: 0.1 } } as unknown as Conv2dDesc), 'activation.aplha', /did you mean 'alpha'/);
  });
  it('quant keys: yZeroPt → yZeroPoint', () => {
    const d = normalizeDesc({ ...base, dtype: 'uint8' });
    refuses('quant.yZeroPt', () => normalizeQuant(d, { output: 'uint8', xScale: 1, wScale: 1, yScale: 1, yZeroPt: 3 } as unknown as QuantOptions), 'quant.yZeroPt', /did you mean 'yZeroPoint'/);
  });
  it('bias tensor keys', () => {
    refuses('bias.dims', () => asBroadcast('bias', { shape: [4], data: [1, 2, 3, 4], broadcast: 'numpy', dims: 1 } as never, 4), 'bias.dims', /unknown key/);
  });
  it('size objects: run/resize shapes and expectedSize', () => {
    refuses('size.heigth', () => checkSize('', { batch: 1, heigth: 8, width: 8 }), 'heigth', /did you mean 'height'/);
    refuses('expectedSize.h', () => checkExpectedSize({ height: 8, width: 8, h: 3 }), 'expectedSize.h', /unknown key/);
  });
  it('nearestKey finds nothing for unrelated keys', () => {
    expect(nearestKey('zzzzzz', ['inChannels', 'strides'])).toBeUndefined();
    expect(() => rejectUnknownKeys('options', { frobnicate: 1 }, ['weights'])).toThrow(/options.frobnicate = 1: unknown key \(valid: weights\)/);
  });
});

describe('wrong types give field errors, never a TypeError', () => {
  const bad: unknown[] = [null, 'x', {}, [], true, NaN, -1, 1.5, [1, 'a'], () => 1];
  const fields: (keyof Conv2dDesc)[] = ['inChannels', 'outChannels', 'kernelSize', 'strides', 'pads', 'dilations', 'groups', 'layout', 'dtype', 'activation', 'algorithm'];
  for (const f of fields) {
    it(`desc.${f}`, () => {
      for (const v of bad) {
        let err: unknown;
        try {
          normalizeDesc({ ...base, [f]: v } as Conv2dDesc);
        } catch (e) {
          err = e;
        }
        expect(err, `desc.${f} = ${String(v)}: ${String(err)}`).toBeInstanceOf(ConvDescError);
        expect((err as ConvDescError).field.startsWith(f), `desc.${f} = ${String(v)}: field ${(err as ConvDescError).field}`).toBe(true);
      }
    });
  }
  it('desc itself', () => {
    for (const v of [null, undefined, 3, 'desc', []]) refuses(`desc = ${String(v)}`, () => normalizeDesc(v as unknown as Conv2dDesc), 'desc', /must be an object/);
  });
  it('activation: null (issue 10.9: raw TypeError before)', () => {
    refuses('activation null', () => normalizeDesc({ ...base, activation: null } as unknown as Conv2dDesc), 'activation', /must be one of linear/);
  });
  it('bias / PReLU operands of the wrong type', () => {
    for (const v of [null, 'abc', 3, true, { shape: [4] }, ['a', 'b', 'c', 'd']]) {
      let err: unknown;
      try {
        asBroadcast('bias', v as never, 4);
      } catch (e) {
        err = e;
      }
      expect(err, `bias = ${JSON.stringify(v)}`).toBeInstanceOf(ConvDescError);
      expect((err as ConvDescError).field.startsWith('bias')).toBe(true);
    }
  });
});

describe('bias / PReLU values and shapes (issue 10.6, 10.7)', () => {
  it('NaN and Infinity are refused in bias and preluWeights, plain and tensor', () => {
    refuses('bias NaN', () => asBroadcast('bias', [0, NaN, 0, 0], 4), 'bias[1]', /finite/);
    refuses('prelu Inf', () => asBroadcast('preluWeights', new Float32Array([Infinity, 0, 0, 0]), 4), 'preluWeights[0]', /finite/);
    refuses('bias tensor -Inf', () => asBroadcast('bias', { shape: [1, 1, 4], data: [0, 0, -Infinity, 0], broadcast: 'numpy' }, 4), 'bias.data[2]', /finite/);
  });
  it('data length must match the shape; plain arrays must have C or 1 values', () => {
    refuses('bias data length', () => asBroadcast('bias', { shape: [2, 4], data: [1, 2, 3, 4], broadcast: 'numpy' }, 4), 'bias.data.length', /product of bias.shape \[2, 4\] = 8/);
    refuses('bias [5] plain', () => asBroadcast('bias', [1, 2, 3, 4, 5], 4), 'bias.length', /outChannels \(4\) or 1/);
  });
  it('a numpy bias whose channel axis does not fit is refused at creation ([5] with 4 channels dropped a value)', () => {
    const d = normalizeDesc(base);
    const t = asBroadcast('bias', { shape: [5], data: [1, 2, 3, 4, 5], broadcast: 'numpy' }, 4);
    refuses('[5] NHWC', () => checkEpilogueTensor('bias', t, outputShapePattern(d), d.layout), 'bias.shape', /not broadcastable.*\[N, H, W, 4\]/);
  });
  it('a numpy bias is checked against the whole output shape at a size: [4,4,4] and [8,8,4] at 6×6 are refused', () => {
    const d = normalizeDesc(base);
    const out = outputShapePattern(d, { batch: 1, outHeight: 6, outWidth: 6 });
    for (const shape of [[4, 4, 4], [8, 8, 4], [2, 6, 6, 4]]) {
      const t = asBroadcast('bias', { shape, data: new Array(shape.reduce((a, b) => a * b, 1)).fill(1), broadcast: 'numpy' }, 4);
      expect(() => checkEpilogueTensor('bias', t, outputShapePattern(d), d.layout), `shape ${shape} at creation`).not.toThrow();
      refuses(`bias ${shape} at 6×6`, () => checkEpilogueTensor('bias', t, out, d.layout), 'bias.shape', /not broadcastable.*\[1, 6, 6, 4\] \(NHWC\)/);
    }
    for (const shape of [[6, 6, 4], [1, 6, 1, 4], [6, 1, 1], [4], [1]]) {
      const t = asBroadcast('bias', { shape, data: new Array(shape.reduce((a, b) => a * b, 1)).fill(1), broadcast: 'numpy' }, 4);
      expect(() => checkEpilogueTensor('bias', t, out, d.layout), `shape ${shape}`).not.toThrow();
    }
  });
  it('NCHW: the channel axis is the third from the end', () => {
    const d = normalizeDesc({ ...base, layout: 'NCHW' });
    const t = asBroadcast('bias', { shape: [3, 1, 1], data: [1, 2, 3], broadcast: 'numpy' }, 4);
    refuses('NCHW [3,1,1]', () => checkEpilogueTensor('bias', t, outputShapePattern(d), d.layout), 'bias.shape', /\[N, 4, H, W\] \(NCHW\)/);
  });
});

describe('activation, strides and option rules (issue 10.9)', () => {
  it('strides: 1e9 is valid; above 2^31 - 1 is refused (32-bit kernel arithmetic)', () => {
    expect(normalizeDesc({ ...base, strides: 1e9 }).strides).toEqual([1e9, 1e9]);
    expect(normalizeDesc({ ...base, strides: [1, 2 ** 31 - 1] }).strides).toEqual([1, 2 ** 31 - 1]);
    refuses('strides 2^31', () => normalizeDesc({ ...base, strides: 2 ** 31 }), 'strides', /<= 2147483647/);
    refuses('strides 1e300', () => normalizeDesc({ ...base, strides: [1, 1e300] }), 'strides[1]', /<= 2147483647/);
  });
  it('alpha applies to leakyrelu only; preluWeights in the activation only with prelu', () => {
    refuses('relu alpha', () => normalizeDesc({ ...base, activation: { type: 'relu', alpha: 0.1 } }), 'activation.alpha', /only to leakyrelu/);
    refuses('elu alpha', () => normalizeDesc({ ...base, activation: { type: 'elu', alpha: 1 } }), 'activation.alpha', /only to leakyrelu/);
    refuses('relu slopes', () => normalizeDesc({ ...base, activation: { type: 'relu', preluWeights: { shape: [4], data: [1, 1, 1, 1], broadcast: 'channel' } } }), 'activation.preluWeights', /only to activation 'prelu'/);
  });
  it('does not mutate the caller\'s activation object', () => {
    const act = { type: 'leakyrelu' as const };
    normalizeDesc({ ...base, activation: act });
    expect(act).toEqual({ type: 'leakyrelu' });
  });
  it('expectedSize must be {height, width, batch?} of integers >= 1', () => {
    refuses('expectedSize -1', () => checkExpectedSize({ height: -1, width: 8 }), 'expectedSize.height', />= 1/);
    refuses('expectedSize string', () => checkExpectedSize({ height: 8, width: '8' }), 'expectedSize.width', />= 1/);
    refuses('expectedSize null', () => checkExpectedSize(null), 'expectedSize', /must be an object/);
    expect(checkExpectedSize({ height: 8, width: 9 })).toEqual({ height: 8, width: 9 });
  });
  it('calibration samples', () => {
    refuses('calibration range', () => checkCalibration([{ data: [0, 300, 0, 0], batch: 1, height: 1, width: 1 }], 4, 'uint8'), 'calibration[0].data[1]', /uint8 range \[0, 255\]/);
    refuses('calibration length', () => checkCalibration([{ data: [0, 3], batch: 1, height: 1, width: 1 }], 4, 'uint8'), 'calibration[0].data.length', /= 4/);
  });
});

describe('run() inputs (issue 10.9)', () => {
  it('null, strings, objects and the wrong length are field errors', () => {
    refuses('x null', () => checkRunInput(null, 4, 'n', 'float32'), 'x', /array or typed array of numbers/);
    refuses('x {}', () => checkRunInput({ length: 4 }, 4, 'n', 'float32'), 'x', /array or typed array/);
    refuses('x strings', () => checkRunInput(['a', 'b', 'c', 'd'], 4, 'n', 'float32'), 'x[0]', /must be a number/);
    refuses('x BigInt64Array', () => checkRunInput(new BigInt64Array(4), 4, 'n', 'float32'), 'x', /array or typed array of numbers/);
    refuses('x length', () => checkRunInput(new Float32Array(3), 4, 'batch·height·width·inChannels', 'float32'), 'x.length', /must equal batch·height·width·inChannels = 4/);
  });
  it('float NaN passes (it propagates); int8/uint8 plans take integers in range', () => {
    expect(() => checkRunInput([NaN, 1, 2, 3], 4, 'n', 'float32')).not.toThrow();
    refuses('uint8 -1', () => checkRunInput([0, -1, 2, 3], 4, 'n', 'uint8'), 'x[1]', /uint8 range \[0, 255\]/);
    refuses('int8 128', () => checkRunInput(new Int32Array([0, 0, 128, 0]), 4, 'n', 'int8'), 'x[2]', /int8 range \[-128, 127\]/);
    refuses('int8 0.5', () => checkRunInput([0.5, 0, 0, 0], 4, 'n', 'int8'), 'x[0]', /integer/);
  });
});

describe('bias tensors as SCHEMA.md gives them', () => {
  it('take an optional dtype tag, checked against the known element types', () => {
    expect(asBroadcast('bias', { shape: [4], dtype: 'float32', data: [1, 2, 3, 4], broadcast: 'channel' }, 4).broadcast).toBe('channel');
    refuses('bias.dtype', () => asBroadcast('bias', { shape: [4], dtype: 'complex64', data: [1, 2, 3, 4], broadcast: 'channel' }, 4), 'bias.dtype', /must be one of float32/);
  });
});

describe('size objects', () => {
  it('a missing or non-object shape is named shape', () => {
    for (const v of [null, 3, 'x', [1, 8, 8]]) refuses(`shape ${JSON.stringify(v)}`, () => checkSize('', v), 'shape', /\{batch, height, width\}/);
  });
});

import { describe, expect, it } from 'vitest';
import { normalizeDesc, asBroadcast, type Conv2dDesc } from '../../../src/conv/desc.ts';
import { ConvDescError } from '../../../src/conv/validate.ts';

const base: Conv2dDesc = { inChannels: 8, outChannels: 16, kernelSize: 3, pads: 1 };

function rejects(desc: unknown, field: string, value: string, rule: RegExp) {
  let err: unknown;
  try {
    normalizeDesc(desc as Conv2dDesc);
  } catch (e) {
    err = e;
  }
  expect(err, `expected ${field} to be rejected`).toBeInstanceOf(ConvDescError);
  const e = err as ConvDescError;
  expect(e.field).toBe(field);
  expect(e.message).toContain(`${field} = ${value}`);
  expect(e.message).toMatch(rule);
}

describe('normalizeDesc', () => {
  it('fills defaults', () => {
    const d = normalizeDesc(base);
    expect(d).toMatchObject({ kernelH: 3, kernelW: 3, strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1], groups: 1, layout: 'NHWC', dtype: 'float32', algorithm: 'auto', activation: { type: 'linear' } });
  });
  it('keeps stride > 1 together with dilation > 1 (not an error)', () => {
    expect(normalizeDesc({ ...base, strides: 2, dilations: 2 })).toMatchObject({ strides: [2, 2], dilations: [2, 2] });
  });
  it('defaults leakyrelu alpha to tfjs 0.2', () => {
    expect(normalizeDesc({ ...base, activation: 'leakyrelu' }).activation.alpha).toBe(0.2);
  });
  it('rejects every bad field with field, value and rule', () => {
    rejects({ ...base, inChannels: 0 }, 'inChannels', '0', /integer >= 1/);
    rejects({ ...base, outChannels: 2.5 }, 'outChannels', '2.5', /integer >= 1/);
    rejects({ ...base, inChannels: NaN }, 'inChannels', 'NaN', /integer >= 1/);
    rejects({ ...base, kernelSize: [3, Infinity] }, 'kernelSize[1]', 'Infinity', /integer >= 1/);
    rejects({ ...base, strides: 0 }, 'strides', '0', /integer >= 1/);
    rejects({ ...base, dilations: [1, 0] }, 'dilations[1]', '0', /integer >= 1/);
    rejects({ ...base, pads: [1, -1, 1, 1] }, 'pads[1]', '-1', /integer >= 0/);
    rejects({ ...base, pads: [1, 1] }, 'pads', '[1, 1]', /4 integers/);
    rejects({ ...base, groups: 3 }, 'groups', '3', /must divide inChannels \(8\)/);
    rejects({ ...base, groups: 8, outChannels: 12 }, 'groups', '8', /must divide outChannels \(12\)/);
    rejects({ ...base, layout: 'NWHC' }, 'layout', '"NWHC"', /'NHWC' or 'NCHW'/);
    rejects({ ...base, algorithm: 'winograd3' }, 'algorithm', '"winograd3"', /must be one of auto, direct/);
    rejects({ ...base, activation: 'tanh' }, 'activation', '"tanh"', /must be one of linear/);
    expect(normalizeDesc({ ...(base as Conv2dDesc), dtype: 'float16' }).dtype).toBe('float16');
    rejects({ ...base, dtype: 'int4' }, 'dtype', '"int4"', /must be 'float32', 'float16', 'int8' or 'uint8'/);
    rejects({ ...base, activation: { type: 'leakyrelu', alpha: NaN } }, 'activation.alpha', 'NaN', /finite/);
  });
  it('turns plain bias arrays into channel or scalar broadcasts, and rejects other lengths', () => {
    expect(asBroadcast('bias', [1, 2, 3], 3).broadcast).toBe('channel');
    expect(asBroadcast('bias', [1], 3).broadcast).toBe('scalar');
    expect(() => asBroadcast('bias', [1, 2], 3)).toThrow(/bias.length = 2: must be outChannels \(3\) or 1/);
  });
});

/**
 * Engine-level option checks without a GPU: `Engine.context()` (what createConv2d validates before any GPU work),
 * `candidates()` and `destroy()` on a stand-in device that only answers limits and features. Every wrong option
 * must be a ConvDescError naming the option, never a TypeError.
 */
import { describe, expect, it, vi } from 'vitest';
import type { Conv2dDesc } from '../../../src/conv/desc.ts';
import { ConvDescError } from '../../../src/conv/validate.ts';
import { Engine, type Conv2dOptions } from '../../../src/engine/engine.ts';

function fakeDevice() {
  const limits = { maxStorageBufferBindingSize: 1 << 27, maxComputeWorkgroupStorageSize: 16384, maxComputeInvocationsPerWorkgroup: 256, maxComputeWorkgroupsPerDimension: 65535, minStorageBufferOffsetAlignment: 256, maxBufferSize: 1 << 28 };
  return { limits, features: new Set<string>(), destroy: vi.fn() } as unknown as GPUDevice & { destroy: ReturnType<typeof vi.fn> };
}

const D: Conv2dDesc = { inChannels: 4, outChannels: 4, kernelSize: 3 };
const W = new Array(144).fill(0.1);

function fieldError(what: string, f: () => unknown): ConvDescError {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err, `${what}: ${err === undefined ? 'accepted' : String(err)}`).toBeInstanceOf(ConvDescError);
  return err as ConvDescError;
}

describe('createConv2d options (Engine.context)', () => {
  const engine = new Engine(fakeDevice());
  const bad: unknown[] = [null, 'x', 7, true, {}, [], [NaN], () => 1, { length: 144 }];
  const keys: (keyof Conv2dOptions)[] = ['weights', 'weightLayout', 'bias', 'preluWeights', 'transforms', 'expectedSize', 'quant', 'tapScales', 'calibration', 'minSqnrDb', 'autotune'];
  for (const key of keys) {
    it(`options.${key}: wrong values are field errors`, () => {
      for (const v of bad) {
        let err: unknown;
        try {
          engine.context(key === 'preluWeights' ? { ...D, activation: 'prelu' } : D, { weights: W, ...(key === 'preluWeights' ? {} : { preluWeights: undefined }), [key]: v } as Conv2dOptions);
        } catch (e) {
          err = e;
        }
        if (key === 'autotune' && v === true) continue; // the one valid value in the list
        expect(err, `options.${key} = ${String(v)}: ${String(err)}`).toBeInstanceOf(ConvDescError);
        expect((err as ConvDescError).field, `options.${key} = ${String(v)}`).toMatch(new RegExp(`^(options\\.)?${key}|^transforms|^quant`));
      }
    });
  }
  it('options itself', () => {
    for (const v of [null, undefined, 'x', 3]) expect(fieldError(`options = ${String(v)}`, () => engine.context(D, v as never)).field).toBe('options');
  });
  it('float32 plans refuse int8-only options', () => {
    for (const key of ['quant', 'tapScales', 'calibration', 'minSqnrDb'] as const) {
      expect(fieldError(key, () => engine.context(D, { weights: W, [key]: key === 'minSqnrDb' ? 20 : {} } as Conv2dOptions)).field).toBe(key);
    }
  });
  it('weights: length, finiteness, type; int8: integer range', () => {
    expect(fieldError('weights NaN', () => engine.context(D, { weights: [...W.slice(1), NaN] })).field).toBe('weights[143]');
    expect(fieldError('weights strings', () => engine.context(D, { weights: W.map(String) as never })).field).toBe('weights[0]');
    expect(fieldError('weights length', () => engine.context(D, { weights: W.slice(1) })).field).toBe('weights.length');
    const q = { ...D, dtype: 'int8' as const };
    expect(fieldError('weights 200 int8', () => engine.context(q, { weights: W.map(() => 200), quant: { output: 'int32' } })).message).toMatch(/int8 range/);
  });
});

describe('candidates() and destroy() without a GPU', () => {
  it('tap-wise schemes are rejected for int32 and float32 outputs, listed for uint8', () => {
    const engine = new Engine(fakeDevice());
    const desc: Conv2dDesc = { inChannels: 8, outChannels: 8, kernelSize: 3, pads: 1, dtype: 'uint8' };
    for (const [output, extra] of [['int32', {}], ['float32', { xScale: 1, wScale: 1 }], ['uint8', { xScale: 1, wScale: 1, yScale: 1 }]] as const) {
      const taps = engine.candidates(desc, { quant: { output, ...extra } }).filter((v) => v.algorithm.endsWith('-tap'));
      expect(taps.length).toBe(4);
      for (const v of taps) expect(v.status === 'rejected', `${output} ${v.algorithm}: ${v.status} ${v.reason}`).toBe(output !== 'uint8');
    }
    for (const v of engine.candidates(desc).filter((x) => x.algorithm.endsWith('-tap'))) expect(v.reason, 'without quant').toMatch(/serves quant.output 'int8' or 'uint8' only/);
    expect(fieldError('candidates unknown key', () => engine.candidates(desc, { quantization: {} } as never)).message).toMatch(/did you mean 'quant'/);
  });
  it('destroy() destroys a device only when the engine owns it; a destroyed engine throws', () => {
    const mine = fakeDevice();
    const e1 = new Engine(mine);
    e1.destroy();
    expect(mine.destroy).not.toHaveBeenCalled();
    expect(() => e1.candidates(D)).toThrow(/Engine: used after destroy/);
    expect(() => e1.context(D, { weights: W })).toThrow(/Engine: used after destroy/);
    const owned = fakeDevice();
    const e2 = new Engine(owned, { ownsDevice: true });
    e2.destroy();
    e2.destroy();
    expect(owned.destroy).toHaveBeenCalledTimes(1);
  });
});

describe('createEngine options', () => {
  it('unknown keys, limits and a fake device are refused before any adapter is requested', async () => {
    const { createEngine } = await import('../../../src/engine/engine.ts');
    const refused = async (what: string, opts: unknown, field: string, rule: RegExp) => {
      const err = await createEngine(opts as never).then(() => undefined, (e: unknown) => e);
      expect(err, `${what}: ${String(err)}`).toBeInstanceOf(ConvDescError);
      expect((err as ConvDescError).field, what).toBe(field);
      expect((err as ConvDescError).message, what).toMatch(rule);
    };
    await refused('devcie', { devcie: {} }, 'options.devcie', /did you mean 'device'/);
    await refused('limits key', { limits: { maxStorageBufferBindingSizee: 4 } }, 'limits.maxStorageBufferBindingSizee', /did you mean 'maxStorageBufferBindingSize'/);
    await refused('limits value', { limits: { maxBufferSize: -4 } }, 'limits.maxBufferSize', /integer >= 1/);
    await refused('fake device', { device: { limits: {} } }, 'device', /GPUDevice/);
    await refused('autotune', { autotune: 'yes' }, 'autotune', /true or false/);
  });
});

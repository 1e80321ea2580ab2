/**
 * Pure checks of the option objects around a descriptor: the plan options' keys, sizes ({batch, height, width}),
 * expectedSize, calibration samples and the values handed to `run()`. Every failure is a ConvDescError naming the
 * field, the value and the rule, thrown before any GPU work or state change.
 */
import { ConvDescError, rejectUnknownKeys, requireInteger, requireNumberArray, requireNumberElements, requireObject } from './validate.ts';

/** Keys of createConv2d's options (Conv2dOptions). */
export const CONV2D_OPTION_KEYS = ['weights', 'weightLayout', 'bias', 'preluWeights', 'transforms', 'expectedSize', 'quant', 'tapScales', 'calibration', 'minSqnrDb', 'autotune', 'nonFinite', 'workspace', 'sharedBuffers', 'residual', 'preActivation'] as const;
/** Keys of findConv2d's options of its own (it also takes the plan options). */
export const FIND_OPTION_KEYS = ['size', 'runs', 'warmup', 'weights', 'algorithms'] as const;
export const SIZE_KEYS = ['batch', 'height', 'width'] as const;
export const EXPECTED_SIZE_KEYS = ['height', 'width', 'batch'] as const;
export const CALIBRATION_KEYS = ['data', 'batch', 'height', 'width'] as const;

export interface SizeObject {
  batch: number;
  height: number;
  width: number;
}

/** `{batch, height, width}`, each an integer >= 1; unknown keys refused. */
export function checkSize(field: string, v: unknown): SizeObject {
  const s = requireObject(field || 'shape', v, 'an object {batch, height, width} of integers >= 1');
  rejectUnknownKeys(field, s, SIZE_KEYS);
  const at = (k: string) => (field ? `${field}.${k}` : k);
  return { batch: requireInteger(at('batch'), s.batch, 1), height: requireInteger(at('height'), s.height, 1), width: requireInteger(at('width'), s.width, 1) };
}

/** The options' expectedSize: `{height, width, batch?}`, integers >= 1. */
export function checkExpectedSize(v: unknown): { height: number; width: number; batch?: number } | undefined {
  if (v === undefined) return undefined;
  const s = requireObject('expectedSize', v, 'an object {height, width, batch?} of integers >= 1');
  rejectUnknownKeys('expectedSize', s, EXPECTED_SIZE_KEYS);
  const out: { height: number; width: number; batch?: number } = { height: requireInteger('expectedSize.height', s.height, 1), width: requireInteger('expectedSize.width', s.width, 1) };
  if (s.batch !== undefined) out.batch = requireInteger('expectedSize.batch', s.batch, 1);
  return out;
}

/** int8 calibration samples: an array of `{data, batch, height, width}` with integer data of the input dtype. */
export function checkCalibration(v: unknown, inChannels: number, dtype: 'int8' | 'uint8'): void {
  if (v === undefined) return;
  if (!Array.isArray(v)) throw new ConvDescError('calibration', v, 'must be an array of {data, batch, height, width} samples');
  const [lo, hi] = dtype === 'int8' ? [-128, 127] : [0, 255];
  v.forEach((sample, i) => {
    const f = `calibration[${i}]`;
    const s = requireObject(f, sample, 'an object {data, batch, height, width}');
    rejectUnknownKeys(f, s, CALIBRATION_KEYS);
    const { batch, height, width } = checkSize(f, { batch: s.batch, height: s.height, width: s.width });
    const data = requireNumberArray(`${f}.data`, s.data);
    const want = batch * height * width * inChannels;
    if (data.length !== want) throw new ConvDescError(`${f}.data.length`, data.length, `must equal batch·height·width·inChannels = ${want}`);
    requireNumberElements(`${f}.data`, data, { integer: { lo, hi, rangeName: dtype } });
  });
}

/**
 * The values given to `run()`: an array or typed array of numbers, of length `count` (the input element count at
 * the size the call runs at); int8/uint8 plans: integers of the input dtype. Float NaN/Inf pass (they propagate);
 * float16 plans refuse finite values past ±65504 (they would round to infinity).
 */
export function checkRunInput(x: unknown, count: number, countRule: string, dtype: 'float32' | 'float16' | 'int8' | 'uint8'): ArrayLike<number> {
  const data = requireNumberArray('x', x, 'an array or typed array of numbers (the input, flat in the plan\'s layout)');
  if (data.length !== count) throw new ConvDescError('x.length', data.length, `must equal ${countRule} = ${count}`);
  if (dtype === 'float32') requireNumberElements('x', data);
  else if (dtype === 'float16') requireNumberElements('x', data, { maxAbs: { value: 65504, rangeName: 'float16' } });
  else requireNumberElements('x', data, { integer: { lo: dtype === 'int8' ? -128 : 0, hi: dtype === 'int8' ? 127 : 255, rangeName: dtype } });
  return data;
}

/** The option `workspace`: 'internal' (default: the plan allocates its workspaces) or 'external' (io.workspace at encode). */
export function checkWorkspaceMode(v: unknown): 'internal' | 'external' {
  if (v === undefined) return 'internal';
  if (v !== 'internal' && v !== 'external') throw new ConvDescError('workspace', v, "must be 'internal' or 'external'");
  return v;
}

/** A boolean option. */
export function checkBoolean(field: string, v: unknown): boolean | undefined {
  if (v !== undefined && typeof v !== 'boolean') throw new ConvDescError(field, v, 'must be true or false');
  return v as boolean | undefined;
}


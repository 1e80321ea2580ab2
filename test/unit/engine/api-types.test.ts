/**
 * Typed run() results (issue 9.4): createConv2d's overloads give ConvPlan<Float32Array> for float32 plans and
 * dequantized int8 plans, ConvPlan<Int32Array> for int32/int8/uint8 outputs, and the old union otherwise.
 * Checked by `npm run typecheck` (tsc): a wrong overload makes these lines type errors.
 */
import { describe, expectTypeOf, it } from 'vitest';
import type { Engine } from '../../../src/engine/engine.ts';
import type { ConvPlan } from '../../../src/engine/plan.ts';
import type { Conv2dDesc } from '../../../src/conv/desc.ts';

// Never called: only its types are checked.
async function typeChecks(engine: Engine, w: number[], x: number[]) {
  const f32 = await engine.createConv2d({ inChannels: 4, outChannels: 4, kernelSize: 3 }, { weights: w });
  expectTypeOf(f32).toEqualTypeOf<ConvPlan<Float32Array>>();
  expectTypeOf(await f32.run(x)).toEqualTypeOf<Float32Array>();

  const explicit = await engine.createConv2d({ inChannels: 4, outChannels: 4, kernelSize: 3, dtype: 'float32', activation: 'relu' }, { weights: w, bias: [1, 2, 3, 4] });
  expectTypeOf(await explicit.run(x)).toEqualTypeOf<Float32Array>();

  const acc = await engine.createConv2d({ inChannels: 4, outChannels: 4, kernelSize: 3, dtype: 'uint8' }, { weights: w, quant: { output: 'int32' } });
  expectTypeOf(await acc.run(x)).toEqualTypeOf<Int32Array>();

  const q8 = await engine.createConv2d({ inChannels: 4, outChannels: 4, kernelSize: 3, dtype: 'int8' }, { weights: w, quant: { output: 'uint8', xScale: 1, wScale: 1, yScale: 1 } });
  expectTypeOf(await q8.run(x)).toEqualTypeOf<Int32Array>();

  const deq = await engine.createConv2d({ inChannels: 4, outChannels: 4, kernelSize: 3, dtype: 'uint8' }, { weights: w, quant: { output: 'float32', xScale: 1, wScale: 1 } });
  expectTypeOf(await deq.run(x)).toEqualTypeOf<Float32Array>();

  // A descriptor typed as the general Conv2dDesc keeps the union (backward compatible).
  const general: Conv2dDesc = { inChannels: 4, outChannels: 4, kernelSize: 3 };
  const any = await engine.createConv2d(general, { weights: w });
  expectTypeOf(await any.run(x)).toEqualTypeOf<Float32Array | Int32Array>();
  const widened: ConvPlan = f32;
  expectTypeOf(widened).toEqualTypeOf<ConvPlan>();
}

describe('createConv2d overloads', () => {
  it('are checked by tsc (this file is part of npm run typecheck)', () => {
    expectTypeOf(typeChecks).toBeFunction();
  });
});

/**
 * The fuzz runner's outcome classes (src/fuzz/run.ts), on a fake engine with no GPU: a right output is ok, a wrong
 * or non-finite one out of bounds, a refusal of a valid case refused-valid, a JS exception or a GPU error a crash;
 * a bad input refused with a ConvDescError before GPU work is ok, accepted or refused after GPU work is not.
 */
import { describe, expect, test } from 'vitest';
import { ConvDescError } from '../../../src/conv/validate.ts';
import type { Engine } from '../../../src/engine/engine.ts';
import { generateCase, type BadFuzzCase, type FloatFuzzCase } from '../../../src/fuzz/generate.ts';
import { expectedOutput } from '../../../src/fuzz/judge.ts';
import { runFuzzCase } from '../../../src/fuzz/run.ts';

interface FakeBehaviour {
  create?: (fake: FakeEngine) => void;
  output?: (want: Float64Array) => ArrayLike<number>;
  run?: () => void;
  gpuError?: string;
}

interface FakeEngine {
  device: Record<string, unknown> & { queue: Record<string, unknown> };
}

function fakeEngine(b: FakeBehaviour, want?: Float64Array): Engine {
  const device = {
    pushErrorScope() {},
    async popErrorScope() {
      return b.gpuError ? { message: b.gpuError } : null;
    },
    createBuffer() {
      return {};
    },
    queue: { submit() {}, writeBuffer() {} },
  };
  const fake = {
    device,
    candidates: () => [
      { algorithm: 'direct', status: 'candidate', reason: '' },
      { algorithm: 'winograd2', status: 'rejected', reason: 'not here' },
    ],
    async createConv2d(desc: { algorithm?: string }) {
      b.create?.(fake);
      return {
        info: { algorithm: desc.algorithm === 'auto' ? 'direct' : desc.algorithm, kernels: ['fake'] },
        resize() {},
        async run() {
          b.run?.();
          return b.output ? b.output(want!) : Float32Array.from(want!);
        },
        destroy() {},
      };
    },
  };
  return fake as unknown as Engine;
}

const floatCase = (() => {
  for (let i = 0; ; i++) {
    const c = generateCase(1, i);
    if (c.kind === 'float32') return c as FloatFuzzCase;
  }
})();
const want = expectedOutput(floatCase).data;

const badCase = (stage: BadFuzzCase['stage']) => {
  for (let i = 0; ; i++) {
    const c = generateCase(1, i);
    if (c.kind === 'bad' && c.stage === stage) return c;
  }
};

describe('fuzz runner outcome classes', () => {
  test('valid case: every non-rejected candidate and auto; the reference output is ok', async () => {
    const r = await runFuzzCase(fakeEngine({}, want), floatCase);
    expect(r.map((x) => [x.algorithm, x.outcome])).toEqual([['direct', 'ok'], ['auto→direct', 'ok']]);
    expect(r[0].repro).toMatch(/^npx winoconv fuzz --seed 1 --case \d+ --algorithm direct {3}# float32 desc \{/);
    expect(r[1].repro).toContain('--algorithm auto ');
    expect(r[0].snippet).toContain(`generateCase(1, ${floatCase.index})`);
  });

  test('a wrong or non-finite output is out-of-bounds', async () => {
    const off = await runFuzzCase(fakeEngine({ output: (w) => Float32Array.from(w, (v, i) => (i === 0 ? v + 1e-2 + Math.abs(v) : v)) }, want), floatCase);
    expect(off.map((x) => x.outcome)).toEqual(['out-of-bounds', 'out-of-bounds']);
    const nan = await runFuzzCase(fakeEngine({ output: (w) => Float32Array.from(w, (v, i) => (i === w.length - 1 ? Number.NaN : v)) }, want), floatCase);
    expect(nan[0].outcome).toBe('out-of-bounds');
    expect(nan[0].message).toContain('non-finite');
  });

  test('a refused valid case is refused-valid; a JS exception, a run() exception or a GPU error is a crash', async () => {
    const refused = await runFuzzCase(fakeEngine({ create: () => { throw new Error('every candidate failed: ...'); } }, want), floatCase);
    expect(refused.map((x) => x.outcome)).toEqual(['refused-valid', 'refused-valid']);
    const typeErr = await runFuzzCase(fakeEngine({ create: () => { throw new TypeError('x is undefined'); } }, want), floatCase);
    expect(typeErr[0].outcome).toBe('crash');
    const runErr = await runFuzzCase(fakeEngine({ run: () => { throw new Error('mapAsync failed'); } }, want), floatCase);
    expect(runErr[0].outcome).toBe('crash');
    const gpu = await runFuzzCase(fakeEngine({ gpuError: 'Binding size too small' }, want), floatCase);
    expect(gpu[0].outcome).toBe('crash');
    expect(gpu[0].message).toContain('Binding size too small');
  });

  test('bad inputs: a ConvDescError before GPU work is refused (ok); accepted, refused late, or another error is a failure', async () => {
    const b = badCase('create');
    const refuse = (fake: FakeEngine) => {
      void fake;
      throw new ConvDescError('strides', 0, 'must be an integer >= 1');
    };
    expect((await runFuzzCase(fakeEngine({ create: refuse }), b))[0].outcome).toBe('bad-input-refused');
    expect((await runFuzzCase(fakeEngine({}, want), b))[0].outcome).toBe('bad-input-accepted');
    const late = (fake: FakeEngine) => {
      (fake.device.createBuffer as () => unknown)();
      throw new ConvDescError('bias', 'NaN', 'must be finite');
    };
    const l = (await runFuzzCase(fakeEngine({ create: late }), b))[0];
    expect(l.outcome).toBe('bad-input-accepted');
    expect(l.message).toContain('after GPU work');
    expect((await runFuzzCase(fakeEngine({ create: () => { throw new Error('verification FAILED'); } }), b))[0].outcome).toBe('crash');
    expect((await runFuzzCase(fakeEngine({ create: refuse }), b))[0].repro).toMatch(/^npx winoconv fuzz --seed 1 --case \d+ {3}# bad: /);
  });

  test('bad run() inputs: refused by run() with a ConvDescError is ok, accepted is a failure', async () => {
    const b = badCase('run');
    const refused = await runFuzzCase(fakeEngine({ run: () => { throw new ConvDescError('x.length', 3, 'must equal ...'); } }), b);
    expect(refused[0].outcome).toBe('bad-input-refused');
    const accepted = await runFuzzCase(fakeEngine({ output: () => new Float32Array(1) }), b);
    expect(accepted[0].outcome).toBe('bad-input-accepted');
  });
});

/**
 * GPU cases for the WGSL `requantize` of src/quant/requant.ts in both roundings: 'float64' (the reference's
 * product) and 'float32' (ONNX Runtime's MLAS, fl32(fl32(acc) · M)), each compared bit for bit with requantizeCpu
 * on accumulators chosen to land near .5 ties of one rounding and not the other, plus |acc| > 2^24 (fl32(acc) rounds)
 * and saturation at both ends. The case also checks that the two roundings differ on this data, so that a kernel
 * using the wrong one fails.
 */
import { composeKernel } from '../../../src/kernels/compose.ts';
import { requantParams, requantizeCpu } from '../../../src/quant/requant.ts';
import { requantWgslPart } from '../../../src/kernels/quant-wgsl.ts';
import type { RequantRounding } from '../../../src/reference/integer.ts';
import { mulberry32 } from '../../../src/util/random.ts';
import { runKernel } from '../harness/run-kernel.ts';
import type { GpuCase, GpuTestContext } from '../harness/types.ts';

const COUNT = 4096;

function data(): { acc: Int32Array; m0: Uint32Array; shift: Uint32Array } {
  const r = mulberry32(77);
  const acc = new Int32Array(COUNT);
  const m0 = new Uint32Array(COUNT);
  const shift = new Uint32Array(COUNT);
  for (let i = 0; i < COUNT; i++) {
    const s = Math.fround(1e-5 * (1 + 50 * r()));
    const rq = requantParams(Math.fround(0.02), s, Math.fround(0.05 + r()));
    m0[i] = rq.m0[0];
    shift[i] = rq.shift[0];
    const M = rq.m0[0] * 2 ** -rq.shift[0];
    const kind = i % 4;
    if (kind === 0) acc[i] = Math.round((r() * 2 - 1) * 2 ** 31 * 0.99); // large: fl32(acc) rounds
    else if (kind === 1) acc[i] = Math.round(((Math.floor(r() * 200) - 100 + 0.5) / M) | 0); // near a .5 tie of acc · M
    else if (kind === 2) acc[i] = Math.round((r() * 2 - 1) * 2 ** 24 * (1 + r()));
    else acc[i] = Math.round((r() * 2 - 1) * 100000);
  }
  return { acc, m0, shift };
}

async function requantBoth(t: GpuTestContext): Promise<void> {
  const { acc, m0, shift } = data();
  const zp = 3;
  const [lo, hi] = [-128, 127];
  const got: Record<string, Int32Array> = {};
  for (const rounding of ['float64', 'float32'] as RequantRounding[]) {
    const kernel = composeKernel({
      id: `test_requantize_${rounding}`,
      header: 'Test kernel: out[i] = requantize(acc[i], m0[i], shift[i], 3, -128, 127), one invocation per element.',
      parts: [
        requantWgslPart(rounding),
        {
          idPart: '',
          bindings: [
            { name: 'acc', kind: 'read-only-storage', type: 'array<i32>' },
            { name: 'mq', kind: 'read-only-storage', type: 'array<u32>' },
            { name: 'out', kind: 'storage', type: 'array<i32>' },
          ],
          uniforms: [{ name: 'count', type: 'u32' }],
          code: '',
        },
      ],
      main: `@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= params.count) { return; }
  out[i] = requantize(acc[i], mq[2u * i], mq[2u * i + 1u], ${zp}i, ${lo}i, ${hi}i);
}`,
      workgroupSize: [64, 1, 1],
    });
    const mq = new Uint32Array(2 * COUNT);
    for (let i = 0; i < COUNT; i++) {
      mq[2 * i] = m0[i];
      mq[2 * i + 1] = shift[i];
    }
    const out = t.upload(new Int32Array(COUNT).fill(-999));
    await runKernel(t, { kernel, buffers: { acc: t.upload(acc), mq: t.upload(mq), out }, uniforms: { count: COUNT }, dispatch: [Math.ceil(COUNT / 64)] });
    const y = new Int32Array(await t.read(out, COUNT * 4));
    let bad = 0;
    const first: string[] = [];
    for (let i = 0; i < COUNT; i++) {
      const want = requantizeCpu(acc[i], m0[i], shift[i], zp, lo, hi, rounding);
      if (y[i] !== want) {
        bad++;
        if (first.length < 4) first.push(`[${i}] acc ${acc[i]}, m0 ${m0[i]}, shift ${shift[i]}: got ${y[i]}, expected ${want}`);
      }
    }
    if (bad) throw new Error(`requantize (${rounding}): ${bad} of ${COUNT} differ from requantizeCpu\n${first.join('\n')}`);
    got[rounding] = y;
  }
  let differ = 0;
  for (let i = 0; i < COUNT; i++) if (got.float32[i] !== got.float64[i]) differ++;
  if (differ === 0) throw new Error('the data never separates the two roundings: the case could not catch a kernel using the wrong one');
  t.log(`${COUNT} accumulators bit-exact in both roundings; they differ on ${differ}`);
}

export const requantCases: GpuCase[] = [{ name: 'requantize WGSL: float64 and float32 (ONNX Runtime) roundings bit-exact against requantizeCpu', run: requantBoth }];

/**
 * WGSL snippets of the int8 multiply-accumulate, for the paths of QDotPath:
 *
 * 'dot4' (language feature packed_4x8_integer_dot_product): an activation word a (u32, 4 k) against a weight
 *   vec4<u32> b (the same 4 k of 4 output channels): vec4<i32>(dot4I8Packed(a, b.x), …) — or dot4U8Packed
 *   (bitcast to i32; ≤ 4·255² fits) when activations and stored weights are both uint8. uint8 activations
 *   against int8 weights are flipped to int8 first (a ^ 0x80808080: x − 128; the kernel's x_zp_e carries
 *   the −128). The patch sum is dot4xxPacked(a, 0x01010101).
 * 'unpack' (no feature needed): a is unpacked to vec4<i32> by shifts (sign- or zero-extended by its dtype),
 *   b to 4 vec4<i32> "by k" (lane q of the 4 words = k q of the 4 channels), then
 *   acc += a.x·b0 + a.y·b1 + a.z·b2 + a.w·b3 (vec4<i32> multiply-adds); the patch sum is the lane sum of a.
 * 'unpackf32' (no feature needed): as 'unpack', but a and b are converted to f32 and the 4 k of one step are
 *   one mat4x4<f32>(b0, b1, b2, b3) · a (like the fp32 GEMM). Exact: a step adds at most
 *   4·255·255 = 260100 < 2^18 in magnitude, so QF32_CHUNK = 64 steps stay below 2^24 where f32 holds every
 *   integer; the kernels add the f32 partial sums (converted exactly) to i32 accumulators after each chunk.
 * All paths are exact in i32 (wrapping).
 *
 * Measured on SwiftShader (see INT8_GEMM_TILES): dot4I8Packed is emulated per invocation with scalar
 * horizontal adds (pextrd + add), the slowest; 'unpack' pays vector pmulld; 'unpackf32' runs as the fp32 GEMM.
 */
import { flipsInput, type QOperandConfig } from './types.ts';

type DotCfg = Pick<QOperandConfig, 'input' | 'weights' | 'dot'>;

/** Words (k steps) per exact f32 chunk of the 'unpackf32' path: 64 · 4 · 255² < 2^24. */
export const QF32_CHUNK = 64;

const SIGNED_UNPACK = (w: string) => `(bitcast<vec4<i32>>(vec4<u32>(${w}) << vec4<u32>(24u, 16u, 8u, 0u)) >> vec4<u32>(24u))`;
const UNSIGNED_UNPACK = (w: string) => `bitcast<vec4<i32>>((vec4<u32>(${w}) >> vec4<u32>(0u, 8u, 16u, 24u)) & vec4<u32>(255u))`;

/** True for the chunked f32 path. */
export const isF32Dot = (c: Pick<QOperandConfig, 'dot'>): boolean => c.dot === 'unpackf32';

/** WGSL type of the per-step accumulators (vec4) and patch sums (scalar). */
export function accTypes(c: Pick<QOperandConfig, 'dot'>): { vec: string; scalar: string; zero: string; szero: string } {
  return isF32Dot(c)
    ? { vec: 'vec4<f32>', scalar: 'f32', zero: 'vec4<f32>(0.0)', szero: '0.0' }
    : { vec: 'vec4<i32>', scalar: 'i32', zero: 'vec4<i32>(0)', szero: '0i' };
}

/** Statement(s) turning the raw activation word expression `word` into the prepared operand `name`. */
export function prepA(c: DotCfg, name: string, word: string): string {
  if (c.dot === 'dot4') return `let ${name} = ${flipsInput(c) ? `(${word}) ^ 0x80808080u` : word};`;
  const v = c.input === 'int8' ? SIGNED_UNPACK(word) : UNSIGNED_UNPACK(word);
  return `let ${name} = ${isF32Dot(c) ? `vec4<f32>(${v})` : v};`;
}

/** Statements turning the weight vec4<u32> expression `words` into the prepared operand(s) named `name`. */
export function prepB(c: DotCfg, name: string, words: string): string[] {
  if (c.dot === 'dot4') return [`let ${name} = ${words};`];
  const lines = [`let ${name} = ${words};`];
  for (let q = 0; q < 4; q++) {
    const v =
      c.weights === 'int8'
        ? `bitcast<vec4<i32>>(${name} << vec4<u32>(${24 - 8 * q}u)) >> vec4<u32>(24u)`
        : `bitcast<vec4<i32>>((${name} >> vec4<u32>(${8 * q}u)) & vec4<u32>(255u))`;
    lines.push(`let ${name}_${q} = ${isF32Dot(c) ? `vec4<f32>(${v})` : v};`);
  }
  if (isF32Dot(c)) lines.push(`let ${name}_m = mat4x4<f32>(${name}_0, ${name}_1, ${name}_2, ${name}_3);`);
  return lines;
}

function dot4Fn(c: DotCfg): (a: string, b: string) => string {
  return c.weights === 'uint8' ? (a, b) => `bitcast<i32>(dot4U8Packed(${a}, ${b}))` : (a, b) => `dot4I8Packed(${a}, ${b})`;
}

/** Statement: `acc` (a vec4 accumulator of accTypes) += the 4 dot products of prepared a and prepared b. */
export function macLine(c: DotCfg, acc: string, a: string, b: string): string {
  if (c.dot === 'dot4') {
    const d = dot4Fn(c);
    return `${acc} += vec4<i32>(${['x', 'y', 'z', 'w'].map((l) => d(a, `${b}.${l}`)).join(', ')});`;
  }
  if (isF32Dot(c)) return `${acc} += ${b}_m * ${a};`;
  return `${acc} += ${a}.x * ${b}_0 + ${a}.y * ${b}_1 + ${a}.z * ${b}_2 + ${a}.w * ${b}_3;`;
}

/** Expression: the lane sum of prepared a (the patch-sum contribution of one word), of accTypes' scalar type. */
export function sumExpr(c: DotCfg, a: string): string {
  if (c.dot === 'dot4') return dot4Fn(c)(a, '0x01010101u');
  return `(${a}.x + ${a}.y) + (${a}.z + ${a}.w)`;
}

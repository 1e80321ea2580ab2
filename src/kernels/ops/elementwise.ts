/**
 * Elementwise op kernels: unary activations, binary arithmetic with numpy broadcasting, variadic Max/Min, PRelu,
 * Clip and the BatchNormalization affine (x · a + b). One invocation per output element; every operand is read
 * through its own base offset and strides (a broadcast dimension has stride 0), so any mix of layouts works.
 */
import { composeKernel, type WgslPart } from '../compose.ts';
import type { KernelSource, UniformField } from '../types.ts';
import {
  LINEAR_UNIFORMS, OP_WORKGROUP, type OperandKind, checkRank, decompose, fields, kindsId, linearMain, offsetExpr, operandBinding,
} from './common.ts';

/** Ops and their operand count (-1: variadic, ≥ 1) and scalar parameters (uniforms p0, p1). */
export const ELEMENTWISE_OPS = {
  identity: { arity: 1, params: 0 },
  relu: { arity: 1, params: 0 },
  leakyrelu: { arity: 1, params: 1 },
  sigmoid: { arity: 1, params: 0 },
  hardsigmoid: { arity: 1, params: 2 },
  hardswish: { arity: 1, params: 0 },
  elu: { arity: 1, params: 1 },
  tanh: { arity: 1, params: 0 },
  sqrt: { arity: 1, params: 0 },
  clip: { arity: 1, params: 2 },
  add: { arity: 2, params: 0 },
  sub: { arity: 2, params: 0 },
  mul: { arity: 2, params: 0 },
  div: { arity: 2, params: 0 },
  pow: { arity: 2, params: 0 },
  prelu: { arity: 2, params: 0 },
  clip3: { arity: 3, params: 0 },
  affine: { arity: 3, params: 0 },
  max: { arity: -1, params: 0 },
  min: { arity: -1, params: 0 },
} as const;
export type ElementwiseOp = keyof typeof ELEMENTWISE_OPS;

export interface ElementwiseConfig {
  op: ElementwiseOp;
  /** Binding kind of each input operand (in0, in1, …); the output `out` is always an arena value. */
  inputs: OperandKind[];
  /** Rank of the output (0..6); inputs are addressed with one stride per output dimension. */
  rank: number;
  /** Operand k reads binding in<sources[k]> (sources[k] ≤ k; the same arena value bound once). Default: its own. */
  sources?: number[];
  /**
   * Elements per invocation along the last output dimension (≥ 2; rank ≥ 1): invocation t handles row t / chunks
   * (decomposed over the leading dims) and columns (t % chunks) · perThread + 0..perThread-1 of the last dim, so the
   * div/mod cost is paid once per `perThread` elements. Default: one element per invocation.
   */
  perThread?: number;
  /**
   * vec4 form (rank ≥ 1; the output's last dim a multiple of 4, walked with stride 1): the output and every operand
   * marked true are bound as array<vec4<f32>> and addressed in vec4 units (base and strides / 4, last stride 1);
   * operands marked false are read once per invocation (last stride 0) and broadcast over the 4 lanes. Invocation t
   * writes vec4 t % chunks of row t / chunks. Exclusive with perThread.
   */
  vec4?: boolean[];
}

export function elementwiseKernelId(c: ElementwiseConfig): string {
  const src = c.sources && c.sources.some((s, k) => s !== k) ? `_s${c.sources.join('')}` : '';
  const per = c.perThread && c.perThread > 1 ? `_x${c.perThread}` : '';
  const v4 = c.vec4 ? `_q${c.vec4.map((v) => (v ? 'v' : 's')).join('')}` : '';
  return `ew_${c.op}_f32_r${c.rank}_${kindsId(c.inputs)}${src}${per}${v4}`;
}

function expression(op: ElementwiseOp, n: number): string {
  const x = (k: number) => `x${k}`;
  switch (op) {
    case 'identity': return 'x0';
    case 'relu': return 'max(x0, 0.0)';
    case 'leakyrelu': return 'select(x0 * params.p0, x0, x0 >= 0.0)';
    case 'sigmoid': return '1.0 / (1.0 + exp(-x0))';
    case 'hardsigmoid': return 'clamp(params.p0 * x0 + params.p1, 0.0, 1.0)';
    case 'hardswish': return 'x0 * clamp(x0 / 6.0 + 0.5, 0.0, 1.0)';
    case 'elu': return 'select(params.p0 * (exp(min(x0, 0.0)) - 1.0), x0, x0 >= 0.0)';
    case 'tanh': return 'tanh(clamp(x0, -10.0, 10.0))';
    case 'sqrt': return 'sqrt(x0)';
    case 'clip': return 'min(max(x0, params.p0), params.p1)';
    case 'add': return 'x0 + x1';
    case 'sub': return 'x0 - x1';
    case 'mul': return 'x0 * x1';
    case 'div': return 'x0 / x1';
    case 'pow': return 'onnx_pow(x0, x1)';
    case 'prelu': return 'select(x0 * x1, x0, x0 >= 0.0)';
    case 'clip3': return 'min(max(x0, x1), x2)';
    case 'affine': return 'x0 * x1 + x2';
    case 'max': case 'min': {
      let e = x(0);
      for (let k = 1; k < n; k++) e = `${op}(${e}, ${x(k)})`;
      return e;
    }
  }
}

/** pow with ONNX (C) semantics: negative bases with integer exponents, x⁰ = 1. */
const POW_CODE = `fn onnx_pow(x: f32, y: f32) -> f32 {
  if (y == 0.0) { return 1.0; }
  let r = pow(abs(x), y);
  if (x >= 0.0) { return r; }
  if (y != floor(y)) { return sqrt(x); }
  let odd = (abs(y) % 2.0) == 1.0;
  return select(r, -r, odd);
}`;

export function generateElementwiseKernel(c: ElementwiseConfig): KernelSource {
  const spec = ELEMENTWISE_OPS[c.op];
  if (!spec) throw new Error(`elementwise: unknown op '${c.op}'`);
  const n = c.inputs.length;
  if (spec.arity > 0 ? n !== spec.arity : n < 1) throw new Error(`elementwise ${c.op}: ${n} inputs, expected ${spec.arity > 0 ? spec.arity : '≥ 1'}`);
  checkRank(c.rank, `elementwise ${c.op}`);
  const r = c.rank;
  const sources = c.sources ?? c.inputs.map((_, k) => k);
  if (sources.length !== n || sources.some((s, k) => !(Number.isInteger(s) && s >= 0 && s <= k && sources[s] === s && c.inputs[s] === c.inputs[k]))) {
    throw new Error(`elementwise ${c.op}: sources [${sources.join(', ')}] must map each operand to an earlier (or its own) binding of the same kind`);
  }
  const per = c.perThread ?? 1;
  if (!(Number.isInteger(per) && per >= 1 && per <= 16) || (per > 1 && r < 1)) throw new Error(`elementwise ${c.op}: perThread ${per} must be 1..16 (above 1 only with rank ≥ 1)`);
  const uniforms: UniformField[] = [...LINEAR_UNIFORMS, ...fields('os', r, 'u32'), ...fields('ost', r, 'i32'), { name: 'obase', type: 'i32' }];
  const v4 = c.vec4;
  if (v4 && (v4.length !== n || r < 1 || per > 1 || v4.some((v, k) => v !== v4[sources[k]]))) {
    throw new Error(`elementwise ${c.op}: vec4 [${v4.join(', ')}] needs one flag per operand (the same for a shared binding), rank ≥ 1, no perThread`);
  }
  if (per > 1 || v4) uniforms.push({ name: 'chunks', type: 'u32' });
  for (let k = 0; k < n; k++) uniforms.push(...fields(`i${k}st`, r, 'i32'), { name: `i${k}base`, type: 'i32' });
  for (let p = 0; p < spec.params; p++) uniforms.push({ name: `p${p}`, type: 'f32' });
  const part: WgslPart = {
    idPart: '',
    bindings: [
      ...c.inputs.flatMap((k, i) => (sources[i] === i ? [operandBinding(`in${i}`, k, v4?.[i] ? 'array<vec4<f32>>' : 'array<f32>')] : [])),
      operandBinding('out', 'value', v4 ? 'array<vec4<f32>>' : 'array<f32>'),
    ],
    uniforms,
    code: c.op === 'pow' ? POW_CODE : '',
  };
  let body: string;
  if (v4) {
    const l = r - 1;
    const lanes = ['x', 'y', 'z', 'w'].map((lane) => {
      const xs = c.inputs.map((_, k) => `let x${k} = ${v4[k] ? `v${k}.${lane}` : `v${k}`};`).join(' ');
      return `  { ${xs} r.${lane} = ${expression(c.op, n)}; }`;
    });
    body = [
      '  let row = i / params.chunks;',
      '  let q = i32(i % params.chunks);',
      decompose('row', 'os', 'c', l),
      ...c.inputs.map((_, k) => `  let v${k} = in${sources[k]}[${offsetExpr('c', `i${k}st`, l, `params.i${k}base`)}${v4[k] ? ' + q' : ''}];`),
      '  var r: vec4<f32>;',
      ...lanes,
      `  out[${offsetExpr('c', 'ost', l, 'params.obase')} + q] = r;`,
    ].filter(Boolean).join('\n');
  } else if (per === 1) {
    const loads = c.inputs.map((_, k) => `  let x${k} = in${sources[k]}[${offsetExpr('c', `i${k}st`, r, `params.i${k}base`)}];`).join('\n');
    body = [decompose('i', 'os', 'c', r), loads, `  out[${offsetExpr('c', 'ost', r, 'params.obase')}] = ${expression(c.op, n)};`].filter(Boolean).join('\n');
  } else {
    // Row offsets once per invocation, then `per` columns of the last dim: no div/mod per element.
    const l = r - 1;
    const rowBases = [
      `  let ob = ${offsetExpr('c', 'ost', l, 'params.obase')};`,
      ...c.inputs.map((_, k) => `  let b${k} = ${offsetExpr('c', `i${k}st`, l, `params.i${k}base`)};`),
    ].join('\n');
    const loads = c.inputs.map((_, k) => `    let x${k} = in${sources[k]}[b${k} + col * params.i${k}st${l}];`).join('\n');
    body = [
      '  let row = i / params.chunks;',
      `  let col0 = i32((i % params.chunks) * ${per}u);`,
      decompose('row', 'os', 'c', l),
      rowBases,
      `  let cols = min(${per}, i32(params.os${l}) - col0);`,
      '  for (var j = 0; j < cols; j++) {',
      '    let col = col0 + j;',
      loads,
      `    out[ob + col * params.ost${l}] = ${expression(c.op, n)};`,
      '  }',
    ].filter(Boolean).join('\n');
  }
  return composeKernel({
    id: elementwiseKernelId(c),
    header: `Elementwise ${c.op} over a rank-${r} output, ${n} input(s), float32.
${v4 ? `vec4 form: invocation i = gid.x + gid.y · pitch writes vec4 i % chunks of row i / chunks (coordinates c of the
leading dims); output and vec4 operands are addressed in vec4 units (base + Σ c_d · stride_d + i % chunks), the
others read once per row (base + Σ c_d · stride_d) and broadcast over the 4 lanes; total = rows · chunks.` : per === 1 ? `One invocation per output element: i = gid.x + gid.y · pitch (linear, last dim fastest) → coordinates c;
each operand is read at base + Σ c_d · stride_d (stride 0 broadcasts), the output written likewise.` : `${per} elements of the last dim per invocation: i = gid.x + gid.y · pitch → row i / chunks (coordinates c of the
leading dims) and columns (i % chunks) · ${per} + 0..${per - 1}; each operand is read at base + Σ c_d · stride_d
(stride 0 broadcasts), the output written likewise; total = rows · chunks, chunks = ceil(last dim / ${per}).`}
No workgroup memory, no barriers. Dispatch: linearWork(total, ${OP_WORKGROUP}) → [ceil(total / ${OP_WORKGROUP}) split over x·y, 1].`,
    parts: [part],
    main: linearMain(body),
    workgroupSize: [OP_WORKGROUP, 1, 1],
  });
}

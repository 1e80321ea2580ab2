/**
 * The epilogue shared by every algorithm: bias, then activation. Generated as a WgslPart that defines
 *
 *   fn epilogue1(v: f32, pix: u32, c: u32) -> f32
 *   fn epilogue4(v: vec4<f32>, pix: u32, c: u32) -> vec4<f32>   // channels c .. c+3
 *
 * where `pix` is the linear output pixel ((n·Ho + oh)·Wo + ow) and `c` the output channel. Bias and PReLU
 * slopes are read from buffers the host pads so that any c < ceil(C/4)·4 is in range:
 *   'channel' → array<f32> of epi_cpad values;  'tensor' → array<f32> of [pix][epi_cpad] (host-expanded
 *   broadcasts, NHWC order regardless of the output layout).
 * Scalar bias is expanded to 'channel' by the host. Activation is compile-time (in the kernel ID);
 * leakyrelu's alpha is a uniform.
 */
import type { ActivationType } from '../conv/types.ts';
import type { WgslPart } from './compose.ts';

export type EpilogueTensorMode = 'none' | 'channel' | 'tensor';

export interface EpilogueConfig {
  bias: EpilogueTensorMode;
  activation: ActivationType;
  /** How PReLU slopes are given; required when activation is 'prelu'. */
  prelu?: Exclude<EpilogueTensorMode, 'none'>;
}

/** ID fragment: '' for no bias and linear; e.g. 'bias_relu', 'biasT_preluC'. */
export function epilogueIdPart(cfg: EpilogueConfig): string {
  const parts: string[] = [];
  if (cfg.bias === 'channel') parts.push('bias');
  if (cfg.bias === 'tensor') parts.push('biasT');
  if (cfg.activation === 'prelu') parts.push(cfg.prelu === 'tensor' ? 'preluT' : 'preluC');
  else if (cfg.activation !== 'linear') parts.push(cfg.activation);
  return parts.join('_');
}

/** WGSL: true where `v` is NaN, tested on the bits (compilers may assume no NaN in float compares). */
export function isNanExpr(v: string, vec: boolean): string {
  return vec ? `(bitcast<vec4<u32>>(${v}) & vec4<u32>(0x7fffffffu)) > vec4<u32>(0x7f800000u)` : `(bitcast<u32>(${v}) & 0x7fffffffu) > 0x7f800000u`;
}

function activationExpr(act: ActivationType, v: string, vec: boolean, slope: string): string {
  const z = vec ? 'vec4<f32>(0.0)' : '0.0';
  const one = vec ? 'vec4<f32>(1.0)' : '1.0';
  switch (act) {
    case 'linear':
      return v;
    // NaN-preserving (max/clamp may return the other operand for NaN): a NaN the sum carries (a non-finite
    // input through a Winograd tile) must not become a finite 0 or 6. See the README's "Special values".
    // The NaN test is on the bits: SwiftShader folds `v != v` to false.
    case 'relu':
      return `select(max(${v}, ${z}), ${v}, ${isNanExpr(v, vec)})`;
    case 'relu6':
      return `select(clamp(${v}, ${z}, ${vec ? 'vec4<f32>(6.0)' : '6.0'}), ${v}, ${isNanExpr(v, vec)})`;
    case 'leakyrelu':
      return `select(params.epi_alpha * ${v}, ${v}, ${v} >= ${z})`;
    case 'prelu':
      return `select(${slope} * ${v}, ${v}, ${v} >= ${z})`;
    case 'elu':
      return `select(exp(${v}) - ${one}, ${v}, ${v} > ${z})`;
    case 'sigmoid':
      return `${one} / (${one} + exp(-${v}))`;
  }
}

export function epiloguePart(cfg: EpilogueConfig): WgslPart {
  if (cfg.activation === 'prelu' && !cfg.prelu) throw new Error("epilogue: activation 'prelu' needs prelu: 'channel' | 'tensor'");
  const bindings: WgslPart['bindings'] = [];
  const uniforms: WgslPart['uniforms'] = [];
  const needsPad = cfg.bias === 'tensor' || (cfg.activation === 'prelu' && cfg.prelu === 'tensor');
  if (needsPad) uniforms.push({ name: 'epi_cpad', type: 'u32' });
  if (cfg.activation === 'leakyrelu') uniforms.push({ name: 'epi_alpha', type: 'f32' });
  const index = (mode: EpilogueTensorMode, lane: string) => (mode === 'tensor' ? `pix * params.epi_cpad + c${lane}` : `c${lane}`);
  const read1 = (name: string, mode: EpilogueTensorMode) => `${name}[${index(mode, '')}]`;
  const read4 = (name: string, mode: EpilogueTensorMode) =>
    `vec4<f32>(${['', ' + 1u', ' + 2u', ' + 3u'].map((l) => `${name}[${index(mode, l)}]`).join(', ')})`;
  const lines1: string[] = [];
  const lines4: string[] = [];
  if (cfg.bias !== 'none') {
    bindings.push({ name: 'epi_bias', kind: 'read-only-storage', type: 'array<f32>' });
    lines1.push(`  let b = v + ${read1('epi_bias', cfg.bias)};`);
    lines4.push(`  let b = v + ${read4('epi_bias', cfg.bias)};`);
  } else {
    lines1.push('  let b = v;');
    lines4.push('  let b = v;');
  }
  let slope1 = '';
  let slope4 = '';
  if (cfg.activation === 'prelu') {
    bindings.push({ name: 'epi_prelu', kind: 'read-only-storage', type: 'array<f32>' });
    lines1.push(`  let s = ${read1('epi_prelu', cfg.prelu!)};`);
    lines4.push(`  let s = ${read4('epi_prelu', cfg.prelu!)};`);
    slope1 = 's';
    slope4 = 's';
  }
  lines1.push(`  return ${activationExpr(cfg.activation, 'b', false, slope1)};`);
  lines4.push(`  return ${activationExpr(cfg.activation, 'b', true, slope4)};`);
  const code = [
    `// epilogue: bias ${cfg.bias}, activation ${cfg.activation}${cfg.prelu ? ` (slopes: ${cfg.prelu})` : ''}`,
    'fn epilogue1(v: f32, pix: u32, c: u32) -> f32 {',
    ...lines1,
    '}',
    'fn epilogue4(v: vec4<f32>, pix: u32, c: u32) -> vec4<f32> {',
    ...lines4,
    '}',
  ];
  if (epilogueHoistable(cfg)) {
    // Per-channel operands given by the caller (loaded once per channel group, see epilogueHoist).
    code.push(
      'fn epilogue4_ch(v: vec4<f32>, bias4: vec4<f32>, slope4: vec4<f32>) -> vec4<f32> {',
      `  let b = ${cfg.bias === 'none' ? 'v' : 'v + bias4'};`,
      `  return ${activationExpr(cfg.activation, 'b', true, 'slope4')};`,
      '}',
    );
  }
  return { idPart: epilogueIdPart(cfg), bindings, uniforms, code: code.join('\n') };
}

/** True when the epilogue's operands depend on the channel only (no 'tensor' mode), so they can be loaded once per channel group. */
export function epilogueHoistable(cfg: EpilogueConfig): boolean {
  return cfg.bias !== 'tensor' && !(cfg.activation === 'prelu' && cfg.prelu === 'tensor');
}

/**
 * The epilogue as a kernel that stores many pixels of one channel group calls it: `prelude(c)` loads the
 * per-channel operands once (bias and PReLU slopes of channels c … c+3, into epi_bias4 / epi_slope4), and
 * `call4(v, pix, c)` applies the epilogue to one pixel with them. Epilogues with a 'tensor' operand vary per
 * pixel, so there the prelude is empty and `call4` is the plain `epilogue4(v, pix, c)`. Same results either way.
 */
export function epilogueHoist(cfg: EpilogueConfig): { prelude(c: string, indent: string): string[]; call4(v: string, pix: string, c: string): string } {
  if (!epilogueHoistable(cfg)) return { prelude: () => [], call4: (v, pix, c) => `epilogue4(${v}, ${pix}, ${c})` };
  const load4 = (name: string, c: string) => `vec4<f32>(${['', ' + 1u', ' + 2u', ' + 3u'].map((l) => `${name}[${c}${l}]`).join(', ')})`;
  return {
    prelude: (c, indent) => [
      `${indent}let epi_bias4 = ${cfg.bias === 'channel' ? load4('epi_bias', c) : 'vec4<f32>(0.0)'};`,
      `${indent}let epi_slope4 = ${cfg.activation === 'prelu' ? load4('epi_prelu', c) : 'vec4<f32>(0.0)'};`,
    ],
    call4: (v) => `epilogue4_ch(${v}, epi_bias4, epi_slope4)`,
  };
}

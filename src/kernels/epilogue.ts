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
 * Scalar bias is expanded to 'channel' by the host. With `residual`, a tensor of the output's shape in the
 * output's layout is added after an optional pre-activation: y = act(preAct(v + bias) + residual) (ONNX
 * Conv → [act] → Add → [act]). Activations are compile-time (in the kernel ID); their parameters (leakyrelu
 * and hardsigmoid alpha, hardsigmoid beta, clip min / max) are uniforms: epi_<name>, and epi_pre_<name> for
 * the pre-activation.
 */
import type { ActivationType, Layout } from '../conv/types.ts';
import type { WgslPart } from './compose.ts';
import type { UniformField } from './types.ts';

export type EpilogueTensorMode = 'none' | 'channel' | 'tensor';

export interface EpilogueConfig {
  bias: EpilogueTensorMode;
  activation: ActivationType;
  /** How PReLU slopes are given; required when activation is 'prelu'. */
  prelu?: Exclude<EpilogueTensorMode, 'none'>;
  /**
   * A residual tensor of the output's shape, in the output's layout, added before `activation`:
   * y = activation(preActivation(v + bias) + residual).
   */
  residual?: boolean;
  /** Activation before the residual is added (only with residual; default linear; not prelu). */
  preActivation?: ActivationType;
  /** The output layout (the residual's), required with residual. */
  residualLayout?: Layout;
}

/** An activation's number parameters (uniforms, not in the kernel ID). */
export interface ActivationParams {
  alpha?: number;
  beta?: number;
  min?: number;
  max?: number;
}

/** The epilogue's uniform parameters: the activation's, and the pre-activation's (with a residual). */
export interface EpilogueParams {
  activation?: ActivationParams;
  preActivation?: ActivationParams;
}

/** Defaults of ActivationParams (leakyrelu and hardsigmoid alpha 0.2, hardsigmoid beta 0.5, clip ∓ float32 max). */
export const ACTIVATION_PARAM_DEFAULTS: Required<ActivationParams> = { alpha: 0.2, beta: 0.5, min: -3.4028234663852886e38, max: 3.4028234663852886e38 };

/** ID fragment: '' for no bias and linear; e.g. 'bias_relu', 'biasT_preluC', 'bias_prerelu_res_clip'. */
export function epilogueIdPart(cfg: EpilogueConfig): string {
  const parts: string[] = [];
  if (cfg.bias === 'channel') parts.push('bias');
  if (cfg.bias === 'tensor') parts.push('biasT');
  if (cfg.residual) {
    if (cfg.preActivation && cfg.preActivation !== 'linear') parts.push(`pre${cfg.preActivation}`);
    parts.push('res');
  }
  if (cfg.activation === 'prelu') parts.push(cfg.prelu === 'tensor' ? 'preluT' : 'preluC');
  else if (cfg.activation !== 'linear') parts.push(cfg.activation);
  return parts.join('_');
}

/** WGSL: true where `v` is NaN, tested on the bits (compilers may assume no NaN in float compares). */
export function isNanExpr(v: string, vec: boolean): string {
  return vec ? `(bitcast<vec4<u32>>(${v}) & vec4<u32>(0x7fffffffu)) > vec4<u32>(0x7f800000u)` : `(bitcast<u32>(${v}) & 0x7fffffffu) > 0x7f800000u`;
}

/** Uniform fields of an activation's parameters, named with `prefix` ('epi_' for the activation, 'epi_pre_' before the residual). */
export function activationUniforms(act: ActivationType, prefix: string): UniformField[] {
  const f = (n: string): UniformField => ({ name: `${prefix}${n}`, type: 'f32' });
  if (act === 'leakyrelu') return [f('alpha')];
  if (act === 'hardsigmoid') return [f('alpha'), f('beta')];
  if (act === 'clip') return [f('min'), f('max')];
  return [];
}

function activationExpr(act: ActivationType, v: string, vec: boolean, slope: string, prefix = 'epi_'): string {
  const z = vec ? 'vec4<f32>(0.0)' : '0.0';
  const one = vec ? 'vec4<f32>(1.0)' : '1.0';
  const u = (n: string) => (vec ? `vec4<f32>(params.${prefix}${n})` : `params.${prefix}${n}`);
  // NaN-preserving (max/clamp may return the other operand for NaN): a NaN the sum carries (a non-finite
  // input through a Winograd tile) must not become a finite 0 or 6. See the README's "Special values".
  // The NaN test is on the bits: SwiftShader folds `v != v` to false.
  const keepNan = (e: string) => `select(${e}, ${v}, ${isNanExpr(v, vec)})`;
  switch (act) {
    case 'linear':
      return v;
    case 'relu':
      return keepNan(`max(${v}, ${z})`);
    case 'relu6':
      return keepNan(`clamp(${v}, ${z}, ${vec ? 'vec4<f32>(6.0)' : '6.0'})`);
    case 'clip':
      return keepNan(`clamp(${v}, ${u('min')}, ${u('max')})`);
    case 'hardsigmoid':
      return keepNan(`clamp(${u('alpha')} * ${v} + ${u('beta')}, ${z}, ${one})`);
    case 'hardswish':
      return keepNan(`${v} * clamp(${v} / ${vec ? 'vec4<f32>(6.0)' : '6.0'} + ${vec ? 'vec4<f32>(0.5)' : '0.5'}, ${z}, ${one})`);
    case 'leakyrelu':
      return `select(params.${prefix}alpha * ${v}, ${v}, ${v} >= ${z})`;
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
  if (cfg.preActivation && cfg.preActivation !== 'linear' && !cfg.residual) throw new Error('epilogue: preActivation applies only with residual');
  if (cfg.preActivation === 'prelu') throw new Error("epilogue: preActivation 'prelu' is not supported (one slope tensor per plan)");
  if (cfg.residual && !cfg.residualLayout) throw new Error('epilogue: residual needs residualLayout (the output layout)');
  const bindings: WgslPart['bindings'] = [];
  const uniforms: WgslPart['uniforms'] = [];
  const needsPad = cfg.bias === 'tensor' || (cfg.activation === 'prelu' && cfg.prelu === 'tensor');
  if (needsPad) uniforms.push({ name: 'epi_cpad', type: 'u32' });
  const pre = cfg.residual ? cfg.preActivation ?? 'linear' : 'linear';
  uniforms.push(...activationUniforms(pre, 'epi_pre_'), ...activationUniforms(cfg.activation, 'epi_'));
  if (cfg.residual) uniforms.push({ name: 'epi_c', type: 'u32' }, { name: 'epi_hw', type: 'u32' });
  const index = (mode: EpilogueTensorMode, lane: string) => (mode === 'tensor' ? `pix * params.epi_cpad + c${lane}` : `c${lane}`);
  const read1 = (name: string, mode: EpilogueTensorMode) => `${name}[${index(mode, '')}]`;
  const read4 = (name: string, mode: EpilogueTensorMode) =>
    `vec4<f32>(${['', ' + 1u', ' + 2u', ' + 3u'].map((l) => `${name}[${index(mode, l)}]`).join(', ')})`;
  const lines1: string[] = [];
  const lines4: string[] = [];
  if (cfg.bias !== 'none') {
    bindings.push({ name: 'epi_bias', kind: 'read-only-storage', type: 'array<f32>' });
    lines1.push(`  let b0 = v + ${read1('epi_bias', cfg.bias)};`);
    lines4.push(`  let b0 = v + ${read4('epi_bias', cfg.bias)};`);
  } else {
    lines1.push('  let b0 = v;');
    lines4.push('  let b0 = v;');
  }
  const helpers: string[] = [];
  if (cfg.residual) {
    bindings.push({ name: 'epi_residual', kind: 'read-only-storage', type: 'array<f32>' });
    // The residual is in the output's layout: NHWC [pix][C], NCHW [n][C][hw] with pix = n·hw + p. Lanes past
    // the last channel (epilogue4 at c + k >= C) read nothing.
    const idx = cfg.residualLayout === 'NHWC' ? 'pix * params.epi_c + c' : '((pix / params.epi_hw) * params.epi_c + c) * params.epi_hw + pix % params.epi_hw';
    helpers.push(
      'fn epi_res(pix: u32, c: u32) -> f32 {',
      '  if (c >= params.epi_c) {',
      '    return 0.0;',
      '  }',
      `  return epi_residual[${idx}];`,
      '}',
    );
    lines1.push(`  let b = ${activationExpr(pre, 'b0', false, '', 'epi_pre_')} + epi_res(pix, c);`);
    lines4.push(`  let b = ${activationExpr(pre, 'b0', true, '', 'epi_pre_')} + vec4<f32>(epi_res(pix, c), epi_res(pix, c + 1u), epi_res(pix, c + 2u), epi_res(pix, c + 3u));`);
  } else {
    lines1.push('  let b = b0;');
    lines4.push('  let b = b0;');
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
  const res = cfg.residual ? `, residual (${cfg.residualLayout}) after pre-activation ${pre}` : '';
  const code = [
    `// epilogue: bias ${cfg.bias}${res}, activation ${cfg.activation}${cfg.prelu ? ` (slopes: ${cfg.prelu})` : ''}`,
    ...helpers,
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

/** True when the epilogue's operands depend on the channel only (no 'tensor' mode, no residual), so they can be loaded once per channel group. */
export function epilogueHoistable(cfg: EpilogueConfig): boolean {
  return cfg.bias !== 'tensor' && !(cfg.activation === 'prelu' && cfg.prelu === 'tensor') && !cfg.residual;
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

/**
 * The differential fuzzer's generators (pure, seeded; no GPU). Case `index` of stream `seed` is a function of
 * (seed, index) alone, so any one case replays without the ones before it (`winoconv fuzz --seed S --case K`).
 *
 * Three kinds of case:
 * - `float32`: a random valid descriptor (every field: layout, kernel, strides, asymmetric and pads-only pads,
 *   dilations, groups and depthwise, every activation, every bias/PReLU form, both weight layouts) with ugly sizes
 *   and data of several characters (uniform, wide, tiny, sparse, small integers);
 * - `int8`: a valid int8/uint8 descriptor with quantization (per-tensor / per-channel, zero points, every output
 *   kind), including exact .5 ties of the requantization (power-of-two scales) and saturation;
 * - `bad`: a valid case with one mutation that makes it invalid (unknown keys, wrong types, zero/negative/fractional
 *   sizes, NaN/Inf in weights/bias/slopes/scales, wrong lengths, groups not dividing, bias shapes that do not
 *   broadcast, bad run() arguments). The engine must refuse it with a ConvDescError before any GPU work.
 *
 * Kernel compilation dominates the cost on a CPU adapter, so a case draws its epilogue (activation × bias form)
 * mostly from a short list of profiles: the kernel sets repeat and the pipeline cache serves most plans.
 */
import type { Conv2dDesc, Conv2dWeights } from '../conv/desc.ts';
import type { QuantOptions } from '../conv/quant-options.ts';
import type { ActivationType, BroadcastTensor, Layout, WeightLayout } from '../conv/types.ts';
import { mulberry32 } from '../util/random.ts';
import { convOutputDim, effectiveKernel } from '../conv/geometry.ts';

export const FUZZ_DEFAULT_SEED = 1;

export interface GenerateOptions {
  /**
   * Fewer kernel configurations, for the fixed test slices: one epilogue profile per layout and channel counts
   * of one alignment class, so a fresh process compiles few kernel sets. Every other field varies as usual.
   */
  narrow?: boolean;
}

/** Seed of case `index` in stream `seed` (a 32-bit mix, so neighbouring cases are unrelated). */
export function caseSeed(seed: number, index: number): number {
  let h = Math.imul((seed >>> 0) ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul((index >>> 0) + 0x632be5ab, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

type Rng = () => number;
const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)];
const int = (rng: Rng, lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
function weighted<T>(rng: Rng, xs: readonly (readonly [T, number])[]): T {
  const total = xs.reduce((s, [, w]) => s + w, 0);
  let r = rng() * total;
  for (const [v, w] of xs) {
    r -= w;
    if (r < 0) return v;
  }
  return xs[xs.length - 1][0];
}

/** How a bias or PReLU tensor is given: a plain array (per channel or one value) or a BroadcastTensor. */
export type TensorForm = 'array' | 'array1' | 'channel' | 'scalar' | 'numpy-channel' | 'numpy-full';
export type FloatData = 'uniform' | 'wide' | 'tiny' | 'sparse' | 'integers';
export type Int8Flavour = 'random' | 'ties' | 'saturate';

export interface FuzzSize {
  batch: number;
  height: number;
  width: number;
}

interface CaseBase {
  seed: number;
  index: number;
  narrow?: boolean;
  /** The descriptor without `algorithm` (the runner forces each candidate and auto). */
  desc: Conv2dDesc;
  weightLayout: WeightLayout;
  size: FuzzSize;
  bias?: TensorForm;
  prelu?: TensorForm;
  /** Readable tags: 'pads-only', 'depthwise', 'grouped', 'ties', 'saturate', the data character... */
  tags: string[];
}

export interface FloatFuzzCase extends CaseBase {
  kind: 'float32';
  data: FloatData;
}

export interface Int8FuzzCase extends CaseBase {
  kind: 'int8';
  quant: QuantOptions;
  flavour: Int8Flavour;
}

export type ValidFuzzCase = FloatFuzzCase | Int8FuzzCase;

/** One mutation of a valid case's operands (`target.path`), declarative so it prints and replays. */
export type Mutation =
  | { op: 'rename'; target: 'desc' | 'options'; from: string; to: string }
  | { op: 'set'; target: 'desc' | 'options' | 'quant' | 'run'; path: string; value: unknown }
  | { op: 'delete'; target: 'options'; path: string }
  | { op: 'poke'; target: 'options' | 'run'; path: string; at: number; value: unknown }
  | { op: 'length'; target: 'options' | 'run'; path: string; delta: number };

export interface BadFuzzCase {
  kind: 'bad';
  seed: number;
  index: number;
  narrow?: boolean;
  /** What is wrong, in words (the rule it breaks). */
  name: string;
  base: ValidFuzzCase;
  mutation: Mutation;
  /** Where the engine must refuse it: at createConv2d, at run(), or at either (a size-dependent bias shape). */
  stage: 'create' | 'run' | 'either';
}

export type FuzzCase = ValidFuzzCase | BadFuzzCase;

/** Operands of a case: what is passed to createConv2d and run(). */
export interface FuzzOperands {
  desc: Conv2dDesc;
  options: Conv2dWeights & { weightLayout: WeightLayout; quant?: QuantOptions; expectedSize?: { height: number; width: number; batch?: number } };
  input: Float32Array | Int32Array;
  size: FuzzSize;
}

// Channel counts by alignment class (the Winograd and im2col kernels specialise on channels % 4 == 0).
const ALIGNED = [4, 8, 12, 16, 24] as const;
const UNALIGNED = [1, 2, 3, 5, 7, 13] as const;
type Profile = readonly [ActivationType, TensorForm | undefined, TensorForm | undefined];
// Epilogue profiles: [activation, bias form, prelu form].
const PROFILES: readonly Profile[] = [
  ['linear', undefined, undefined],
  ['linear', 'array', undefined],
  ['relu', 'array', undefined],
  ['relu6', 'channel', undefined],
  ['leakyrelu', 'array1', undefined],
  ['prelu', 'array', 'array'],
  ['elu', 'array', undefined],
  ['sigmoid', 'scalar', undefined],
  ['relu', 'numpy-channel', undefined],
];
const ACTS: readonly ActivationType[] = ['linear', 'relu', 'relu6', 'leakyrelu', 'prelu', 'elu', 'sigmoid'];
const FORMS: readonly (TensorForm | undefined)[] = [undefined, 'array', 'array1', 'channel', 'scalar', 'numpy-channel', 'numpy-full'];
const PRELU_FORMS = ['array', 'array1', 'channel', 'scalar', 'numpy-channel', 'numpy-full'] as const;

/**
 * What kernel IDs depend on besides the algorithm: layout, epilogue (activation, bias and PReLU form), channel
 * alignment; for int8 also the dtypes and the output kind. A stream draws most cases' class from a small pool
 * (seeded by the stream), so kernel sets repeat and the pipeline cache and verification records serve most plans.
 */
interface KernelClass {
  layout: Layout;
  profile: Profile;
  alignIn: boolean;
  alignOut: boolean;
  dtype: 'int8' | 'uint8';
  weightDtype: 'int8' | 'uint8';
  output: QuantOptions['output'];
  int8Act: 'linear' | 'relu' | 'relu6';
}

function randomClass(rng: Rng): KernelClass {
  const layout: Layout = rng() < 0.5 ? 'NHWC' : 'NCHW';
  let profile: Profile = rng() < 0.7 ? pick(rng, PROFILES) : [pick(rng, ACTS), pick(rng, FORMS), undefined];
  if (profile[0] === 'prelu' && !profile[2]) profile = [profile[0], profile[1], pick(rng, PRELU_FORMS)];
  if (profile[0] !== 'prelu' && profile[2]) profile = [profile[0], profile[1], undefined];
  const output = weighted(rng, [['int32', 25], ['int8', 30], ['uint8', 30], ['float32', 15]] as const);
  return {
    layout, profile, alignIn: rng() < 0.4, alignOut: rng() < 0.4, dtype: rng() < 0.5 ? 'int8' : 'uint8', weightDtype: rng() < 0.7 ? 'int8' : 'uint8',
    output, int8Act: output === 'int32' ? 'linear' : pick(rng, ['linear', 'relu', 'relu6'] as const),
  };
}

// The test slices' two classes: float32 cases NHWC with PReLU and a scalar bias, int8 cases NCHW uint8 → uint8 with relu.
const NARROW_CLASSES: Record<'float32' | 'int8', KernelClass> = {
  float32: { layout: 'NHWC', profile: ['prelu', 'scalar', 'array'], alignIn: false, alignOut: false, dtype: 'uint8', weightDtype: 'int8', output: 'uint8', int8Act: 'relu' },
  int8: { layout: 'NCHW', profile: ['relu', undefined, undefined], alignIn: false, alignOut: false, dtype: 'uint8', weightDtype: 'int8', output: 'uint8', int8Act: 'relu' },
};
const POOL_SIZE = 12;
const POOL_SHARE = 0.85;
const pools = new Map<number, KernelClass[]>();

/** The kernel class of a case: from the stream's pool (85%) or fresh; narrow: one fixed class per kind. */
function kernelClass(seed: number, rng: Rng, narrow: boolean, kind: 'float32' | 'int8'): KernelClass {
  if (narrow) return NARROW_CLASSES[kind];
  let pool = pools.get(seed);
  if (!pool) {
    const prng = mulberry32(caseSeed(seed, 0xffffffff));
    pool = Array.from({ length: POOL_SIZE }, () => randomClass(prng));
    pools.set(seed, pool);
  }
  return rng() < POOL_SHARE ? pick(rng, pool) : randomClass(rng);
}

function geometry(rng: Rng, tags: string[], int8: boolean, cls: KernelClass) {
  const shape = weighted(rng, [['wino3', int8 ? 45 : 38], ['wino5', int8 ? 0 : 7], ['pointwise', 8], ['depthwise', 12], ['grouped', 8], ['general', 25]] as const);
  let kh = 3;
  let kw = 3;
  let strides: [number, number] = [1, 1];
  let dilations: [number, number] = [1, 1];
  let groups = 1;
  let cin = pick(rng, cls.alignIn ? ALIGNED : UNALIGNED);
  let cout = pick(rng, cls.alignOut ? ALIGNED : UNALIGNED);
  if (shape === 'wino5') kh = kw = 5;
  else if (shape === 'pointwise') kh = kw = 1;
  else if (shape === 'depthwise') {
    [kh, kw] = pick(rng, [[3, 3], [3, 3], [5, 5], [1, 3], [2, 2]] as const);
    groups = cin;
    cout = cin * pick(rng, [1, 1, 1, 2]);
    if (rng() < 0.3) strides = [2, 2];
    tags.push('depthwise');
  } else if (shape === 'grouped') {
    groups = pick(rng, [2, 3, 4]);
    cin = groups * int(rng, 1, 4);
    cout = groups * int(rng, 1, 4);
    kh = kw = pick(rng, [1, 3]);
    tags.push('grouped');
  } else if (shape === 'general') {
    kh = int(rng, 1, 5);
    kw = rng() < 0.6 ? kh : int(rng, 1, 5);
    strides = [pick(rng, [1, 1, 2, 3]), pick(rng, [1, 1, 2])];
    if (rng() < 0.5) strides = [strides[0], strides[0]];
    dilations = rng() < 0.7 ? [1, 1] : [pick(rng, [1, 2, 3]), pick(rng, [1, 2])];
  }
  const effH = effectiveKernel(kh, dilations[0]);
  const effW = effectiveKernel(kw, dilations[1]);
  let pads: [number, number, number, number];
  const padKind = weighted(rng, [['same', 45], ['zero', 15], ['asym', 28], ['padsOnly', 12]] as const);
  if (padKind === 'zero') pads = [0, 0, 0, 0];
  else if (padKind === 'same') {
    const p = Math.floor(effH / 2);
    const q = Math.floor(effW / 2);
    pads = [p, q, p, q];
  } else if (padKind === 'asym') pads = [int(rng, 0, kh), int(rng, 0, kw), int(rng, 0, kh), int(rng, 0, kw)];
  else {
    // Some output rows/columns see only padding: pads >= the effective kernel on at least one side.
    pads = [int(rng, 0, 2), int(rng, 0, 2), int(rng, 0, 2), int(rng, 0, 2)];
    const side = int(rng, 0, 3);
    pads[side] = (side % 2 === 0 ? effH : effW) + int(rng, 0, 1);
    tags.push('pads-only');
  }
  const minH = Math.max(1, effH - pads[0] - pads[2]);
  const minW = Math.max(1, effW - pads[1] - pads[3]);
  const size: FuzzSize = {
    batch: weighted(rng, [[1, 6], [2, 3], [3, 1]] as const),
    height: int(rng, minH, Math.max(minH, Math.min(20, minH + 13))),
    width: int(rng, minW, Math.max(minW, Math.min(20, minW + 13))),
  };
  return { cin, cout, kh, kw, strides, dilations, groups, pads, size };
}

/** A desc field in one of its accepted spellings (a number for both axes, or the tuple). */
function spell<T extends number[]>(rng: Rng, v: T, dflt: number): number | T | undefined {
  const same = v.every((x) => x === v[0]);
  if (same && v[0] === dflt && rng() < 0.5) return undefined;
  if (same && rng() < 0.5) return v[0];
  return v;
}

function floatCase(seed: number, index: number, rng: Rng, narrow: boolean): FloatFuzzCase {
  const tags: string[] = [];
  const cls = kernelClass(seed, rng, narrow, 'float32');
  const g = geometry(rng, tags, false, cls);
  const layout = cls.layout;
  const [act, bias, prelu] = cls.profile;
  const activation: Conv2dDesc['activation'] = act === 'leakyrelu' ? { type: act, alpha: pick(rng, [0.2, 0.01, Math.fround(rng())]) } : rng() < 0.5 ? act : { type: act };
  const desc: Conv2dDesc = {
    inChannels: g.cin, outChannels: g.cout, kernelSize: g.kh === g.kw && rng() < 0.5 ? g.kh : [g.kh, g.kw],
    strides: spell(rng, g.strides, 1) as Conv2dDesc['strides'], pads: spell(rng, g.pads, 0) as Conv2dDesc['pads'],
    dilations: spell(rng, g.dilations, 1) as Conv2dDesc['dilations'], groups: g.groups === 1 && rng() < 0.5 ? undefined : g.groups,
    layout: layout === 'NHWC' && rng() < 0.3 ? undefined : layout, activation,
  };
  for (const k of Object.keys(desc) as (keyof Conv2dDesc)[]) if (desc[k] === undefined) delete desc[k];
  const data = weighted(rng, [['uniform', 50], ['wide', 12], ['tiny', 12], ['sparse', 14], ['integers', 12]] as const);
  tags.push(data);
  return { kind: 'float32', seed, index, ...(narrow ? { narrow } : {}), desc, weightLayout: rng() < 0.5 ? 'OIHW' : 'HWIO', size: g.size, bias, prelu, data, tags };
}

function int8Case(seed: number, index: number, rng: Rng, narrow: boolean): Int8FuzzCase {
  const tags: string[] = [];
  const cls = kernelClass(seed, rng, narrow, 'int8');
  const g = geometry(rng, tags, true, cls);
  const { layout, dtype, weightDtype, output } = cls;
  const flavour: Int8Flavour = output === 'int8' || output === 'uint8' ? weighted(rng, [['random', 4], ['ties', 3], ['saturate', 3]] as const) : 'random';
  tags.push(flavour);
  const act = cls.int8Act;
  const [xlo, xhi] = dtype === 'int8' ? [-128, 127] : [0, 255];
  const [wlo, whi] = weightDtype === 'int8' ? [-128, 127] : [0, 255];
  const perChannel = rng() < 0.5;
  const xZeroPoint = rng() < 0.3 ? int(rng, xlo, xhi) : dtype === 'uint8' ? 128 + int(rng, -20, 20) : int(rng, -5, 5);
  const wz = () => (rng() < 0.2 ? int(rng, wlo, whi) : weightDtype === 'uint8' ? 128 + int(rng, -8, 8) : int(rng, -4, 4));
  const wZeroPoint = perChannel ? Array.from({ length: g.cout }, wz) : wz();
  const terms = (g.cin / g.groups) * g.kh * g.kw;
  const typicalAcc = Math.sqrt(terms) * 74 * 74;
  let xScale: number;
  let wScale: number | number[];
  let yScale: number | undefined;
  if (flavour === 'ties') {
    // Power-of-two scales: M = x_scale·w_scale/y_scale = 2^-k exactly, so accumulators ≡ 2^(k-1) mod 2^k are .5 ties.
    xScale = 2 ** -int(rng, 2, 6);
    wScale = perChannel ? Array.from({ length: g.cout }, () => 2 ** -int(rng, 3, 7)) : 2 ** -int(rng, 3, 7);
    const ws = typeof wScale === 'number' ? wScale : Math.min(...wScale);
    // The data of a ties case stays near the zero points (fuzzOperands), so accumulators are small and M = 1/2 or 1/4.
    yScale = xScale * ws * 2 ** int(rng, 1, 2);
  } else {
    xScale = Math.fround(0.005 + 0.05 * rng());
    wScale = perChannel ? Array.from({ length: g.cout }, () => Math.fround(0.002 + 0.01 * rng())) : Math.fround(0.002 + 0.01 * rng());
    const ws = typeof wScale === 'number' ? wScale : wScale[0];
    const target = flavour === 'saturate' ? 1500 + 2000 * rng() : 30 + 60 * rng();
    yScale = output === 'int8' || output === 'uint8' ? Math.fround((xScale * ws * typicalAcc) / target) : undefined;
  }
  const [ylo, yhi] = output === 'uint8' ? [0, 255] : [-128, 127];
  const yZeroPoint = output === 'int8' || output === 'uint8' ? (flavour === 'saturate' && rng() < 0.5 ? pick(rng, [ylo, yhi]) : output === 'uint8' ? int(rng, 90, 140) : int(rng, -20, 20)) : undefined;
  const quant: QuantOptions = { output, xZeroPoint, xScale, weightDtype, wZeroPoint, wScale };
  if (yScale !== undefined) quant.yScale = yScale;
  if (yZeroPoint !== undefined) quant.yZeroPoint = yZeroPoint;
  const bias: TensorForm | undefined = output === 'int32' ? undefined : pick(rng, [undefined, 'array', 'array1'] as const);
  const desc: Conv2dDesc = {
    inChannels: g.cin, outChannels: g.cout, kernelSize: [g.kh, g.kw], strides: g.strides, pads: g.pads, dilations: g.dilations, groups: g.groups,
    layout, dtype, activation: act,
  };
  return { kind: 'int8', seed, index, ...(narrow ? { narrow } : {}), desc, weightLayout: rng() < 0.5 ? 'OIHW' : 'HWIO', size: g.size, bias, quant, flavour, tags };
}

/** Output spatial size of a valid case. */
export function outputHW(c: ValidFuzzCase): { oh: number; ow: number } {
  const d = resolved(c.desc);
  return {
    oh: convOutputDim(c.size.height, d.kh, d.sh, d.dh, d.pads[0], d.pads[2]),
    ow: convOutputDim(c.size.width, d.kw, d.sw, d.dw, d.pads[1], d.pads[3]),
  };
}

/** The desc's fields with defaults applied (for generated, valid descriptors only). */
export function resolved(desc: Conv2dDesc) {
  const two = (v: number | [number, number] | undefined, d: number): [number, number] => (v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : v);
  const [kh, kw] = two(desc.kernelSize, 1);
  const [sh, sw] = two(desc.strides, 1);
  const [dh, dw] = two(desc.dilations, 1);
  const pads: [number, number, number, number] = desc.pads === undefined ? [0, 0, 0, 0] : typeof desc.pads === 'number' ? [desc.pads, desc.pads, desc.pads, desc.pads] : desc.pads;
  const act = desc.activation === undefined ? { type: 'linear' as ActivationType } : typeof desc.activation === 'string' ? { type: desc.activation } : desc.activation;
  return { kh, kw, sh, sw, dh, dw, pads, groups: desc.groups ?? 1, layout: desc.layout ?? 'NHWC', dtype: desc.dtype ?? 'float32', act };
}

const UNKNOWN_KEYS: readonly (readonly [string, string, unknown])[] = [
  // [real key, misspelt key, value when the real key is absent]
  ['strides', 'stride', 2],
  ['pads', 'pad', 1],
  ['dilations', 'dilation', 2],
  ['groups', 'group', 2],
  ['pads', 'padding', 1],
  ['activation', 'activaton', 'relu'],
];

/** A valid case made invalid by one mutation (see the file comment). */
function badCase(seed: number, index: number, rng: Rng, narrow: boolean): BadFuzzCase {
  const base = rng() < 0.8 ? floatCase(seed, index, rng, narrow) : int8Case(seed, index, rng, narrow);
  const d = base.desc;
  const r = resolved(d);
  const cin = d.inChannels;
  const cout = d.outChannels;
  const float = base.kind === 'float32';
  const wLen = cout * (cin / r.groups) * r.kh * r.kw;
  const menu: (() => Omit<BadFuzzCase, 'kind' | 'seed' | 'index' | 'base'>)[] = [];
  const create = (name: string, mutation: Mutation) => ({ name, mutation, stage: 'create' as const });
  const run = (name: string, mutation: Mutation) => ({ name, mutation, stage: 'run' as const });
  // Unknown keys (misspellings of real ones).
  menu.push(() => {
    const [real, wrong, value] = pick(rng, UNKNOWN_KEYS);
    return (d as unknown as Record<string, unknown>)[real] !== undefined
      ? create(`unknown key '${wrong}' (for '${real}')`, { op: 'rename', target: 'desc', from: real, to: wrong })
      : create(`unknown key '${wrong}' (for '${real}')`, { op: 'set', target: 'desc', path: wrong, value });
  });
  menu.push(() => (base.bias !== undefined ? create("unknown option 'biases' (for 'bias')", { op: 'rename', target: 'options', from: 'bias', to: 'biases' }) : create("unknown option 'biases' (for 'bias')", { op: 'set', target: 'options', path: 'biases', value: new Array(cout).fill(0.5) })));
  // Wrong types.
  menu.push(() => {
    const [path, value] = pick(rng, [
      ['inChannels', String(cin)], ['outChannels', [cout]], ['kernelSize', String(r.kh)], ['strides', [1, '1']], ['layout', r.layout.toLowerCase()],
      ['dtype', 'float64'], ['activation', 'gelu'], ['activation', 42], ['algorithm', 'winograd3'], ['groups', true], ['pads', [1, 1]],
      ['kernelSize', [r.kh]], ['dilations', [1, 1, 1]], ['activation', { type: 'leakyrelu', alpha: '0.1' }], ['layout', `${r.layout} `],
    ] as const);
    return create(`${path} of the wrong type or shape`, { op: 'set', target: 'desc', path, value });
  });
  menu.push(() => create("weightLayout 'OHWI'", { op: 'set', target: 'options', path: 'weightLayout', value: 'OHWI' }));
  // Zero, negative and fractional sizes; NaN and Infinity in the descriptor.
  menu.push(() => {
    const [path, value] = pick(rng, [
      ['inChannels', 0], ['outChannels', -2], ['kernelSize', 0], ['strides', 0], ['dilations', -1], ['pads', -1], ['groups', 0],
      ['inChannels', cin + 0.5], ['kernelSize', [r.kh, r.kw + 0.5]], ['pads', 0.5], ['strides', 1.5], ['groups', 1.5],
      ['inChannels', Number.NaN], ['strides', Number.POSITIVE_INFINITY], ['pads', [0, 0, -1, 0]], ['outChannels', Number.POSITIVE_INFINITY],
    ] as const);
    return create(`${path} = ${String(value)}`, { op: 'set', target: 'desc', path, value });
  });
  // Groups that do not divide the channels.
  menu.push(() => {
    let gr = 2;
    while (cin % gr === 0) gr++;
    return create(`groups ${gr} does not divide inChannels ${cin}`, { op: 'set', target: 'desc', path: 'groups', value: gr });
  });
  // Weights: NaN/Inf, wrong length, wrong type.
  menu.push(() => {
    const value = pick(rng, [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
    return create(`weights[i] = ${value}`, { op: 'poke', target: 'options', path: 'weights', at: int(rng, 0, wLen - 1), value });
  });
  menu.push(() => {
    const delta = pick(rng, [-1, 1, -wLen]);
    return create(`weights.length ${wLen + delta} (needs ${wLen})`, { op: 'length', target: 'options', path: 'weights', delta });
  });
  menu.push(() => create('weights not an array', { op: 'set', target: 'options', path: 'weights', value: pick(rng, [null, 3, 'abc']) }));
  // Run arguments.
  const n = base.size.batch * base.size.height * base.size.width * cin;
  menu.push(() => {
    const delta = pick(rng, [-1, 1, -n]);
    return run(`run(x) with ${n + delta} values (needs ${n})`, { op: 'length', target: 'run', path: 'x', delta });
  });
  menu.push(() => {
    const value = pick(rng, [null, 42, {}, 'x']);
    return run(`run(x) with x = ${JSON.stringify(value)}`, { op: 'set', target: 'run', path: 'x', value });
  });
  menu.push(() => {
    const [path, value] = pick(rng, [['size.batch', 0], ['size.height', base.size.height + 0.5], ['size.width', -1], ['size.height', Number.NaN]] as const);
    return run(`run(x, shape) with ${path} = ${value}`, { op: 'set', target: 'run', path, value });
  });
  if (float) {
    // Bias and PReLU: NaN/Inf, shapes that do not fit.
    const biasForms = ['array', 'channel', 'numpy-channel'];
    menu.push(() => {
      const value = pick(rng, [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
      if (!biasForms.includes(base.bias ?? '')) base.bias = pick(rng, ['array', 'channel'] as const);
      return create(`bias[i] = ${value}`, { op: 'poke', target: 'options', path: 'bias', at: int(rng, 0, cout - 1), value });
    });
    menu.push(() => {
      const value = pick(rng, [
        new Array(cout + 1).fill(0.25),
        { shape: [cout + 1], data: new Array(cout + 1).fill(0.25), broadcast: 'channel' },
        { shape: [1, cout], data: new Array(cout).fill(0.25), broadcast: 'channel' },
        { shape: r.layout === 'NHWC' ? [1, 1, 1, cout + 1] : [cout + 1, 1, 1], data: new Array(cout + 1).fill(0.25), broadcast: 'numpy' },
        { shape: [cout], data: new Array(cout + 2).fill(0.25), broadcast: 'numpy' },
        { shape: [cout], data: new Array(cout).fill(0.25), broadcast: 'rowwise' },
        { shape: [2], data: [0.25, 0.5], broadcast: 'scalar' },
      ]);
      return create(`bias ${JSON.stringify(value).slice(0, 60)} does not fit ${cout} output channels`, { op: 'set', target: 'options', path: 'bias', value });
    });
    menu.push(() => {
      const { oh, ow } = outputHW(base);
      const shape = r.layout === 'NHWC' ? [oh + 1, ow, cout] : [cout, oh, ow + 1];
      return { name: `numpy bias of shape [${shape}] does not fit the output at this size`, mutation: { op: 'set', target: 'options', path: 'bias', value: { shape, data: new Array(shape.reduce((a, b) => a * b, 1)).fill(0.25), broadcast: 'numpy' } }, stage: 'either' as const };
    });
    menu.push(() => {
      const value = pick(rng, [Number.NaN, Number.POSITIVE_INFINITY]);
      base.desc.activation = 'prelu';
      base.prelu = 'array';
      return create(`preluWeights[i] = ${value}`, { op: 'poke', target: 'options', path: 'preluWeights', at: int(rng, 0, cout - 1), value });
    });
    menu.push(() => {
      if (r.act.type !== 'prelu') {
        base.desc.activation = 'prelu';
        base.prelu = 'array';
      }
      return create(`preluWeights of ${cout + 1} values (or missing) for ${cout} channels`, rng() < 0.5 ? { op: 'set', target: 'options', path: 'preluWeights', value: new Array(cout + 1).fill(0.1) } : { op: 'delete', target: 'options', path: 'preluWeights' });
    });
    menu.push(() => create(`leakyrelu alpha = ${pick(rng, ['NaN', 'Infinity'])}`, { op: 'set', target: 'desc', path: 'activation', value: { type: 'leakyrelu', alpha: rng() < 0.5 ? Number.NaN : Number.POSITIVE_INFINITY } }));
    menu.push(() => create('quant given for a float32 descriptor', { op: 'set', target: 'options', path: 'quant', value: { output: 'int32' } }));
  } else {
    const q = (base as Int8FuzzCase).quant;
    menu.push(() => {
      const value = pick(rng, [q.weightDtype === 'uint8' ? 256 : 128, -200, 1.5, Number.NaN]);
      return create(`weights[i] = ${value} outside ${q.weightDtype}`, { op: 'poke', target: 'options', path: 'weights', at: int(rng, 0, wLen - 1), value });
    });
    menu.push(() => {
      const [path, value] = pick(rng, [['xZeroPoint', 300], ['xScale', Number.NaN], ['xScale', 0], ['wScale', -1], ['output', 'int16'], ['weightDtype', 'int4'], ['xZeroPoint', 0.5]] as const);
      return create(`quant.${path} = ${value}`, { op: 'set', target: 'quant', path, value });
    });
    menu.push(() => create('quant missing for an int8 descriptor', { op: 'delete', target: 'options', path: 'quant' }));
    menu.push(() => create("activation 'sigmoid' on an int8 descriptor", { op: 'set', target: 'desc', path: 'activation', value: 'sigmoid' }));
    menu.push(() => {
      const lo = (base.desc.dtype ?? 'int8') === 'int8' ? -128 : 0;
      const value = pick(rng, [lo + 256, lo - 1, 1.5]);
      return run(`run(x) with x[i] = ${value} outside ${base.desc.dtype}`, { op: 'poke', target: 'run', path: 'x', at: int(rng, 0, n - 1), value });
    });
    if (q.output === 'int8' || q.output === 'uint8') menu.push(() => create('int8 bias of 1.5 (not an int32)', { op: 'set', target: 'options', path: 'bias', value: new Array(cout).fill(1.5) }));
    if (q.output === 'int32') menu.push(() => create("bias with quant.output 'int32' (ConvInteger has none)", { op: 'set', target: 'options', path: 'bias', value: new Array(cout).fill(3) }));
  }
  const m = pick(rng, menu)();
  return { kind: 'bad', seed, index, ...(narrow ? { narrow } : {}), base, ...m };
}

/** Case `index` of stream `seed`. About 72% float32, 14% int8, 14% bad inputs. */
export function generateCase(seed: number, index: number, opts: GenerateOptions = {}): FuzzCase {
  const rng = mulberry32(caseSeed(seed, index));
  const narrow = Boolean(opts.narrow);
  const kind = weighted(rng, [['float32', 72], ['int8', 14], ['bad', 14]] as const);
  if (kind === 'float32') return floatCase(seed, index, rng, narrow);
  if (kind === 'int8') return int8Case(seed, index, rng, narrow);
  return badCase(seed, index, rng, narrow);
}

function floatData(rng: Rng, n: number, kind: FloatData, role: 'x' | 'w'): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = 2 * rng() - 1;
    switch (kind) {
      case 'uniform': out[i] = u; break;
      case 'wide': out[i] = role === 'x' ? 100 * u : u; break;
      case 'tiny': out[i] = role === 'x' ? 1e-3 * u : u; break;
      case 'sparse': out[i] = role === 'x' && rng() < 0.7 ? 0 : u; break;
      case 'integers': out[i] = Math.round(3 * u); break;
    }
  }
  return out;
}

function tensor(form: TensorForm, rng: Rng, c: ValidFuzzCase, scale: number, integer: boolean): ArrayLike<number> | BroadcastTensor {
  const cout = c.desc.outChannels;
  const v = () => (integer ? Math.round(scale * (2 * rng() - 1)) : Math.fround(scale * (2 * rng() - 1)));
  const arr = (n: number) => Array.from({ length: n }, v);
  const layout = c.desc.layout ?? 'NHWC';
  switch (form) {
    case 'array': return Float32Array.from(arr(cout));
    case 'array1': return arr(1);
    case 'channel': return { shape: [cout], data: arr(cout), broadcast: 'channel' };
    case 'scalar': return { shape: [1], data: arr(1), broadcast: 'scalar' };
    case 'numpy-channel': {
      const shape = layout === 'NHWC' ? [cout] : [cout, 1, 1];
      return { shape, data: arr(cout), broadcast: 'numpy' };
    }
    case 'numpy-full': {
      const { oh, ow } = outputHW(c);
      const shape = layout === 'NHWC' ? [1, oh, ow, cout] : [cout, oh, ow];
      return { shape, data: arr(cout * oh * ow), broadcast: 'numpy' };
    }
  }
}

/** The weights, bias, PReLU slopes and input of a valid case (seeded by the case, so they replay). */
export function fuzzOperands(c: ValidFuzzCase): FuzzOperands {
  const rng = mulberry32(caseSeed(c.seed, c.index) ^ 0xda7a);
  const r = resolved(c.desc);
  const cin = c.desc.inChannels;
  const cout = c.desc.outChannels;
  const wLen = cout * (cin / r.groups) * r.kh * r.kw;
  const n = c.size.batch * c.size.height * c.size.width * cin;
  const options: FuzzOperands['options'] = { weights: [], weightLayout: c.weightLayout, expectedSize: { height: c.size.height, width: c.size.width, batch: c.size.batch } };
  let input: Float32Array | Int32Array;
  if (c.kind === 'float32') {
    const w = floatData(rng, wLen, c.data === 'integers' ? 'integers' : 'uniform', 'w');
    options.weights = w;
    input = floatData(rng, n, c.data, 'x');
    if (c.bias) options.bias = tensor(c.bias, rng, c, c.data === 'wide' ? 10 : 1, c.data === 'integers');
    if (c.prelu) options.preluWeights = tensor(c.prelu, rng, c, 1, false);
  } else {
    const q = c.quant;
    const [xlo, xhi] = c.desc.dtype === 'uint8' ? [0, 255] : [-128, 127];
    const [wlo, whi] = q.weightDtype === 'uint8' ? [0, 255] : [-128, 127];
    if (c.flavour === 'ties') {
      // Near the zero points (x' in [-3, 3], w' in [-1, 1]): small accumulators, so acc·M with M = 2^-k lands on .5 often.
      const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
      const wz = (o: number) => (typeof q.wZeroPoint === 'number' || q.wZeroPoint === undefined ? (q.wZeroPoint ?? 0) : q.wZeroPoint[o]);
      const per = wLen / cout;
      options.weights = Int32Array.from({ length: wLen }, (_, i) => clamp(wz(c.weightLayout === 'OIHW' ? Math.floor(i / per) : i % cout) + int(rng, -1, 1), wlo, whi));
      input = Int32Array.from({ length: n }, () => clamp((q.xZeroPoint ?? 0) + int(rng, -3, 3), xlo, xhi));
    } else {
      options.weights = Int32Array.from({ length: wLen }, () => wlo + Math.floor(rng() * (whi - wlo + 1)));
      input = Int32Array.from({ length: n }, () => xlo + Math.floor(rng() * (xhi - xlo + 1)));
    }
    options.quant = q;
    if (c.bias) {
      const integer = q.output !== 'float32';
      const terms = (cin / r.groups) * r.kh * r.kw;
      options.bias = tensor(c.bias, rng, c, integer ? (c.flavour === 'ties' ? 10 : Math.round(Math.sqrt(terms) * 5000)) : 2, integer);
    }
  }
  return { desc: { ...c.desc }, options, input, size: { ...c.size } };
}

function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let o = obj;
  for (const k of keys.slice(0, -1)) o = o[k] as Record<string, unknown>;
  o[keys[keys.length - 1]] = value;
}

/** The operands of a bad case: its base's, with the mutation applied (desc, options, quant, or run's x and shape). */
export function badOperands(b: BadFuzzCase): { desc: unknown; options: unknown; x: unknown; size: unknown } {
  const ops = fuzzOperands(b.base);
  const desc = { ...ops.desc } as Record<string, unknown>;
  const options = { ...ops.options } as Record<string, unknown>;
  if (options.quant) options.quant = { ...(options.quant as object) };
  const runArgs: Record<string, unknown> = { x: ops.input, size: { ...ops.size } };
  const m = b.mutation;
  const holder = (t: string): Record<string, unknown> => (t === 'desc' ? desc : t === 'options' ? options : t === 'quant' ? (options.quant as Record<string, unknown>) : runArgs);
  switch (m.op) {
    case 'rename': {
      const h = holder(m.target);
      h[m.to] = h[m.from];
      delete h[m.from];
      break;
    }
    case 'set':
      setPath(holder(m.target), m.path, m.value);
      break;
    case 'delete':
      delete holder(m.target)[m.path];
      break;
    case 'poke': {
      const h = holder(m.target);
      const src = h[m.path] as ArrayLike<number> | BroadcastTensor;
      if (src && typeof (src as BroadcastTensor).broadcast === 'string') {
        const t = src as BroadcastTensor;
        const data = Array.from(t.data);
        data[m.at % data.length] = m.value as number;
        h[m.path] = { ...t, data };
      } else {
        const data = Array.from(src as ArrayLike<number>);
        data[m.at % data.length] = m.value as number;
        h[m.path] = data;
      }
      break;
    }
    case 'length': {
      const h = holder(m.target);
      const src = Array.from(h[m.path] as ArrayLike<number>);
      h[m.path] = m.delta < 0 ? src.slice(0, src.length + m.delta) : [...src, ...new Array(m.delta).fill(0.5)];
      break;
    }
  }
  return { desc, options, x: runArgs.x, size: runArgs.size };
}

/**
 * Why a bad case's operands are invalid, computed from the operands themselves (not from the mutation's label):
 * a second statement of the contract, used by the unit test to prove every generated bad input is really bad.
 * Returns undefined when it finds nothing wrong.
 */
export function explainInvalid(b: BadFuzzCase): string | undefined {
  const { desc, options, x, size } = badOperands(b) as { desc: Record<string, unknown>; options: Record<string, unknown>; x: unknown; size: Record<string, unknown> };
  const known = ['inChannels', 'outChannels', 'kernelSize', 'strides', 'pads', 'dilations', 'groups', 'layout', 'dtype', 'activation', 'algorithm'];
  const unknown = Object.keys(desc).filter((k) => !known.includes(k));
  if (unknown.length) return `unknown desc key(s) ${unknown.join(', ')}`;
  const knownOpts = ['weights', 'weightLayout', 'bias', 'preluWeights', 'quant', 'expectedSize'];
  const unknownOpts = Object.keys(options).filter((k) => !knownOpts.includes(k));
  if (unknownOpts.length) return `unknown option(s) ${unknownOpts.join(', ')}`;
  const isInt = (v: unknown, min: number) => typeof v === 'number' && Number.isInteger(v) && v >= min;
  const tuple = (v: unknown, len: number, min: number, dflt: number) => (v === undefined ? Array(len).fill(dflt) : isInt(v, min) ? Array(len).fill(v) : Array.isArray(v) && v.length === len && v.every((e) => isInt(e, min)) ? (v as number[]) : undefined);
  if (!isInt(desc.inChannels, 1)) return 'inChannels not an integer >= 1';
  if (!isInt(desc.outChannels, 1)) return 'outChannels not an integer >= 1';
  const k = tuple(desc.kernelSize, 2, 1, Number.NaN);
  if (!k || k.some(Number.isNaN)) return 'kernelSize invalid';
  const s = tuple(desc.strides, 2, 1, 1);
  const dl = tuple(desc.dilations, 2, 1, 1);
  const p = tuple(desc.pads, 4, 0, 0);
  if (!s) return 'strides invalid';
  if (!dl) return 'dilations invalid';
  if (!p) return 'pads invalid';
  const groups = desc.groups ?? 1;
  if (!isInt(groups, 1)) return 'groups not an integer >= 1';
  const cin = desc.inChannels as number;
  const cout = desc.outChannels as number;
  if (cin % (groups as number) || cout % (groups as number)) return 'groups does not divide the channels';
  if (desc.layout !== undefined && desc.layout !== 'NHWC' && desc.layout !== 'NCHW') return 'layout invalid';
  const dtype = desc.dtype ?? 'float32';
  if (!['float32', 'int8', 'uint8'].includes(dtype as string)) return 'dtype invalid';
  const act = typeof desc.activation === 'string' || desc.activation === undefined ? { type: desc.activation ?? 'linear' } : (desc.activation as Record<string, unknown>);
  if (act === null || typeof act !== 'object' || !['linear', 'relu', 'relu6', 'leakyrelu', 'prelu', 'elu', 'sigmoid'].includes(act.type as string)) return 'activation invalid';
  if (act.alpha !== undefined && !(typeof act.alpha === 'number' && Number.isFinite(act.alpha))) return 'activation.alpha not a finite number';
  if (desc.algorithm !== undefined && desc.algorithm !== 'auto') return 'algorithm invalid (generated bad cases give none)';
  if (options.weightLayout !== 'OIHW' && options.weightLayout !== 'HWIO') return 'weightLayout invalid';
  const w = options.weights as ArrayLike<number> | null;
  if (!w || typeof w !== 'object' || typeof w.length !== 'number') return 'weights not an array';
  if (w.length !== cout * (cin / (groups as number)) * k[0] * k[1]) return 'weights of the wrong length';
  const numbers = (a: ArrayLike<unknown>) => Array.from(a).every((v) => typeof v === 'number' && Number.isFinite(v));
  if (!numbers(w)) return 'weights hold a non-finite value';
  const int8 = dtype !== 'float32';
  const q = options.quant as Record<string, unknown> | undefined;
  if (!int8 && q !== undefined) return 'quant given for float32';
  if (int8) {
    if (!q) return 'quant missing for int8';
    const wd = q.weightDtype ?? 'int8';
    if (wd !== 'int8' && wd !== 'uint8') return 'quant.weightDtype invalid';
    const [wlo, whi] = wd === 'int8' ? [-128, 127] : [0, 255];
    if (!Array.from(w).every((v) => Number.isInteger(v) && v >= wlo && v <= whi)) return 'int8 weights outside their type';
    if (!['int32', 'int8', 'uint8', 'float32'].includes(q.output as string)) return 'quant.output invalid';
    const [xlo, xhi] = dtype === 'int8' ? [-128, 127] : [0, 255];
    if (!isInt((q.xZeroPoint as number) - xlo, 0) || (q.xZeroPoint as number) > xhi) return 'quant.xZeroPoint outside the input type';
    const pos = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v > 0;
    if (q.output !== 'int32' && !pos(q.xScale)) return 'quant.xScale not > 0';
    const ws = q.wScale === undefined ? [] : typeof q.wScale === 'number' ? [q.wScale] : Array.from(q.wScale as number[]);
    if (!ws.every(pos)) return 'quant.wScale not > 0';
    if (!['linear', 'relu', 'relu6'].includes(act.type as string)) return 'activation not a clamp for int8';
    if (options.bias !== undefined && q.output === 'int32') return "bias with quant.output 'int32'";
    if (options.bias !== undefined && (q.output === 'int8' || q.output === 'uint8') && !Array.from(options.bias as ArrayLike<number>).every(Number.isInteger)) return 'int8 bias not integers';
  }
  for (const [name, t] of [['bias', options.bias], ['preluWeights', options.preluWeights]] as const) {
    if (t === undefined) continue;
    const data = typeof (t as BroadcastTensor).broadcast === 'string' ? (t as BroadcastTensor).data : (t as ArrayLike<number>);
    if (!numbers(data)) return `${name} holds a non-finite value`;
    if (typeof (t as BroadcastTensor).broadcast !== 'string') {
      if (data.length !== cout && data.length !== 1) return `${name} length neither outChannels nor 1`;
      continue;
    }
    const bt = t as BroadcastTensor;
    const count = bt.shape.reduce((a, b) => a * b, 1);
    if (count !== bt.data.length) return `${name} data length does not match its shape`;
    if (bt.broadcast === 'scalar' && count !== 1) return `${name} 'scalar' with more than one value`;
    if (bt.broadcast === 'channel' && (bt.shape.length !== 1 || (count !== cout && count !== 1))) return `${name} 'channel' not 1-D of outChannels`;
    if (bt.broadcast !== 'scalar' && bt.broadcast !== 'channel' && bt.broadcast !== 'numpy') return `${name} broadcast kind unknown`;
    if (bt.broadcast === 'numpy' && !int8) {
      const sz = size as unknown as FuzzSize;
      const oh = convOutputDim(sz.height, k[0], s[0], dl[0], p[0], p[2]);
      const ow = convOutputDim(sz.width, k[1], s[1], dl[1], p[1], p[3]);
      const out = (desc.layout ?? 'NHWC') === 'NHWC' ? [sz.batch, oh, ow, cout] : [sz.batch, cout, oh, ow];
      const off = 4 - bt.shape.length;
      if (off < 0 || bt.shape.some((dd, i) => dd !== 1 && dd !== out[off + i])) return `${name} numpy shape not broadcastable to the output`;
    }
  }
  if (act.type === 'prelu' && options.preluWeights === undefined) return 'prelu without preluWeights';
  const sz = size as Record<string, unknown>;
  if (!isInt(sz.batch, 1) || !isInt(sz.height, 1) || !isInt(sz.width, 1)) return 'run shape not integers >= 1';
  const xs = x as ArrayLike<number> | null;
  if (!xs || typeof xs !== 'object' || typeof xs.length !== 'number') return 'run input not an array';
  if (xs.length !== (sz.batch as number) * (sz.height as number) * (sz.width as number) * cin) return 'run input of the wrong length';
  if (int8) {
    const [xlo, xhi] = dtype === 'int8' ? [-128, 127] : [0, 255];
    if (!Array.from(xs).every((v) => Number.isInteger(v) && v >= xlo && v <= xhi)) return 'int8 run input outside its type';
  }
  return undefined;
}

/** JSON for printing (NaN, ±Infinity and long arrays readable; typed arrays as arrays). */
export function fuzzJson(v: unknown, maxItems = 12): string {
  return JSON.stringify(v, (_k, x) => {
    if (typeof x === 'number' && !Number.isFinite(x)) return String(x);
    if (ArrayBuffer.isView(x)) x = Array.from(x as unknown as ArrayLike<number>);
    if (Array.isArray(x) && x.length > maxItems) return [...x.slice(0, maxItems), `…${x.length} items`];
    return x;
  });
}

/**
 * The generated model zoo: ResNet-18, ResNet-50, MobileNetV2, VGG-16 and SqueezeNet 1.1 at 224×224 (torchvision
 * layouts), written as ONNX (opset 13) with the repo's writer. Pure and browser-safe.
 *
 * Weights are seeded (mulberry32) and uniform with He-style variance (2 / fan_in before a ReLU, 1 / fan_in before
 * none). The builder tracks each activation's expected second moment m2 through the graph (conv: fan_in·var_w·m2;
 * ReLU/ReLU6: m2 / 2; Add: sum; pools and Concat: rough rules) and gives every BatchNormalization running statistics
 * that match it (var ≈ predicted variance × a random factor in [0.8, 1.25], mean small and random), so that
 * activations stay O(1) through every layer instead of vanishing or exploding. The final Gemm is scaled for an
 * output of about unit standard deviation.
 *
 * Input `input` [batch, 3, 224, 224] float32 (batch 1, or a symbol), output `output` [batch, 1000].
 */
import type { Dim, Graph, Tensor } from '../../src/graph/ir.ts';
import { type NodeSpec, attr, writeOnnx } from '../../src/graph/onnx-writer.ts';
import { mulberry32 } from '../../src/util/random.ts';

export interface ZooOptions {
  /** Weight seed. Default 1. */
  seed?: number;
  /** The batch dimension: a size or a symbol (ONNX dim_param). Default 1. */
  batch?: Dim;
  /** Input height and width. Default 224. */
  size?: number;
}

export type ZooModelName = 'resnet18' | 'resnet50' | 'mobilenetv2' | 'vgg16' | 'squeezenet1_1';

const OPSET = 13;
const CLASSES = 1000;

/** A value under construction: its name, channel count, expected second moment and (optional) mean. */
interface V {
  name: string;
  c: number;
  m2: number;
  /** Expected mean (0 when absent: outputs of zero-mean convs and of BatchNormalization). */
  mu?: number;
}

/** The standard normal density and distribution function (Abramowitz–Stegun 7.1.26 erf). */
const phi = (z: number): number => Math.exp(-z * z / 2) / Math.sqrt(2 * Math.PI);
function Phi(z: number): number {
  const x = Math.abs(z) / Math.SQRT2, t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152073 + t * 1.061405429)))) * Math.exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/** Mean and second moment of max(X, 0) for X normal with the given mean and second moment. */
function reluMoments(mu: number, m2: number): { mu: number; m2: number } {
  const s = Math.sqrt(Math.max(m2 - mu * mu, 1e-12)), z = mu / s;
  return { mu: mu * Phi(z) + s * phi(z), m2: (mu * mu + s * s) * Phi(z) + mu * s * phi(z) };
}

class Builder {
  readonly nodes: NodeSpec[] = [];
  readonly initializers: Tensor[] = [];
  private readonly rng: () => number;
  private counter = 0;
  private readonly counts = new Map<string, number>();

  constructor(seed: number) {
    this.rng = mulberry32(seed);
  }

  private id(op: string): string {
    const n = this.counts.get(op) ?? 0;
    this.counts.set(op, n + 1);
    return `${op}_${n}`;
  }

  /** Uniform values with mean 0 and the given variance. */
  private uniform(n: number, variance: number): Float32Array<ArrayBuffer> {
    const a = Math.sqrt(3 * variance);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = a * (2 * this.rng() - 1);
    return out;
  }

  /** Uniform in [lo, hi). */
  private range(n: number, lo: number, hi: number): Float32Array<ArrayBuffer> {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * this.rng();
    return out;
  }

  private init(name: string, dims: number[], data: Float32Array): string {
    this.initializers.push({ name, dtype: 'float32', dims, data });
    return name;
  }

  private node(opType: string, inputs: string[], attributes: NodeSpec['attributes'] = {}): string {
    const name = this.id(opType);
    const out = `${name}_out`;
    this.nodes.push({ opType, name, inputs, outputs: [out], attributes });
    return out;
  }

  /**
   * Conv with He-style weights. gain 2 before a ReLU (the ReLU halves m2 back), 1 before none. A bias (small) only
   * when `bias` (convs followed by BatchNormalization have none, as in torchvision).
   */
  conv(x: V, cout: number, k: number, o: { stride?: number; pad?: number; group?: number; bias?: boolean; gain?: number } = {}): V {
    const stride = o.stride ?? 1, pad = o.pad ?? 0, group = o.group ?? 1, gain = o.gain ?? 2;
    const cinG = x.c / group;
    const fanIn = cinG * k * k;
    const name = this.id('conv');
    const w = this.init(`${name}.weight`, [cout, cinG, k, k], this.uniform(cout * fanIn, gain / fanIn));
    const inputs = [x.name, w];
    let m2 = gain * x.m2;
    if (o.bias) {
      const b = this.uniform(cout, 0.01 * m2);
      inputs.push(this.init(`${name}.bias`, [cout], b));
      m2 *= 1.01;
    }
    const out = this.node('Conv', inputs, {
      kernel_shape: attr.ints([k, k]), strides: attr.ints([stride, stride]), pads: attr.ints([pad, pad, pad, pad]),
      dilations: attr.ints([1, 1]), group: attr.int(group),
    });
    return { name: out, c: cout, m2 };
  }

  /** BatchNormalization with running statistics consistent with the input's predicted variance. */
  bn(x: V, opts: { gamma?: number } = {}): V {
    const c = x.c;
    const name = this.id('bn');
    const g = opts.gamma ?? 1;
    const std = Math.sqrt(x.m2);
    const scale = this.range(c, 0.8 * g, 1.2 * g);
    const bias = this.range(c, -0.1 * g, 0.1 * g);
    const mean = this.range(c, -0.1 * std, 0.1 * std);
    const variance = this.range(c, 0.8 * x.m2, 1.25 * x.m2);
    const out = this.node('BatchNormalization', [
      x.name,
      this.init(`${name}.weight`, [c], scale),
      this.init(`${name}.bias`, [c], bias),
      this.init(`${name}.running_mean`, [c], mean),
      this.init(`${name}.running_var`, [c], variance),
    ], { epsilon: attr.float(1e-5), momentum: attr.float(0.9) });
    return { name: out, c, m2: g * g * 1.01 };
  }

  relu(x: V): V {
    return { name: this.node('Relu', [x.name]), c: x.c, ...reluMoments(x.mu ?? 0, x.m2) };
  }

  /** ReLU6 as Clip(min 0, max 6) with min/max as inputs (opset ≥ 11). */
  relu6(x: V): V {
    const lo = this.clipMin ??= this.init('clip_min', [], new Float32Array([0]));
    const hi = this.clipMax ??= this.init('clip_max', [], new Float32Array([6]));
    return { name: this.node('Clip', [x.name, lo, hi]), c: x.c, ...reluMoments(x.mu ?? 0, x.m2) };
  }
  private clipMin?: string;
  private clipMax?: string;

  add(a: V, b: V): V {
    const ma = a.mu ?? 0, mb = b.mu ?? 0;
    return { name: this.node('Add', [a.name, b.name]), c: a.c, m2: a.m2 + b.m2 + 2 * ma * mb, mu: ma + mb };
  }

  maxPool(x: V, k: number, stride: number, pad: number, ceil = false): V {
    const out = this.node('MaxPool', [x.name], {
      kernel_shape: attr.ints([k, k]), strides: attr.ints([stride, stride]), pads: attr.ints([pad, pad, pad, pad]),
      ...(ceil ? { ceil_mode: attr.int(1) } : {}),
    });
    // The max of k² post-ReLU values: roughly 3× the second moment.
    return { name: out, c: x.c, m2: x.m2 * 3, mu: (x.mu ?? 0) * 1.7 };
  }

  concat(xs: V[]): V {
    const c = xs.reduce((s, x) => s + x.c, 0);
    const m2 = xs.reduce((s, x) => s + x.c * x.m2, 0) / c;
    const mu = xs.reduce((s, x) => s + x.c * (x.mu ?? 0), 0) / c;
    return { name: this.node('Concat', xs.map((x) => x.name), { axis: attr.int(1) }), c, m2, mu };
  }

  /** GlobalAveragePool → Flatten. Post-ReLU activations average to about their squared mean: m2 / 3. */
  poolFlatten(x: V): V {
    const p = this.node('GlobalAveragePool', [x.name]);
    return { name: this.node('Flatten', [p], { axis: attr.int(1) }), c: x.c, m2: x.m2 / 3 };
  }

  flatten(x: V, features: number): V {
    return { name: this.node('Flatten', [x.name], { axis: attr.int(1) }), c: features, m2: x.m2 };
  }

  /** Gemm (transB = 1, weight [out, in] as torch Linear). gain 2 before a ReLU; the last one is scaled for unit output. */
  gemm(x: V, out: number, gain: number): V {
    const name = this.id('fc');
    const w = this.init(`${name}.weight`, [out, x.c], this.uniform(out * x.c, gain / x.c));
    const m2 = gain * x.m2;
    const b = this.init(`${name}.bias`, [out], this.uniform(out, 0.01 * m2));
    return { name: this.node('Gemm', [x.name, w, b], { alpha: attr.float(1), beta: attr.float(1), transB: attr.int(1) }), c: out, m2 };
  }

  /** The final classifier: gain chosen for an output second moment of about 1. */
  classifier(x: V): V {
    return this.gemm(x, CLASSES, 1 / x.m2);
  }

  write(name: string, input: string, batch: Dim, size: number, output: V): Uint8Array {
    const outName = 'output';
    this.nodes.push({ opType: 'Identity', name: 'output_identity', inputs: [output.name], outputs: [outName] });
    return writeOnnx({
      name,
      opset: OPSET,
      producer: 'winoconv zoo',
      inputs: [{ name: input, dtype: 'float32', shape: [batch, 3, size, size] }],
      outputs: [{ name: outName, dtype: 'float32', shape: [batch, output.c] }],
      initializers: this.initializers,
      nodes: this.nodes,
    });
  }
}

function start(opts: ZooOptions): { b: Builder; x: V; batch: Dim; size: number } {
  const b = new Builder(opts.seed ?? 1);
  return { b, x: { name: 'input', c: 3, m2: 1 }, batch: opts.batch ?? 1, size: opts.size ?? 224 };
}

const convBnRelu = (b: Builder, x: V, c: number, k: number, stride = 1, pad = 0): V => b.relu(b.bn(b.conv(x, c, k, { stride, pad })));

function resnetStem(b: Builder, x: V): V {
  return b.maxPool(convBnRelu(b, x, 64, 7, 2, 3), 3, 2, 1);
}

function basicBlock(b: Builder, x: V, c: number, stride: number): V {
  let y = convBnRelu(b, x, c, 3, stride, 1);
  y = b.bn(b.conv(y, c, 3, { pad: 1 }));
  const id = stride !== 1 || x.c !== c ? b.bn(b.conv(x, c, 1, { stride, gain: 1 })) : x;
  return b.relu(b.add(y, id));
}

function bottleneck(b: Builder, x: V, width: number, stride: number): V {
  const out = width * 4;
  let y = convBnRelu(b, x, width, 1);
  y = convBnRelu(b, y, width, 3, stride, 1);
  y = b.bn(b.conv(y, out, 1));
  const id = stride !== 1 || x.c !== out ? b.bn(b.conv(x, out, 1, { stride, gain: 1 })) : x;
  return b.relu(b.add(y, id));
}

/** ResNet-18 (torchvision resnet18): BasicBlock ×[2, 2, 2, 2]. */
export function buildResNet18(opts: ZooOptions = {}): Uint8Array {
  const { b, x, batch, size } = start(opts);
  let y = resnetStem(b, x);
  [64, 128, 256, 512].forEach((c, stage) => {
    for (let i = 0; i < 2; i++) y = basicBlock(b, y, c, i === 0 && stage > 0 ? 2 : 1);
  });
  return b.write('resnet18', x.name, batch, size, b.classifier(b.poolFlatten(y)));
}

/** ResNet-50 (torchvision resnet50, v1.5: stride on the 3×3): Bottleneck ×[3, 4, 6, 3]. */
export function buildResNet50(opts: ZooOptions = {}): Uint8Array {
  const { b, x, batch, size } = start(opts);
  let y = resnetStem(b, x);
  [[64, 3], [128, 4], [256, 6], [512, 3]].forEach(([w, n], stage) => {
    for (let i = 0; i < n; i++) y = bottleneck(b, y, w, i === 0 && stage > 0 ? 2 : 1);
  });
  return b.write('resnet50', x.name, batch, size, b.classifier(b.poolFlatten(y)));
}

/** MobileNetV2 (torchvision mobilenet_v2, width 1.0): inverted residuals, depthwise 3×3 (group = channels), ReLU6. */
export function buildMobileNetV2(opts: ZooOptions = {}): Uint8Array {
  const { b, x, batch, size } = start(opts);
  const cbr6 = (v: V, c: number, k: number, stride = 1, group = 1): V =>
    b.relu6(b.bn(b.conv(v, c, k, { stride, pad: (k - 1) / 2, group })));
  let y = cbr6(x, 32, 3, 2);
  const settings: [number, number, number, number][] = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]];
  for (const [t, c, n, s] of settings) {
    for (let i = 0; i < n; i++) {
      const stride = i === 0 ? s : 1;
      const hidden = y.c * t;
      let h = t === 1 ? y : cbr6(y, hidden, 1);
      h = cbr6(h, hidden, 3, stride, hidden);
      h = b.bn(b.conv(h, c, 1, { gain: 1 }));
      y = stride === 1 && y.c === c ? b.add(y, h) : h;
    }
  }
  y = cbr6(y, 1280, 1);
  return b.write('mobilenetv2', x.name, batch, size, b.classifier(b.poolFlatten(y)));
}

/** VGG-16 (torchvision vgg16, no BatchNorm): 13 Conv 3×3 + ReLU, 5 MaxPool, 3 Gemm (dropout omitted). */
export function buildVGG16(opts: ZooOptions = {}): Uint8Array {
  const { b, x, batch, size } = start(opts);
  let y = x;
  for (const c of [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'] as const) {
    if (c === 'M') {
      const p = b.maxPool(y, 2, 2, 0);
      // 2×2 windows: the max of 4 → about 2× the second moment.
      y = { ...p, m2: (p.m2 / 3) * 2 };
    } else y = b.relu(b.conv(y, c, 3, { pad: 1, bias: true }));
  }
  // torchvision's AdaptiveAvgPool2d((7, 7)) is the identity on the 7×7 map of a 224 input: omitted.
  const s = Math.floor(size / 32);
  y = b.flatten(y, y.c * s * s);
  y = b.relu(b.gemm(y, 4096, 2));
  y = b.relu(b.gemm(y, 4096, 2));
  return b.write('vgg16', x.name, batch, size, b.classifier(y));
}

/** SqueezeNet 1.1 (torchvision squeezenet1_1): fire modules (squeeze 1×1 → expand 1×1 ‖ 3×3, Concat), final Conv + GlobalAveragePool. */
export function buildSqueezeNet11(opts: ZooOptions = {}): Uint8Array {
  const { b, x, batch, size } = start(opts);
  const cr = (v: V, c: number, k: number, stride = 1, pad = 0): V => b.relu(b.conv(v, c, k, { stride, pad, bias: true }));
  const fire = (v: V, s: number, e1: number, e3: number): V => {
    const sq = cr(v, s, 1);
    return b.concat([cr(sq, e1, 1), cr(sq, e3, 3, 1, 1)]);
  };
  const pool = (v: V): V => b.maxPool(v, 3, 2, 0, true);
  let y = pool(cr(x, 64, 3, 2));
  y = pool(fire(fire(y, 16, 64, 64), 16, 64, 64));
  y = pool(fire(fire(y, 32, 128, 128), 32, 128, 128));
  y = fire(fire(y, 48, 192, 192), 48, 192, 192);
  y = fire(fire(y, 64, 256, 256), 64, 256, 256);
  // The classifier: (dropout) Conv 1×1 → 1000, ReLU, GlobalAveragePool, Flatten. Gain 2/m2 keeps its output O(1).
  y = b.relu(b.conv(y, CLASSES, 1, { bias: true, gain: 2 / y.m2 }));
  y = b.poolFlatten(y);
  return b.write('squeezenet1_1', x.name, batch, size, y);
}

export const ZOO: Record<ZooModelName, (opts?: ZooOptions) => Uint8Array> = {
  resnet18: buildResNet18,
  resnet50: buildResNet50,
  mobilenetv2: buildMobileNetV2,
  vgg16: buildVGG16,
  squeezenet1_1: buildSqueezeNet11,
};

/**
 * Floating-point operations of the Conv, ConvTranspose, Gemm and MatMul nodes (2 · multiply-accumulates) of a graph whose shapes are
 * inferred (importOnnx with fixed input sizes). Throws if a Conv or Gemm output shape is not fully numeric.
 */
export function convFlops(graph: Graph): number {
  let flops = 0;
  for (const n of graph.nodes) {
    if (n.opType !== 'Conv' && n.opType !== 'Gemm' && n.opType !== 'ConvTranspose' && n.opType !== 'MatMul') continue;
    if (n.opType === 'MatMul') {
      // Per output element: K multiply-adds, K the last dimension of A (a 1-D A is [K]).
      const a = graph.values.get(n.inputs[0])?.shape ?? graph.initializers.get(n.inputs[0])?.dims;
      const y = graph.values.get(n.outputs[0])?.shape;
      if (!a || !y || ![...a, ...y].every((d) => typeof d === 'number')) throw new Error(`convFlops: ${n.name} has no numeric shapes`);
      flops += 2 * (y as number[]).reduce((p, d) => p * d, 1) * (a[a.length - 1] as number);
      continue;
    }
    if (n.opType === 'ConvTranspose') {
      // Every input element meets (C_out / group) · kernel elements of the weight [C_in, C_out / group, kH, kW].
      const x = graph.values.get(n.inputs[0])?.shape;
      const wt = graph.initializers.get(n.inputs[1])?.dims ?? graph.values.get(n.inputs[1])?.shape;
      if (!x || !wt || ![...x, ...wt].every((d) => typeof d === 'number')) throw new Error(`convFlops: ${n.name} has no numeric shapes`);
      flops += 2 * (x as number[]).reduce((p, d) => p * d, 1) * (wt as number[]).slice(1).reduce((p, d) => p * d, 1);
      continue;
    }
    const out = graph.values.get(n.outputs[0])?.shape;
    const w = graph.values.get(n.inputs[1])?.shape ?? graph.initializers.get(n.inputs[1])?.dims;
    if (!out || !w || ![...out, ...w].every((d) => typeof d === 'number')) throw new Error(`convFlops: ${n.name} has no numeric shapes`);
    const outN = (out as number[]).reduce((a, d) => a * d, 1);
    if (n.opType === 'Conv') {
      // Per output element: (C_in / group) · kernel elements = the weight's elements per output channel.
      const perOut = (w as number[]).slice(1).reduce((a, d) => a * d, 1);
      flops += 2 * outN * perOut;
    } else {
      const transA = n.attributes.transA?.type === 'int' ? n.attributes.transA.value : 0;
      const a = graph.values.get(n.inputs[0])?.shape as number[];
      const k = transA ? a[0] : a[1];
      flops += 2 * outN * k;
    }
  }
  return flops;
}

/**
 * Host side of the shared epilogue for a plan: decides once (from the bias / PReLU tensors) whether the kernels
 * read them per channel or as a full per-pixel tensor, and holds the padded GPU buffers, rebuilding tensor
 * forms when the output shape changes. The expansion itself is kernels/weight-pack.ts's.
 */
import type { NormalizedDesc } from '../conv/desc.ts';
import type { Activation, BroadcastTensor, ConvGeometry } from '../conv/types.ts';
import type { EpilogueConfig, EpilogueParams } from '../kernels/epilogue.ts';
import { epilogueOperand, isPerChannelBroadcast } from '../kernels/weight-pack.ts';
import type { EngineCore } from './engine-core.ts';
import type { IoRef } from './steps.ts';

/** What the epilogue adds past bias and activation: a residual input, with an activation before it. */
export interface EpilogueExtras {
  residual?: boolean;
  preActivation?: Activation;
}

export function epilogueConfigFor(d: NormalizedDesc, bias?: BroadcastTensor, prelu?: BroadcastTensor, extras: EpilogueExtras = {}): EpilogueConfig {
  const mode = (t?: BroadcastTensor) => (!t ? 'none' : isPerChannelBroadcast(t, d.layout) ? 'channel' : 'tensor');
  const cfg: EpilogueConfig = { bias: mode(bias), activation: d.activation.type };
  if (d.activation.type === 'prelu') cfg.prelu = mode(prelu) === 'tensor' ? 'tensor' : 'channel';
  if (extras.residual) {
    cfg.residual = true;
    cfg.residualLayout = d.layout;
    if (extras.preActivation && extras.preActivation.type !== 'linear') cfg.preActivation = extras.preActivation.type;
  }
  return cfg;
}

export class EpilogueBuffers {
  readonly config: EpilogueConfig;
  private biasBuf?: GPUBuffer;
  private preluBuf?: GPUBuffer;
  private shapeKey = '';

  constructor(
    private readonly core: EngineCore,
    private readonly desc: NormalizedDesc,
    private readonly bias?: BroadcastTensor,
    private readonly prelu?: BroadcastTensor,
    private readonly extras: EpilogueExtras = {},
  ) {
    this.config = epilogueConfigFor(desc, bias, prelu, extras);
  }

  /** The activations' parameters (uniforms of the epilogue part). */
  params(): EpilogueParams {
    const pick = (a?: Activation) => (a ? { alpha: a.alpha, beta: a.beta, min: a.min, max: a.max } : undefined);
    return { activation: pick(this.desc.activation), preActivation: pick(this.extras.preActivation) };
  }

  /**
   * (Re)builds the buffers for the output of `g` (tensor forms depend on it); returns the bytes held.
   * `split`: the batch is processed in chunks of g.batch images, so tensors must not vary along the batch.
   * `retire`: how replaced buffers are let go (StepList.retire keeps those recorded work may still use).
   */
  resize(g: ConvGeometry, split = false, retire: (b: GPUBuffer | undefined) => void = (b) => b?.destroy()): number {
    if (split) {
      for (const [name, t] of [['bias', this.bias], ['preluWeights', this.prelu]] as const) {
        if (t?.broadcast === 'numpy' && t.shape.length === 4 && t.shape[0] > 1) {
          throw new Error(`${name}.shape[0] = ${t.shape[0]}: a broadcast tensor that varies along the batch cannot be used when the batch must be split to fit the device's limits`);
        }
      }
    }
    const key = `${g.batch}x${g.inHeight}x${g.inWidth}`;
    const tensorForm = this.config.bias === 'tensor' || this.config.prelu === 'tensor';
    if (this.shapeKey && (!tensorForm || this.shapeKey === key)) return this.bytes();
    retire(this.biasBuf);
    retire(this.preluBuf);
    this.biasBuf = undefined;
    this.preluBuf = undefined;
    const make = (t: BroadcastTensor | undefined, mode: string | undefined, label: string) =>
      t && mode && mode !== 'none' ? this.core.createBufferFrom(epilogueOperand(t, this.desc.layout, g, mode === 'tensor' ? 'tensor' : undefined).data, GPUBufferUsage.STORAGE, label) : undefined;
    this.biasBuf = make(this.bias, this.config.bias, 'epilogue bias');
    this.preluBuf = make(this.prelu, this.config.prelu, 'epilogue prelu');
    this.shapeKey = key;
    return this.bytes();
  }

  /** Bindings by name for the kernel that carries the epilogue part; `residual`: the chunk's residual range. */
  bindings(residual?: IoRef): Record<string, GPUBuffer | IoRef> {
    const b: Record<string, GPUBuffer | IoRef> = {};
    if (this.config.residual && residual) b.epi_residual = residual;
    if (this.biasBuf) b.epi_bias = this.biasBuf;
    if (this.preluBuf) b.epi_prelu = this.preluBuf;
    return b;
  }

  bytes(): number {
    return (this.biasBuf?.size ?? 0) + (this.preluBuf?.size ?? 0);
  }

  destroy(): void {
    this.biasBuf?.destroy();
    this.preluBuf?.destroy();
    this.biasBuf = undefined;
    this.preluBuf = undefined;
    this.shapeKey = '';
  }
}

/** The geometry of a plan's descriptor at one input size. */
export function geometryAt(d: NormalizedDesc, batch: number, height: number, width: number): ConvGeometry {
  return {
    batch, inChannels: d.inChannels, outChannels: d.outChannels, inHeight: height, inWidth: width, kernelH: d.kernelH, kernelW: d.kernelW,
    strides: d.strides, pads: d.pads, dilations: d.dilations, groups: d.groups,
  };
}

/**
 * The geometry kernel configurations are chosen from: channels and kernel of the descriptor, batch 1 and a
 * spatial size large enough that no tile is clamped. Configurations never depend on the caller's size, so a
 * plan's kernels (and their verification) hold for every size it is resized to.
 */
export function representativeGeometry(d: NormalizedDesc): ConvGeometry {
  return geometryAt(d, 1, 64 + (d.kernelH - 1) * d.dilations[0], 64 + (d.kernelW - 1) * d.dilations[1]);
}

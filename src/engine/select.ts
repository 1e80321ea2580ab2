/**
 * Candidate selection (pure). For a descriptor, every algorithm gets a verdict with a reason; `auto` orders
 * the servable ones by rules that say why. No candidate is used before the engine has verified its kernels
 * against the reference (engine/verify.ts); a failed verification moves on to the next candidate.
 */
import type { NormalizedDesc } from '../conv/desc.ts';
import type { Winograd2D } from '../winograd/index.ts';
import type { AlgorithmImpl, ConcreteAlgorithm } from './algorithm.ts';
import { convOutputDim, tileCount } from '../conv/geometry.ts';

export interface CandidateVerdict {
  algorithm: ConcreteAlgorithm;
  /** 'candidate': servable and in auto's order; 'excluded': servable but not chosen by auto (forced use only); 'rejected': cannot serve. */
  status: 'candidate' | 'excluded' | 'rejected' | 'chosen' | 'failed-verification';
  reason: string;
}

export interface SelectionInput {
  desc: NormalizedDesc;
  /** Typical input spatial size, when known (for tile-waste rules). */
  height?: number;
  width?: number;
  transforms?: Winograd2D;
  /** int8: consider approximate (tap-wise) algorithms that measure at least this SQNR. */
  minSqnrDb?: number;
  /** 'exact': non-finite inputs must give the direct convolution's Inf/NaN pattern, so float Winograd is out. */
  nonFinite?: 'propagate' | 'exact';
}

const isWinograd = (a: ConcreteAlgorithm) => a.startsWith('winograd');

/** Verdicts for every implementation, in auto's preference order (candidates first). */
export function selectCandidates(impls: AlgorithmImpl[], s: SelectionInput): CandidateVerdict[] {
  const d = s.desc;
  const verdicts: CandidateVerdict[] = [];
  const rank = new Map<ConcreteAlgorithm, number>();
  // The output size at stride 1 (Winograd's case; the estimate below is only used for Winograd candidates).
  const outH = s.height !== undefined ? convOutputDim(s.height, d.kernelH, 1, d.dilations[0], d.pads[0], d.pads[2]) : undefined;
  const outW = s.width !== undefined ? convOutputDim(s.width, d.kernelW, 1, d.dilations[1], d.pads[1], d.pads[3]) : undefined;
  const depthwise = d.groups > 1 && d.groups === d.inChannels;
  const pointwise = d.kernelH === 1 && d.kernelW === 1 && d.strides[0] === 1 && d.strides[1] === 1 && d.pads.every((p) => p === 0) && d.groups === 1;
  const smallChannels = d.inChannels / d.groups < 8 || d.outChannels / d.groups < 8;
  // Narrow 1×1: fewer than 32 output channels per group. The direct kernel beats the plain GEMM there, whose
  // 64-column workgroup runs mostly on clamped columns (issue 12, bench/models/auto-check.ts on BlazeFace,
  // SwiftShader, ms direct vs im2col's best tile, interleaved where marked *): 24→24 @128² 32 vs 41 (8×8 tile: 57*),
  // @64² 7.3 vs 9.0 (8×8: 11.1*); 96→2 @16² 0.33 vs 2.1*; 96→6 @8² 0.20 vs 0.33*; 16→16 @64² 3.7 vs 3.7 (a tie).
  // From 32 channels the GEMM wins (24→48 @32² 2.4 vs 4.9; 96→96 @8² 0.39 vs 1.05*). Not for k×k stems: with the
  // 16×16 tile (engine/gemm-tile.ts) BlazeFace's 3→24 5×5 s2 @256² measured im2col 138 vs direct 211*.
  const narrowPointwise = pointwise && d.outChannels < 32;

  for (const impl of impls) {
    const why = impl.cannotServe(d, s.transforms);
    if (why) {
      verdicts.push({ algorithm: impl.name, status: 'rejected', reason: why });
      continue;
    }
    const a = impl.name;
    if (s.nonFinite === 'exact' && isWinograd(a) && (d.dtype === 'float32' || d.dtype === 'float16')) {
      verdicts.push({ algorithm: a, status: 'rejected', reason: "nonFinite 'exact': Winograd turns a non-finite input into NaN over whole output tiles (README: Special values)" });
      continue;
    }
    let status: CandidateVerdict['status'] = 'candidate';
    let reason = '';
    let r = 50;
    if (a === 'winograd2-exact') {
      rank.set(a, smallChannels ? 36 : 31);
      verdicts.push({ algorithm: a, status, reason: 'exact integer F(2×2,3×3): bit-identical results, 2.25x fewer multiplies (int16-range GEMM operands)' });
      continue;
    }
    if (a.endsWith('-tap')) {
      const tapRank: Record<string, number> = { 'winograd4-tap': 2, 'winograd2-tap': 4, 'winograd4x1-tap': 6, 'winograd2x1-tap': 8 };
      if (s.transforms) {
        rank.set(a, tapRank[a] ?? 9);
        verdicts.push({ algorithm: a, status, reason: 'learned (Winograd-aware) transforms: the tap-wise path they were trained for; SQNR measured before use' });
      } else if (s.minSqnrDb === undefined) {
        verdicts.push({ algorithm: a, status: 'excluded', reason: 'approximate (tap-wise quantized Winograd): auto uses it only when minSqnrDb is set and its measured SQNR meets it; or request it explicitly' });
      } else {
        rank.set(a, tapRank[a] ?? 9);
        verdicts.push({ algorithm: a, status, reason: `approximate (tap-wise): used only if its SQNR measured before use is ≥ ${s.minSqnrDb} dB` });
      }
      continue;
    }
    if (a === 'direct') {
      r = depthwise ? 1 : narrowPointwise ? 0.5 : 40;
      reason = depthwise
        ? 'depthwise: the dedicated depthwise kernel reads each input once per channel'
        : narrowPointwise
          ? `1×1 with ${d.outChannels} output channels (< 32): faster than a GEMM whose 64-column tile is mostly idle (measured)`
          : 'serves everything; slower than GEMM-based algorithms on dense layers';
    } else if (a === 'im2col') {
      r = pointwise ? 1 : depthwise ? 20 : smallChannels ? 5 : 30;
      reason = pointwise ? '1×1 stride 1: a plain GEMM' : depthwise ? 'depthwise as grouped GEMMs of K = kH·kW is less efficient than the direct depthwise kernel' : smallChannels ? 'few channels per group: transform overhead of Winograd outweighs its savings' : 'general fallback through the tiled GEMM';
    } else if (isWinograd(a)) {
      if (s.transforms) {
        r = 2;
        reason = 'user-supplied (learned) transforms';
      } else if (a === 'winograd6') {
        status = 'excluded';
        reason = d.dtype === 'float16'
          ? 'F(6×6,3×3) with float16 storage measured 7e-3 relative error (bench/fp16-error.ts), over auto\'s budget; request algorithm winograd6 explicitly'
          : 'F(6×6,3×3) error bound (≈1e-4 relative) is over auto\'s fp32 budget; request algorithm winograd6 explicitly';
      } else if (a.endsWith('x1') || a.startsWith('winograd1x')) {
        status = 'excluded';
        reason = '1-D Winograd trades speed for accuracy that fp32 does not need; request it explicitly';
      } else if (smallChannels) {
        r = 35;
        reason = `few channels (${d.inChannels / d.groups} in, ${d.outChannels / d.groups} out): transforms cost more than the GEMM saves`;
      } else {
        // Multiplies saved per output, (m·r/(m+r−1))², discounted by the tile area wasted past the output edge and by
        // the GEMM rows left idle when one image has fewer tiles than a GEMM row block (16 rows; batch 1 assumed):
        // on 512@7² F(4×4) has 4 tiles per tap and measured 2x slower than F(2×2) with its 16.
        const eff = (m: number) => {
          if (outH === undefined || outW === undefined) return (m * d.kernelH / (m + d.kernelH - 1)) ** 2;
          const tiles = tileCount(outH, m) * tileCount(outW, m);
          const area = (tiles * m * m) / (outH * outW);
          return ((m * d.kernelH / (m + d.kernelH - 1)) ** 2 / area) * Math.min(1, tiles / 16);
        };
        const e4 = eff(4);
        const e2 = eff(2);
        if (a === 'winograd4') {
          // F(4×4) must save clearly more than F(2×2) to pay for its larger transforms and error.
          const better = e4 > 1.15 * e2;
          r = better ? 3 : 12;
          reason = `F(4×4): ${e4.toFixed(2)}x fewer multiplies after tile waste (F(2×2): ${e2.toFixed(2)}x)${better ? '' : '; not enough over F(2×2)'}`;
        } else {
          r = 10;
          reason = `F(2×2): ${e2.toFixed(2)}x fewer multiplies after tile waste, error as direct`;
        }
      }
    }
    rank.set(a, r);
    verdicts.push({ algorithm: a, status, reason });
  }
  const order = (v: CandidateVerdict) => (v.status === 'candidate' ? 0 : v.status === 'excluded' ? 1 : 2) * 1000 + (rank.get(v.algorithm) ?? 999);
  return verdicts.sort((x, y) => order(x) - order(y));
}

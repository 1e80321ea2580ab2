/**
 * Tensor layout helpers the generators, the engine and the CPU oracle share: weights between OIHW and HWIO, and a
 * bias / PReLU tensor expanded to one value per output element. Pure.
 */
import { tensorShape } from './types.ts';
import type { BroadcastTensor, Layout, WeightLayout } from './types.ts';

/** Reorders a weight tensor with `o` outputs, `i` in-channels per group and a kh×kw kernel between OIHW and HWIO. */
export function transposeWeight(data: ArrayLike<number>, from: WeightLayout, to: WeightLayout, o: number, i: number, kh: number, kw: number): Float64Array {
  const out = new Float64Array(o * i * kh * kw);
  if (from === to) {
    out.set(data);
    return out;
  }
  for (let oc = 0; oc < o; oc++) {
    for (let ic = 0; ic < i; ic++) {
      for (let y = 0; y < kh; y++) {
        for (let x = 0; x < kw; x++) {
          const oihw = ((oc * i + ic) * kh + y) * kw + x;
          const hwio = ((y * kw + x) * i + ic) * o + oc;
          if (from === 'OIHW') out[hwio] = data[oihw];
          else out[oihw] = data[hwio];
        }
      }
    }
  }
  return out;
}

/**
 * Expands a bias or PReLU tensor to one value per output element, in the output's layout order. The tensor must
 * already be validated against the output shape (`validateBroadcast`).
 */
export function expandBroadcast(t: BroadcastTensor, layout: Layout, n: number, c: number, h: number, w: number): Float64Array {
  const shape = tensorShape(layout, n, c, h, w);
  const total = n * c * h * w;
  const out = new Float64Array(total);
  if (t.data.length === 1) return out.fill(t.data[0]);
  if (t.broadcast === 'channel') {
    for (let idx = 0; idx < total; idx++) {
      const ch = layout === 'NHWC' ? idx % c : Math.floor(idx / (h * w)) % c;
      out[idx] = t.data[ch];
    }
    return out;
  }
  // numpy: right-align the tensor's dims with the output's; a dim of 1 repeats.
  const offset = 4 - t.shape.length;
  const strides = [0, 0, 0, 0];
  let stride = 1;
  for (let k = t.shape.length - 1; k >= 0; k--) {
    strides[offset + k] = t.shape[k] === 1 ? 0 : stride;
    stride *= t.shape[k];
  }
  let idx = 0;
  for (let a = 0; a < shape[0]; a++) {
    for (let b = 0; b < shape[1]; b++) {
      for (let d = 0; d < shape[2]; d++) {
        for (let e = 0; e < shape[3]; e++) {
          out[idx++] = t.data[a * strides[0] + b * strides[1] + d * strides[2] + e * strides[3]];
        }
      }
    }
  }
  return out;
}

/**
 * float64 CPU references of the runtime's non-convolution ops (ONNX semantics), over row-major data. Test-only.
 * Written independently of the kernels: pools and ConvTranspose loop in the scatter/window form of the spec,
 * broadcasting right-aligns shapes, Resize follows the spec's coordinate formulas.
 */
import type { Attribute } from '../../../src/graph/ir.ts';
import { windowOutput } from '../../../src/graph/shape-inference.ts';

export interface RefTensor {
  shape: number[];
  data: Float64Array;
}

const count = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
function stridesOf(s: readonly number[]): number[] {
  const o = new Array<number>(s.length);
  let p = 1;
  for (let i = s.length - 1; i >= 0; i--) { o[i] = p; p *= s[i]; }
  return o;
}
function coords(i: number, s: readonly number[]): number[] {
  const c = new Array<number>(s.length);
  for (let d = s.length - 1; d >= 0; d--) { c[d] = i % s[d]; i = Math.floor(i / s[d]); }
  return c;
}
/** Value of `t` at output coordinates `c` under numpy broadcasting. */
function bget(t: RefTensor, c: readonly number[]): number {
  const off = c.length - t.shape.length;
  const st = stridesOf(t.shape);
  let o = 0;
  for (let d = 0; d < t.shape.length; d++) o += (t.shape[d] === 1 ? 0 : c[d + off]) * st[d];
  return t.data[o];
}
function make(shape: number[], f: (c: number[], i: number) => number): RefTensor {
  const n = count(shape);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = f(coords(i, shape), i);
  return { shape, data };
}

type A = Record<string, Attribute>;
const ai = (a: A, k: string, d: number) => (a[k] as { value: number } | undefined)?.value ?? d;
const af = ai;
const as = (a: A, k: string, d: string) => (a[k] as { value: string } | undefined)?.value ?? d;
const ais = (a: A, k: string) => (a[k] as { value: number[] } | undefined)?.value;

const UNARY: Record<string, (x: number, a: A) => number> = {
  Relu: (x) => Math.max(x, 0),
  LeakyRelu: (x, a) => (x >= 0 ? x : af(a, 'alpha', 0.01) * x),
  Sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  HardSigmoid: (x, a) => Math.min(1, Math.max(0, af(a, 'alpha', 0.2) * x + af(a, 'beta', 0.5))),
  HardSwish: (x) => x * Math.min(1, Math.max(0, x / 6 + 0.5)),
  Elu: (x, a) => (x >= 0 ? x : af(a, 'alpha', 1) * (Math.exp(x) - 1)),
  Tanh: (x) => Math.tanh(x),
  Sqrt: (x) => Math.sqrt(x),
  Identity: (x) => x,
  Cast: (x) => x,
  Dropout: (x) => x,
};
const BIN: Record<string, (x: number, y: number) => number> = {
  Add: (x, y) => x + y, Sub: (x, y) => x - y, Mul: (x, y) => x * y, Div: (x, y) => x / y, Pow: (x, y) => x ** y,
  Max: Math.max, Min: Math.min, PRelu: (x, s) => (x >= 0 ? x : x * s),
};

/**
 * The outputs of one node. `ins[i]` undefined for omitted inputs; `outShapes` are the inferred output shapes
 * (the reference checks the data, shape inference is tested elsewhere).
 */
export function referenceOp(op: string, attrs: A, ins: (RefTensor | undefined)[], outShapes: number[][], opset: number): RefTensor[] {
  const X = ins[0]!;
  const os = outShapes[0];
  if (UNARY[op]) return [{ shape: os, data: X.data.map((x) => UNARY[op](x, attrs)) }];
  if (['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze'].includes(op)) return [{ shape: os, data: X.data.slice() }];
  if (BIN[op]) return [make(os, (c) => ins.slice(1).reduce((acc, t) => BIN[op](acc, bget(t!, c)), bget(X, c)))];
  switch (op) {
    case 'Clip': {
      const lo = ins[1] ? ins[1].data[0] : af(attrs, 'min', -Infinity);
      const hi = ins[2] ? ins[2].data[0] : af(attrs, 'max', Infinity);
      return [{ shape: os, data: X.data.map((x) => Math.min(Math.max(x, lo), hi)) }];
    }
    case 'BatchNormalization': {
      const eps = af(attrs, 'epsilon', 1e-5);
      const [s, b, m, v] = [1, 2, 3, 4].map((i) => ins[i]!.data);
      return [make(os, (c, i) => ((X.data[i] - m[c[1]]) / Math.sqrt(v[c[1]] + eps)) * s[c[1]] + b[c[1]])];
    }
    case 'MaxPool': case 'AveragePool': {
      const sp = X.shape.length - 2;
      const kernel = ais(attrs, 'kernel_shape')!;
      const strides = ais(attrs, 'strides') ?? kernel.map(() => 1);
      const dil = ais(attrs, 'dilations') ?? kernel.map(() => 1);
      const { pads } = windowOutput(X.shape.slice(2), { kernel, strides, dilations: dil, pads: ais(attrs, 'pads') ?? new Array(2 * sp).fill(0), autoPad: as(attrs, 'auto_pad', 'NOTSET') }, ai(attrs, 'ceil_mode', 0) === 1);
      const cip = ai(attrs, 'count_include_pad', 0) === 1;
      const xs = stridesOf(X.shape);
      return [make(os, (c) => {
        let acc = op === 'MaxPool' ? -Infinity : 0;
        let n = 0;
        const taps = count(kernel);
        for (let t = 0; t < taps; t++) {
          const kc = coords(t, kernel);
          let off = c[0] * xs[0] + c[1] * xs[1];
          let inside = true;
          let inPadded = true;
          for (let d = 0; d < sp; d++) {
            const p = c[2 + d] * strides[d] - pads[d] + kc[d] * dil[d];
            if (p < 0 || p >= X.shape[2 + d]) inside = false;
            if (p >= X.shape[2 + d] + pads[d + sp]) inPadded = false;
            off += p * xs[2 + d];
          }
          if (cip && inPadded) n++;
          if (!inside) continue;
          if (!cip) n++;
          acc = op === 'MaxPool' ? Math.max(acc, X.data[off]) : acc + X.data[off];
        }
        return op === 'MaxPool' ? acc : acc / n;
      })];
    }
    case 'GlobalAveragePool': case 'GlobalMaxPool': case 'ReduceMean': {
      const r = X.shape.length;
      let axes: number[];
      if (op !== 'ReduceMean') axes = Array.from({ length: r - 2 }, (_, i) => i + 2);
      else {
        const raw = ais(attrs, 'axes') ?? (ins[1] ? Array.from(ins[1].data) : []);
        axes = raw.length ? raw.map((a) => (a < 0 ? a + r : a)) : Array.from({ length: r }, (_, i) => i);
      }
      const keepShape = X.shape.map((d, i) => (axes.includes(i) ? 1 : d));
      const acc = new Float64Array(count(keepShape)).fill(op === 'GlobalMaxPool' ? -Infinity : 0);
      const ks = stridesOf(keepShape);
      for (let i = 0; i < X.data.length; i++) {
        const c = coords(i, X.shape);
        const o = c.reduce((s, v, d) => s + (axes.includes(d) ? 0 : v * ks[d]), 0);
        acc[o] = op === 'GlobalMaxPool' ? Math.max(acc[o], X.data[i]) : acc[o] + X.data[i];
      }
      const n = count(axes.map((a) => X.shape[a]));
      return [{ shape: os, data: op === 'GlobalMaxPool' ? acc : acc.map((v) => v / n) }];
    }
    case 'Softmax': {
      const r = X.shape.length;
      let axis = ai(attrs, 'axis', opset >= 13 ? -1 : 1);
      if (axis < 0) axis += r;
      const red = opset >= 13 ? [axis] : Array.from({ length: r - axis }, (_, i) => axis + i);
      const groups = new Map<string, number[]>();
      for (let i = 0; i < X.data.length; i++) {
        const key = coords(i, X.shape).filter((_, d) => !red.includes(d)).join(',');
        (groups.get(key) ?? groups.set(key, []).get(key)!).push(i);
      }
      const out = new Float64Array(X.data.length);
      for (const idx of groups.values()) {
        const m = Math.max(...idx.map((i) => X.data[i]));
        const s = idx.reduce((a, i) => a + Math.exp(X.data[i] - m), 0);
        for (const i of idx) out[i] = Math.exp(X.data[i] - m) / s;
      }
      return [{ shape: os, data: out }];
    }
    case 'Concat': {
      const r = os.length;
      const axis = (ai(attrs, 'axis', 0) + r) % r;
      return [make(os, (c) => {
        let k = c[axis];
        for (const t of ins) {
          if (k < t!.shape[axis]) { const cc = [...c]; cc[axis] = k; return bget(t!, cc); }
          k -= t!.shape[axis];
        }
        throw new Error('concat ref');
      })];
    }
    case 'Split': {
      const r = X.shape.length;
      const axis = (ai(attrs, 'axis', 0) + r) % r;
      let at = 0;
      return outShapes.map((s) => {
        const t = make(s, (c) => { const cc = [...c]; cc[axis] += at; return bget(X, cc); });
        at += s[axis];
        return t;
      });
    }
    case 'Slice': {
      const r = X.shape.length;
      const starts = ais(attrs, 'starts') ?? Array.from(ins[1]!.data);
      const ax = (ais(attrs, 'axes') ?? (ins[3] ? Array.from(ins[3].data) : starts.map((_, i) => i))).map((a) => (a < 0 ? a + r : a));
      const steps = ins[4] ? Array.from(ins[4].data) : starts.map(() => 1);
      const begin = new Array<number>(r).fill(0);
      const step = new Array<number>(r).fill(1);
      ax.forEach((a, i) => {
        const dim = X.shape[a];
        let b = starts[i] < 0 ? starts[i] + dim : starts[i];
        b = steps[i] > 0 ? Math.min(Math.max(b, 0), dim) : Math.min(Math.max(b, 0), dim - 1);
        begin[a] = b;
        step[a] = steps[i];
      });
      return [make(os, (c) => bget(X, c.map((v, d) => begin[d] + v * step[d])))];
    }
    case 'Transpose': {
      const perm = ais(attrs, 'perm') ?? X.shape.map((_, i) => X.shape.length - 1 - i);
      return [make(os, (c) => { const cc = new Array<number>(c.length); perm.forEach((p, d) => (cc[p] = c[d])); return bget(X, cc); })];
    }
    case 'DepthToSpace': {
      const b = ai(attrs, 'blocksize', 0);
      const crd = as(attrs, 'mode', 'DCR') === 'CRD';
      const C = os[1];
      return [make(os, ([n, c, y, x]) => {
        const i = y % b, j = x % b;
        return bget(X, [n, crd ? c * b * b + i * b + j : (i * b + j) * C + c, Math.floor(y / b), Math.floor(x / b)]);
      })];
    }
    case 'Pad': {
      const r = X.shape.length;
      const mode = as(attrs, 'mode', 'constant');
      const pads = ais(attrs, 'pads') ?? Array.from(ins[1]!.data);
      const value = ins[2] ? ins[2].data[0] : af(attrs, 'value', 0);
      return [make(os, (c) => {
        const cc: number[] = [];
        for (let d = 0; d < r; d++) {
          const n = X.shape[d];
          let j = c[d] - pads[d];
          if (j < 0 || j >= n) {
            if (mode === 'constant') return value;
            if (mode === 'edge') j = Math.min(Math.max(j, 0), n - 1);
            else if (mode === 'wrap') j = ((j % n) + n) % n;
            else { while (j < 0 || j >= n) j = j < 0 ? -j : 2 * (n - 1) - j; }
          }
          cc.push(j);
        }
        return bget(X, cc);
      })];
    }
    case 'Gather': {
      const r = X.shape.length;
      const axis = (ai(attrs, 'axis', 0) + r) % r;
      const idx = ins[1]!;
      const q = idx.shape.length;
      return [make(os, (c) => {
        const ii = idx.shape.length ? bget(idx, c.slice(axis, axis + q)) : idx.data[0];
        const j = ii < 0 ? ii + X.shape[axis] : ii;
        return bget(X, [...c.slice(0, axis), j, ...c.slice(axis + q)]);
      })];
    }
    case 'Resize': {
      const r = X.shape.length;
      const legacy = ins.length === 2;
      const mode = as(attrs, 'mode', 'nearest');
      const ctm = legacy ? 'asymmetric' : as(attrs, 'coordinate_transformation_mode', 'half_pixel');
      const nm = legacy ? 'simple' : as(attrs, 'nearest_mode', 'round_prefer_floor');
      const sc = ins[legacy ? 1 : 2];
      const scales = sc && sc.data.length ? Array.from(sc.data) : os.map((o, d) => o / X.shape[d]);
      const src = (x: number, d: number) => {
        const n = X.shape[d], o = os[d], s = scales[d];
        switch (ctm) {
          case 'half_pixel': return (x + 0.5) / s - 0.5;
          case 'pytorch_half_pixel': return o > 1 ? (x + 0.5) / s - 0.5 : 0;
          case 'align_corners': return o === 1 ? 0 : (x * (n - 1)) / (o - 1);
          case 'asymmetric': return x / s;
          case 'tf_half_pixel_for_nearest': return (x + 0.5) / s;
          case 'half_pixel_symmetric': { const adj = o / (s * n); return (n / 2) * (1 - adj) + (x + 0.5) / s - 0.5; }
        }
        throw new Error(ctm);
      };
      const near = (v: number, s: number) => {
        switch (nm) {
          case 'round_prefer_floor': return v % 1 === 0.5 || v % 1 === -0.5 ? Math.floor(v) : Math.round(v);
          case 'round_prefer_ceil': return Math.floor(v + 0.5);
          case 'floor': return Math.floor(v);
          case 'ceil': return Math.ceil(v);
          default: return s < 1 ? Math.ceil(v) : Math.floor(v);
        }
      };
      return [make(os, (c) => {
        if (mode === 'nearest') return bget(X, c.map((v, d) => (d < r - 2 ? v : Math.min(Math.max(near(src(v, d), scales[d]), 0), X.shape[d] - 1))));
        // linear over the spatial dims: the product of 1-D interpolations
        const sp = Array.from({ length: r - 2 }, (_, i) => i + 2);
        const lo: number[] = [], hi: number[] = [], t: number[] = [];
        for (const d of sp) {
          const f = Math.min(Math.max(src(c[d], d), 0), X.shape[d] - 1);
          lo.push(Math.floor(f)); hi.push(Math.min(Math.floor(f) + 1, X.shape[d] - 1)); t.push(f - Math.floor(f));
        }
        let acc = 0;
        for (let m = 0; m < 1 << sp.length; m++) {
          let w = 1;
          const cc = [...c];
          sp.forEach((d, k) => { const bit = (m >> k) & 1; cc[d] = bit ? hi[k] : lo[k]; w *= bit ? t[k] : 1 - t[k]; });
          acc += w * bget(X, cc);
        }
        return acc;
      })];
    }
    case 'Gemm': {
      const ta = ai(attrs, 'transA', 0), tb = ai(attrs, 'transB', 0);
      const alpha = af(attrs, 'alpha', 1), beta = af(attrs, 'beta', 1);
      const [a, b, cc] = ins;
      const k = ta ? a!.shape[0] : a!.shape[1];
      return [make(os, ([m, n]) => {
        let s = 0;
        for (let j = 0; j < k; j++) s += (ta ? a!.data[j * a!.shape[1] + m] : a!.data[m * k + j]) * (tb ? b!.data[n * k + j] : b!.data[j * b!.shape[1] + n]);
        return alpha * s + (cc ? beta * bget(cc, [m, n]) : 0);
      })];
    }
    case 'MatMul': {
      const [a, b] = ins as RefTensor[];
      const A2 = a.shape.length === 1 ? { shape: [1, a.shape[0]], data: a.data } : a;
      const B2 = b.shape.length === 1 ? { shape: [b.shape[0], 1], data: b.data } : b;
      const k = A2.shape[A2.shape.length - 1];
      const full = [...os];
      if (a.shape.length === 1) full.splice(full.length - (b.shape.length === 1 ? 0 : 1), 0, 1);
      if (b.shape.length === 1) full.push(1);
      const q = full.length - 2;
      const res = make(full, (c) => {
        const bc = c.slice(0, q);
        let s = 0;
        for (let j = 0; j < k; j++) s += bget(A2, [...bc, c[q], j]) * bget(B2, [...bc, j, c[q + 1]]);
        return s;
      });
      return [{ shape: os, data: res.data }];
    }
    case 'ConvTranspose': {
      const W = ins[1]!;
      const B = ins[2];
      const sp = X.shape.length - 2;
      const group = ai(attrs, 'group', 1);
      const kernel = W.shape.slice(2);
      const strides = ais(attrs, 'strides') ?? kernel.map(() => 1);
      const dil = ais(attrs, 'dilations') ?? kernel.map(() => 1);
      const outSp = os.slice(2);
      const autoPad = as(attrs, 'auto_pad', 'NOTSET');
      const opad = ais(attrs, 'output_padding') ?? kernel.map(() => 0);
      let pads = ais(attrs, 'pads') ?? new Array<number>(2 * sp).fill(0);
      if (attrs.output_shape || autoPad.startsWith('SAME')) {
        pads = new Array<number>(2 * sp).fill(0);
        for (let i = 0; i < sp; i++) {
          const total = strides[i] * (X.shape[2 + i] - 1) + opad[i] + (kernel[i] - 1) * dil[i] + 1 - outSp[i];
          pads[i] = autoPad === 'SAME_UPPER' ? Math.floor(total / 2) : total - Math.floor(total / 2);
        }
      } else if (autoPad === 'VALID') pads = pads.map(() => 0);
      const out = new Float64Array(count(os));
      const ost = stridesOf(os);
      const cin = X.shape[1], coutg = W.shape[1], cing = cin / group;
      const ws = stridesOf(W.shape);
      for (let i = 0; i < X.data.length; i++) {
        const c = coords(i, X.shape);
        const g = Math.floor(c[1] / cing);
        for (let ocg = 0; ocg < coutg; ocg++) {
          for (let t = 0; t < count(kernel); t++) {
            const kc = coords(t, kernel);
            let off = c[0] * ost[0] + (g * coutg + ocg) * ost[1];
            let ok = true;
            for (let d = 0; d < sp; d++) {
              const p = c[2 + d] * strides[d] - pads[d] + kc[d] * dil[d];
              if (p < 0 || p >= outSp[d]) ok = false;
              off += p * ost[2 + d];
            }
            if (!ok) continue;
            out[off] += X.data[i] * W.data[c[1] * ws[0] + ocg * ws[1] + kc.reduce((s, v, d) => s + v * ws[2 + d], 0)];
          }
        }
      }
      if (B) for (let i = 0; i < out.length; i++) out[i] += B.data[coords(i, os)[1]];
      return [{ shape: os, data: out }];
    }
    case 'ConstantOfShape': {
      const v = attrs.value ? Number((attrs.value as { value: { data: ArrayLike<number> } }).value.data[0]) : 0;
      return [{ shape: os, data: new Float64Array(count(os)).fill(v) }];
    }
  }
  throw new Error(`no reference for ${op}`);
}

/**
 * ONNX Runtime (onnxruntime-web's wasm backend, in Node, one thread) as the oracle: the generator of the ONNX
 * test-data directories and the stand-in runner of `onnx-test`'s tests. onnxruntime-web is a dev dependency.
 */
import { type DType, type Tensor, toNumbers } from '../graph/ir.ts';
import type { TestRunner } from '../graph/test-data.ts';

type Ort = typeof import('onnxruntime-web');
let ortP: Promise<Ort> | undefined;

/** onnxruntime-web, set up for Node (wasm, one thread, errors only). */
export function loadOrt(): Promise<Ort> {
  ortP ??= import('onnxruntime-web')
    .then((m) => {
      const ort = ((m as { default?: Ort }).default ?? m) as Ort;
      ort.env.wasm.numThreads = 1;
      ort.env.logLevel = 'error';
      return ort;
    })
    .catch((e) => {
      ortP = undefined;
      throw new Error(`the ONNX Runtime oracle needs onnxruntime-web (a dev dependency of winoconv): run npm ci in the checkout (${(e as Error).message})`);
    });
  return ortP;
}

const ORT_TYPES: Partial<Record<DType, string>> = {
  float32: 'float32', float64: 'float64', int8: 'int8', uint8: 'uint8', int16: 'int16', uint16: 'uint16', int32: 'int32',
  uint32: 'uint32', int64: 'int64', uint64: 'uint64', bool: 'bool', float16: 'float16',
};
const FROM_ORT: Record<string, DType> = Object.fromEntries(Object.entries(ORT_TYPES).map(([k, v]) => [v, k as DType]));

export function toOrtTensor(ort: Ort, t: Tensor): import('onnxruntime-web').Tensor {
  const type = ORT_TYPES[t.dtype];
  if (!type) throw new Error(`${t.name}: ${t.dtype} has no ONNX Runtime tensor type`);
  return new ort.Tensor(type as 'float32', t.data as Float32Array, t.dims);
}

export function fromOrtTensor(name: string, t: import('onnxruntime-web').Tensor): Tensor {
  const dtype = FROM_ORT[t.type];
  if (!dtype) throw new Error(`output ${name}: ONNX Runtime type ${t.type} is not supported here`);
  return { name, dtype, dims: [...t.dims], data: t.data as Float32Array };
}

/**
 * ONNX Runtime's graph optimization level for the oracle. 'basic' (constant folding, redundant-node removal) keeps a
 * float model's arithmetic as written; 'all' (ORT's default) also runs its QDQ fusions, so a quantized model's
 * DequantizeLinear → op → QuantizeLinear groups run as ORT's integer kernels (QLinearConv, QLinearAdd, ...), whose
 * results are what a quantized model means in ORT (at 'basic' they run in float and are requantized instead).
 */
export type OrtOptLevel = 'basic' | 'all';

/** Runs a model once in ONNX Runtime: outputs by name, in the session's output order. */
export async function runOrt(
  model: Uint8Array,
  inputs: Record<string, Tensor>,
  opt: OrtOptLevel = 'basic',
): Promise<{ outputs: Tensor[]; createMs: number; runMs: number }> {
  const ort = await loadOrt();
  let t = performance.now();
  const s = await ort.InferenceSession.create(model, { executionProviders: ['wasm'], graphOptimizationLevel: opt, logSeverityLevel: 3 });
  const createMs = performance.now() - t;
  try {
    const feeds: Record<string, import('onnxruntime-web').Tensor> = {};
    for (const n of s.inputNames) {
      if (!inputs[n]) throw new Error(`no data for the model input '${n}'`);
      feeds[n] = toOrtTensor(ort, inputs[n]);
    }
    t = performance.now();
    const r = await s.run(feeds);
    const runMs = performance.now() - t;
    return { outputs: s.outputNames.map((n) => fromOrtTensor(n, r[n])), createMs, runMs };
  } finally {
    await s.release();
  }
}

/** A TestRunner backed by ONNX Runtime (what `onnx-test`'s tests inject before a winoconv Session exists). */
export function ortRunner(): TestRunner {
  return {
    async open(model) {
      const ort = await loadOrt();
      const s = await ort.InferenceSession.create(model, { executionProviders: ['wasm'], graphOptimizationLevel: 'basic', logSeverityLevel: 3 });
      return {
        async run(inputs) {
          const feeds: Record<string, import('onnxruntime-web').Tensor> = {};
          for (const n of s.inputNames) {
            if (!inputs[n]) throw new Error(`no data for the model input '${n}'`);
            feeds[n] = toOrtTensor(ort, inputs[n]);
          }
          const r = await s.run(feeds);
          const outputs = s.outputNames.map((n) => fromOrtTensor(n, r[n]));
          // float16/bfloat16 come back as bit patterns: decoded, as a winoconv session returns float32
          const data = (o: Tensor) => (o.dtype === 'float16' || o.dtype === 'bfloat16' ? Float32Array.from(toNumbers(o)) : o.data);
          return Object.fromEntries(outputs.map((o) => [o.name, { data: data(o), dims: o.dims }]));
        },
        close() {
          void s.release();
        },
      };
    },
  };
}

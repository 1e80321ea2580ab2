/**
 * The generated model zoo (bench/models/zoo.ts): each model is built, imported (shape inference: output [1, 1000]),
 * checked against torchvision's architecture (parameter count, op histogram, conv GFLOP) and run in ONNX Runtime
 * (onnxruntime-web's wasm backend in Node, one thread) on a seeded random input: the output must be finite with a
 * standard deviation in [0.1, 10] (activations neither vanish nor explode).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { afterAll, describe, expect, it } from 'vitest';
import { writeZooModel } from '../../../bench/models/write.ts';
import { ZOO, type ZooModelName, buildSqueezeNet11, convFlops } from '../../../bench/models/zoo.ts';
import { importOnnx } from '../../../src/graph/onnx-import.ts';
import { mulberry32 } from '../../../src/util/random.ts';

ort.env.wasm.numThreads = 1;
ort.env.logLevel = 'error';

interface Expect {
  /** torchvision's parameter count (weights and biases; BatchNormalization running statistics not counted). */
  params: number;
  ops: Record<string, number>;
  /** 2 · MACs of Conv and Gemm, torchvision's published GFLOPS (MACs) × 2. */
  gflop: number;
}

const EXPECT: Record<ZooModelName, Expect> = {
  resnet18: {
    params: 11_689_512, gflop: 3.63,
    ops: { Conv: 20, BatchNormalization: 20, Relu: 17, MaxPool: 1, Add: 8, GlobalAveragePool: 1, Flatten: 1, Gemm: 1, Identity: 1 },
  },
  resnet50: {
    params: 25_557_032, gflop: 8.18,
    ops: { Conv: 53, BatchNormalization: 53, Relu: 49, MaxPool: 1, Add: 16, GlobalAveragePool: 1, Flatten: 1, Gemm: 1, Identity: 1 },
  },
  mobilenetv2: {
    params: 3_504_872, gflop: 0.60,
    ops: { Conv: 52, BatchNormalization: 52, Clip: 35, Add: 10, GlobalAveragePool: 1, Flatten: 1, Gemm: 1, Identity: 1 },
  },
  vgg16: {
    params: 138_357_544, gflop: 30.94,
    ops: { Conv: 13, Relu: 15, MaxPool: 5, Flatten: 1, Gemm: 3, Identity: 1 },
  },
  squeezenet1_1: {
    params: 1_235_496, gflop: 0.70,
    ops: { Conv: 26, Relu: 26, MaxPool: 3, Concat: 8, GlobalAveragePool: 1, Flatten: 1, Identity: 1 },
  },
};

const SHAPE = [1, 3, 224, 224];

/** Byte equality (vitest's toEqual walks megabyte arrays element by element: seconds). */
const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

function seededInput(n: number, seed = 7): Float32Array {
  const rng = mulberry32(seed);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = 2 * rng() - 1;
  return x;
}

function stats(v: Float32Array): { mean: number; std: number; finite: boolean } {
  let s = 0;
  let finite = true;
  for (const x of v) {
    if (!Number.isFinite(x)) finite = false;
    s += x;
  }
  const mean = s / v.length;
  let q = 0;
  for (const x of v) q += (x - mean) ** 2;
  return { mean, std: Math.sqrt(q / v.length), finite };
}

async function runOrt(bytes: Uint8Array, input: Float32Array, dims: number[]): Promise<{ out: Float32Array; dims: readonly number[]; createMs: number; runMs: number }> {
  let t = performance.now();
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const createMs = performance.now() - t;
  try {
    t = performance.now();
    const r = await session.run({ input: new ort.Tensor('float32', input, dims) });
    const runMs = performance.now() - t;
    expect(Object.keys(r)).toEqual(['output']);
    return { out: r.output.data as Float32Array, dims: r.output.dims, createMs, runMs };
  } finally {
    await session.release();
  }
}

const report: string[] = [];
afterAll(() => {
  console.log(`model zoo (ORT wasm, 1 thread):\n${report.join('\n')}`);
});

describe('generated model zoo', () => {
  for (const [name, build] of Object.entries(ZOO) as [ZooModelName, (typeof ZOO)[ZooModelName]][]) {
    it(`${name}: torchvision architecture, output [1, 1000], ORT output std in [0.1, 10]`, async () => {
      const want = EXPECT[name];
      let t = performance.now();
      const bytes = build();
      const buildMs = performance.now() - t;

      const graph = importOnnx(bytes, { inputShapes: { input: SHAPE } });
      expect(graph.opsets['']).toBe(13);
      expect(graph.inputs.map((v) => [v.name, v.shape])).toEqual([['input', SHAPE]]);
      expect(graph.outputs.map((v) => v.name)).toEqual(['output']);
      expect(graph.values.get('output')?.shape).toEqual([1, 1000]);
      const ops: Record<string, number> = {};
      for (const n of graph.nodes) ops[n.opType] = (ops[n.opType] ?? 0) + 1;
      expect(ops).toEqual(want.ops);
      let params = 0;
      for (const [k, tensor] of graph.initializers) if (!/running_(mean|var)$|^clip_(min|max)$/.test(k)) params += tensor.data.length;
      expect(params).toBe(want.params);
      const gflop = convFlops(graph) / 1e9;
      expect(gflop).toBeCloseTo(want.gflop, 2);
      if (name === 'mobilenetv2') {
        // Depthwise convs: group = input channels = output channels, weight [C, 1, 3, 3].
        const dw = graph.nodes.filter((n) => n.opType === 'Conv' && n.attributes.group?.type === 'int' && n.attributes.group.value > 1);
        expect(dw.length).toBe(17);
        for (const n of dw) expect(graph.initializers.get(n.inputs[1])?.dims.slice(1)).toEqual([1, 3, 3]);
      }

      const r = await runOrt(bytes, seededInput(3 * 224 * 224), SHAPE);
      expect(r.dims).toEqual([1, 1000]);
      const s = stats(r.out);
      report.push(
        `  ${name.padEnd(14)} nodes ${String(graph.nodes.length).padStart(3)}  ${(bytes.length / 1e6).toFixed(1).padStart(6)} MB  ` +
          `${gflop.toFixed(2).padStart(5)} GFLOP  std ${s.std.toFixed(3)} mean ${s.mean.toFixed(3)}  ` +
          `build ${buildMs.toFixed(0)} ms, ORT create ${r.createMs.toFixed(0)} ms, run ${r.runMs.toFixed(0)} ms`,
      );
      expect(s.finite).toBe(true);
      expect(s.std).toBeGreaterThanOrEqual(0.1);
      expect(s.std).toBeLessThanOrEqual(10);
    });
  }

  it('weights are seeded: same seed → same bytes, another seed → other weights, same architecture', () => {
    const a = buildSqueezeNet11({ seed: 3 });
    expect(sameBytes(buildSqueezeNet11({ seed: 3 }), a)).toBe(true);
    const b = buildSqueezeNet11({ seed: 4 });
    expect(b.length).toBe(a.length);
    expect(sameBytes(b, a)).toBe(false);
  });

  it('a symbolic batch: bound at import, and ORT runs batch 2 row for row like batch 1', async () => {
    const bytes = buildSqueezeNet11({ batch: 'N' });
    const decl = importOnnx(bytes, { inputShapes: { input: [2, 3, 224, 224] } });
    expect(decl.values.get('output')?.shape).toEqual([2, 1000]);
    const one = 3 * 224 * 224;
    const x0 = seededInput(one, 11);
    const x1 = seededInput(one, 12);
    const both = new Float32Array(2 * one);
    both.set(x0, 0);
    both.set(x1, one);
    const r2 = await runOrt(bytes, both, [2, 3, 224, 224]);
    expect(r2.dims).toEqual([2, 1000]);
    const r0 = await runOrt(bytes, x0, SHAPE);
    const r1 = await runOrt(bytes, x1, SHAPE);
    for (const [row, ref] of [[r2.out.subarray(0, 1000), r0.out], [r2.out.subarray(1000), r1.out]] as const) {
      let maxDiff = 0;
      for (let i = 0; i < 1000; i++) maxDiff = Math.max(maxDiff, Math.abs(row[i] - ref[i]));
      expect(maxDiff).toBeLessThan(1e-4);
    }
    // The two inputs give different outputs (the model is not constant).
    expect(stats(r0.out.map((v, i) => v - r1.out[i])).std).toBeGreaterThan(1e-3);
  });

  it('writeZooModel writes <dir>/model.onnx with the builder bytes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'winoconv-zoo-'));
    try {
      const path = writeZooModel(join(dir, 'squeezenet1_1'), 'squeezenet1_1', { seed: 5 });
      expect(path).toBe(join(dir, 'squeezenet1_1', 'model.onnx'));
      const file = readFileSync(path);
      expect(file.length).toBeGreaterThan(1_000_000);
      expect(sameBytes(file, buildSqueezeNet11({ seed: 5 }))).toBe(true);
      expect(sameBytes(file, buildSqueezeNet11({ seed: 6 }))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

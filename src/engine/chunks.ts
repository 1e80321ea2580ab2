/**
 * Splitting a batch into chunks when one call would exceed a device limit (a binding larger than
 * maxStorageBufferBindingSize, a dispatch over maxComputeWorkgroupsPerDimension). Chunks are dispatched one
 * after another in the same pass, reusing the workspace; the caller's input and output are bound as byte
 * ranges, so chunk starts are multiples of minStorageBufferOffsetAlignment.
 */
import type { EngineCore } from './engine-core.ts';
import { INPUT, OUTPUT, RESIDUAL, type IoRef } from './steps.ts';

export interface BatchChunk {
  /** First image of the chunk. */
  n0: number;
  count: number;
}

export interface ChunkPlan {
  chunks: BatchChunk[];
  /** Set when the batch was split: what forced it. */
  note?: string;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * `perImage`: bytes one image takes in the input and output; `algoMax`: the largest batch the algorithm's own
 * workspace and dispatches allow, with the reason (undefined: no limit of its own).
 */
export function planChunks(core: EngineCore, batch: number, perImage: { inBytes: number; outBytes: number }, algoMax?: { batch: number; reason: string }): ChunkPlan {
  const maxBinding = core.limits.maxStorageBufferBindingSize;
  const limits: { batch: number; reason: string }[] = [
    { batch: Math.floor(maxBinding / perImage.inBytes), reason: `input of ${perImage.inBytes} bytes per image, maxStorageBufferBindingSize ${maxBinding}` },
    { batch: Math.floor(maxBinding / perImage.outBytes), reason: `output of ${perImage.outBytes} bytes per image, maxStorageBufferBindingSize ${maxBinding}` },
  ];
  if (algoMax) limits.push(algoMax);
  const tightest = limits.reduce((a, b) => (b.batch < a.batch ? b : a));
  if (tightest.batch >= batch) return { chunks: [{ n0: 0, count: batch }] };
  const alignBytes = core.device.limits.minStorageBufferOffsetAlignment;
  const alignOf = (bytes: number) => alignBytes / gcd(bytes % alignBytes || alignBytes, alignBytes);
  const a1 = alignOf(perImage.inBytes);
  const a2 = alignOf(perImage.outBytes);
  const align = (a1 * a2) / gcd(a1, a2);
  const size = Math.floor(tightest.batch / align) * align;
  if (size < 1) {
    throw new Error(
      `cannot split this convolution by batch: ${tightest.reason} allows ${tightest.batch} image(s) per call, ` +
        `but chunk starts must be multiples of ${align} images (minStorageBufferOffsetAlignment ${alignBytes}); use a smaller image or another algorithm`,
    );
  }
  const chunks: BatchChunk[] = [];
  for (let n0 = 0; n0 < batch; n0 += size) chunks.push({ n0, count: Math.min(size, batch - n0) });
  return { chunks, note: `batch ${batch} split into ${chunks.length} chunks of up to ${size}: ${tightest.reason} allows ${tightest.batch} per call` };
}

/**
 * The caller's buffers for one chunk: byte ranges when the batch is split (`split`), else the whole ranges. The
 * residual has the output's shape, so it takes the output's byte range.
 */
export function chunkIo(c: BatchChunk, perImage: { inBytes: number; outBytes: number }, split = true): { input: IoRef; output: IoRef; residual: IoRef } {
  if (!split) return { input: INPUT, output: OUTPUT, residual: RESIDUAL };
  const out = { offset: c.n0 * perImage.outBytes, size: c.count * perImage.outBytes };
  return {
    input: { io: 'input', offset: c.n0 * perImage.inBytes, size: c.count * perImage.inBytes },
    output: { io: 'output', ...out },
    residual: { io: 'residual', ...out },
  };
}

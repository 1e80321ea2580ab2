/**
 * The float plans' storage dtype as a setting (issue 14, point 4): float16 plans run the float32 kernels'
 * float16-storage variants (kernels/f16-storage.ts), with weights and transformed filters packed as halves once,
 * at creation, and every activation buffer half the bytes.
 */
import type { NormalizedDesc } from '../conv/desc.ts';
import { f16StorageVariant, floatStorageBytes } from '../kernels/f16-storage.ts';
import type { KernelSource } from '../kernels/types.ts';
import { packF16 } from '../util/float16.ts';

/** Whether a float plan stores halves. */
export const isHalf = (d: Pick<NormalizedDesc, 'dtype'>): boolean => d.dtype === 'float16';

/** The kernel a float plan of `d` runs: `k` itself (float32) or its float16-storage variant. */
export function storageKernel(d: Pick<NormalizedDesc, 'dtype'>, k: KernelSource): KernelSource {
  return isHalf(d) ? f16StorageVariant(k) : k;
}

/** Host data for a float binding of `d`'s storage (float16: halves packed two per word; the values are rounded). */
export function storageData(d: Pick<NormalizedDesc, 'dtype'>, values: Float32Array): Float32Array | Uint32Array {
  return isHalf(d) ? packF16(values) : values;
}

/** Bytes of `count` float values in `d`'s storage (float16: halves, rounded up to whole words). */
export function storageBytes(d: Pick<NormalizedDesc, 'dtype'>, count: number): number {
  return floatStorageBytes(isHalf(d) ? 'float16' : 'float32', count);
}

/** Bytes of one float element (per-image sizes, exact: images of float16 tensors pack back to back). */
export const elementBytes = (d: Pick<NormalizedDesc, 'dtype'>): number => (isHalf(d) ? 2 : 4);

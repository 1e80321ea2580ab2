/**
 * GPU timing of encoded work: timestamp queries around the compute pass(es) where the device has
 * 'timestamp-query', else wall clock from submit to onSubmittedWorkDone. Runs after `warmup` are kept.
 */
export interface Timing {
  /** Run times in ms, in run order. */
  times: number[];
  median: number;
  method: 'timestamp-query' | 'wall-clock';
}

export async function timeEncode(device: GPUDevice, encode: (enc: GPUCommandEncoder, ts?: GPUComputePassTimestampWrites) => void, warmup: number, runs: number): Promise<Timing> {
  const useTs = device.features.has('timestamp-query');
  const qs = useTs ? device.createQuerySet({ type: 'timestamp', count: 2 }) : undefined;
  const resolve = useTs ? device.createBuffer({ size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC }) : undefined;
  const read = useTs ? device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }) : undefined;
  const times: number[] = [];
  try {
    for (let i = 0; i < warmup + runs; i++) {
      const enc = device.createCommandEncoder();
      const t0 = performance.now();
      encode(enc, qs ? { querySet: qs, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } : undefined);
      if (qs && resolve && read) {
        enc.resolveQuerySet(qs, 0, 2, resolve, 0);
        enc.copyBufferToBuffer(resolve, 0, read, 0, 16);
      }
      device.queue.submit([enc.finish()]);
      await device.queue.onSubmittedWorkDone();
      let ms = performance.now() - t0;
      if (read) {
        await read.mapAsync(GPUMapMode.READ);
        const [b, e] = new BigUint64Array(read.getMappedRange().slice(0));
        read.unmap();
        if (e > b) ms = Number(e - b) / 1e6;
      }
      if (i >= warmup) times.push(ms);
    }
  } finally {
    qs?.destroy();
    resolve?.destroy();
    read?.destroy();
  }
  const sorted = [...times].sort((a, b) => a - b);
  return { times, median: sorted[Math.floor(sorted.length / 2)], method: useTs ? 'timestamp-query' : 'wall-clock' };
}
